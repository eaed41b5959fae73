"""The prior-authorization API contract: exact paths and fields, 201/400/403/404/409."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.utils import timezone

from authorizations.models import Authorization
from core.models import AuditEvent
from scheduling.models import FrequencyRule
from scheduling.services import appointment_book
from tests.factories import PatientFactory, UserFactory

pytestmark = pytest.mark.django_db

UTN = "UTN12345678901"


@pytest.fixture(autouse=True)
def _no_frequency_rules(db):
    FrequencyRule.objects.update(active=False)


def create(client, patient, **extra):
    body = {"patient": patient.pk, "lines": [{"code": "62323", "region": "lumbar", "levels": "L4-L5", "requested_units": 2}], **extra}
    return client.post("/api/v1/authorizations/", body, format="json")


def soon(days=10, hour=15):
    day = timezone.localdate() + datetime.timedelta(days=days)
    while day.weekday() >= 5:
        day += datetime.timedelta(days=1)
    return datetime.datetime.combine(day, datetime.time(hour), tzinfo=datetime.UTC).astimezone(datetime.UTC)


def test_coordinator_creates_submits_and_partially_approves(api_for, auth_coordinator, patient):
    client = api_for(auth_coordinator)
    response = create(client, patient, urgency="expedited")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "draft" and body["payer"] == "aetna" and body["member_id"] == "AET123456"
    line = body["lines"][0]
    assert {k: line[k] for k in ("code", "procedure_family", "region", "levels", "requested_units", "approved_units", "units_used")} == {
        "code": "62323", "procedure_family": "esi", "region": "lumbar", "levels": "L4-L5", "requested_units": 2,
        "approved_units": None, "units_used": 0,
    }  # fmt: skip
    pk = body["id"]
    submitted = client.post(f"/api/v1/authorizations/{pk}/submit/", {}, format="json").json()
    due = datetime.datetime.fromisoformat(submitted["decision_due_at"]) - datetime.datetime.fromisoformat(submitted["requested_at"])
    assert submitted["status"] == "submitted" and due == datetime.timedelta(hours=72)
    today = timezone.localdate()
    approve = {"number": "A-1", "valid_from": str(today), "valid_to": str(today + datetime.timedelta(days=90)),
               "lines": [{"id": line["id"], "approved_units": 1}]}  # fmt: skip
    approved = client.post(f"/api/v1/authorizations/{pk}/approve/", approve, format="json")
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == "partially-approved" and approved.json()["lines"][0]["approved_units"] == 1
    listed = client.get("/api/v1/authorizations/", {"patient": patient.pk, "status": "partially-approved"}).json()
    assert [a["id"] for a in listed["results"]] == [pk]


def test_illegal_transition_is_409_and_bad_input_400(api_for, auth_coordinator, patient):
    client = api_for(auth_coordinator)
    pk = create(client, patient).json()["id"]
    refused = client.post(
        f"/api/v1/authorizations/{pk}/approve/", {"number": "A", "valid_from": "2027-01-01", "valid_to": "2027-02-01"}, format="json"
    )
    assert refused.status_code == 409 and refused.json()["code"] == "illegal_transition"
    assert client.post(f"/api/v1/authorizations/{pk}/deny/", {"reason": "not medically necessary"}, format="json").status_code == 409
    client.post(f"/api/v1/authorizations/{pk}/submit/", {}, format="json")
    no_reason = client.post(f"/api/v1/authorizations/{pk}/deny/", {"reason": "  "}, format="json")
    assert no_reason.status_code == 400 and "reason" in no_reason.json()
    backwards = client.post(
        f"/api/v1/authorizations/{pk}/approve/", {"number": "A", "valid_from": "2027-02-01", "valid_to": "2027-01-01"}, format="json"
    )
    assert backwards.status_code == 400 and "valid_to" in backwards.json()
    bad_line = create(client, patient, lines=[{"code": "12", "requested_units": 0}])
    assert bad_line.status_code == 400 and "lines[0].code" in bad_line.json()
    assert client.get("/api/v1/authorizations/", {"status": "maybe"}).status_code == 400
    assert client.get("/api/v1/authorizations/999999/").status_code == 404


def test_medicare_utn_must_be_14_characters(api_for, auth_coordinator):
    from tests.factories import PayerFactory

    patient = PatientFactory(payer=PayerFactory())
    client = api_for(auth_coordinator)
    body = create(client, patient, lines=[{"code": "63650", "requested_units": 1}]).json()
    assert body["reference_kind"] == "utn" and body["lines"][0]["procedure_family"] == "scs_trial"
    client.post(f"/api/v1/authorizations/{body['id']}/submit/", {}, format="json")
    dates = {"valid_from": "2027-01-01", "valid_to": "2027-04-30"}
    short = client.post(f"/api/v1/authorizations/{body['id']}/approve/", {"number": "ABC123", **dates}, format="json")
    assert short.status_code == 400 and "number" in short.json()
    ok = client.post(f"/api/v1/authorizations/{body['id']}/approve/", {"number": UTN.lower(), **dates}, format="json")
    assert ok.status_code == 200 and ok.json()["number"] == UTN


def test_plain_front_desk_reads_status_but_may_not_work_or_open_evidence(api_for, front_desk_user, auth_coordinator, patient):
    pk = create(api_for(auth_coordinator), patient).json()["id"]
    desk = api_for(front_desk_user)
    assert desk.get(f"/api/v1/authorizations/{pk}/").json()["status"] == "draft"
    assert create(desk, patient).status_code == 403
    assert desk.post(f"/api/v1/authorizations/{pk}/submit/", {}, format="json").status_code == 403
    assert desk.get(f"/api/v1/authorizations/{pk}/evidence/").status_code == 403
    outsider = api_for(UserFactory(username="nobody"))
    assert outsider.get(f"/api/v1/authorizations/{pk}/").status_code == 403


def test_appointment_carries_authorization_and_check_in_is_409_until_overridden(
    api_for, front_desk_user, clinic_admin_user, doctor, esi, esi_rule, patient
):
    visit = appointment_book(patient=patient, provider=doctor, visit_type=esi, start=soon(), region="lumbar")
    desk = api_for(front_desk_user)
    body = desk.get(f"/api/v1/appointments/{visit.pk}/").json()
    assert body["status"] == "booked"
    assert body["authorization"] == {"required": True, "status": "missing", "authorization": None}
    # At the front desk half an hour before the visit: inside the check-in window, so the only
    # thing that can refuse the check-in is the authorization gate.
    at_the_desk = time_machine.travel(visit.start - datetime.timedelta(minutes=30), tick=False)
    at_the_desk.start()
    refused = desk.post(f"/api/v1/appointments/{visit.pk}/check-in/", {}, format="json")
    assert refused.status_code == 409 and refused.json()["code"] == "authorization_required"
    assert (
        desk.post(f"/api/v1/appointments/{visit.pk}/authorization-override/", {"reason": "long enough reason"}, format="json").status_code
        == 403
    )
    admin = api_for(clinic_admin_user)
    too_short = admin.post(f"/api/v1/appointments/{visit.pk}/authorization-override/", {"reason": "ok"}, format="json")
    assert too_short.status_code == 400 and "reason" in too_short.json()
    done = admin.post(
        f"/api/v1/appointments/{visit.pk}/authorization-override/", {"reason": "Payer approved by phone today"}, format="json"
    )
    assert done.status_code == 200 and done.json()["authorization"]["status"] == "overridden"
    assert desk.post(f"/api/v1/appointments/{visit.pk}/check-in/", {}, format="json").status_code == 200
    again = admin.post(
        f"/api/v1/appointments/{visit.pk}/authorization-override/", {"reason": "Payer approved by phone today"}, format="json"
    )
    assert again.status_code == 409
    at_the_desk.stop()


def test_evidence_pack_is_html_and_pdf_for_the_coordinator_and_every_look_is_recorded(api_for, auth_coordinator, patient):
    client = api_for(auth_coordinator)
    pk = create(client, patient).json()["id"]
    html = client.get(f"/api/v1/authorizations/{pk}/evidence/")
    assert html.status_code == 200 and html["Content-Type"].startswith("text/html")
    assert b"Prior authorization evidence" in html.content and b"62323" in html.content
    pdf = client.get(f"/api/v1/authorizations/{pk}/evidence/", {"format": "pdf"})
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    looks = AuditEvent.objects.filter(action="view", object_id=str(pk), reason__contains="evidence pack")
    assert looks.count() == 2 and set(looks.values_list("user_id", flat=True)) == {auth_coordinator.pk}
    Authorization.objects.filter(pk=pk).update(status="void")
    assert client.get(f"/api/v1/authorizations/{pk}/evidence/").status_code == 403  # out of the queue


def test_list_query_count_does_not_grow_with_rows(api_for, auth_coordinator, patient, django_assert_max_num_queries):
    client = api_for(auth_coordinator)
    create(client, patient)
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/v1/authorizations/").json()["results"]) == 1
    for _ in range(8):
        create(client, patient)
    with django_assert_max_num_queries(6):
        assert len(client.get("/api/v1/authorizations/").json()["results"]) == 9
