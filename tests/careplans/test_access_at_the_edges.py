"""Where clinical facts could slip past the policy sideways: counts on the day sheet, the
admin's change history, list pages seen through an alert, and booking as a way to keep access
an alert gave only for a while."""

import re

import pytest
from django.test import Client

from careplans.models import Problem
from careplans.services import task_create
from core.models import AuditEvent
from scheduling.services import appointment_book
from tests.careplans.conftest import local
from tests.factories import CarePlanFactory, CareTeamMemberFactory, PatientFactory, patient_admin_data, sign_in

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def test_the_day_sheet_tells_the_front_desk_a_checklist_is_incomplete_not_how_many_items_it_has(
    front_desk_user, working_anesthesiologist, esi, eager_celery, django_capture_on_commit_callbacks
):
    """A diabetic patient's ESI checklist has one item more (the glucose plan): counts would
    tell the front desk who is diabetic."""
    patients = [PatientFactory(diabetic=False), PatientFactory(diabetic=True)]
    for hour, patient in zip((9, 11), patients, strict=True):
        with django_capture_on_commit_callbacks(execute=True):
            booked = appointment_book(
                patient=patient, provider=working_anesthesiologist, visit_type=esi, start=local(3, hour), region="lumbar"
            )
    day = booked.start.astimezone(booked.location.zone).date()
    url = f"/admin/scheduling/appointment/day-sheet/?date={day}&location={booked.location_id}"
    desk = _client(front_desk_user).get(url).content.decode()
    assert desk.count("Checklist incomplete") == 2
    assert not re.search(r"Checklist \d+/\d+", desk)
    doctor = _client(working_anesthesiologist.user).get(url).content.decode()
    assert sorted(re.findall(r"Checklist 0/(\d+)", doctor)) == ["6", "7"]  # the clinician sees the counts


def test_the_patient_history_does_not_tell_the_front_desk_which_clinical_facts_changed(front_desk_user, anesthesiologist):
    patient = PatientFactory(diabetic=False)
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=patient), provider=anesthesiologist)
    data = patient_admin_data(patient, first_name="Renamed", diabetic="on")
    response = _client(anesthesiologist.user).post(f"/admin/clinic/patient/{patient.pk}/change/", data)
    assert response.status_code == 302
    patient.refresh_from_db()
    assert patient.diabetic and patient.first_name == "Renamed"
    history = _client(front_desk_user).get(f"/admin/clinic/patient/{patient.pk}/history/").content.decode()
    assert "First name" in history and "Diabetic" not in history


@pytest.fixture
def alerted(anesthesiologist):
    """A patient the anesthesiologist sees only through an open urgent task in their queue."""
    plan = CarePlanFactory(title="Plan behind an alert")
    Problem.objects.create(care_plan=plan, code="F32.A", text="Seen through an alert")
    task_create(title="Crisis answer on PHQ-9", patient=plan.patient, assignee_role="anesthesiology", priority="urgent")
    return plan


def test_an_admin_list_seen_through_an_alert_writes_one_audit_row(anesthesiologist, alerted):
    page = _client(anesthesiologist.user).get("/admin/careplans/problem/").content.decode()
    assert "Seen through an alert" in page
    alert_looks = AuditEvent.objects.filter(reason="open urgent task (alert access)")
    assert list(alert_looks.values_list("user", "action", "patients")) == [(anesthesiologist.user.pk, "view", [alerted.patient_id])]


def test_alert_access_cannot_be_made_lasting_by_booking_a_visit(api_for, working_anesthesiologist, esi, alerted):
    response = api_for(working_anesthesiologist.user).post(
        "/api/v1/appointments/",
        {
            "patient": alerted.patient_id,
            "provider": working_anesthesiologist.pk,
            "visit_type": esi.code,
            "start": local(20).isoformat(),
            "region": "lumbar",
        },
        format="json",
    )
    assert response.status_code == 403
    assert not alerted.patient.appointments.exists()
