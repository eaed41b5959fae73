"""What scheduling announces. Messaging, care plans (and later prior authorization) subscribe in
their `AppConfig.ready()`; scheduling never imports them.

Payloads (keyword arguments) per event:
- every appointment event: `appointment` (the Appointment, in-transaction) and `now`.
  After-commit subscribers get the same objects; take ids from them and reload.
- RESCHEDULED: `old`, `appointment` (the new one), `now`.
- RELEASED: `appointment_ids` (holds that lapsed), `now`.
- WORKING_TIME_ADDED: `provider_id`, `start`, `end` (aware datetimes), `now`.
- WAITLIST_OFFERED: `entry` (its offered_appointment is the held slot), `now`.
- TICKET_OPENED, TICKET_EXTENDED, TICKET_REMINDER_DUE, TICKET_NOT_BOOKED, TICKET_BOOKED: `ticket` (a
  BookingTicket, in-transaction), `now`. Messaging sends (or re-dates) the patient's booking link
  and the one reminder; care plans put "follow-up not booked" in the front desk's queue (and
  cancel that task when the ticket is booked).
- TICKET_REOPENED: `ticket`, `appointment` (the visit cancelled outright), `now`: a booked ticket
  opens again; messaging sends the patient's booking link once more.

Guards (`registry.add_guard(GuardPoint.…, fn, uid=…)`) run inside the transition after its
legality check and before anything is written: `fn(appointment=…, by=…, now=…)` raises a
DomainError to veto (prior authorization gates check-in and start this way).

Day-sheet checklist state (`registry.add_filter(CHECKLIST_STATE, fn, uid=…)`) fills in
pre-procedure checklist progress without scheduling importing care plans.

Waitlist filters (`registry.add_filter(WAITLIST_CANDIDATES, fn, uid=…)`) narrow the entries a
freed or new slot is offered to: `fn(queryset, *, provider_id, start, end, now) -> queryset`.
"""

from __future__ import annotations

from enum import StrEnum

from core.events import Phase, Registry
from scheduling.models import AppointmentStatus

__all__ = ["CHECKLIST_STATE", "WAITLIST_CANDIDATES", "AppointmentHappened", "GuardPoint", "Phase", "announce", "registry"]


class AppointmentHappened(StrEnum):
    BOOKED = "booked"
    CONFIRMED = "confirmed"
    CHECKED_IN = "checked_in"
    STARTED = "started"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    NO_SHOW = "no_show"
    HELD = "held"
    RELEASED = "released"
    RESCHEDULED = "rescheduled"
    WORKING_TIME_ADDED = "working_time_added"
    WAITLIST_OFFERED = "waitlist_offered"
    TICKET_OPENED = "ticket_opened"
    TICKET_EXTENDED = "ticket_extended"
    TICKET_REMINDER_DUE = "ticket_reminder_due"
    TICKET_NOT_BOOKED = "ticket_not_booked"
    TICKET_BOOKED = "ticket_booked"
    TICKET_REOPENED = "ticket_reopened"


class GuardPoint(StrEnum):
    """Transitions a guard can veto, named by the status they lead to."""

    BOOK = AppointmentStatus.BOOKED.value
    CONFIRM = AppointmentStatus.CONFIRMED.value
    CHECK_IN = AppointmentStatus.CHECKED_IN.value
    START = AppointmentStatus.IN_PROGRESS.value
    COMPLETE = AppointmentStatus.COMPLETED.value


WAITLIST_CANDIDATES = "waitlist-candidates"
# Pre-procedure checklist progress for the day sheet: `fn(states: dict, *, appointment_ids)`
# returns `states` with {appointment_id: (done, total)} added (care plans own checklists).
CHECKLIST_STATE = "checklist-state"

registry: Registry[AppointmentHappened] = Registry("scheduling", AppointmentHappened)
announce = registry.announce
