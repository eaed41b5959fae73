"""Render one message for a patient: mint the links it carries and fill the texts (content.py)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from clinic.models import Channel
from messaging.models import PatientLink, Purpose
from messaging.services import content
from messaging.services.links import appointment_links_mint, link_mint, link_url

LinkPurpose = PatientLink.LinkPurpose
# A cancelled patient may still ask for another time for a while.
RESCHEDULE_LINK_DAYS = 30
UNSUBSCRIBE_LINK_DAYS = 90


@dataclass
class Rendered:
    subject: str
    body: str
    html_body: str


def _when(appointment, patient) -> str:
    show_zone = appointment.location.time_zone != patient.time_zone
    return content.format_when(appointment.start, patient.zone, patient.language, show_zone=show_zone)


def _links(appointment, patient, now, purposes: list[str], links: dict | None) -> dict[str, str]:
    """The URLs of the appointment's links for `purposes`. `links` (purpose → PatientLink) is the
    caller's memo across the messages of one plan, so each link is looked up once per plan."""
    memo = links if links is not None else {}
    reschedule_expiry = appointment.start + timedelta(days=RESCHEDULE_LINK_DAYS)
    wanted = {p: reschedule_expiry if p == LinkPurpose.RESCHEDULE else appointment.start for p in purposes if p not in memo}
    if wanted:
        memo.update(appointment_links_mint(appointment=appointment, patient=patient, expiries=wanted, now=now))
    return {purpose: link_url(memo[purpose]) for purpose in purposes}


def render_for_appointment(
    *, appointment, purpose: str, channel: str, now: datetime, ask_to_confirm: bool = False, include_prep=False, links: dict | None = None
):
    """Texts for an appointment message. Precondition: appointment.patient/location/visit_type
    are loaded (the planner selects them once). `links`: a dict the caller keeps across the
    messages it renders for this appointment (see _links)."""
    patient = appointment.patient
    when = _when(appointment, patient)
    if channel == Channel.SMS:
        if purpose == Purpose.VIDEO_LINK:
            link = appointment.video_url
        elif purpose == Purpose.CANCELLATION:
            link = _links(appointment, patient, now, [LinkPurpose.RESCHEDULE], links)[LinkPurpose.RESCHEDULE]
        else:
            link = _links(appointment, patient, now, [LinkPurpose.CANCEL], links)[LinkPurpose.CANCEL]
        key = "confirm_ask" if (purpose == Purpose.REMINDER and ask_to_confirm) else purpose
        return Rendered("", content.sms_text(key=key, language=patient.language, when=when, link=link), "")

    location = appointment.location
    parts = content.EmailParts(
        purpose=purpose,
        language=patient.language,
        first_name=patient.first_name,
        when=when,
        location_lines=[]
        if appointment.visit_type.telehealth
        else [location.name, location.address_line1, f"{location.city}, {location.state}"],
        prep_text=appointment.visit_type.prep_text(patient.language) if include_prep else "",
    )
    if purpose == Purpose.VIDEO_LINK:
        parts.actions = [("join", appointment.video_url)]
    elif purpose == Purpose.CANCELLATION:
        parts.actions = [("reschedule", _links(appointment, patient, now, [LinkPurpose.RESCHEDULE], links)[LinkPurpose.RESCHEDULE])]
    else:
        urls = _links(appointment, patient, now, [LinkPurpose.CONFIRM, LinkPurpose.CANCEL, LinkPurpose.RESCHEDULE], links)
        parts.actions = [
            ("confirm", urls[LinkPurpose.CONFIRM]),
            ("cancel", urls[LinkPurpose.CANCEL]),
            ("reschedule", urls[LinkPurpose.RESCHEDULE]),
        ]
        if appointment.visit_type.telehealth and appointment.video_url:
            parts.actions.append(("join", appointment.video_url))
    if purpose == Purpose.REMINDER:
        memo = links if links is not None else {}
        if LinkPurpose.UNSUBSCRIBE not in memo:
            memo[LinkPurpose.UNSUBSCRIBE] = link_mint(
                purpose=LinkPurpose.UNSUBSCRIBE, patient=patient, expires_at=now + timedelta(days=UNSUBSCRIBE_LINK_DAYS), now=now
            )
        parts.unsubscribe_url = link_url(memo[LinkPurpose.UNSUBSCRIBE])
    email = content.email_content(parts)
    return Rendered(email.subject, email.body, email.html_body)


def render_waitlist_offer(*, entry, channel: str, now: datetime) -> Rendered:
    appointment = entry.offered_appointment
    patient = entry.patient
    when = _when(appointment, patient)
    deadline = content.format_when(entry.offer_expires_at, patient.zone, patient.language)
    link = link_url(
        link_mint(purpose=LinkPurpose.WAITLIST_CLAIM, patient=patient, waitlist_entry=entry, expires_at=entry.offer_expires_at, now=now)
    )
    if channel == Channel.SMS:
        short_deadline = content.format_deadline(entry.offer_expires_at, patient.zone, patient.language, now=now)
        text = content.sms_text(key=Purpose.WAITLIST_OFFER, language=patient.language, when=when, deadline=short_deadline, link=link)
        return Rendered("", text, "")
    parts = content.EmailParts(
        purpose=Purpose.WAITLIST_OFFER,
        language=patient.language,
        first_name=patient.first_name,
        when=when,
        deadline=deadline,
        actions=[("claim", link)],
    )
    email = content.email_content(parts)
    return Rendered(email.subject, email.body, email.html_body)


def render_patient_notice(*, patient, purpose: str, channel: str, link: str) -> Rendered:
    if channel == Channel.SMS:
        return Rendered("", content.sms_text(key=purpose, language=patient.language, link=link), "")
    action = "book" if purpose in (Purpose.TICKET, Purpose.TICKET_REMINDER) else "open"
    parts = content.EmailParts(purpose=purpose, language=patient.language, first_name=patient.first_name, actions=[(action, link)])
    email = content.email_content(parts)
    return Rendered(email.subject, email.body, email.html_body)
