"""Calendar feeds keep only a hash of their token, expire, and show no detail unless asked.

Existing feeds keep working: their plain tokens are hashed in place (a calendar app still
holding the URL gets the same feed) and they expire FEED_TOKEN_TTL_DAYS after they were made."""

import hashlib
from datetime import timedelta

from django.conf import settings
from django.db import migrations, models


def hash_existing_tokens(apps, schema_editor):
    CalendarFeed = apps.get_model("scheduling", "CalendarFeed")
    ttl = timedelta(days=getattr(settings, "FEED_TOKEN_TTL_DAYS", 180))
    for feed in CalendarFeed.objects.all().iterator():
        feed.token_hash = hashlib.sha256(feed.token.encode()).hexdigest()
        feed.token_prefix = feed.token[:6]
        feed.expires_at = feed.created_at + ttl
        # Feeds showed visit types and initials until now; no initials any more, and the
        # visit type only where someone opts in again.
        feed.show_details = False
        feed.save(update_fields=["token_hash", "token_prefix", "expires_at", "show_details"])


class Migration(migrations.Migration):
    dependencies = [("scheduling", "0007_appointment_outcome")]

    operations = [
        migrations.AddField("calendarfeed", "token_hash", models.CharField(max_length=64, null=True, editable=False)),
        migrations.AddField(
            "calendarfeed",
            "token_prefix",
            models.CharField(
                max_length=8,
                default="",
                editable=False,
                help_text="The first characters of the token, to tell feeds apart; not enough to use it.",
            ),
            preserve_default=False,
        ),
        migrations.AddField(
            "calendarfeed",
            "show_details",
            models.BooleanField(
                default=False,
                help_text="Put the visit type in event titles. Off, events read only 'Appointment · Consult A' (the room). Never patient names or initials.",
            ),
        ),
        migrations.AddField("calendarfeed", "expires_at", models.DateTimeField(null=True)),
        migrations.RunPython(hash_existing_tokens, migrations.RunPython.noop),
        migrations.RemoveField("calendarfeed", "token"),
        migrations.AlterField("calendarfeed", "token_hash", models.CharField(max_length=64, unique=True, editable=False)),
        migrations.AlterField("calendarfeed", "expires_at", models.DateTimeField()),
    ]
