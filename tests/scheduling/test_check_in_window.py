"""Check-in opens CHECK_IN_EARLIEST_MINUTES (default 120) before the start, in the service, so the
API (409), the admin actions (an error message) and anything else refuse alike; a same-day bundle
checks in as one, measured from its first visit. Start and complete need a check-in first."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from core.errors import IllegalTransition
from scheduling.bundles import bundle_book
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import appointment_book, appointment_cancel, appointment_check_in, appointment_start
from tests.factories import PatientFactory, sign_in
from tests.scheduling.conftest import FIXED_MONDAY, FIXED_NOW, local, next_weekday_at

pytestmark = pytest.mark.django_db
S = AppointmentStatus


def _status(appointment) -> str:
    return Appointment.objects.get(pk=appointment.pk).status


@pytest.fixture
def visit(working_anesthesiologist, follow_up):
    return appointment_book(patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(10))


def test_check_in_opens_exactly_120_minutes_before_the_start(visit, front_desk_user):
    with pytest.raises(IllegalTransition) as refused:
        appointment_check_in(appointment=visit, by=front_desk_user, now=visit.start - dt.timedelta(minutes=121))
    assert "Too early to check in" in refused.value.message and "08:00" in refused.value.message and "10:00" in refused.value.message
    assert _status(visit) == S.BOOKED and not visit.events.filter(to_status=S.CHECKED_IN).exists()
    done = appointment_check_in(appointment=visit, by=front_desk_user, now=visit.start - dt.timedelta(minutes=120))
    assert done.status == S.CHECKED_IN


def test_the_window_is_a_setting(visit, front_desk_user, settings):
    settings.CHECK_IN_EARLIEST_MINUTES = 30
    with pytest.raises(IllegalTransition):
        appointment_check_in(appointment=visit, now=visit.start - dt.timedelta(minutes=31))
    assert appointment_check_in(appointment=visit, now=visit.start - dt.timedelta(minutes=30)).status == S.CHECKED_IN


def test_a_cancelled_visit_is_refused_for_what_it_is_not_for_the_hour(visit):
    appointment_cancel(appointment=visit, reason="patient called")
    with pytest.raises(IllegalTransition) as refused:
        appointment_check_in(appointment=visit, now=visit.start - dt.timedelta(days=3))
    assert "cancelled" in refused.value.message


def test_a_procedure_booked_for_tomorrow_cannot_be_checked_in_started_or_completed_through_the_api(
    api_for, front_desk_user, suite_doctor, esi
):
    """The issue's case: the API let the front desk check in, start and complete tomorrow's ESI."""
    tomorrow = next_weekday_at(10, days_ahead=1)
    esi_visit = appointment_book(patient=PatientFactory(), provider=suite_doctor, visit_type=esi, start=tomorrow, region="lumbar")
    desk, doctor = api_for(front_desk_user), api_for(suite_doctor.user)
    url = f"/api/v1/appointments/{esi_visit.pk}"
    refused = desk.post(f"{url}/check-in/")
    assert refused.status_code == 409
    assert refused.json()["detail"].startswith("Too early to check in: check-in opens at ")
    assert "120 minutes before the 10:00 start" in refused.json()["detail"]
    assert desk.post(f"{url}/start/").status_code == 403  # a procedure is the clinician's to start and complete
    assert desk.post(f"{url}/complete/").status_code == 403
    started = doctor.post(f"{url}/start/")  # the clinician may, and the state machine wants a check-in first
    assert started.status_code == 409 and "booked cannot become in progress" in started.json()["detail"]
    assert doctor.post(f"{url}/complete/").status_code == 409
    assert _status(esi_visit) == S.BOOKED


def test_admin_check_in_action_refuses_early_with_the_reason(visit, front_desk_user):
    desk = Client()
    sign_in(desk, front_desk_user)
    response = desk.post(
        reverse("admin:scheduling_appointment_changelist"), {"action": "check_in", "_selected_action": [visit.pk]}, follow=True
    )
    errors = [m.message for m in response.context["messages"] if m.level_tag == "error"]
    assert len(errors) == 1 and "Too early to check in" in errors[0]
    assert _status(visit) == S.BOOKED


@pytest.fixture
def bundle(care_team, front_desk_user):
    visit_types = [care_team["pt_eval"], care_team["psy_intake"], care_team["nutrition"]]
    return bundle_book(patient=PatientFactory(), visit_types=visit_types, date=FIXED_MONDAY, booked_by=front_desk_user, now=FIXED_NOW)


def test_a_same_day_bundle_checks_in_as_one_from_its_first_visit(bundle, front_desk_user):
    legs = list(bundle.appointments.order_by("start"))
    assert len(legs) == 3 and legs[0].start == local(8)
    last = legs[-1]  # starts 10:00; checking it in at 06:30 is 90 minutes before the bundle's first visit
    with pytest.raises(IllegalTransition):
        appointment_check_in(appointment=last, by=front_desk_user, now=local(5, 59))
    assert {_status(leg) for leg in legs} == {S.BOOKED}
    appointment_check_in(appointment=last, by=front_desk_user, now=local(6, 30))
    assert [_status(leg) for leg in legs] == [S.CHECKED_IN] * 3
    assert all(leg.events.filter(to_status=S.CHECKED_IN, by=front_desk_user).count() == 1 for leg in legs)
    # Each visit then starts on its own.
    assert appointment_start(appointment=legs[0], now=local(8)).status == S.IN_PROGRESS
    assert _status(legs[1]) == S.CHECKED_IN


def test_a_cancelled_first_leg_moves_the_bundles_window_to_the_next_visit(bundle):
    legs = list(bundle.appointments.order_by("start"))
    appointment_cancel(appointment=legs[0], reason="dietitian ill")
    with pytest.raises(IllegalTransition):
        appointment_check_in(appointment=legs[2], now=legs[1].start - dt.timedelta(minutes=121))
    appointment_check_in(appointment=legs[2], now=legs[1].start - dt.timedelta(minutes=120))
    assert [_status(leg) for leg in legs] == [S.CANCELLED, S.CHECKED_IN, S.CHECKED_IN]
