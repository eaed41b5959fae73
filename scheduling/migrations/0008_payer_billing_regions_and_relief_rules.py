"""Payer rules by date of service: billing regions as data, windows in calendar months, relief
before a repeat session, medial branch blocks apart from intra-articular facet injections, and
the structured detail of an appointment event (which rules an override overrode)."""

import django.contrib.postgres.fields
from django.db import migrations, models

# Payer limits count these levels as one region, as the CPT families bill them.
BILLING_REGIONS = [
    (
        "cervical-thoracic",
        "Cervical–thoracic",
        ["cervical", "thoracic"],
        "CPT 62320/62321, 64479/64480, 64490-64492, 64633/64634",
    ),
    (
        "lumbar-sacral",
        "Lumbar–sacral",
        ["lumbar", "sacral"],
        "CPT 62322/62323, 64483/64484, 64493-64495, 64635/64636",
    ),
]

# Relief before a repeat session, set on the default rules (0002) where a clinic has not set its own.
REPEAT_RELIEF = {
    # L39240: >=50 % relief or documented functional improvement from the previous ESI (duration
    # unverified: 3 months by default, editable).
    "ESI: at most 4 per region per 12 months": (50, 13, True),
    # Facet joint interventions LCD: a repeat RFA needs >=50 % relief lasting at least 6 months.
    "RFA: at most 2 per region per 12 months; first after 2 diagnostic blocks with 80% relief": (50, 26, False),
}


def window_days_to_months(apps, schema_editor):
    FrequencyRule = apps.get_model("scheduling", "FrequencyRule")
    for rule in FrequencyRule.objects.all():
        rule.window_months = max(1, round(rule.window_days * 12 / 365))  # 365 -> 12, 182 -> 6, 30 -> 1
        rule.save(update_fields=["window_months"])


def window_months_to_days(apps, schema_editor):
    FrequencyRule = apps.get_model("scheduling", "FrequencyRule")
    for rule in FrequencyRule.objects.all():
        rule.window_days = round(rule.window_months * 365 / 12)
        rule.save(update_fields=["window_days"])


def add_regions_and_relief_rules(apps, schema_editor):
    BillingRegion = apps.get_model("scheduling", "BillingRegion")
    FrequencyRule = apps.get_model("scheduling", "FrequencyRule")
    for code, name, levels, source in BILLING_REGIONS:
        BillingRegion.objects.get_or_create(code=code, defaults={"name": name, "spinal_regions": levels, "source": source})
    for name, (percent, weeks, functional) in REPEAT_RELIEF.items():
        FrequencyRule.objects.filter(payer=None, name=name, repeat_min_relief_percent=None, repeat_min_relief_weeks=None).update(
            repeat_min_relief_percent=percent, repeat_min_relief_weeks=weeks, repeat_accepts_functional_improvement=functional
        )


def split_medial_branch_blocks_from_facet(apps, schema_editor):
    """`facet` meant "facet injection / medial branch block"; it now means the intra-articular
    injection only. Visit types that are medial branch blocks move to `mbb`, so their relief
    counts towards an RFA (appointments read the family from their visit type)."""
    VisitType = apps.get_model("scheduling", "VisitType")
    facet = VisitType.objects.filter(procedure_family="facet")
    for visit_type in facet:
        words = f"{visit_type.code} {visit_type.name}".lower().replace("-", " ")
        if "medial branch" in words or "mbb" in words.split():
            visit_type.procedure_family = "mbb"
            visit_type.save(update_fields=["procedure_family"])


class Migration(migrations.Migration):
    dependencies = [
        ("clinic", "0003_remove_view_clinical_permission"),
        ("scheduling", "0007_appointment_outcome"),
    ]

    operations = [
        migrations.CreateModel(
            name="BillingRegion",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("code", models.SlugField(max_length=40, unique=True)),
                ("name", models.CharField(max_length=80)),
                (
                    "spinal_regions",
                    django.contrib.postgres.fields.ArrayField(
                        base_field=models.CharField(
                            choices=[("cervical", "Cervical"), ("thoracic", "Thoracic"), ("lumbar", "Lumbar"), ("sacral", "Sacral")],
                            max_length=10,
                        ),
                        help_text="Spinal levels counted together (each in one region only)",
                        size=None,
                    ),
                ),
                ("source", models.CharField(blank=True, help_text="e.g. the CPT codes that bill these levels together", max_length=200)),
            ],
            options={
                "ordering": ["name"],
            },
        ),
        migrations.AddField(
            model_name="appointmentevent",
            name="detail",
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AddField(
            model_name="frequencyrule",
            name="repeat_accepts_functional_improvement",
            field=models.BooleanField(default=False, help_text="Documented functional improvement counts instead of the % relief"),
        ),
        migrations.AddField(
            model_name="frequencyrule",
            name="repeat_min_relief_percent",
            field=models.PositiveSmallIntegerField(
                blank=True, help_text="A repeat session needs at least this % relief recorded for the previous one in the region", null=True
            ),
        ),
        migrations.AddField(
            model_name="frequencyrule",
            name="repeat_min_relief_weeks",
            field=models.PositiveSmallIntegerField(
                blank=True, help_text="…lasting at least this many weeks (empty: any duration)", null=True
            ),
        ),
        migrations.AddField(
            model_name="frequencyrule",
            name="window_months",
            field=models.PositiveSmallIntegerField(
                default=12, help_text="Rolling window in calendar months, inclusive: 12 months before 2028-03-15 starts on 2027-03-15"
            ),
        ),
        migrations.RunPython(window_days_to_months, window_months_to_days),
        migrations.RemoveField(
            model_name="frequencyrule",
            name="window_days",
        ),
        migrations.AlterField(
            model_name="frequencyrule",
            name="max_sessions",
            field=models.PositiveSmallIntegerField(
                blank=True, help_text="Sessions allowed per billing region in any rolling window", null=True
            ),
        ),
        migrations.AlterField(
            model_name="frequencyrule",
            name="min_interval_days",
            field=models.PositiveIntegerField(
                blank=True, help_text="Minimum calendar days between dates of service in the billing region", null=True
            ),
        ),
        migrations.AlterField(
            model_name="frequencyrule",
            name="prerequisite_family",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "Not a procedure"),
                    ("ebp", "Epidural blood patch"),
                    ("esi", "Epidural steroid injection"),
                    ("facet", "Intra-articular facet injection"),
                    ("mbb", "Diagnostic medial branch block"),
                    ("rfa", "Radiofrequency ablation"),
                    ("nerve_block", "Peripheral nerve block"),
                    ("scs_trial", "Spinal cord stimulator trial"),
                    ("scs_removal", "SCS trial lead removal"),
                ],
                help_text="e.g. diagnostic blocks before a first RFA",
                max_length=20,
            ),
        ),
        migrations.AlterField(
            model_name="frequencyrule",
            name="procedure_families",
            field=django.contrib.postgres.fields.ArrayField(
                base_field=models.CharField(
                    choices=[
                        ("", "Not a procedure"),
                        ("ebp", "Epidural blood patch"),
                        ("esi", "Epidural steroid injection"),
                        ("facet", "Intra-articular facet injection"),
                        ("mbb", "Diagnostic medial branch block"),
                        ("rfa", "Radiofrequency ablation"),
                        ("nerve_block", "Peripheral nerve block"),
                        ("scs_trial", "Spinal cord stimulator trial"),
                        ("scs_removal", "SCS trial lead removal"),
                    ],
                    max_length=20,
                ),
                help_text="Procedure families counted together",
                size=None,
            ),
        ),
        migrations.AlterField(
            model_name="visittype",
            name="procedure_family",
            field=models.CharField(
                blank=True,
                choices=[
                    ("", "Not a procedure"),
                    ("ebp", "Epidural blood patch"),
                    ("esi", "Epidural steroid injection"),
                    ("facet", "Intra-articular facet injection"),
                    ("mbb", "Diagnostic medial branch block"),
                    ("rfa", "Radiofrequency ablation"),
                    ("nerve_block", "Peripheral nerve block"),
                    ("scs_trial", "Spinal cord stimulator trial"),
                    ("scs_removal", "SCS trial lead removal"),
                ],
                default="",
                max_length=20,
            ),
        ),
        migrations.AddConstraint(
            model_name="frequencyrule",
            constraint=models.CheckConstraint(condition=models.Q(("window_months__gte", 1)), name="frequency_rule_window_months_positive"),
        ),
        migrations.AddConstraint(
            model_name="frequencyrule",
            constraint=models.CheckConstraint(
                condition=models.Q(("repeat_min_relief_percent__isnull", True), ("repeat_min_relief_percent__lte", 100), _connector="OR"),
                name="frequency_rule_repeat_relief_percent_range",
            ),
        ),
        migrations.AddConstraint(
            model_name="frequencyrule",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("prerequisite_min_relief_percent__isnull", True), ("prerequisite_min_relief_percent__lte", 100), _connector="OR"
                ),
                name="frequency_rule_prerequisite_relief_percent_range",
            ),
        ),
        migrations.RunPython(add_regions_and_relief_rules, migrations.RunPython.noop),
        migrations.RunPython(split_medial_branch_blocks_from_facet, migrations.RunPython.noop),
    ]
