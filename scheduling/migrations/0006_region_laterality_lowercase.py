"""Regions and lateralities are lower case (scheduling.inputs); rows the admin once stored as
typed ("LUMBAR") are folded so payer rules count them with their region."""

from django.db import migrations
from django.db.models.functions import Lower, Trim


def fold_case(apps, schema_editor):
    Appointment = apps.get_model("scheduling", "Appointment")
    for field in ("region", "laterality"):
        folded = Lower(Trim(field))
        Appointment.objects.exclude(**{field: folded}).update(**{field: folded})


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0005_waitlist_event")]

    operations = [migrations.RunPython(fold_case, migrations.RunPython.noop)]
