from django.db import migrations


class Migration(migrations.Migration):
    """The single-drug column goes once 0004 moved its values into PatientMedication (separate
    migration: PostgreSQL refuses to alter a table with pending deferred constraint checks)."""

    dependencies = [("clinic", "0004_anticoag_drugs")]

    operations = [migrations.RemoveField(model_name="patient", name="anticoagulant")]
