"""Celery tasks for the outbox: thin, take ids, safe to run twice (messaging.services.dispatch
explains why a duplicate run never reaches the gateway twice)."""

from __future__ import annotations

import time

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.utils import timezone

from messaging.models import Message, MessageStatus
from messaging.services.dispatch import message_send, messages_send
from messaging.services.transitions import messages_claim_due

DISPATCH_TIME_BUDGET_SECONDS = 50  # leave room before the next beat tick


@shared_task(ignore_result=True)
def dispatch_due() -> int:
    """Beat, every minute: claim due (and stale) rows in batches and hand each id to a send
    task after the claim commits. Loops until nothing is due or the time budget is spent."""
    started = time.monotonic()
    total = 0
    while time.monotonic() - started < DISPATCH_TIME_BUDGET_SECONDS:
        # Claim no more than the workers can send within a lease; the rest waits in the
        # database (not in Redis) for the next tick.
        room = (
            settings.MESSAGING_MAX_IN_FLIGHT
            - Message.objects.filter(status=MessageStatus.SENDING, lease_expires_at__gt=timezone.now()).count()
        )
        if room <= 0:
            break
        with transaction.atomic():
            ids = messages_claim_due(limit=min(room, settings.MESSAGING_CLAIM_BATCH))
            transaction.on_commit(lambda ids=ids: _enqueue(ids))
        total += len(ids)
        if not ids:
            break
    return total


# Ids per send task: settings.MESSAGING_SEND_CHUNK. A chunk costs a fixed set of round trips
# (lock, checks, the send mark, the sent UPDATE: eight statements) plus the task's own overhead
# whatever its size; at 25 ids that was most of a message's cost (docs/performance.md). A slow
# gateway can make a chunk outlast its lease whatever its size: the lease check before each call
# stops it, and those rows are looked up on re-claim, never sent blind (messaging.services.dispatch).


def _enqueue(ids: list[int]) -> None:
    chunk = settings.MESSAGING_SEND_CHUNK
    for start in range(0, len(ids), chunk):
        send_messages.delay(ids[start : start + chunk])


@shared_task(
    ignore_result=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=5,
)
def send_message(message_id: int) -> str:
    """Send one claimed message. Database hiccups retry with exponential backoff; gateway errors
    are retried through the outbox itself (pending with a later due time), which survives a
    Redis loss."""
    return message_send(message_id=message_id)


@shared_task(
    ignore_result=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=True,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=5,
)
def send_messages(message_ids: list[int]) -> None:
    """Send a chunk of claimed messages (what the dispatcher enqueues); same guarantees as
    send_message, with the per-message database work done set-wise."""
    messages_send(message_ids=message_ids)
