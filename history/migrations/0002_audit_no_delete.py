"""Rows that are never deleted, in PostgreSQL itself (core/append_only.py):

- the field history (and pghistory's context rows) is append-only; audit_prune alone removes
  rows past the retention;
- tasks and their transitions, team notes, questionnaire responses, care-plan transitions and
  consent history end as cancelled or entered-in-error, never removed, superuser included.
"""

from django.db import migrations

from core.append_only import protect_sql, unprotect_sql

HISTORY_TABLES = [
    "history_patienthistory",
    "history_consenteventhistory",
    "history_appointmenthistory",
    "history_careplanhistory",
    "history_problemhistory",
    "history_goalhistory",
    "history_careteammemberhistory",
    "history_activityhistory",
    "history_taskhistory",
    "history_teamnotehistory",
    "history_questionnaireresponsehistory",
]
NEVER_DELETED = [
    "careplans_task",
    "careplans_taskevent",
    "careplans_teamnote",
    "careplans_questionnaireresponse",
    "careplans_careplanevent",
    "clinic_consentevent",
]


def _protect():
    sql = [protect_sql(table, "pgh_created_at") for table in HISTORY_TABLES]
    # pghistory adds each write's metadata to its context row as it happens: no UPDATE guard.
    sql.append(protect_sql("pghistory_context", "created_at", refuse_updates=False))
    sql += [protect_sql(table, None, refuse_updates=False) for table in NEVER_DELETED]
    return "\n".join(sql)


def _unprotect():
    return "\n".join(unprotect_sql(table) for table in [*HISTORY_TABLES, "pghistory_context", *NEVER_DELETED])


class Migration(migrations.Migration):
    dependencies = [
        ("history", "0001_audit_field_history"),
        ("core", "0002_audit_append_only"),
        ("careplans", "0006_audit_history_triggers"),
        ("clinic", "0004_audit_history_triggers"),
    ]

    operations = [migrations.RunSQL(_protect(), _unprotect())]
