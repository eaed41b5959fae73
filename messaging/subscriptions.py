"""Messaging reacts to scheduling: the outbox is planned in the same transaction as the change
to the appointment, so a booking and its reminders commit (or roll back) together. Connected in
MessagingConfig.ready()."""

from __future__ import annotations

from core.events import Phase
from messaging.services.planning import outbox_on_appointment_event, outbox_waitlist_offer
from messaging.services.tickets import outbox_ticket_link, ticket_link_follow, ticket_link_reopen
from scheduling.events import AppointmentHappened, registry

# Appointment events the outbox plans or withdraws messages for.
PLANNED_ON = (
    AppointmentHappened.BOOKED,
    AppointmentHappened.RESCHEDULED,
    AppointmentHappened.CONFIRMED,
    AppointmentHappened.CANCELLED,
    AppointmentHappened.CHECKED_IN,
    AppointmentHappened.STARTED,
    AppointmentHappened.COMPLETED,
    AppointmentHappened.NO_SHOW,
)


def _planner(event: AppointmentHappened):
    def plan(*, appointment, now, **_) -> None:
        outbox_on_appointment_event(appointment=appointment, event=str(event), now=now)

    return plan


def _offer(*, entry, now, **_) -> None:
    outbox_waitlist_offer(entry=entry, now=now)


def _ticket_opened(*, ticket, now, **_) -> None:
    outbox_ticket_link(ticket=ticket, now=now)


def _ticket_reminder(*, ticket, now, **_) -> None:
    outbox_ticket_link(ticket=ticket, reminder=True, now=now)


def _ticket_extended(*, ticket, now, **_) -> None:
    ticket_link_follow(ticket=ticket, now=now)


def _ticket_reopened(*, ticket, appointment, now, **_) -> None:
    ticket_link_reopen(ticket=ticket, appointment=appointment, now=now)


def connect() -> None:
    for event in PLANNED_ON:
        registry.subscribe(event, _planner(event), phase=Phase.IN_TRANSACTION, uid=f"messaging.outbox.{event}")
    registry.subscribe(AppointmentHappened.WAITLIST_OFFERED, _offer, phase=Phase.IN_TRANSACTION, uid="messaging.outbox.waitlist_offer")
    registry.subscribe(AppointmentHappened.TICKET_OPENED, _ticket_opened, phase=Phase.IN_TRANSACTION, uid="messaging.outbox.ticket_link")
    registry.subscribe(
        AppointmentHappened.TICKET_REMINDER_DUE, _ticket_reminder, phase=Phase.IN_TRANSACTION, uid="messaging.outbox.ticket_reminder"
    )
    registry.subscribe(
        AppointmentHappened.TICKET_EXTENDED, _ticket_extended, phase=Phase.IN_TRANSACTION, uid="messaging.links.ticket_extended"
    )
    registry.subscribe(
        AppointmentHappened.TICKET_REOPENED, _ticket_reopened, phase=Phase.IN_TRANSACTION, uid="messaging.links.ticket_reopened"
    )
