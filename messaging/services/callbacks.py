"""Twilio delivery status callbacks → delivered / failed."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from messaging.models import Message, MessageStatus
from messaging.services import transitions

FAILED_STATUSES = {"failed", "undelivered"}


def message_status_callback(*, message_id: int | None, sid: str, status: str, error_code: str = "", now: datetime | None = None) -> str:
    """Apply one callback; returns what changed ('' for nothing). The callback may arrive before
    our own 'sent' update commits (the URL carries our message id for that case), and may arrive
    twice or out of order: every move is compare-and-set."""
    now = now or timezone.now()
    qs = Message.objects.filter(pk=message_id) if message_id else Message.objects.filter(provider_message_id=sid)
    message = qs.only("id", "status", "provider_message_id").first()
    if message is None or (message.provider_message_id and sid and message.provider_message_id != sid):
        return ""
    if status in {"sent", "delivered", *FAILED_STATUSES} and message.status == MessageStatus.SENDING and sid:
        transitions.message_mark_sent(message_id=message.pk, provider_message_id=sid, now=now)
    if status == "delivered":
        return "delivered" if transitions.message_mark_delivered(message_id=message.pk, now=now) else ""
    if status in FAILED_STATUSES:
        error = f"carrier reported {status}" + (f" (error {error_code})" if error_code else "")
        return "failed" if transitions.message_mark_failed(message_id=message.pk, error=error, now=now) else ""
    return ""
