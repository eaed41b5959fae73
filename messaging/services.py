"""Outbox commands (the messaging issue fills these in; the signatures are the contract other
apps call)."""

from __future__ import annotations

from datetime import datetime


def outbox_on_appointment_event(*, appointment, event: str, now: datetime) -> None:
    """Called by scheduling services inside their transaction when an appointment is booked,
    rescheduled, confirmed, cancelled, completed, marked no-show… so the outbox changes
    atomically with the appointment. `event` is one of: booked, rescheduled, confirmed,
    checked_in, started, completed, cancelled, no_show."""
    return None


def outbox_waitlist_offer(*, entry, now: datetime) -> None:
    """Called by scheduling.waitlist inside its transaction when a held slot is offered to a
    waitlist entry (entry.offered_appointment is the held appointment, entry.offer_expires_at
    the deadline). Sends the patient a claim link."""
    return None


def outbox_enqueue_for_patient(
    *, patient, purpose: str, due_at: datetime, dedupe_key: str, link_path: str = "", urgent: bool = False, now: datetime | None = None
) -> list:
    """Queue a patient message that is not an appointment reminder (e.g. a questionnaire link
    from a care-plan protocol). Renders the purpose's template in the patient's language on the
    channels the patient consents to; idempotent on dedupe_key. Returns the Message rows."""
    return []
