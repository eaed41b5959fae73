"""Each visit type's bleeding-risk tier (ASRA 2018 pain guideline), defaulted from its procedure
family: epidural, facet, medial branch and RFA procedures are intermediate; spinal cord
stimulator trials high; peripheral nerve blocks and trial-lead removal low."""

from django.db import migrations, models


DEFAULT_TIER = {
    "ebp": "intermediate",
    "esi": "intermediate",
    "facet": "intermediate",
    "mbb": "intermediate",
    "rfa": "intermediate",
    "scs_trial": "high",
    "nerve_block": "low",
    "scs_removal": "low",
}


def default_tiers(apps, schema_editor):
    VisitType = apps.get_model("scheduling", "VisitType")
    for family, tier in DEFAULT_TIER.items():
        VisitType.objects.filter(is_procedure=True, procedure_family=family).update(procedure_risk=tier)


class Migration(migrations.Migration):

    dependencies = [
        ('scheduling', '0007_appointment_outcome'),
        ('clinic', '0004_anticoag_drugs'),
    ]

    operations = [
        migrations.AddField(
            model_name='visittype',
            name='procedure_risk',
            field=models.CharField(blank=True, choices=[('low', 'Low risk'), ('intermediate', 'Intermediate risk'), ('high', 'High risk')], help_text='Bleeding-risk tier (ASRA 2018) that sets anticoagulant holds; a procedure left blank is treated as high risk', max_length=12),
        ),
        migrations.RunPython(default_tiers, migrations.RunPython.noop),
    ]
