"""A booking ticket's patient link: sent when a self-schedulable ticket opens, sent again once as
a reminder, re-dated when staff extend the ticket, and sent again (usable again) when a visit
booked from it is cancelled and the ticket reopens. Called from messaging/subscriptions.py inside
scheduling's transaction, so a ticket and its message commit together."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from messaging.models import PatientLink, Purpose
from messaging.services.links import link_mint, link_url
from messaging.services.planning import outbox_enqueue_for_patient


def ticket_link_expiry(ticket) -> datetime:
    """The link lives as long as the ticket: to the end of its last day in the patient's zone."""
    return datetime.combine(ticket.latest + timedelta(days=1), time(0), tzinfo=ticket.patient.zone)


def ticket_link(ticket, *, now: datetime) -> PatientLink:
    return link_mint(
        purpose=PatientLink.LinkPurpose.TICKET, patient=ticket.patient, ticket=ticket, expires_at=ticket_link_expiry(ticket), now=now
    )


def outbox_ticket_link(*, ticket, reminder: bool = False, dedupe_key: str = "", now: datetime) -> None:
    """Queue the patient's booking link (or its one reminder). Idempotent per ticket and kind
    (or per `dedupe_key`); nothing for a visit type the patient may not book themselves."""
    if not ticket.visit_type.self_schedulable:
        return
    url = link_url(ticket_link(ticket, now=now))
    outbox_enqueue_for_patient(
        patient=ticket.patient,
        purpose=Purpose.TICKET_REMINDER if reminder else Purpose.TICKET,
        due_at=now,
        dedupe_key=dedupe_key or f"ticket:{ticket.pk}:{'reminder' if reminder else 'link'}",
        link_path=url,
        now=now,
    )


def ticket_link_follow(*, ticket, now: datetime) -> None:
    """Staff extended the ticket: an unused link follows its new last day."""
    PatientLink.objects.filter(purpose=PatientLink.LinkPurpose.TICKET, ticket=ticket, used_at__isnull=True).update(
        expires_at=ticket_link_expiry(ticket)
    )


def ticket_link_reopen(*, ticket, appointment, now: datetime) -> None:
    """A visit booked from the ticket was cancelled and the ticket is open again: its used-up link
    works again until the ticket's last day, and goes to the patient once more (once per
    cancelled visit)."""
    PatientLink.objects.filter(purpose=PatientLink.LinkPurpose.TICKET, ticket=ticket).update(
        used_at=None, outcome="", expires_at=ticket_link_expiry(ticket)
    )
    outbox_ticket_link(ticket=ticket, dedupe_key=f"ticket:{ticket.pk}:reopened:{appointment.pk}", now=now)
