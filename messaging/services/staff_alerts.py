"""Urgent alerts to staff through the outbox: a crisis answer or a red flag needs a clinician now.

They are outbox rows like any other (the dispatcher sends them, at most once, and a lost Redis
loses none), marked urgent so quiet hours and the SMS limits never hold them back, and planned
in the caller's transaction so they exist the moment the task they point to does.

The text names nothing about the patient: a lock screen is not private, and a staff phone is
not a clinical system. It says that something needs review and links to the task, which opens
only for someone the access policy lets in.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.utils import timezone

from clinic.models import Channel
from core.errors import ValidationFailed
from messaging.models import Message, Purpose

log = logging.getLogger(__name__)

SMS_TEXT = "Urgent: a patient answer needs review now. Open the workspace: {link}"
EMAIL_SUBJECT = "Urgent: a patient answer needs review now"
EMAIL_TEXT = (
    "A patient's answer needs a clinician's review now.\n\n"
    "Open the task in the workspace: {link}\n\n"
    "Accept the task when you take it; if nobody accepts it in time it is escalated.\n"
)


@dataclass(frozen=True)
class StaffContact:
    """Where one alert goes: a user (None for the clinic's after-hours phone) and their
    addresses; either may be empty."""

    user: object | None
    phone: str = ""
    email: str = ""

    @property
    def key(self) -> str:
        return f"u{self.user.pk}" if self.user is not None else "oncall-phone"


def staff_alert_plan(
    *, patient, contacts: list[StaffContact], link_path: str, dedupe_key: str, now: datetime | None = None
) -> list[Message]:
    """Plan an urgent SMS and email (where each contact has one) due now. Idempotent on
    `dedupe_key` per contact and channel: planning the same alert again adds nothing. A contact
    appearing twice (the psychologist who is also on call) is alerted once."""
    now = now or timezone.now()
    if not dedupe_key:
        raise ValidationFailed("A dedupe key is required.", field_errors={"dedupe_key": ["Required."]})
    if not link_path.startswith("/"):
        raise ValidationFailed("The link must be a path in this site.", field_errors={"link_path": ["Start with /."]})
    link = settings.PUBLIC_BASE_URL + link_path
    wanted: dict[str, Message] = {}
    for contact in contacts:
        for channel, address in ((Channel.SMS, contact.phone), (Channel.EMAIL, contact.email)):
            if not address:
                continue
            key = f"staff:{dedupe_key}:{contact.key}:{channel}"[:120]
            wanted.setdefault(
                key,
                Message(
                    patient=patient,
                    staff_recipient=contact.user,
                    to_address=address,
                    channel=channel,
                    purpose=Purpose.STAFF_ALERT,
                    due_at=now,
                    urgent=True,
                    idempotency_key=key,
                    subject=EMAIL_SUBJECT if channel == Channel.EMAIL else "",
                    body=(SMS_TEXT if channel == Channel.SMS else EMAIL_TEXT).format(link=link),
                ),
            )
    if not wanted:
        log.warning("staff alert has nobody to reach", extra={"event": "messaging.staff_alert_unreachable"})
        return []
    existing = set(Message.objects.filter(idempotency_key__in=wanted).values_list("idempotency_key", flat=True))
    rows = Message.objects.bulk_create([m for key, m in wanted.items() if key not in existing], ignore_conflicts=True)
    log.info("staff alert planned", extra={"event": "messaging.staff_alert_planned", "messages": len(rows)})
    return rows
