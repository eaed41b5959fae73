"""Message status machine: one function per move, each a compare-and-set UPDATE guarded by the
legal source states, so a row can never be moved by two workers or moved backwards
(pending → sending → sent → delivered / failed; cancelled and expired from pending or sending).

Every function returns the number of rows moved (0 when the row was already elsewhere, which is
what makes tasks safe to run twice)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from messaging.models import Message, MessageStatus

M = MessageStatus

LEGAL_FROM: dict[str, set[str]] = {
    M.SENDING: {M.PENDING, M.SENDING},  # claim, or re-claim after the lease expired
    M.PENDING: {M.SENDING, M.FAILED},  # deferred (quiet hours, limits, backoff) or resent by staff
    M.SENT: {M.SENDING},
    M.DELIVERED: {M.SENT, M.SENDING},  # a delivery callback may beat our own "sent" update
    M.FAILED: {M.SENDING, M.SENT},  # gateway refused, or carrier reported undeliverable
    M.CANCELLED: {M.PENDING, M.SENDING},
    M.EXPIRED: {M.PENDING, M.SENDING},
}


def _move(qs: QuerySet[Message], *, to: str, now: datetime, **fields) -> int:
    return qs.filter(status__in=LEGAL_FROM[to]).update(status=to, updated_at=now, **fields)


def _one(message_id: int) -> QuerySet[Message]:
    return Message.objects.filter(pk=message_id)


def messages_claim_due(*, now: datetime | None = None, limit: int | None = None) -> list[int]:
    """pending (due) → sending, and sending (lease expired) → sending, for up to `limit` rows,
    in one statement. Rows another dispatcher holds are skipped (FOR UPDATE SKIP LOCKED), so any
    number of dispatchers can run at once; each claimed row gets a fresh lease and one more
    attempt. Urgent rows (crisis and red-flag alerts) are claimed and returned first, so they
    never queue behind a backlog of routine texts; then oldest due first."""
    now = now or timezone.now()
    limit = limit or settings.MESSAGING_CLAIM_BATCH
    lease = now + timedelta(seconds=settings.MESSAGING_LEASE_SECONDS)
    table = Message._meta.db_table
    sql = f"""
        WITH pending AS (
            SELECT id FROM {table} WHERE status = 'pending' AND due_at <= %(now)s
            ORDER BY urgent DESC, due_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED
        ), stale AS (
            SELECT id FROM {table} WHERE status = 'sending' AND lease_expires_at <= %(now)s
            ORDER BY lease_expires_at LIMIT %(limit)s FOR UPDATE SKIP LOCKED
        ), due AS (SELECT id FROM pending UNION ALL SELECT id FROM stale)
        UPDATE {table} AS m
           SET status = 'sending', claimed_at = %(now)s, lease_expires_at = %(lease)s,
               attempts = m.attempts + 1, updated_at = %(now)s
          FROM due WHERE m.id = due.id
        RETURNING m.id, m.due_at, m.urgent
    """
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, {"now": now, "limit": limit, "lease": lease})
        rows = cursor.fetchall()
    return [row[0] for row in sorted(rows, key=lambda row: (not row[2], row[1]))]


def messages_mark_send_started(*, message_ids: list[int], now: datetime) -> int:
    """sending → sending with send_started_at set: the point of no return before the gateway."""
    if not message_ids:
        return 0
    return Message.objects.filter(pk__in=message_ids, status=M.SENDING).update(send_started_at=now, updated_at=now)


def message_mark_send_started(*, message_id: int, now: datetime) -> int:
    return messages_mark_send_started(message_ids=[message_id], now=now)


def messages_mark_sent(*, sent: list[tuple[int, str]], now: datetime) -> int:
    """sending → sent for a batch, with each row's gateway id, in one UPDATE."""
    table = Message._meta.db_table
    values = ", ".join(["(%s::bigint, %s::varchar)"] * len(sent))
    params = [item for pair in sent for item in (pair[0], pair[1][:64])]
    sql = f"""
        UPDATE {table} AS m SET status = 'sent', provider_message_id = v.pid, sent_at = %s, updated_at = %s, last_error = ''
          FROM (VALUES {values}) AS v(id, pid)
         WHERE m.id = v.id AND m.status = 'sending'
    """
    with connection.cursor() as cursor:
        cursor.execute(sql, [now, now, *params])
        return cursor.rowcount


def message_mark_sent(*, message_id: int, provider_message_id: str, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return _move(_one(message_id), to=M.SENT, now=now, provider_message_id=provider_message_id[:64], sent_at=now, last_error="")


def message_mark_delivered(*, message_id: int, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return _move(_one(message_id), to=M.DELIVERED, now=now, delivered_at=now)


def message_mark_failed(*, message_id: int, error: str, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return _move(_one(message_id), to=M.FAILED, now=now, last_error=error[:500], status_reason=error[:300])


def message_defer(*, message_id: int, until: datetime, reason: str, error: str = "", keep_send_started: bool = False, now=None) -> int:
    """sending → pending, due again at `until` (quiet hours, frequency limit, gateway backoff).
    keep_send_started keeps the mark that the gateway may have been called, so the next attempt
    asks the gateway first instead of sending blind."""
    now = now or timezone.now()
    fields = {"due_at": until, "status_reason": reason[:300], "lease_expires_at": None}
    if error:
        fields["last_error"] = error[:500]
    if not keep_send_started:
        fields["send_started_at"] = None
    return _move(_one(message_id).filter(status=M.SENDING), to=M.PENDING, now=now, **fields)


def message_resend(*, message_id: int, by=None, now: datetime | None = None) -> int:
    """failed → pending, due now, for the front desk's resend action. The gateway mark is
    cleared on purpose: a person decided that sending again is right."""
    now = now or timezone.now()
    reason = f"resent by {getattr(by, 'username', 'staff')}"
    return _move(
        _one(message_id).filter(status=M.FAILED),
        to=M.PENDING,
        now=now,
        due_at=now,
        attempts=0,
        send_started_at=None,
        lease_expires_at=None,
        status_reason=reason[:300],
    )


def messages_cancel(*, qs: QuerySet[Message], reason: str, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return _move(qs, to=M.CANCELLED, now=now, status_reason=reason[:300], lease_expires_at=None)


def messages_expire(*, qs: QuerySet[Message], reason: str, now: datetime | None = None) -> int:
    now = now or timezone.now()
    return _move(qs, to=M.EXPIRED, now=now, status_reason=reason[:300], lease_expires_at=None)


def message_attempts_left(message: Message) -> bool:
    return message.attempts < settings.MESSAGING_MAX_ATTEMPTS
