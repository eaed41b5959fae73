"""The clinic's default reminder plan (rules without a visit type), editable in the admin:
email 3 days before with the .ics and preparation text, SMS 1 day before asking to reply C,
an optional same-morning SMS (off until the clinic turns it on), and the video link 15 minutes
before telehealth visits."""

import datetime

from django.db import migrations

DEFAULTS = [
    dict(channel="email", purpose="reminder", offset_minutes=3 * 1440, include_ics=True, include_prep=True),
    dict(channel="sms", purpose="reminder", offset_minutes=1440, ask_to_confirm=True),
    dict(channel="sms", purpose="reminder", offset_minutes=0, send_at_local_time=datetime.time(8, 0), active=False),
    dict(channel="sms", purpose="video_link", offset_minutes=15, telehealth_only=True),
    dict(channel="email", purpose="video_link", offset_minutes=15, telehealth_only=True),
]


def add_defaults(apps, schema_editor):
    ReminderRule = apps.get_model("messaging", "ReminderRule")
    for rule in DEFAULTS:
        key = {k: rule[k] for k in ("channel", "purpose", "offset_minutes")}
        ReminderRule.objects.get_or_create(visit_type=None, **key, defaults=rule)


class Migration(migrations.Migration):
    dependencies = [("messaging", "0001_initial")]
    operations = [migrations.RunPython(add_defaults, migrations.RunPython.noop)]
