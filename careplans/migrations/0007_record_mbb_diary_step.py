"""The diagnostic block's diary becomes answerable: a DIARY questionnaire link after the last
reading (10 h after the block), whose answers compute the % relief the RFA rule reads."""

from django.db import migrations

OLD_DIARY_TEXT = (
    "Write down your pain (0 to 10) every 15 minutes for the first hour, then every hour for 8 hours. "
    "Bring the diary to your next visit."
)
NEW_DIARY_TEXT = (
    "Write down your pain (0 to 10) just before the block, every 15 minutes for the first hour, then every hour "
    "for 8 hours. We will send you a link to enter it; bring the diary to your next visit too."
)


def forwards(apps, schema_editor):
    Protocol = apps.get_model("careplans", "Protocol")
    ProtocolStep = apps.get_model("careplans", "ProtocolStep")
    protocol = Protocol.objects.filter(code="mbb").first()
    if protocol is None:
        return
    ProtocolStep.objects.filter(protocol=protocol, code="pain-diary", description=OLD_DIARY_TEXT).update(description=NEW_DIARY_TEXT)
    ProtocolStep.objects.get_or_create(
        protocol=protocol,
        code="diary-entry",
        defaults={
            "order": 1,
            "title": "Enter your pain diary after the block",
            "kind": "questionnaire",
            "anchor": "completed",
            "offset_minutes": 10 * 60,
            "questionnaire": "DIARY",
        },
    )


class Migration(migrations.Migration):
    dependencies = [("careplans", "0006_record_procedure_versions")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
