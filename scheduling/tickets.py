"""Booking tickets: visits a protocol, a care plan or staff ordered and the patient still has to
book ("follow-up visit 2–4 weeks after the ESI", "PT twice a week for six weeks").

The ticket lives here because scheduling owns visits, slots and the booking rules; care plans open
tickets by calling `ticket_create` (careplans may import scheduling, never the reverse) and
messaging sends the patient's link when scheduling announces TICKET_OPENED. Booking a ticket goes
through `appointment_book` / `series_book`, so payer frequency rules, working hours, rooms, guards
(checklists) and the exclusion constraints apply exactly as at the front desk.

Statuses: open → booked (all visits placed), expired (past `latest` unused; the beat job),
cancelled (staff); booked → open again when one of its visits is cancelled (not moved) while
days of the ticket are left (ticket_visit_cancelled). Each transition is a compare-and-set or
happens under the ticket's row lock.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinic.models import Discipline, Patient, Provider
from core import access
from core.access import Kind
from core.errors import IllegalTransition, ValidationFailed
from core.inputs import text_clean
from scheduling.events import AppointmentHappened, announce
from scheduling.models import Appointment, AppointmentStatus, BookingTicket, VisitType
from scheduling.series import UnplacedOccurrence, series_book
from scheduling.services.appointments import appointment_book
from scheduling.slots import Slot, find_slots

T = BookingTicket.Status
MAX_TICKET_DAYS = 366
SLOTS_PER_DAY = 4  # a phone screen shows a handful of times a day, not every quarter hour
SLOT_DAYS = 10


@dataclass
class TicketBooking:
    ticket: BookingTicket
    appointments: list[Appointment]
    unplaced: list[UnplacedOccurrence] = field(default_factory=list)


def _errors(
    *, visit_type: VisitType, earliest: date, latest: date, visits: int, per_week: int, provider: Provider | None, discipline
) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not visit_type.active:
        errors["visit_type"] = ["This visit type is no longer offered."]
    if latest < earliest:
        errors["latest"] = ["The last day must be on or after the first day."]
    elif (latest - earliest).days > MAX_TICKET_DAYS:
        errors["latest"] = [f"A ticket spans at most {MAX_TICKET_DAYS} days."]
    if not 1 <= visits <= 60:
        errors["visits"] = ["1 to 60 visits."]
    if not 1 <= per_week <= 7:
        errors["per_week"] = ["1 to 7 visits a week."]
    if provider is not None and provider.discipline_id != visit_type.discipline_id:
        errors["provider"] = ["Choose a provider of the visit type's discipline."]
    if discipline is not None and discipline.pk != visit_type.discipline_id:
        errors["discipline"] = ["The visit type belongs to another discipline."]
    return errors


def ticket_create(
    *,
    patient: Patient,
    visit_type: VisitType,
    earliest: date,
    latest: date,
    source: str,
    visits: int = 1,
    per_week: int = 1,
    provider: Provider | None = None,
    discipline: Discipline | None = None,
    source_key: str | None = None,
    source_label: str = "",
    created_by=None,
    now: datetime | None = None,
) -> BookingTicket:
    """Open a ticket. Idempotent on `source_key` (a protocol re-run returns the ticket it opened).
    Announces TICKET_OPENED in the transaction: messaging queues the patient's link when the visit
    type is self-schedulable; otherwise the ticket is the front desk's to book at once
    (TICKET_NOT_BOOKED)."""
    now = now or timezone.now()
    access.require_change(created_by, patient=patient.pk, kind=Kind.SCHEDULING, now=now)
    if source not in BookingTicket.Source.values:
        raise ValidationFailed("Unknown ticket source.", field_errors={"source": [f"One of {', '.join(BookingTicket.Source.values)}."]})
    if source_key:
        existing = BookingTicket.objects.filter(source_key=source_key).first()
        if existing is not None:
            return existing
    errors = _errors(
        visit_type=visit_type, earliest=earliest, latest=latest, visits=visits, per_week=per_week, provider=provider, discipline=discipline
    )
    if errors:
        raise ValidationFailed("The ticket is not valid.", field_errors=errors)
    with transaction.atomic():
        ticket = BookingTicket.objects.create(
            patient=patient,
            visit_type=visit_type,
            discipline=discipline or (None if provider else visit_type.discipline),
            provider=provider,
            earliest=earliest,
            latest=latest,
            visits=visits,
            per_week=min(per_week, visits),
            source=source,
            source_key=source_key or None,
            source_label=text_clean("source_label", source_label, max_length=200),
            created_by=created_by,
            created_at=now,
        )
        announce(AppointmentHappened.TICKET_OPENED, ticket=ticket, now=now)
        if not visit_type.self_schedulable:
            _escalate(ticket, now=now)
    return ticket


def _locked(ticket_id: int) -> BookingTicket:
    return BookingTicket.objects.select_for_update(of=("self",)).select_related("patient", "visit_type", "provider").get(pk=ticket_id)


def ticket_extend(*, ticket: BookingTicket, latest: date, by=None, now: datetime | None = None) -> BookingTicket:
    """Move the last day later. An expired ticket opens again; the patient's link follows."""
    now = now or timezone.now()
    access.require_change(by, patient=ticket.patient_id, kind=Kind.SCHEDULING, now=now)
    with transaction.atomic():
        ticket = _locked(ticket.pk)
        if ticket.status not in (T.OPEN, T.EXPIRED):
            raise IllegalTransition(f"A {ticket.get_status_display().lower()} ticket cannot be extended.", status=ticket.status)
        if latest <= ticket.latest:
            raise ValidationFailed("Extend to a later day.", field_errors={"latest": [f"Choose a day after {ticket.latest:%Y-%m-%d}."]})
        if latest < timezone.localdate(now, ticket.patient.zone):
            raise ValidationFailed("That day has passed.", field_errors={"latest": ["Choose a day from today on."]})
        if (latest - ticket.earliest).days > MAX_TICKET_DAYS:
            raise ValidationFailed("Too long.", field_errors={"latest": [f"A ticket spans at most {MAX_TICKET_DAYS} days."]})
        ticket.latest = latest
        ticket.status = T.OPEN
        ticket.closed_at = None
        ticket.save(update_fields=["latest", "status", "closed_at", "updated_at"])
        announce(AppointmentHappened.TICKET_EXTENDED, ticket=ticket, now=now)
    return ticket


def ticket_cancel(*, ticket: BookingTicket, reason: str, by=None, now: datetime | None = None) -> BookingTicket:
    now = now or timezone.now()
    access.require_change(by, patient=ticket.patient_id, kind=Kind.SCHEDULING, now=now)
    reason = text_clean("reason", reason, max_length=300)
    if not reason:
        raise ValidationFailed("Say why the ticket is cancelled.", field_errors={"reason": ["A reason is required."]})
    with transaction.atomic():
        ticket = _locked(ticket.pk)
        if ticket.status != T.OPEN:
            raise IllegalTransition(f"A {ticket.get_status_display().lower()} ticket cannot be cancelled.", status=ticket.status)
        ticket.status = T.CANCELLED
        ticket.closed_at = now
        ticket.cancel_reason = reason
        ticket.save(update_fields=["status", "closed_at", "cancel_reason", "updated_at"])
    return ticket


def ticket_window(ticket: BookingTicket, *, now: datetime, for_patient: bool) -> tuple[datetime, datetime] | None:
    """The [start, end) a ticket may be booked in, in the patient's zone; for the patient also at
    most SELF_BOOKING_HORIZON_DAYS ahead. None when nothing of it is left."""
    zone = ticket.patient.zone
    start = max(datetime.combine(ticket.earliest, time(0), tzinfo=zone), now)
    end = datetime.combine(ticket.latest + timedelta(days=1), time(0), tzinfo=zone)
    if for_patient:
        end = min(end, now + timedelta(days=settings.SELF_BOOKING_HORIZON_DAYS))
    return (start, end) if end > start else None


def ticket_slots(*, ticket: BookingTicket, now: datetime | None = None, for_patient: bool = True) -> list[Slot]:
    """Times to offer for the ticket's (next) visit: from the slot engine, inside the window, a
    few a day (distinct start times) over the first SLOT_DAYS days that have any."""
    now = now or timezone.now()
    window = ticket_window(ticket, now=now, for_patient=for_patient)
    if window is None or ticket.status != T.OPEN:
        return []
    found = find_slots(
        visit_type=ticket.visit_type,
        start=window[0],
        end=window[1],
        provider=ticket.provider,
        discipline=ticket.discipline,
        patient=ticket.patient,
        limit=400,
        now=now,
    )
    zone = ticket.patient.zone
    per_day: dict[date, list[Slot]] = {}
    for slot in found:
        if slot.start <= now:
            continue  # the engine may offer "now" itself when a visit type needs no notice; booking refuses it
        day = slot.start.astimezone(zone).date()
        times = per_day.setdefault(day, [])
        if len(per_day) > SLOT_DAYS:
            per_day.pop(day)
            break
        if len(times) < SLOTS_PER_DAY and all(s.start != slot.start for s in times):
            times.append(slot)
    return [slot for times in per_day.values() for slot in times]


def ticket_book(
    *, ticket: BookingTicket, start: datetime, provider: Provider, booked_by=None, now: datetime | None = None
) -> TicketBooking:
    """Book the ticket's visit at `start` with `provider` (a slot ticket_slots offered), through
    appointment_book; a series ticket books the whole series from that slot through series_book
    and reports what could not be placed. `booked_by=None` is the patient's own link: the
    booking must then also fall within SELF_BOOKING_HORIZON_DAYS."""
    now = now or timezone.now()
    access.require_change(booked_by, patient=ticket.patient_id, kind=Kind.SCHEDULING, now=now)
    with transaction.atomic():
        ticket = _locked(ticket.pk)
        if ticket.status != T.OPEN:
            raise IllegalTransition(f"This ticket is {ticket.get_status_display().lower()}.", status=ticket.status)
        window = ticket_window(ticket, now=now, for_patient=booked_by is None)
        if window is None or not window[0] <= start < window[1]:
            raise ValidationFailed(
                "That time is outside the ticket's window.", field_errors={"start": ["Choose one of the offered times."]}
            )
        if ticket.provider_id and provider.pk != ticket.provider_id:
            raise ValidationFailed("The ticket names another provider.", field_errors={"provider": ["Choose one of the offered times."]})
        remaining = ticket.visits - ticket.booked
        unplaced: list[UnplacedOccurrence] = []
        if remaining > 1:
            local = start.astimezone(ticket.patient.zone)
            result = series_book(
                patient=ticket.patient,
                visit_type=ticket.visit_type,
                per_week=ticket.per_week,
                weeks=math.ceil(remaining / ticket.per_week),
                start_date=local.date(),
                provider=provider,
                preferred_weekdays=[local.weekday()],
                preferred_time=local.time(),
                booked_by=booked_by,
                now=now,
            )
            extra = len(result.appointments) - remaining
            appointments = result.appointments[:remaining] if extra > 0 else result.appointments
            unplaced = result.unplaced
            if not appointments:
                # Nothing placed: roll back the empty series and tell the caller why.
                transaction.set_rollback(True)
                return TicketBooking(ticket=ticket, appointments=[], unplaced=unplaced)
        else:
            appointments = [
                appointment_book(
                    patient=ticket.patient, provider=provider, visit_type=ticket.visit_type, start=start, booked_by=booked_by, now=now
                )
            ]
        ticket.appointments.add(*appointments)
        ticket.booked = min(ticket.visits, ticket.booked + len(appointments))
        if ticket.booked >= ticket.visits or unplaced:
            # A series placed as far as it goes: what could not be placed is the front desk's
            # (the page lists it); the ticket's link is used up either way.
            ticket.status = T.BOOKED
            ticket.closed_at = now
        ticket.save(update_fields=["booked", "status", "closed_at", "updated_at"])
        if ticket.status == T.BOOKED:
            announce(AppointmentHappened.TICKET_BOOKED, ticket=ticket, now=now)
    return TicketBooking(ticket=ticket, appointments=appointments, unplaced=unplaced)


def ticket_visit_cancelled(*, appointment_id: int, now: datetime | None = None) -> list[BookingTicket]:
    """A visit booked from a ticket was cancelled (after commit, scheduling.tasks). Moved
    (rescheduled: the cancelled visit has a successor): the successor takes its place on the
    ticket. Cancelled outright while the ticket still has days left: the ticket opens again for
    one more visit, so the patient can book a new time from the same link (TICKET_REOPENED). After
    the last day: nothing (the front desk sees the cancellation). Safe to run twice: the cancelled
    visit leaves the ticket in the same statement that decides, under the ticket's row lock."""
    now = now or timezone.now()
    through = BookingTicket.appointments.through
    reopened = []
    for ticket_id in through.objects.filter(appointment_id=appointment_id).values_list("bookingticket_id", flat=True):
        with transaction.atomic():
            ticket = _locked(ticket_id)
            appointment = Appointment.objects.get(pk=appointment_id)
            if appointment.status != AppointmentStatus.CANCELLED:
                continue
            successor = Appointment.objects.filter(rescheduled_from_id=appointment_id).first()
            if successor is not None:
                ticket.appointments.add(successor)
                continue
            if ticket.status not in (T.BOOKED, T.OPEN) or ticket.latest < timezone.localdate(now, ticket.patient.zone):
                continue
            if not through.objects.filter(bookingticket_id=ticket.pk, appointment_id=appointment_id).delete()[0]:
                continue  # a second run: already taken off
            ticket.booked = max(0, ticket.booked - 1)
            was_booked = ticket.status == T.BOOKED
            ticket.status = T.OPEN
            ticket.closed_at = None
            ticket.escalated_at = None  # the sweep may hand it to the front desk again before it expires
            ticket.save(update_fields=["booked", "status", "closed_at", "escalated_at", "updated_at"])
            if was_booked:
                announce(AppointmentHappened.TICKET_REOPENED, ticket=ticket, appointment=appointment, now=now)
                reopened.append(ticket)
    return reopened


def _escalate(ticket: BookingTicket, *, now: datetime) -> bool:
    done = BookingTicket.objects.filter(pk=ticket.pk, status=T.OPEN, escalated_at__isnull=True).update(escalated_at=now)
    if done:
        ticket.escalated_at = now
        announce(AppointmentHappened.TICKET_NOT_BOOKED, ticket=ticket, now=now)
    return bool(done)


def ticket_sweep(*, now: datetime | None = None) -> dict[str, int]:
    """Beat job, safe to run any time and twice: expire tickets past their last day, remind once
    (TICKET_REMIND_AFTER_DAYS after opening), and hand the front desk a "follow-up not booked"
    task TICKET_TASK_DAYS_BEFORE_EXPIRY before the last day. Each step is a compare-and-set on
    the ticket row, so two runs never remind or escalate twice."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    counts = {"expired": 0, "reminded": 0, "escalated": 0}
    counts["expired"] = BookingTicket.objects.filter(status=T.OPEN, latest__lt=today).update(status=T.EXPIRED, closed_at=now)
    open_tickets = BookingTicket.objects.filter(status=T.OPEN).select_related("patient", "visit_type")
    remind_before = now - timedelta(days=settings.TICKET_REMIND_AFTER_DAYS)
    for ticket in open_tickets.filter(reminded_at__isnull=True, created_at__lte=remind_before, visit_type__self_schedulable=True):
        with transaction.atomic():
            if BookingTicket.objects.filter(pk=ticket.pk, status=T.OPEN, reminded_at__isnull=True).update(reminded_at=now):
                announce(AppointmentHappened.TICKET_REMINDER_DUE, ticket=ticket, now=now)
                counts["reminded"] += 1
    escalate_from = today + timedelta(days=settings.TICKET_TASK_DAYS_BEFORE_EXPIRY)
    for ticket in open_tickets.filter(escalated_at__isnull=True, latest__lte=escalate_from):
        with transaction.atomic():
            counts["escalated"] += _escalate(ticket, now=now)
    return counts
