"""The audit trail is append-only in PostgreSQL itself (core/append_only.py says how)."""

from django.db import migrations

from core.append_only import FUNCTION, protect_sql, unprotect_sql


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]

    operations = [
        migrations.RunSQL(FUNCTION, "DROP FUNCTION IF EXISTS clinic_append_only() CASCADE;"),
        migrations.RunSQL(protect_sql("core_auditevent", "at"), unprotect_sql("core_auditevent")),
    ]
