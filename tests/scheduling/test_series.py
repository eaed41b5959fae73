import datetime as dt

import pytest

from clinic.models import RoomKind
from scheduling.models import AppointmentSeries, AvailabilityException
from scheduling.series import series_book, series_dates
from scheduling.services import appointment_book, appointment_cancel, appointment_reschedule
from tests.factories import PatientFactory, ProviderFactory, VisitTypeFactory, weekly_templates
from tests.scheduling.conftest import FIXED_MONDAY, FIXED_NOW, NY, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def pt_session(care_team):
    return VisitTypeFactory(code="pt-session", discipline=care_team["pt"].discipline, duration_minutes=60, room_kind=RoomKind.PT_GYM)


def book_series(pt_session, **kwargs):
    defaults = dict(
        patient=PatientFactory(),
        visit_type=pt_session,
        per_week=2,
        weeks=6,
        start_date=FIXED_MONDAY,
        preferred_weekdays=[1, 3],
        preferred_time=dt.time(10),
        now=FIXED_NOW,
    )
    return series_book(**{**defaults, **kwargs})


def test_twice_a_week_for_six_weeks_books_twelve_occurrences_of_one_series(care_team, pt_session, front_desk_user):
    result = book_series(pt_session, booked_by=front_desk_user)
    local_starts = [a.start.astimezone(NY) for a in result.appointments]
    assert len(result.appointments) == 12 and result.unplaced == []
    assert {t.weekday() for t in local_starts} == {1, 3} and {t.time() for t in local_starts} == {dt.time(10)}
    assert set(result.series.appointments.values_list("status", flat=True)) == {"booked"}
    assert result.series.appointments.count() == 12 and result.series.created_by == front_desk_user
    assert {a.provider_id for a in result.appointments} == {care_team["pt"].pk}


def test_default_days_spread_sessions_through_the_week():
    assert series_dates(per_week=2, weeks=2, start_date=FIXED_MONDAY) == [
        FIXED_MONDAY,
        FIXED_MONDAY + dt.timedelta(days=3),
        FIXED_MONDAY + dt.timedelta(days=7),
        FIXED_MONDAY + dt.timedelta(days=10),
    ]


def test_an_occurrence_that_cannot_be_placed_is_reported_with_the_nearest_alternatives(care_team, pt_session):
    thursday = FIXED_MONDAY + dt.timedelta(days=10)  # second week's Thursday
    AvailabilityException.objects.create(
        provider=care_team["pt"], kind="time_off", start=local(0, day=thursday), end=local(23, day=thursday)
    )
    result = book_series(pt_session)
    assert len(result.appointments) == 11 and len(result.unplaced) == 1
    missing = result.unplaced[0]
    assert missing.wanted.date() == thursday and missing.wanted.time() == dt.time(10)
    assert len(missing.alternatives) == 3
    for slot in missing.alternatives:
        assert slot.start.astimezone(NY).date() in {thursday - dt.timedelta(days=1), thursday + dt.timedelta(days=1)}
    # nearest first: Wednesday and Friday around 10:00
    assert {s.start.astimezone(NY).time() for s in missing.alternatives[:2]} == {dt.time(10)}


def test_the_slot_nearest_the_preferred_time_is_taken_when_that_time_is_busy(care_team, pt_session):
    tuesday = FIXED_MONDAY + dt.timedelta(days=1)
    appointment_book(patient=PatientFactory(), provider=care_team["pt"], visit_type=pt_session, start=local(10, day=tuesday), now=FIXED_NOW)
    result = book_series(pt_session, weeks=1)
    first = result.appointments[0].start.astimezone(NY)
    assert (first.date(), first.time()) == (tuesday, dt.time(9))


def test_the_same_therapist_is_kept_when_another_could_take_the_preferred_time(care_team, pt_session, location):
    other = ProviderFactory(discipline=care_team["pt"].discipline, home_location=location, credentials="DPT")
    weekly_templates(other, location, weekdays=range(5))
    first = min(care_team["pt"].pk, other.pk)
    thursday = FIXED_MONDAY + dt.timedelta(days=3)
    appointment_book(
        patient=PatientFactory(),
        provider=care_team["pt"] if first == care_team["pt"].pk else other,
        visit_type=pt_session,
        start=local(10, day=thursday),
        now=FIXED_NOW,
    )
    result = book_series(pt_session, weeks=1)
    assert {a.provider_id for a in result.appointments} == {first}
    assert result.appointments[1].start == local(9, day=thursday)


def test_occurrences_can_be_moved_or_cancelled_one_by_one(care_team, pt_session):
    result = book_series(pt_session, weeks=2)
    moved_from, cancelled, *rest = result.appointments
    moved = appointment_reschedule(appointment=moved_from, start=moved_from.start + dt.timedelta(hours=3), now=FIXED_NOW)
    appointment_cancel(appointment=cancelled, reason="patient away", now=FIXED_NOW)
    assert moved.series_id == result.series.pk and moved.rescheduled_from_id == moved_from.pk
    series = AppointmentSeries.objects.get(pk=result.series.pk)
    statuses = dict(series.appointments.values_list("id", "status"))
    assert statuses[moved_from.pk] == "cancelled" and statuses[cancelled.pk] == "cancelled" and statuses[moved.pk] == "booked"
    assert all(statuses[a.pk] == "booked" for a in rest)
    assert [a.start for a in series.appointments.filter(status="booked").exclude(pk=moved.pk)] == [a.start for a in rest]
