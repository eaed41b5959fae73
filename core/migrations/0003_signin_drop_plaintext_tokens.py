"""DRF's authtoken app is gone (tokens are knox's now, stored as digests). Its table held every
token in plain text: working credentials should the old code ever run again, and secrets in every
backup. Dropped rather than left behind; integrators re-issue tokens (manage.py drf_create_token)."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("core", "0002_signin_development_code_device")]

    operations = [migrations.RunSQL("DROP TABLE IF EXISTS authtoken_token CASCADE", reverse_sql=migrations.RunSQL.noop)]
