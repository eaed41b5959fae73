"""The audit trail records every look at and change of patient data (workspace, API, admin),
sign-ins and break-glass, one row per request naming every patient it touched (issue 9)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.http import HttpResponse
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careplans.services import task_create
from core.audit import audit_record
from core.logging import REDACTED_TOKEN
from core.middleware import AuditTrailMiddleware
from core.models import AuditEvent
from history.middleware import HistoryContextMiddleware
from tests.factories import CarePlanFactory, CareTeamMemberFactory, PatientFactory, sign_in

pytestmark = pytest.mark.django_db
BROWSER = "Mozilla/5.0 (audit test)"


def signed_in(user) -> Client:
    client = Client(HTTP_USER_AGENT=BROWSER)
    sign_in(client, user)
    return client


def looks():
    return AuditEvent.objects.filter(action="view")


def audit_inserts(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].startswith('INSERT INTO "core_auditevent"')]


def test_the_workspace_patient_page_writes_one_row_with_who_where_and_request_id(anesthesiologist):
    patient = PatientFactory()
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=patient), provider=anesthesiologist)
    client = signed_in(anesthesiologist.user)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("workspace:patient", args=[patient.pk]), HTTP_X_REQUEST_ID="req-42.a")
    assert response.status_code == 200 and response["X-Request-ID"] == "req-42.a"
    assert len(audit_inserts(queries)) == 1
    row = looks().get()
    assert (row.user, row.object_type, row.object_id, row.patients) == (
        anesthesiologist.user,
        "clinic.patient",
        str(patient.pk),
        [patient.pk],
    )
    assert (row.ip, row.user_agent, row.request_id, row.reason) == ("127.0.0.1", BROWSER, "req-42.a", "")


def test_an_api_list_writes_one_row_naming_every_patient_on_the_page(front_desk_user, api_for):
    patients = [PatientFactory() for _ in range(12)]
    with CaptureQueriesContext(connection) as queries:
        response = api_for(front_desk_user).get("/api/v1/patients/", HTTP_X_REQUEST_ID="<script>")
    assert response.status_code == 200
    inserts = [q["sql"] for q in queries if q["sql"].lstrip().upper().startswith("INSERT")]
    assert len(inserts) == 1 == len(audit_inserts(queries))  # auditing a read costs one INSERT
    row = looks().get()
    assert row.patients == sorted(p.pk for p in patients) and row.object_type == "clinic.patient" and row.object_id == ""
    assert row.user == front_desk_user
    assert row.request_id == response["X-Request-ID"] and row.request_id != "<script>"  # an unsafe id is replaced


def test_an_api_detail_names_the_object_and_its_patient(front_desk_user, api_for):
    patient = PatientFactory()
    assert api_for(front_desk_user).get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    row = looks().get()
    assert (row.object_type, row.object_id, row.patients, row.user) == ("clinic.patient", str(patient.pk), [patient.pk], front_desk_user)


def test_a_refused_or_missing_record_writes_no_look(front_desk_user, api_for):
    assert api_for(front_desk_user).get("/api/v1/patients/999999/").status_code == 404
    assert not looks().exists()


def test_an_admin_change_page_and_list_are_looks(front_desk_user):
    patients = [PatientFactory() for _ in range(3)]
    client = signed_in(front_desk_user)
    assert client.get(reverse("admin:clinic_patient_change", args=[patients[0].pk])).status_code == 200
    assert client.get(reverse("admin:clinic_patient_changelist")).status_code == 200
    rows = list(looks().order_by("id").values_list("object_type", "object_id", "patients"))
    assert rows == [("clinic.patient", str(patients[0].pk), [patients[0].pk]), ("clinic.patient", "", sorted(p.pk for p in patients))]
    # The front desk saw no clinical data: none of these is an "alert look" (it used to be one).
    assert not AuditEvent.objects.exclude(reason="").exists()


def test_a_change_through_the_workspace_is_one_change_row(anesthesiologist):
    patient = PatientFactory()
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=patient), provider=anesthesiologist)
    task = task_create(title="Call the patient", patient=patient, assignee_provider=anesthesiologist)
    client = signed_in(anesthesiologist.user)
    with CaptureQueriesContext(connection) as queries:
        response = client.post(reverse("workspace:task-action", args=[task.pk, "cancel"]), {"reason": "duplicate"})
    assert response.status_code == 302
    assert len(audit_inserts(queries)) == 1
    row = AuditEvent.objects.exclude(action="login").get()
    assert (row.action, row.object_type, row.object_id, row.patients, row.user) == (
        "change",
        "careplans.task",
        str(task.pk),
        [patient.pk],
        anesthesiologist.user,
    )


def test_audit_record_inside_a_request_takes_its_ip_user_agent_and_id(anesthesiologist):
    """Break-glass (built elsewhere) calls audit_record; the row says where it came from."""
    patient = PatientFactory()

    def view(request):
        audit_record(user=request.user, action="break-glass", obj=patient, patient_ids=[patient.pk], reason="unconscious in recovery")
        return HttpResponse("ok")

    request = RequestFactory().get("/", HTTP_USER_AGENT=BROWSER, HTTP_X_REQUEST_ID="bg-1", REMOTE_ADDR="203.0.113.9")
    request.user = anesthesiologist.user
    AuditTrailMiddleware(view)(request)
    row = AuditEvent.objects.get()
    assert (row.action, row.user, row.patients, row.reason) == (
        "break-glass",
        anesthesiologist.user,
        [patient.pk],
        "unconscious in recovery",
    )
    assert (row.ip, row.user_agent, row.request_id, row.object_type) == ("203.0.113.9", BROWSER, "bg-1", "clinic.patient")


def test_an_unknown_action_is_refused():
    with pytest.raises(ValueError, match="Unknown audit action"):
        audit_record(user=None, action="peek")


def test_sign_ins_and_failed_sign_ins_are_recorded_without_the_password(front_desk_user):
    front_desk_user.set_password("correct-horse-battery")
    front_desk_user.save()
    client = Client(HTTP_USER_AGENT=BROWSER)
    client.post(reverse("admin:login"), {"username": front_desk_user.username, "password": "wrong-password-77"})
    client.post(reverse("admin:login"), {"username": front_desk_user.username, "password": "correct-horse-battery"})
    rows = list(AuditEvent.objects.order_by("id").values_list("action", "user", "object_id", "ip", "user_agent"))
    assert rows == [
        ("login-failed", None, front_desk_user.username, "127.0.0.1", BROWSER),
        ("login", front_desk_user.pk, front_desk_user.username, "127.0.0.1", BROWSER),
    ]
    stored = " ".join(str(v) for row in AuditEvent.objects.values_list() for v in row)
    assert "wrong-password" not in stored and "correct-horse" not in stored


def test_a_look_that_only_an_urgent_task_allows_keeps_its_reason_in_the_same_insert(anesthesiologist, api_for):
    patient = PatientFactory()
    CarePlanFactory(patient=patient)
    task_create(title="Crisis answer", patient=patient, assignee_provider=anesthesiologist, priority="urgent")
    with CaptureQueriesContext(connection) as queries:
        assert api_for(anesthesiologist.user).get(f"/api/v1/careplans/?patient={patient.pk}").status_code == 200
    assert len(audit_inserts(queries)) == 1
    # The patient's look is written once, with its reason: no second, plain row for the same look.
    assert list(looks().values_list("reason", "patients")) == [("open urgent task (alert access)", [patient.pk])]


def test_the_field_history_context_keeps_a_patient_links_path_without_its_token(front_desk_user):
    """pghistory stores the request path for years: a link's live token must not be in it."""
    token = "Zq8xKkP2mW7rT4vN9bL3cH6dF1gJ5sY0"
    for path in (f"/p/{token}/", f"/q/{token}/"):
        request = RequestFactory().post(path)
        request.user = front_desk_user
        request.request_id = "req-1"
        context = HistoryContextMiddleware(lambda request: HttpResponse()).get_context(request)
        assert token not in context["url"] and context["url"] == path.replace(token, REDACTED_TOKEN)
        assert (context["user"], context["request_id"]) == (front_desk_user.pk, "req-1")
