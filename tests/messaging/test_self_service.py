"""Patients book a ticket's visits and move their own visits from signed links."""

import datetime

import pytest
import time_machine

from careplans.models import Task
from core.models import AuditEvent
from messaging.models import Message, PatientLink
from messaging.services.links import link_token
from scheduling import self_service
from scheduling.models import Appointment, AppointmentStatus, BookingTicket
from scheduling.self_service import appointment_reschedule_by_patient
from scheduling.services import appointment_book
from scheduling.tickets import ticket_book, ticket_cancel, ticket_create, ticket_extend, ticket_slots, ticket_sweep
from tests.factories import VisitTypeFactory
from tests.messaging.conftest import at

pytestmark = pytest.mark.django_db
NOW = at(2026, 11, 2, 10)


@pytest.fixture
def self_visit(visit):
    visit.self_schedulable = True
    visit.save()
    return visit


@pytest.fixture
def ticket(self_visit, patient):
    with time_machine.travel(NOW, tick=False):
        return ticket_create(
            patient=patient,
            visit_type=self_visit,
            earliest=datetime.date(2026, 11, 9),
            latest=datetime.date(2026, 11, 20),
            source=BookingTicket.Source.STAFF,
            now=NOW,
        )


def ticket_path(ticket):
    return f"/p/{link_token(PatientLink.objects.get(ticket=ticket, purpose='ticket'))}/"


def slot_value(slot):
    return f"{slot.provider_id}:{int(slot.start.timestamp())}"


# --- tickets -----------------------------------------------------------------------------------


def test_a_self_schedulable_ticket_sends_one_link_by_sms_within_the_content_rules(ticket, patient):
    messages = list(Message.objects.filter(patient=patient, purpose="ticket"))
    assert len(messages) == 1 and messages[0].channel == "sms"
    body = messages[0].body
    assert "/p/" in body and "Reply STOP to opt out" in body and len(body) <= 160 and "Follow-up" not in body
    link = PatientLink.objects.get(ticket=ticket)
    assert link.purpose == "ticket" and link.expires_at == at(2026, 11, 21, 0)


def test_a_ticket_for_a_visit_type_patients_cannot_book_goes_straight_to_the_front_desk(visit, patient):
    t = ticket_create(
        patient=patient, visit_type=visit, earliest=datetime.date(2026, 11, 9), latest=datetime.date(2026, 11, 20), source="staff", now=NOW
    )
    assert not PatientLink.objects.filter(ticket=t).exists() and not Message.objects.filter(purpose="ticket").exists()
    task = Task.objects.get(dedupe_key=f"ticket:{t.pk}:not-booked")
    assert task.assignee_role == "front_desk" and task.title == "Follow-up not booked"


def test_procedures_can_never_be_self_schedulable(clinic_world):
    from django.db import IntegrityError

    with pytest.raises(IntegrityError):
        VisitTypeFactory(code="esi-x", discipline=clinic_world.discipline, is_procedure=True, procedure_family="esi", self_schedulable=True)


def test_the_ticket_page_offers_times_only_inside_the_window_and_the_horizon(ticket, settings):
    settings.SELF_BOOKING_HORIZON_DAYS = 10  # from Nov 2 10:00: nothing after Nov 12 10:00
    with time_machine.travel(NOW, tick=False):
        slots = ticket_slots(ticket=ticket, now=NOW)
    assert slots
    assert all(at(2026, 11, 9, 0) <= s.start < at(2026, 11, 12, 10) for s in slots)
    days = {s.start.astimezone(ticket.patient.zone).date() for s in slots}
    assert len(slots) <= 4 * len(days)


def test_the_patient_books_from_the_ticket_page_and_the_link_is_used_up(client, ticket):
    path = ticket_path(ticket)
    with time_machine.travel(NOW, tick=False):
        page = client.get(path)
        assert page.status_code == 200
        html = page.content.decode()
        assert "Book your visit" in html and ticket.patient.first_name in html and ticket.patient.last_name not in html
        slot = ticket_slots(ticket=ticket, now=NOW)[0]
        done = client.post(path, {"slot": slot_value(slot)})
    assert done.status_code == 200 and "Your visit is booked." in done.content.decode()
    ticket.refresh_from_db()
    appointment = ticket.appointments.get()
    assert ticket.status == "booked" and ticket.booked == 1
    assert appointment.start == slot.start and appointment.booked_by is None and appointment.status == AppointmentStatus.BOOKED
    with time_machine.travel(NOW, tick=False):
        assert client.get(path).status_code == 410


def test_the_ticket_page_speaks_spanish_from_the_po_file(client, ticket, patient):
    patient.language = "es"
    patient.save()
    with time_machine.travel(NOW, tick=False):
        html = client.get(ticket_path(ticket)).content.decode()
    assert "Reserve su cita" in html and "Reservar esta hora" in html and "Book your visit" not in html
    assert "noviembre" in html  # day headings in the patient's language


def test_a_time_outside_the_horizon_is_refused_even_if_posted_by_hand(client, ticket, settings):
    settings.SELF_BOOKING_HORIZON_DAYS = 8
    late = int(at(2026, 11, 19, 9).timestamp())
    with time_machine.travel(NOW, tick=False):
        response = client.post(ticket_path(ticket), {"slot": f"{ticket.patient.pk}:{late}"})
    assert response.status_code == 409 and not Appointment.objects.exists()


def test_a_garbled_slot_is_a_form_error_not_a_500(client, ticket):
    with time_machine.travel(NOW, tick=False):
        assert client.post(ticket_path(ticket), {"slot": "x:y"}).status_code == 409
        assert client.post(ticket_path(ticket), {"slot": "1:99999999999999999999"}).status_code == 409


def test_the_link_page_records_the_patients_own_look(client, ticket):
    with time_machine.travel(NOW, tick=False):
        client.get(ticket_path(ticket))
    row = AuditEvent.objects.filter(action="view", object_type="messaging.patientlink").get()
    assert row.patients == [ticket.patient_id] and row.user is None


def test_a_series_ticket_books_the_whole_series_and_says_what_could_not_be_placed(client, self_visit, patient, clinic_world):
    with time_machine.travel(NOW, tick=False):
        t = ticket_create(
            patient=patient,
            visit_type=self_visit,
            earliest=datetime.date(2026, 11, 9),
            latest=datetime.date(2026, 11, 20),
            visits=4,
            per_week=2,
            source="plan",
            now=NOW,
        )
        # The provider is away one day of the second week: that visit cannot be placed.
        from scheduling.models import AvailabilityException

        AvailabilityException.objects.create(provider=clinic_world, kind="time_off", start=at(2026, 11, 16, 0), end=at(2026, 11, 17, 0))
        result = ticket_book(ticket=t, start=at(2026, 11, 9, 9), provider=clinic_world, now=NOW)
    t.refresh_from_db()
    assert len(result.appointments) == 3 and len(result.unplaced) == 1
    assert t.status == "booked" and t.booked == 3 and t.appointments.count() == 3


def test_staff_extend_and_cancel_through_the_services(ticket, front_desk_user):
    with time_machine.travel(NOW, tick=False):
        extended = ticket_extend(ticket=ticket, latest=datetime.date(2026, 11, 30), by=front_desk_user, now=NOW)
        assert PatientLink.objects.get(ticket=ticket).expires_at == at(2026, 12, 1, 0)
        cancelled = ticket_cancel(ticket=extended, reason="patient moved away", by=front_desk_user, now=NOW)
    assert cancelled.status == "cancelled"


def test_unused_tickets_remind_once_then_become_a_front_desk_task_then_expire(ticket, patient):
    reminded_at = NOW + datetime.timedelta(days=3, hours=1)
    assert ticket_sweep(now=reminded_at) == {"expired": 0, "reminded": 1, "escalated": 0}
    assert ticket_sweep(now=reminded_at) == {"expired": 0, "reminded": 0, "escalated": 0}
    assert Message.objects.filter(patient=patient, purpose="ticket_reminder").count() == 1
    near_end = at(2026, 11, 17, 9)
    assert ticket_sweep(now=near_end)["escalated"] == 1
    assert ticket_sweep(now=near_end)["escalated"] == 0
    assert Task.objects.filter(dedupe_key=f"ticket:{ticket.pk}:not-booked", assignee_role="front_desk").count() == 1
    assert ticket_sweep(now=at(2026, 11, 21, 9))["expired"] == 1
    ticket.refresh_from_db()
    assert ticket.status == "expired"


def test_booking_closes_the_not_booked_task(ticket, clinic_world):
    ticket_sweep(now=at(2026, 11, 17, 9))
    with time_machine.travel(at(2026, 11, 17, 9), tick=False):
        ticket_book(ticket=ticket, start=at(2026, 11, 19, 9), provider=clinic_world, now=at(2026, 11, 17, 9))
    assert Task.objects.get(dedupe_key=f"ticket:{ticket.pk}:not-booked").status == "cancelled"


# --- self-rescheduling ---------------------------------------------------------------------------


@pytest.fixture
def booked(clinic_world, self_visit, patient):
    with time_machine.travel(NOW, tick=False):
        return appointment_book(patient=patient, provider=clinic_world, visit_type=self_visit, start=at(2026, 11, 12, 9), now=NOW)


def reschedule_path(appointment):
    return f"/p/{link_token(PatientLink.objects.get(appointment=appointment, purpose='reschedule'))}/"


def test_the_reminder_reschedule_link_moves_the_visit_and_the_freed_time_goes_to_the_waitlist(
    client, booked, django_capture_on_commit_callbacks
):
    from config.celery import app
    from scheduling.waitlist import waitlist_add
    from tests.factories import PatientFactory

    entry = waitlist_add(
        patient=PatientFactory(),
        visit_type=booked.visit_type,
        earliest_date=datetime.date(2026, 11, 12),
        latest_date=datetime.date(2026, 11, 12),
        now=NOW,
    )
    path = reschedule_path(booked)
    eager, app.conf.task_always_eager = app.conf.task_always_eager, True  # the real task, in-process
    try:
        with time_machine.travel(NOW, tick=False):
            page = client.get(path)
            assert page.status_code == 200 and "Move your visit" in page.content.decode()
            slot = self_service.self_reschedule_slots(appointment=booked, now=NOW)[0]
            with django_capture_on_commit_callbacks(execute=True):
                done = client.post(path, {"slot": slot_value(slot)})
    finally:
        app.conf.task_always_eager = eager
    assert done.status_code == 200 and "Your visit has moved" in done.content.decode()
    booked.refresh_from_db()
    new = booked.rescheduled_to
    assert booked.status == "cancelled" and new.start == slot.start and new.status == "booked"
    assert Message.objects.filter(appointment=new, purpose="rescheduled").exists()
    entry.refresh_from_db()
    assert entry.status == "offered" and entry.offered_appointment.start == booked.start


def test_a_swap_killed_after_the_new_booking_leaves_the_old_visit_intact(booked, monkeypatch):
    def crash(*args, **kwargs):
        raise RuntimeError("worker killed half-way through the swap")

    monkeypatch.setattr(self_service, "_transition", crash)
    with time_machine.travel(NOW, tick=False), pytest.raises(RuntimeError):
        appointment_reschedule_by_patient(appointment=booked, start=at(2026, 11, 13, 9), now=NOW)
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED and booked.start == at(2026, 11, 12, 9)
    assert Appointment.objects.count() == 1  # the new booking rolled back with it


def test_a_swap_to_a_taken_time_changes_nothing(booked, clinic_world):
    other = booked.patient.__class__.objects.create(
        first_name="Other", last_name="Person", date_of_birth=datetime.date(1970, 1, 1), time_zone="America/New_York"
    )
    with time_machine.travel(NOW, tick=False):
        appointment_book(patient=other, provider=clinic_world, visit_type=booked.visit_type, start=at(2026, 11, 13, 9), now=NOW)
        from core.errors import SlotTaken

        with pytest.raises(SlotTaken):
            appointment_reschedule_by_patient(appointment=booked, start=at(2026, 11, 13, 9), now=NOW)
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED


def test_after_the_cutoff_the_page_says_to_call_the_clinic(client, booked, settings):
    settings.SELF_RESCHEDULE_CUTOFF_HOURS = 48
    with time_machine.travel(at(2026, 11, 10, 10), tick=False):
        page = client.get(reschedule_path(booked))
    assert page.status_code == 200 and "too close to your visit" in page.content.decode()


def test_a_visit_types_own_cutoff_wins(booked):
    booked.visit_type.self_reschedule_cutoff_hours = 2
    booked.visit_type.save()
    assert self_service.self_reschedule_refusal(booked, now=at(2026, 11, 11, 10)) == ""
    assert self_service.self_reschedule_refusal(booked, now=at(2026, 11, 12, 7, 30)) == "cutoff"


def test_procedures_are_not_moved_online_the_page_keeps_asking_the_front_desk(client, clinic_world, patient):
    proc = VisitTypeFactory(code="nerve-block", discipline=clinic_world.discipline, is_procedure=True, procedure_family="nerve_block")
    with time_machine.travel(NOW, tick=False):
        appt = appointment_book(patient=patient, provider=clinic_world, visit_type=proc, start=at(2026, 11, 12, 9), now=NOW)
        html = client.get(reschedule_path(appt)).content.decode()
    assert "Ask for another time" in html and "Move your visit" not in html


def test_the_move_page_lists_times_with_a_bounded_number_of_queries(client, booked, django_assert_max_num_queries):
    path = reschedule_path(booked)
    with time_machine.travel(NOW, tick=False), django_assert_max_num_queries(25):
        client.get(path)


# --- a visit booked from a ticket is cancelled --------------------------------------------------


def _book_from_link(client, ticket):
    path = ticket_path(ticket)
    slot = ticket_slots(ticket=ticket, now=NOW)[0]
    assert client.post(path, {"slot": slot_value(slot)}).status_code == 200
    ticket.refresh_from_db()
    return path, ticket.appointments.get()


def test_cancelling_a_visit_booked_from_a_ticket_reopens_it_and_the_link_works_again(
    client, ticket, eager_celery, django_capture_on_commit_callbacks
):
    from scheduling.services import appointment_cancel

    with time_machine.travel(NOW, tick=False):
        path, appointment = _book_from_link(client, ticket)
        assert client.get(path).status_code == 410
        with django_capture_on_commit_callbacks(execute=True):
            appointment_cancel(appointment=appointment, reason="patient called to cancel", now=NOW)
        ticket.refresh_from_db()
        assert ticket.status == "open" and ticket.booked == 0 and ticket.closed_at is None
        assert not ticket.appointments.exists()
        # The same link books again, and the patient got it once more.
        assert client.get(path).status_code == 200
        links = Message.objects.filter(patient=ticket.patient, purpose="ticket").order_by("pk")
        assert [m.idempotency_key for m in links] == [
            f"patient:ticket:{ticket.pk}:link:sms",
            f"patient:ticket:{ticket.pk}:reopened:{appointment.pk}:sms",
        ]
        # A second run of the task (Celery may deliver twice) changes nothing.
        from scheduling.tickets import ticket_visit_cancelled

        assert ticket_visit_cancelled(appointment_id=appointment.pk, now=NOW) == []
        ticket.refresh_from_db()
        assert ticket.booked == 0 and Message.objects.filter(patient=ticket.patient, purpose="ticket").count() == 2


def test_moving_a_visit_booked_from_a_ticket_keeps_the_ticket_booked(client, ticket, eager_celery, django_capture_on_commit_callbacks):
    with time_machine.travel(NOW, tick=False):
        _, appointment = _book_from_link(client, ticket)
        slot = self_service.self_reschedule_slots(appointment=appointment, now=NOW)[0]
        with django_capture_on_commit_callbacks(execute=True):
            moved = appointment_reschedule_by_patient(appointment=appointment, start=slot.start, now=NOW)
    ticket.refresh_from_db()
    assert ticket.status == "booked" and ticket.booked == 1
    assert set(ticket.appointments.values_list("pk", flat=True)) == {appointment.pk, moved.pk}
    assert Message.objects.filter(patient=ticket.patient, purpose="ticket").count() == 1
