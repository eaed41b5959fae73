"""Sending one claimed message, at most once to the gateway, and never losing one.

The at-most-once boundary is `send_started_at`:

1. In a short transaction holding row locks on the message, its patient and its appointment
   (taken in that order everywhere), the task re-checks everything that could make the message
   wrong *now*: the appointment cancelled, moved or under way, the offer expired, consent
   withdrawn, quiet hours, the SMS frequency limits. If it may go, `send_started_at` is set and
   committed. Holding the patient lock makes the frequency count and the consent check atomic
   with that mark (patient_set_consent takes the same lock).
2. Only then is the gateway called, outside any transaction.
3. The result is recorded with a compare-and-set UPDATE (sending → sent).

A second run of the task for the same claim finds `send_started_at` at or after `claimed_at`
and does nothing: someone with this claim already crossed the boundary. A worker killed between
2 and 3 leaves the row `sending` with `send_started_at` set; when the lease expires the
dispatcher re-claims it (new `claimed_at`), and the next run, seeing a mark from an earlier
claim, asks the gateway whether the idempotency key was handed over (`lookup`) before sending:
found → recorded as sent; not found → sent now; gateway cannot tell (email, console) → failed
with "outcome unknown" for the front desk, never sent blind. The lease (default 5 min) is far
longer than the gateway timeout (20 s), and a task never calls the gateway on an expired lease,
so two live runs of different claims cannot overlap at the gateway. Redis only carries ids:
losing it loses no message, only time until the lease expires.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from clinic.models import Channel
from messaging.channels import GatewayError, LookupUnsupported
from messaging.channels.email import send_email
from messaging.channels.sms import OutboundSms, get_sms_backend
from messaging.models import Message, MessageStatus, Purpose
from messaging.services import policy, transitions
from messaging.services.links import unsubscribe_url
from messaging.services.planning import PRE_VISIT
from scheduling.models import Appointment, AppointmentStatus, WaitlistEntry

log = logging.getLogger(__name__)
M = MessageStatus
A = AppointmentStatus
GATEWAY_MARGIN = timedelta(seconds=30)  # never start a gateway call this close to the lease end
STARTED = {A.CHECKED_IN, A.IN_PROGRESS, A.COMPLETED, A.NO_SHOW}


@dataclass
class Decision:
    action: str  # "send", "recover", "skip", "cancel", "expire", "defer"
    reason: str = ""
    until: datetime | None = None


def _deadline(message: Message) -> datetime | None:
    if message.purpose in PRE_VISIT and message.appointment_id:
        return message.appointment.start
    if message.purpose == Purpose.WAITLIST_OFFER and message.waitlist_entry_id:
        return message.waitlist_entry.offer_expires_at
    return None


def _check_appointment(message: Message, appointment: Appointment, now: datetime) -> Decision | None:
    if message.purpose == Purpose.CANCELLATION:
        if appointment.status != A.CANCELLED:
            return Decision("cancel", "visit is no longer cancelled")
        if Appointment.objects.filter(rescheduled_from=appointment).exists():
            return Decision("cancel", "visit moved to a new time")
        return None
    if appointment.status == A.CANCELLED:
        moved = Appointment.objects.filter(rescheduled_from=appointment).exists()
        return Decision("cancel", "visit moved to a new time" if moved else "visit cancelled")
    if appointment.status in STARTED or appointment.start <= now:
        return Decision("expire", "visit under way or over")
    return None


def _check_offer(entry: WaitlistEntry | None, now: datetime) -> Decision | None:
    if entry is None or entry.status != WaitlistEntry.Status.OFFERED or (entry.offer_expires_at and entry.offer_expires_at <= now):
        return Decision("expire", "offer no longer open")
    return None


def _check_consent(message: Message) -> Decision | None:
    if message.purpose == Purpose.STAFF_ALERT:
        # Goes to a clinician at the address fixed when it was planned; the patient's consent
        # is about messages to the patient.
        return None
    patient = message.patient
    # Compared with "" rather than taken for truth: a PhoneNumber's truth formats and validates
    # the number (len(str(...))), the largest per-message cost of a chunk after its queries.
    if message.channel == Channel.SMS and not (patient.sms_consent and patient.phone not in (None, "")):
        return Decision("cancel", "no SMS consent (opted out)")
    if message.channel == Channel.EMAIL and not (patient.email_consent and patient.email):
        return Decision("cancel", "no email consent (unsubscribed)")
    return None


def _visit_start(message: Message) -> datetime | None:
    return message.appointment.start if message.appointment_id else None


def _rank(message: Message) -> tuple:
    """Sort key among a patient's competing texts; the purpose rides along for the reason."""
    return (policy.SMS_PRIORITY.get(message.purpose, 9), message.due_at, message.pk, message.purpose)


def _competing_sms(*, patient_ids: list[int], exclude: list[int], now: datetime) -> dict[int, list[tuple]]:
    """Per patient, the rank of each due, not yet handed-over, capped text outside this batch
    (pending, or claimed by another run): they compete for the same slots. One query."""
    rows = (
        Message.objects.filter(
            patient_id__in=patient_ids,
            channel=Channel.SMS,
            urgent=False,
            status__in=[M.PENDING, M.SENDING],
            due_at__lte=now,
            send_started_at__isnull=True,
        )
        .exclude(pk__in=exclude)
        .select_related("patient", "appointment")
        .only("pk", "purpose", "due_at", "patient_id", "patient__time_zone", "appointment_id", "appointment__start")
    )
    found: dict[int, list[tuple]] = {}
    for row in rows:
        if not policy.sms_cap_exempt(purpose=row.purpose, urgent=False, visit_start=_visit_start(row), zone=row.patient.zone, now=now):
            found.setdefault(row.patient_id, []).append(_rank(row))
    return found


def _check_sms_limits(message: Message, now: datetime, sms_starts, competing, deadline: datetime | None) -> Decision | None:
    """The frequency limits for one capped text: wait while they are reached, or while texts
    that go first (policy.SMS_PRIORITY) are due for the slots left. Never dropped without a
    reason: only a visit that comes before the next free slot cancels a pre-visit text."""
    zone = message.patient.zone
    starts = sms_starts.get(message.patient_id, [])
    reason = policy.sms_limit_reason(starts=starts, zone=zone, now=now)
    if reason:
        until = policy.sms_next_slot(starts=starts, zone=zone, now=now)
    else:
        ahead = [rank for rank in competing.get(message.patient_id, []) if rank < _rank(message)]
        if len(ahead) < policy.sms_room(starts=starts, zone=zone, now=now):
            return None
        first = Purpose(min(ahead)[-1])
        reason = f"SMS limit: {settings.SMS_MAX_PER_DAY} a day; the {first.label.lower()} goes first"
        until = policy.next_local_day(now, zone)
    if deadline is not None and until >= deadline:
        return Decision("cancel", f"{reason}; no free slot before the visit")
    return Decision("defer", reason, until)


def _decide(message: Message, now: datetime, sms_starts: dict[int, list[datetime]], competing: dict[int, list[tuple]]) -> Decision:
    """Precondition: message, patient and appointment rows are locked by the caller, and
    sms_starts holds the patient's recent hand-overs (policy.recent_sms_starts)."""
    if message.status != M.SENDING:
        return Decision("skip", f"already {message.status}")
    margin = min(GATEWAY_MARGIN, timedelta(seconds=settings.MESSAGING_LEASE_SECONDS / 4))
    if message.lease_expires_at is None or message.lease_expires_at - margin <= now:
        return Decision("skip", "lease expired; the dispatcher will re-claim")
    if message.send_started_at is not None:
        if message.claimed_at and message.send_started_at >= message.claimed_at:
            return Decision("skip", "this claim already reached the gateway")
        return Decision("recover", "an earlier claim may have reached the gateway")
    if message.appointment_id and (found := _check_appointment(message, message.appointment, now)):
        return found
    if message.purpose == Purpose.WAITLIST_OFFER and (found := _check_offer(message.waitlist_entry, now)):
        return found
    if found := _check_consent(message):
        return found
    zone = message.patient.zone
    deadline = _deadline(message)
    # The video link is useless after a night's wait; urgent clinical messages go at any hour.
    if not (message.urgent or message.purpose == Purpose.VIDEO_LINK) and not policy.is_allowed(now, zone):
        until = policy.fit_to_allowed_hours(due=now, zone=zone, deadline=deadline, now=now)
        if until is None:
            return Decision("expire", "quiet hours last until the visit")
        return Decision("defer", "quiet hours", until)
    if message.channel == Channel.SMS and not _cap_exempt(message, now):
        if found := _check_sms_limits(message, now, sms_starts, competing, deadline):
            return found
    return Decision("send")


def _cap_exempt(message: Message, now: datetime) -> bool:
    zone = message.patient.zone
    return policy.sms_cap_exempt(purpose=message.purpose, urgent=message.urgent, visit_start=_visit_start(message), zone=zone, now=now)


def _lock_batch(message_ids: list[int]) -> list[Message]:
    """Lock the messages and their patients (in patient order, so concurrent batches cannot
    deadlock), then their appointments; two or three queries for the whole batch."""
    messages = list(
        Message.objects.select_related("patient")
        .select_for_update(of=("self", "patient"), no_key=True)
        .filter(pk__in=message_ids)
        .order_by("patient_id", "id")
    )
    appointment_ids = sorted({m.appointment_id for m in messages if m.appointment_id})
    if appointment_ids:
        # Only an email (its .ics) reads the visit's location and type; texts need the row alone.
        related = ("location", "visit_type") if any(m.channel == Channel.EMAIL for m in messages) else ()
        appointments = Appointment.objects.select_related(*related).select_for_update(of=("self",), no_key=True)
        by_id = {a.pk: a for a in appointments.filter(pk__in=appointment_ids).order_by("pk")}
        for message in messages:
            if message.appointment_id:
                message.appointment = by_id[message.appointment_id]
    entry_ids = {m.waitlist_entry_id for m in messages if m.waitlist_entry_id}
    if entry_ids:
        entries = WaitlistEntry.objects.in_bulk(entry_ids)
        for message in messages:
            if message.waitlist_entry_id:
                message.waitlist_entry = entries.get(message.waitlist_entry_id)
    return messages


def _hand_over(message: Message) -> str:
    if message.channel == Channel.SMS:
        return get_sms_backend().send(_outbound(message))
    unsubscribe = unsubscribe_url(patient=message.patient) if message.purpose == Purpose.REMINDER else ""
    return send_email(message, unsubscribe_url=unsubscribe)


def _outbound(message: Message) -> OutboundSms:
    return OutboundSms(
        to=message.to_address or message.patient.phone.as_e164,
        body=message.body,
        idempotency_key=message.idempotency_key,
        message_id=message.pk,
        send_started_at=message.send_started_at,
    )


def _lookup(message: Message) -> str | None:
    if message.channel != Channel.SMS:
        raise LookupUnsupported("email")
    return get_sms_backend().lookup(_outbound(message))


def _backoff(attempts: int) -> timedelta:
    return timedelta(seconds=min(60 * 2 ** max(attempts - 1, 0), 3600))


def message_send(*, message_id: int, now: datetime | None = None) -> str:
    """Send one claimed message; safe to call any number of times, concurrently or after a
    crash (see the module docstring). Returns what happened, for logs and tests."""
    return messages_send(message_ids=[message_id], now=now).get(message_id, "missing")


def messages_send(*, message_ids: list[int], now: datetime | None = None) -> dict[int, str]:
    """Send a batch of claimed messages: the checks and the boundary mark for the whole batch in
    one short transaction, then the gateway calls, then one UPDATE for everything sent."""
    now = now or timezone.now()
    outcomes: dict[int, str] = {}
    to_send: list[Message] = []
    to_recover: list[int] = []
    with transaction.atomic():
        messages = _lock_batch(message_ids)
        sms_patients = sorted({m.patient_id for m in messages if m.channel == Channel.SMS})
        sms_starts = policy.recent_sms_starts(patient_ids=sms_patients, now=now) if sms_patients else {}
        competing = _competing_sms(patient_ids=sms_patients, exclude=[m.pk for m in messages], now=now) if sms_patients else {}
        # Within the batch, a patient's texts take the slots left in priority order.
        for message in sorted(messages, key=lambda m: (m.patient_id, *_rank(m))):
            decision = _decide(message, now, sms_starts, competing)
            outcomes[message.pk] = decision.action
            if decision.action == "cancel":
                transitions.messages_cancel(qs=Message.objects.filter(pk=message.pk), reason=decision.reason, now=now)
            elif decision.action == "expire":
                transitions.messages_expire(qs=Message.objects.filter(pk=message.pk), reason=decision.reason, now=now)
            elif decision.action == "defer":
                transitions.message_defer(message_id=message.pk, until=decision.until, reason=decision.reason, now=now)
            elif decision.action == "send":
                message.send_started_at = now
                to_send.append(message)
                if message.channel == Channel.SMS and not _cap_exempt(message, now):
                    sms_starts.setdefault(message.patient_id, []).append(now)  # counts within the batch too
            elif decision.action == "recover":
                to_recover.append(message.pk)
        # The boundary: committed before any gateway call. Recovering rows are re-marked under
        # this claim so a concurrent duplicate of this claim stays out.
        transitions.messages_mark_send_started(message_ids=[m.pk for m in to_send] + to_recover, now=now)
    for message_id, action in outcomes.items():
        if action not in ("send", "recover"):
            log.info("message not sent", extra={"event": f"messaging.{action}", "message_id": message_id})
    by_id = {m.pk: m for m in messages}
    for message_id in to_recover:
        outcomes[message_id] = _recover(by_id[message_id], now)
    sent: list[tuple[int, str]] = []
    margin = min(GATEWAY_MARGIN, timedelta(seconds=settings.MESSAGING_LEASE_SECONDS / 4))
    for message in to_send:
        # A chunk of slow gateway calls can outlast the lease; once it is (nearly) over, the
        # dispatcher may re-claim these rows, so this task must not call the gateway for them.
        # Their send mark makes the re-claim look them up before anything is sent.
        if message.lease_expires_at - margin <= timezone.now():
            outcomes[message.pk] = "lease expired"
            continue
        try:
            sent.append((message.pk, _hand_over(message)))
            outcomes[message.pk] = "sent"
        except GatewayError as error:
            outcomes[message.pk] = _after_gateway_error(message, error, now)
    if sent:
        transitions.messages_mark_sent(sent=sent, now=timezone.now())
    return outcomes


def _recover(message: Message, now: datetime) -> str:
    try:
        previous = _lookup(message)
    except LookupUnsupported:
        transitions.message_mark_failed(message_id=message.pk, error="outcome unknown after an interrupted send; check before resending")
        return "failed"
    if previous:
        transitions.message_mark_sent(message_id=message.pk, provider_message_id=previous, now=timezone.now())
        return "recovered"
    # Never handed over: clear the mark and go through every check again before sending.
    Message.objects.filter(pk=message.pk, status=M.SENDING).update(send_started_at=None)
    return message_send(message_id=message.pk, now=now)


def _after_gateway_error(message: Message, error: GatewayError, now: datetime) -> str:
    log.warning("gateway refused message", extra={"event": "messaging.gateway_error", "message_id": message.pk})
    if not error.retryable or not transitions.message_attempts_left(message):
        transitions.message_mark_failed(message_id=message.pk, error=str(error), now=now)
        return "failed"
    transitions.message_defer(
        message_id=message.pk,
        until=now + _backoff(message.attempts),
        reason=f"retrying: {error}",
        error=str(error),
        keep_send_started=error.maybe_sent,
        now=now,
    )
    return "retry"
