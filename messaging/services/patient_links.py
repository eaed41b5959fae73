"""What a patient link does when the patient presses its button. GET never changes anything
(mail scanners open links); the POST calls the same scheduling services the front desk uses."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from clinic.models import Channel, Provider
from clinic.services import patient_set_consent
from core.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from messaging.events import MessagingHappened, announce
from messaging.models import Message, MessageStatus, PatientLink, Purpose
from messaging.services.links import link_resolve, link_use
from messaging.services.transitions import messages_cancel
from scheduling.models import BookingTicket
from scheduling.self_service import appointment_reschedule_by_patient
from scheduling.services import appointment_cancel, appointment_confirm
from scheduling.tickets import ticket_book
from scheduling.waitlist import waitlist_claim

LinkPurpose = PatientLink.LinkPurpose


@dataclass
class LinkOutcome:
    ok: bool
    message_key: str  # a key of the page's strings
    status: int = 200


def link_act(*, token: str, reason: str = "", now: datetime | None = None) -> LinkOutcome:
    """Carry out the link's one purpose and use the link up. Raises NotFound / LinkGone for a
    bad, used or expired link (the view shows them as 404 / 410)."""
    now = now or timezone.now()
    with transaction.atomic():
        link = link_resolve(token=token, now=now, for_update=True)
        outcome = _ACTIONS[link.purpose](link, reason.strip(), now)
        if outcome.ok:
            link_use(link=link, outcome=outcome.message_key, now=now)
    return outcome


def _confirm(link: PatientLink, reason: str, now: datetime) -> LinkOutcome:
    try:
        appointment_confirm(appointment=link.appointment, via="patient link", now=now)
    except IllegalTransition:
        status = link.appointment.status
        return LinkOutcome(False, "already_confirmed" if status == "confirmed" else "not_possible", 409)
    return LinkOutcome(True, "confirmed")


def _cancel(link: PatientLink, reason: str, now: datetime) -> LinkOutcome:
    if not reason:
        raise ValidationFailed("Please tell us why.", field_errors={"reason": ["Required."]})
    try:
        appointment_cancel(appointment=link.appointment, reason=f"patient (link): {reason[:400]}", now=now)
    except IllegalTransition:
        return LinkOutcome(False, "not_possible", 409)
    return LinkOutcome(True, "cancelled")


def _reschedule(link: PatientLink, reason: str, now: datetime) -> LinkOutcome:
    announce(
        MessagingHappened.PATIENT_NEEDS_FRONT_DESK,
        patient=link.patient,
        title="Patient asks for another appointment time",
        text=reason[:2000],
        source="patient_link",
        dedupe_key=f"reschedule-link:{link.pk}",
        now=now,
    )
    return LinkOutcome(True, "reschedule_requested")


def _claim(link: PatientLink, reason: str, now: datetime) -> LinkOutcome:
    try:
        waitlist_claim(entry_id=link.waitlist_entry_id, now=now)
    except Conflict:
        return LinkOutcome(False, "offer_gone", 409)
    return LinkOutcome(True, "claimed")


def _unsubscribe(link: PatientLink, reason: str, now: datetime) -> LinkOutcome:
    patient_set_consent(patient=link.patient, channel=Channel.EMAIL, granted=False, source="email unsubscribe link", now=now)
    messages_cancel(
        qs=Message.objects.filter(patient=link.patient, channel=Channel.EMAIL, status=MessageStatus.PENDING, purpose=Purpose.REMINDER),
        reason="unsubscribed by email link",
        now=now,
    )
    return LinkOutcome(True, "unsubscribed")


_ACTIONS = {
    LinkPurpose.CONFIRM: _confirm,
    LinkPurpose.CANCEL: _cancel,
    LinkPurpose.RESCHEDULE: _reschedule,
    LinkPurpose.WAITLIST_CLAIM: _claim,
    LinkPurpose.UNSUBSCRIBE: _unsubscribe,
}


@dataclass
class BookingOutcome:
    """What the patient's own booking (a ticket) or move (a reminder's reschedule link) did."""

    appointments: list
    unplaced: list = field(default_factory=list)


def link_ticket_book(*, token: str, provider_id: int, start: datetime, now: datetime | None = None) -> BookingOutcome:
    """Book the ticket behind a `ticket` link at an offered time, through ticket_book (the same
    service and rules as staff). The link is used up once the ticket is booked. Raises NotFound /
    LinkGone for the link, IllegalTransition when the ticket is no longer open, SlotTaken /
    RuleViolation / ValidationFailed when that time cannot be booked (nothing changes)."""
    now = now or timezone.now()
    with transaction.atomic():
        link = link_resolve(token=token, now=now, for_update=True)
        if link.purpose != LinkPurpose.TICKET:
            raise NotFound("This link is not valid.")
        provider = Provider.objects.filter(pk=provider_id, active=True).first()
        if provider is None:
            raise ValidationFailed("Choose one of the offered times.", field_errors={"slot": ["Unknown time."]})
        result = ticket_book(ticket=link.ticket, start=start, provider=provider, now=now)
        if result.ticket.status != BookingTicket.Status.OPEN:
            link_use(link=link, outcome="booked", now=now)
    return BookingOutcome(appointments=result.appointments, unplaced=result.unplaced)


def link_reschedule_move(*, token: str, start: datetime, now: datetime | None = None) -> BookingOutcome:
    """Move the visit behind a `reschedule` link to `start` (same provider): the new visit is
    booked before the old one is released, in one transaction (scheduling.self_service)."""
    now = now or timezone.now()
    with transaction.atomic():
        link = link_resolve(token=token, now=now, for_update=True)
        if link.purpose != LinkPurpose.RESCHEDULE or link.appointment_id is None:
            raise NotFound("This link is not valid.")
        new = appointment_reschedule_by_patient(appointment=link.appointment, start=start, now=now)
        link_use(link=link, outcome="moved", now=now)
    return BookingOutcome(appointments=[new])
