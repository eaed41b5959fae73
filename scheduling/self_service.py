"""What a patient may do to their own visits from a signed link, beyond confirm and cancel:
move a non-procedure visit to another offered time, until the visit type's cut-off.

The swap books the new visit BEFORE it releases the old one, in one transaction: if the new
time cannot be booked (taken, a payer rule, a guard) or anything fails after it, the transaction
rolls back and the old visit is untouched, never both lost. The old visit is cancelled through
the ordinary transition, so the freed time reaches the waitlist (CANCELLED, after commit) and the
outbox sends the reschedule notice (RESCHEDULED)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from core.errors import IllegalTransition, SlotTaken, ValidationFailed
from scheduling.events import AppointmentHappened, announce
from scheduling.models import Appointment
from scheduling.services.appointments import RESCHEDULABLE, _transition, appointment_book
from scheduling.slots import Slot, find_slots
from scheduling.tickets import SLOT_DAYS, SLOTS_PER_DAY


def self_reschedule_cutoff(appointment: Appointment) -> datetime:
    """The last moment the patient may move this visit online."""
    hours = appointment.visit_type.self_reschedule_cutoff_hours
    return appointment.start - timedelta(hours=settings.SELF_RESCHEDULE_CUTOFF_HOURS if hours is None else hours)


def self_reschedule_refusal(appointment: Appointment, *, now: datetime) -> str:
    """Why the patient may not move this visit online ('' when they may): a key the page turns
    into words ('procedure', 'cutoff', 'status')."""
    if appointment.visit_type.is_procedure or not appointment.visit_type.self_schedulable:
        return "procedure"
    if appointment.status not in RESCHEDULABLE or appointment.status == "held":
        return "status"
    if now >= self_reschedule_cutoff(appointment):
        return "cutoff"
    return ""


def self_reschedule_slots(*, appointment: Appointment, now: datetime | None = None) -> list[Slot]:
    """Other times for the same visit type with the same provider, from now to
    SELF_BOOKING_HORIZON_DAYS ahead, a few a day."""
    now = now or timezone.now()
    found = find_slots(
        visit_type=appointment.visit_type,
        start=now,
        end=now + timedelta(days=settings.SELF_BOOKING_HORIZON_DAYS),
        provider=appointment.provider,
        limit=400,
        now=now,
    )
    zone = appointment.patient.zone
    per_day: dict = {}
    for slot in found:
        if slot.start <= now:
            continue  # the engine may offer "now" itself when a visit type needs no notice; booking refuses it
        if slot.start < appointment.end and slot.end > appointment.start:
            continue  # overlapping its own old time: not a move
        day = slot.start.astimezone(zone).date()
        if day not in per_day and len(per_day) >= SLOT_DAYS:
            break
        times = per_day.setdefault(day, [])
        if len(times) < SLOTS_PER_DAY and all(s.start != slot.start for s in times):
            times.append(slot)
    return [slot for times in per_day.values() for slot in times]


def appointment_reschedule_by_patient(*, appointment: Appointment, start: datetime, now: datetime | None = None) -> Appointment:
    """The patient moves their visit to `start` with the same provider. Raises IllegalTransition
    when the visit may not be moved online (procedure, cut-off passed, not bookable), SlotTaken /
    RuleViolation / ValidationFailed when the new time cannot be booked (nothing changes)."""
    now = now or timezone.now()
    with transaction.atomic():
        old = Appointment.objects.select_for_update(of=("self",)).select_related("patient", "visit_type", "provider").get(pk=appointment.pk)
        refusal = self_reschedule_refusal(old, now=now)
        if refusal:
            raise IllegalTransition("This visit can no longer be moved online.", status=old.status, refusal=refusal)
        if start > now + timedelta(days=settings.SELF_BOOKING_HORIZON_DAYS):
            raise ValidationFailed("That time is too far ahead.", field_errors={"start": ["Choose one of the offered times."]})
        if start < old.end and start + (old.end - old.start) > old.start:
            raise SlotTaken("That time overlaps the visit itself.", taken="patient")
        # New first: if it fails, the old visit was never touched.
        new = appointment_book(
            patient=old.patient,
            provider=old.provider,
            visit_type=old.visit_type,
            start=start,
            region=old.region,
            laterality=old.laterality,
            series=old.series,
            bundle=old.bundle,
            notes=old.notes,
            now=now,
        )
        reason = "rescheduled by the patient (link)"
        old = _transition(old.pk, to="cancelled", reason=reason, now=now, cancelled_at=now, cancel_reason=reason)
        new.rescheduled_from = old
        new.save(update_fields=["rescheduled_from"])
        announce(AppointmentHappened.RESCHEDULED, old=old, appointment=new, now=now)
    return new
