"""Starting and completing a procedure visit, and recording relief, are clinical acts: the front
desk checks the patient in, the clinician starts and completes. The service refuses, so the API
(403) and the admin actions (an error message) refuse alike."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from clinic.models import RoomKind
from core.errors import NotFound, PermissionDenied
from scheduling.models import Appointment, AppointmentStatus, ProcedureFamily
from scheduling.services import appointment_book, appointment_check_in, appointment_complete, appointment_start
from tests.factories import EquipmentFactory, PatientFactory, RoomFactory, VisitTypeFactory, sign_in, weekly_templates
from tests.scheduling.conftest import next_weekday_at

pytestmark = pytest.mark.django_db
S = AppointmentStatus


@pytest.fixture
def checked_in_esi(anesthesiologist, front_desk_user):
    """A lumbar ESI next week, already checked in by the front desk."""
    fluoro = EquipmentFactory(code="fluoroscopy")
    RoomFactory(location=anesthesiologist.home_location, kind=RoomKind.PROCEDURE_SUITE, name="Fluoro 1", equipment=[fluoro])
    weekly_templates(anesthesiologist, start=dt.time(7), end=dt.time(19))
    esi = VisitTypeFactory(
        code="lumbar-esi",
        discipline=anesthesiologist.discipline,
        procedure_family=ProcedureFamily.ESI,
        is_procedure=True,
        room_kind=RoomKind.PROCEDURE_SUITE,
        required_equipment=[fluoro],
    )
    appointment = appointment_book(
        patient=PatientFactory(), provider=anesthesiologist, visit_type=esi, start=next_weekday_at(10), region="lumbar"
    )
    return appointment_check_in(appointment=appointment, by=front_desk_user, now=appointment.start - dt.timedelta(minutes=10))


def _status(appointment) -> str:
    return Appointment.objects.get(pk=appointment.pk).status


def test_front_desk_checks_in_but_may_not_start_or_complete_a_procedure_through_the_api(
    api_for, front_desk_user, anesthesiologist, checked_in_esi
):
    desk, doctor = api_for(front_desk_user), api_for(anesthesiologist.user)
    url = f"/api/v1/appointments/{checked_in_esi.pk}"
    assert desk.post(f"{url}/start/").status_code == 403
    assert _status(checked_in_esi) == S.CHECKED_IN
    assert doctor.post(f"{url}/start/").json()["status"] == S.IN_PROGRESS
    refused = desk.post(f"{url}/complete/", {"relief_percent": 80}, format="json")
    assert refused.status_code == 403 and "Clinical" in refused.json()["detail"]
    assert desk.post(f"{url}/complete/").status_code == 403  # completing a procedure at all, relief or not
    done = Appointment.objects.get(pk=checked_in_esi.pk)
    assert (done.status, done.relief_percent) == (S.IN_PROGRESS, None)
    completed = doctor.post(f"{url}/complete/", {"relief_percent": 80}, format="json")
    assert completed.status_code == 200 and completed.json()["status"] == S.COMPLETED
    assert Appointment.objects.get(pk=checked_in_esi.pk).relief_percent == 80


def test_front_desk_admin_actions_refuse_to_start_or_complete_a_procedure(front_desk_user, anesthesiologist, checked_in_esi):
    url = reverse("admin:scheduling_appointment_changelist")
    desk = Client()
    sign_in(desk, front_desk_user)
    response = desk.post(url, {"action": "start_visit", "_selected_action": [checked_in_esi.pk]}, follow=True)
    errors = [m.message for m in response.context["messages"] if m.level_tag == "error"]
    assert errors == [f"Appointment #{checked_in_esi.pk}: Clinical information is for clinicians and care coordinators."]
    assert _status(checked_in_esi) == S.CHECKED_IN

    doctor = Client()
    sign_in(doctor, anesthesiologist.user)
    doctor.post(url, {"action": "start_visit", "_selected_action": [checked_in_esi.pk]})
    assert _status(checked_in_esi) == S.IN_PROGRESS
    response = desk.post(url, {"action": "complete_visit", "_selected_action": [checked_in_esi.pk]}, follow=True)
    assert any(m.level_tag == "error" for m in response.context["messages"])
    assert _status(checked_in_esi) == S.IN_PROGRESS
    doctor.post(url, {"action": "complete_visit", "_selected_action": [checked_in_esi.pk]})
    assert _status(checked_in_esi) == S.COMPLETED


def test_a_clinician_without_a_grant_for_the_patient_may_not_start_their_procedure(physical_therapist, checked_in_esi):
    with pytest.raises(NotFound):
        appointment_start(appointment=checked_in_esi, by=physical_therapist.user)
    assert _status(checked_in_esi) == S.CHECKED_IN


def test_relief_is_an_outcome_even_on_a_visit_that_is_not_a_procedure(front_desk_user, anesthesiologist, location, consult_rooms):
    anesthesiologist.home_location = location
    anesthesiologist.save()
    weekly_templates(anesthesiologist, location)
    follow_up = VisitTypeFactory(code="follow-up", discipline=anesthesiologist.discipline, duration_minutes=30)
    visit = appointment_book(patient=PatientFactory(), provider=anesthesiologist, visit_type=follow_up, start=next_weekday_at(9))
    appointment_check_in(appointment=visit, by=front_desk_user, now=visit.start - dt.timedelta(minutes=10))
    appointment_start(appointment=visit, by=front_desk_user)
    with pytest.raises(PermissionDenied):
        appointment_complete(appointment=visit, by=front_desk_user, relief_percent=50)
    assert appointment_complete(appointment=visit, by=front_desk_user).status == S.COMPLETED
