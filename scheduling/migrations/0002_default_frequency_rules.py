"""Default payer frequency rules (DESIGN.md §3) so a fresh production install enforces them.
Clinic admins edit or deactivate them in the admin; re-running adds nothing (found by name)."""

from django.db import migrations

DEFAULT_RULES = [
    {
        "name": "ESI: at most 4 per region per 12 months",
        "procedure_families": ["esi"],
        "max_sessions": 4,
        "window_days": 365,
        "source": "Medicare LCD L39240",
    },
    {
        "name": "Facet / medial branch blocks: at most 4 per region per 12 months",
        "procedure_families": ["facet", "mbb"],
        "max_sessions": 4,
        "window_days": 365,
        "source": "Medicare facet joint interventions LCD, billing article A57787 (CPT 64490-64494)",
    },
    {
        "name": "RFA: at most 2 per region per 12 months; first after 2 diagnostic blocks with 80% relief",
        "procedure_families": ["rfa"],
        "max_sessions": 2,
        "window_days": 365,
        "prerequisite_family": "mbb",
        "prerequisite_count": 2,
        "prerequisite_min_relief_percent": 80,
        "source": "Medicare facet joint interventions LCD, billing article A57787 (CPT 64633-64636)",
    },
]


def add_rules(apps, schema_editor):
    FrequencyRule = apps.get_model("scheduling", "FrequencyRule")
    for rule in DEFAULT_RULES:
        FrequencyRule.objects.get_or_create(name=rule["name"], payer=None, defaults={k: v for k, v in rule.items() if k != "name"})


def remove_rules(apps, schema_editor):
    FrequencyRule = apps.get_model("scheduling", "FrequencyRule")
    FrequencyRule.objects.filter(payer=None, name__in=[r["name"] for r in DEFAULT_RULES]).delete()


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0001_initial")]

    operations = [migrations.RunPython(add_rules, remove_rules)]
