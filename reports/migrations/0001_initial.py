from django.db import migrations, models

DEFAULT_WINDOWS = [
    # key, label, target, from, to (days after the procedure; windows may not overlap in time
    # so one answer counts once)
    ("2w", "2 weeks", 14, 7, 24),
    ("6w", "6 weeks", 42, 28, 63),
    ("3m", "3 months", 91, 70, 130),
    ("6m", "6 months", 182, 150, 240),
]


def add_defaults(apps, schema_editor):
    OutcomeWindow = apps.get_model("reports", "OutcomeWindow")
    for key, label, target, lo, hi in DEFAULT_WINDOWS:
        OutcomeWindow.objects.get_or_create(key=key, defaults={"label": label, "target_days": target, "from_days": lo, "to_days": hi})


class Migration(migrations.Migration):
    initial = True
    dependencies = []

    operations = [
        migrations.CreateModel(
            name="OutcomeWindow",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("key", models.SlugField(help_text='Short key used in the API and CSV, e.g. "6w"', max_length=10, unique=True)),
                ("label", models.CharField(help_text='e.g. "6 weeks"', max_length=40)),
                ("target_days", models.PositiveSmallIntegerField(help_text="Days after the procedure the follow-up aims at")),
                ("from_days", models.PositiveSmallIntegerField(help_text="Earliest answer that counts, in days after the procedure")),
                (
                    "to_days",
                    models.PositiveSmallIntegerField(help_text="Latest answer that counts, in days after the procedure (inclusive)"),
                ),
            ],
            options={
                "ordering": ["target_days", "key"],
                "constraints": [
                    models.CheckConstraint(
                        condition=models.Q(("from_days__gte", 1), ("from_days__lte", models.F("target_days")), ("to_days__gte", models.F("target_days"))),
                        name="outcome_window_brackets_target",
                    )
                ],
            },
        ),
        migrations.RunPython(add_defaults, migrations.RunPython.noop),
    ]
