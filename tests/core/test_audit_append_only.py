"""Append-only in PostgreSQL itself (issue 9): no UPDATE or DELETE of the audit trail or the
field history by a raw query, the ORM or the admin, superuser included; clinical records that
end are cancelled, never deleted; rows leave only by `audit_prune`, as the table owner, past
the retention, and the pruning is itself audited."""

from __future__ import annotations

import datetime

import pytest
from django.apps import apps
from django.contrib import admin
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careplans.models import QuestionnaireResponse
from careplans.services import task_create, team_note_add
from clinic.models import ConsentEvent
from core.audit import audit_record
from core.models import AuditEvent
from history.models import PatientHistory, TaskHistory
from tests.factories import CarePlanFactory, PatientFactory, sign_in

pytestmark = pytest.mark.django_db
APP_ROLE = "clinic_app_audit_test"


def refused(sql: str, params=()) -> str:
    """Run `sql` in a savepoint; return PostgreSQL's refusal (the test fails if it ran)."""
    with pytest.raises(DatabaseError) as caught, transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
    return str(caught.value)


@pytest.fixture
def old_and_new():
    patient = PatientFactory()
    old = audit_record(user=None, action="view", patient_ids=[patient.pk], now=timezone.now() - datetime.timedelta(days=2200))
    new = audit_record(user=None, action="view", patient_ids=[patient.pk])
    return old, new


def test_a_raw_update_or_delete_of_the_audit_trail_fails_in_postgresql(old_and_new):
    old, new = old_and_new
    assert "append-only" in refused("UPDATE core_auditevent SET reason = 'rewritten' WHERE id = %s", [new.pk])
    assert "never deleted" in refused("DELETE FROM core_auditevent")
    assert "never deleted" in refused("DELETE FROM core_auditevent WHERE id = %s", [old.pk])  # old, but not the retention command
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=new.pk).update(reason="rewritten")
    with pytest.raises(DatabaseError), transaction.atomic():
        new.delete()
    assert AuditEvent.objects.filter(reason="").count() == 2


def test_the_owner_may_not_delete_a_recent_row_even_with_the_retention_switch_on(old_and_new):
    _, new = old_and_new
    sql = (
        "SELECT set_config('clinic.audit_retention', 'on', true), set_config('clinic.audit_retention_days', '2190', true);"
        "DELETE FROM core_auditevent WHERE id = %s"
    )
    assert "never deleted" in refused(sql, [new.pk])


def test_audit_prune_removes_only_rows_past_the_retention_and_records_itself(old_and_new, settings):
    old, new = old_and_new
    settings.AUDIT_RETENTION_DAYS = 2190
    call_command("audit_prune")
    assert not AuditEvent.objects.filter(pk=old.pk).exists() and AuditEvent.objects.filter(pk=new.pk).exists()
    own = AuditEvent.objects.get(action="delete")
    assert "retention 2190 days" in own.reason and "core.AuditEvent 1" in own.reason


def test_audit_prune_refuses_days_below_the_retention_and_deletes_nothing(old_and_new, settings):
    old, new = old_and_new
    settings.AUDIT_RETENTION_DAYS = 2190
    with pytest.raises(CommandError, match="below AUDIT_RETENTION_DAYS"):
        call_command("audit_prune", "--days", "1")
    assert AuditEvent.objects.filter(pk__in=[old.pk, new.pk]).count() == 2
    assert not AuditEvent.objects.filter(action="delete").exists()


def test_the_application_role_cannot_delete_truncate_or_disable_the_triggers(old_and_new):
    """The README's non-owner role: it reads and appends, and nothing more."""
    old, _ = old_and_new
    with connection.cursor() as cursor:
        cursor.execute(f"DO $$ BEGIN CREATE ROLE {APP_ROLE} NOLOGIN; EXCEPTION WHEN duplicate_object THEN NULL; END $$")
        cursor.execute(f"GRANT SELECT, INSERT ON core_auditevent TO {APP_ROLE}")
        cursor.execute(f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA public TO {APP_ROLE}")
        cursor.execute(f"SET LOCAL ROLE {APP_ROLE}")
    try:
        retention = "SELECT set_config('clinic.audit_retention', 'on', true), set_config('clinic.audit_retention_days', '1', true);"
        refused(retention + "DELETE FROM core_auditevent WHERE id = %s", [old.pk])
        assert "must be owner" in refused("ALTER TABLE core_auditevent DISABLE TRIGGER USER")
        refused("TRUNCATE core_auditevent")
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO core_auditevent (at, action, object_type, object_id, patients, reason, user_agent, request_id) "
                "VALUES (now(), 'view', '', '', '{}', '', '', '')"
            )
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    assert AuditEvent.objects.filter(pk=old.pk).exists()


def test_the_field_history_is_append_only_too():
    patient = PatientFactory()
    patient.first_name = "Renamed"
    patient.save()
    assert PatientHistory.objects.filter(pgh_obj=patient).count() == 2
    assert "append-only" in refused("UPDATE history_patienthistory SET first_name = 'Forged'")
    assert "never deleted" in refused("DELETE FROM history_patienthistory")


def test_tasks_notes_responses_and_consent_are_never_deleted_in_postgresql(anesthesiologist):
    patient = PatientFactory()
    plan = CarePlanFactory(patient=patient)
    task = task_create(title="Call the patient", patient=patient, assignee_provider=anesthesiologist)
    team_note_add(care_plan=plan, author=anesthesiologist.user, text="Handing over")
    ConsentEvent.objects.create(patient=patient, channel="sms", granted=True, at=timezone.now(), source="front desk")
    QuestionnaireResponse.objects.create(patient=patient, questionnaire="NRS", answers=[6], score=6, answered_at=timezone.now())
    for table in ("careplans_task", "careplans_taskevent", "careplans_teamnote", "careplans_questionnaireresponse", "clinic_consentevent"):
        assert "never deleted" in refused(f"DELETE FROM {table}"), table
    with pytest.raises(DatabaseError), transaction.atomic():
        task.delete()
    assert TaskHistory.objects.filter(pgh_obj=task).exists()  # and its history stays
    # A task still changes status (cancelled, not removed).
    with connection.cursor() as cursor:
        cursor.execute("UPDATE careplans_task SET status = 'cancelled' WHERE id = %s", [task.pk])


@pytest.mark.parametrize(
    "model_admin",
    ["careplans.task", "careplans.teamnote", "careplans.questionnaireresponse", "clinic.consentevent", "core.auditevent"],
)
def test_the_admin_offers_no_delete_even_to_a_superuser(django_user_model, model_admin):
    root = django_user_model.objects.create_superuser("root", "root@clinic.example", "pass-word-123")
    client = Client()
    sign_in(client, root)
    request = client.get("/admin/").wsgi_request
    model = apps.get_model(model_admin)
    assert admin.site._registry[model].has_delete_permission(request) is False
    app_label, model_name = model_admin.split(".")
    assert client.post(reverse(f"admin:{app_label}_{model_name}_delete", args=[1]), {"post": "yes"}).status_code == 403
