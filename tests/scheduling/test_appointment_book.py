import datetime
import threading

import pytest
from django.db import connection

from core.errors import IllegalTransition, SlotTaken, ValidationFailed
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_confirm,
    appointment_reschedule,
    appointment_start,
)
from tests.factories import PatientFactory
from tests.scheduling.conftest import next_weekday_at

pytestmark = pytest.mark.django_db


def test_booking_within_hours_picks_a_room_and_records_the_event(working_anesthesiologist, follow_up, front_desk_user):
    appointment = appointment_book(
        patient=PatientFactory(),
        provider=working_anesthesiologist,
        visit_type=follow_up,
        start=next_weekday_at(9),
        booked_by=front_desk_user,
    )
    assert appointment.status == AppointmentStatus.BOOKED
    assert appointment.room is not None
    assert appointment.end - appointment.start == datetime.timedelta(minutes=30)
    assert appointment.events.get().to_status == "booked"


def test_booking_outside_hours_is_refused(working_anesthesiologist, follow_up):
    with pytest.raises(SlotTaken, match="not scheduled"):
        appointment_book(patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(20))


def test_naive_or_past_start_is_refused(working_anesthesiologist, follow_up):
    with pytest.raises(ValidationFailed):
        appointment_book(
            patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=datetime.datetime(2030, 1, 1, 9)
        )
    with pytest.raises(ValidationFailed):
        appointment_book(
            patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(9, days_ahead=-7)
        )


def test_second_booking_of_the_same_provider_time_is_a_conflict(working_anesthesiologist, follow_up):
    start = next_weekday_at(10)
    appointment_book(patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=start)
    with pytest.raises(SlotTaken) as error:
        appointment_book(
            patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=start + datetime.timedelta(minutes=15)
        )
    assert error.value.extra["taken"] == "provider"


def test_patient_cannot_be_in_two_places(working_anesthesiologist, follow_up, physical_therapist, location):
    from tests.factories import VisitTypeFactory, weekly_templates

    weekly_templates(physical_therapist, location)
    pt_visit = VisitTypeFactory(code="pt-session", discipline=physical_therapist.discipline)
    patient = PatientFactory()
    appointment_book(patient=patient, provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(11))
    with pytest.raises(SlotTaken) as error:
        appointment_book(patient=patient, provider=physical_therapist, visit_type=pt_visit, start=next_weekday_at(11, 10))
    assert error.value.extra["taken"] == "patient"


def test_cancelled_time_can_be_booked_again(working_anesthesiologist, follow_up):
    start = next_weekday_at(13)
    first = appointment_book(patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=start)
    appointment_cancel(appointment=first, reason="patient unwell")
    second = appointment_book(patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=start)
    assert second.status == "booked"


def test_full_lifecycle_and_illegal_moves(working_anesthesiologist, follow_up, front_desk_user):
    appointment = appointment_book(
        patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(14)
    )
    appointment = appointment_confirm(appointment=appointment, by=front_desk_user)
    appointment = appointment_check_in(appointment=appointment, by=front_desk_user, now=appointment.start - datetime.timedelta(minutes=10))
    appointment = appointment_start(appointment=appointment, now=appointment.start)
    appointment = appointment_complete(appointment=appointment, relief_percent=60, now=appointment.end)
    assert appointment.status == "completed" and appointment.relief_percent == 60
    assert list(appointment.events.values_list("to_status", flat=True)) == ["booked", "confirmed", "checked-in", "in-progress", "completed"]
    with pytest.raises(IllegalTransition):
        appointment_cancel(appointment=appointment, reason="too late")


def test_cancel_needs_a_reason(working_anesthesiologist, follow_up):
    appointment = appointment_book(
        patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(15)
    )
    with pytest.raises(ValidationFailed):
        appointment_cancel(appointment=appointment, reason="  ")


def test_reschedule_links_old_and_new(working_anesthesiologist, follow_up):
    old = appointment_book(patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(9))
    new = appointment_reschedule(appointment=old, start=next_weekday_at(10))
    old.refresh_from_db()
    assert old.status == "cancelled" and new.rescheduled_from == old and new.status == "booked"


def test_failed_reschedule_changes_nothing(working_anesthesiologist, follow_up):
    old = appointment_book(patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(9))
    with pytest.raises(SlotTaken):
        appointment_reschedule(appointment=old, start=next_weekday_at(22))
    old.refresh_from_db()
    assert old.status == "booked"


def test_database_refuses_overlap_even_when_python_checks_are_skipped(working_anesthesiologist, follow_up):
    from django.db import IntegrityError

    first = appointment_book(patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(9))
    clone = Appointment(
        patient=PatientFactory(),
        provider=first.provider,
        visit_type=first.visit_type,
        location=first.location,
        room=None,
        start=first.start,
        end=first.end,
        room_start=first.room_start,
        room_end=first.room_end,
        status="held",
    )
    with pytest.raises(IntegrityError, match="appointment_no_provider_overlap"):
        clone.save()


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_for_one_slot_from_separate_connections_exactly_one_wins(working_anesthesiologist, follow_up):
    patients = [PatientFactory() for _ in range(12)]
    start = next_weekday_at(9)
    barrier = threading.Barrier(len(patients))
    outcomes: list[str] = []

    def book(patient):
        try:
            barrier.wait()
            appointment_book(patient=patient, provider=working_anesthesiologist, visit_type=follow_up, start=start)
            outcomes.append("won")
        except SlotTaken:
            outcomes.append("taken")
        finally:
            connection.close()

    threads = [threading.Thread(target=book, args=(p,)) for p in patients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("won") == 1 and outcomes.count("taken") == len(patients) - 1
    assert Appointment.objects.filter(provider=working_anesthesiologist, status="booked").count() == 1


def test_an_expired_hold_frees_its_time_with_an_audit_event(working_anesthesiologist, follow_up):
    from django.utils import timezone

    start = next_weekday_at(9)
    held = appointment_book(patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=start, hold_minutes=30)
    later = timezone.now() + datetime.timedelta(minutes=31)
    booked = appointment_book(patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=start, now=later)
    held.refresh_from_db()
    assert booked.status == "booked" and held.status == "cancelled" and held.cancel_reason == "hold expired"
    assert held.events.last().to_status == "cancelled"
