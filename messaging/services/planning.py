"""Planning the outbox from appointment events. Messaging subscribes to scheduling's
appointment announcements in the transaction phase (messaging/subscriptions.py), so messages
appear and disappear atomically with the appointment change and the dispatcher (which sees only
committed rows) never sees a half-applied plan."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from clinic.models import Channel, PreferredChannel
from core.errors import ValidationFailed
from messaging.models import Message, MessageStatus, Purpose, ReminderRule
from messaging.services import policy
from messaging.services.rendering import render_for_appointment, render_patient_notice, render_waitlist_offer
from messaging.services.transitions import messages_cancel, messages_expire
from scheduling.models import AppointmentEvent, AppointmentStatus

log = logging.getLogger(__name__)
M = MessageStatus

# Purposes that exist for a visit still to come; they are pointless once it has started.
PRE_VISIT = [Purpose.CONFIRMATION, Purpose.REMINDER, Purpose.VIDEO_LINK, Purpose.RESCHEDULED]


def channels_for(patient, *, single: bool) -> list[str]:
    """Channels the patient consents to and can be reached on. For one-off notices (`single`)
    the preferred channel wins when both are possible."""
    if patient.preferred_channel == PreferredChannel.NONE:
        return []
    usable = []
    if patient.sms_consent and patient.phone:
        usable.append(Channel.SMS)
    if patient.email_consent and patient.email:
        usable.append(Channel.EMAIL)
    if single and len(usable) == 2 and patient.preferred_channel in (PreferredChannel.SMS, PreferredChannel.EMAIL):
        return [patient.preferred_channel]
    return usable


def steps_for(rules: list[ReminderRule], channels: list[str]) -> list[tuple[ReminderRule, str]]:
    """(rule, channel) pairs to plan. A patient reachable on every channel the plan uses gets the
    plan as the clinic configured it. A patient reachable on one channel gets every step on that
    channel (one step per purpose and time), so an SMS-only or email-only patient still gets
    both default reminders (3 days and 1 day before; RCT of 54,066 patients: two reminders
    beat one). A step configured for the patient's own channel wins over its twin on the other."""
    if len(channels) != 1:
        return [(rule, rule.channel) for rule in rules if rule.channel in channels]
    only = channels[0]
    chosen: dict[tuple, ReminderRule] = {}
    for rule in rules:
        when = (rule.purpose, rule.offset_minutes, rule.send_at_local_time)
        if when not in chosen or rule.channel == only:
            chosen[when] = rule
    return [(rule, only) for rule in chosen.values()]


def rules_for(visit_type) -> list[ReminderRule]:
    """The visit type's own plan when it has one (even if all its steps are switched off),
    else the clinic's default plan."""
    rules = list(ReminderRule.objects.filter(Q(visit_type=visit_type) | Q(visit_type__isnull=True)))
    own = [rule for rule in rules if rule.visit_type_id is not None]
    chosen = own if own else [rule for rule in rules if rule.visit_type_id is None]
    return [rule for rule in chosen if rule.active and (visit_type.telehealth or not rule.telehealth_only)]


def due_for(rule: ReminderRule, start: datetime, zone) -> datetime:
    """Whole-day offsets keep the wall-clock time in the patient's zone (a 9:00 visit gets its
    reminder at 9:00 three days before, even across a DST change); other offsets are exact."""
    local_start = start.astimezone(zone)
    days, minutes = divmod(rule.offset_minutes, 1440)
    if rule.send_at_local_time is not None:
        return datetime.combine(local_start.date() - timedelta(days=days), rule.send_at_local_time, tzinfo=zone)
    if minutes == 0:
        return datetime.combine(local_start.date() - timedelta(days=days), local_start.timetz().replace(tzinfo=None), tzinfo=zone)
    return start - timedelta(minutes=rule.offset_minutes)


def _key(appointment_id: int, purpose: str, channel: str, offset: int) -> str:
    return f"appt:{appointment_id}:{purpose}:{channel}:{offset}"


def _ignores_quiet_hours(purpose: str, urgent: bool) -> bool:
    # The video link is useless the evening before; urgent clinical messages go at any hour.
    return urgent or purpose == Purpose.VIDEO_LINK


def _add(rows: list[Message], existing: set, *, appointment, purpose, channel, offset, due, now, deadline, links: dict, **render) -> None:
    if (purpose, channel, offset) in existing:
        return
    attach_ics = render.pop("attach_ics", False)
    zone = appointment.patient.zone
    if not _ignores_quiet_hours(purpose, False):
        due = policy.fit_to_allowed_hours(due=due, zone=zone, deadline=deadline, now=now)
        if due is None:
            return
    if deadline is not None and due >= deadline:
        return
    text = render_for_appointment(appointment=appointment, purpose=purpose, channel=channel, now=now, links=links, **render)
    rows.append(
        Message(
            appointment=appointment,
            patient=appointment.patient,
            channel=channel,
            purpose=purpose,
            offset_minutes=offset,
            due_at=max(due, now),
            idempotency_key=_key(appointment.pk, purpose, channel, offset),
            subject=text.subject,
            body=text.body,
            html_body=text.html_body,
            attach_ics=channel == Channel.EMAIL and attach_ics,
        )
    )


def outbox_plan_appointment_messages(*, appointment, now: datetime, notice: str | None = Purpose.CONFIRMATION) -> list[Message]:
    """Write the appointment's reminder messages (and, with `notice`, the immediate booking
    notice) to the outbox, on the channels the patient consents to. Idempotent: steps already in
    the outbox, whatever their status, are left alone, so a plan can be re-applied safely."""
    patient = appointment.patient
    existing = set(Message.objects.filter(appointment=appointment).values_list("purpose", "channel", "offset_minutes"))
    rows: list[Message] = []
    links: dict = {}  # the appointment's patient links, looked up once for all its messages
    channels = channels_for(patient, single=False)
    for rule, channel in steps_for(rules_for(appointment.visit_type), channels):
        if rule.purpose == Purpose.VIDEO_LINK and not appointment.video_url:
            continue
        due = due_for(rule, appointment.start, patient.zone)
        if due <= now or due >= appointment.start:
            continue  # booked too late for this step, or a same-day step after an early visit
        # A step moved to the other channel keeps what makes sense there: asking to reply C
        # only by SMS, the .ics and preparation text only by email.
        _add(
            rows,
            existing,
            appointment=appointment,
            purpose=rule.purpose,
            channel=channel,
            offset=rule.offset_minutes,
            due=due,
            now=now,
            deadline=appointment.start,
            links=links,
            ask_to_confirm=channel == Channel.SMS and rule.ask_to_confirm and appointment.status != "confirmed",
            include_prep=rule.include_prep or (channel != rule.channel and channel == Channel.EMAIL),
            attach_ics=rule.include_ics or (channel != rule.channel and channel == Channel.EMAIL),
        )
    if notice:
        for channel in channels_for(patient, single=True):
            _add(rows, existing, appointment=appointment, purpose=notice, channel=channel, offset=0, due=now, now=now,
                 deadline=appointment.start, links=links, include_prep=True, attach_ics=True)  # fmt: skip
    Message.objects.bulk_create(rows)
    return rows


def _pending(appointment) -> Q:
    return Q(appointment=appointment, status=M.PENDING)


def _on_booked(appointment, now):
    outbox_plan_appointment_messages(appointment=appointment, now=now)


def _on_rescheduled(appointment, now):
    """The old appointment was cancelled a moment ago in this same transaction (scheduling
    cancels the old, books the new, links them, then announces RESCHEDULED, which reaches us
    through the subscription in messaging/subscriptions.py). Its cancellation notice is
    still pending and invisible to the dispatcher, so withdrawing it here means the patient
    never gets a 'cancelled' text for a visit that merely moved."""
    old = appointment.rescheduled_from
    if old is not None:
        messages_cancel(qs=Message.objects.filter(_pending(old)), reason="visit moved to a new time", now=now)
    for message in Message.objects.filter(_pending(appointment), purpose=Purpose.CONFIRMATION):
        text = render_for_appointment(appointment=appointment, purpose=Purpose.RESCHEDULED, channel=message.channel, now=now,
                                      include_prep=True)  # fmt: skip
        Message.objects.filter(pk=message.pk, status=M.PENDING).update(
            purpose=Purpose.RESCHEDULED,
            idempotency_key=_key(appointment.pk, Purpose.RESCHEDULED, message.channel, 0),
            subject=text.subject,
            body=text.body,
            html_body=text.html_body,
            updated_at=now,
        )


def _on_confirmed(appointment, now):
    # Pending SMS reminders stop asking the patient to reply C.
    for message in Message.objects.filter(_pending(appointment), purpose=Purpose.REMINDER, channel=Channel.SMS):
        text = render_for_appointment(appointment=appointment, purpose=Purpose.REMINDER, channel=Channel.SMS, now=now)
        Message.objects.filter(pk=message.pk, status=M.PENDING).update(body=text.body, updated_at=now)


def _was_booked_before(appointment) -> bool:
    """False when the cancelled appointment was only a hold (e.g. an unclaimed waitlist offer):
    the patient never heard of it as a booking."""
    last = AppointmentEvent.objects.filter(appointment=appointment, to_status=AppointmentStatus.CANCELLED).order_by("-at", "-id").first()
    return last is None or last.from_status != AppointmentStatus.HELD


def _on_cancelled(appointment, now):
    messages_cancel(qs=Message.objects.filter(_pending(appointment)), reason="visit cancelled", now=now)
    if appointment.start <= now or not _was_booked_before(appointment):
        return
    existing = set(Message.objects.filter(appointment=appointment).values_list("purpose", "channel", "offset_minutes"))
    rows: list[Message] = []
    links: dict = {}
    for channel in channels_for(appointment.patient, single=True):
        _add(rows, existing, appointment=appointment, purpose=Purpose.CANCELLATION, channel=channel, offset=0, due=now, now=now,
             deadline=None, links=links)  # fmt: skip
    Message.objects.bulk_create(rows)


def _on_visit_happening(appointment, now):
    messages_expire(qs=Message.objects.filter(_pending(appointment), purpose__in=PRE_VISIT), reason="visit under way or over", now=now)


_HANDLERS = {
    "booked": _on_booked,
    "rescheduled": _on_rescheduled,
    "confirmed": _on_confirmed,
    "cancelled": _on_cancelled,
    "checked_in": _on_visit_happening,
    "started": _on_visit_happening,
    "completed": _on_visit_happening,
    "no_show": _on_visit_happening,
}


def outbox_on_appointment_event(*, appointment, event: str, now: datetime) -> None:
    """Change the outbox for an appointment that was booked, rescheduled, confirmed, cancelled,
    completed, marked no-show… Runs inside the scheduling transaction that announced the event
    (the IN_TRANSACTION subscription in messaging/subscriptions.py), so the outbox changes
    atomically with the appointment. `event` is one of: booked, rescheduled, confirmed,
    checked_in, started, completed, cancelled, no_show."""
    handler = _HANDLERS.get(event)
    if handler is None:
        raise ValueError(f"unknown appointment event {event!r}")
    handler(appointment, now)


def outbox_waitlist_offer(*, entry, now: datetime) -> list[Message]:
    """Runs inside scheduling.waitlist's transaction (the IN_TRANSACTION subscription to
    AppointmentHappened.WAITLIST_OFFERED in messaging/subscriptions.py) when a held slot is
    offered to a waitlist entry (entry.offered_appointment is the held appointment,
    entry.offer_expires_at the deadline). Sends the patient a claim link. Idempotent per (entry, held appointment)."""
    appointment = entry.offered_appointment
    patient = entry.patient
    deadline = entry.offer_expires_at
    rows = []
    for channel in channels_for(patient, single=True):
        key = f"waitlist:{entry.pk}:{appointment.pk}:{channel}"
        if Message.objects.filter(idempotency_key=key).exists():
            continue
        due = policy.fit_to_allowed_hours(due=now, zone=patient.zone, deadline=deadline, now=now)
        if due is None:
            log.info("waitlist offer falls in quiet hours until it expires", extra={"event": "messaging.offer_skipped"})
            continue
        text = render_waitlist_offer(entry=entry, channel=channel, now=now)
        rows.append(
            Message(
                waitlist_entry=entry,
                patient=patient,
                channel=channel,
                purpose=Purpose.WAITLIST_OFFER,
                due_at=due,
                idempotency_key=key,
                subject=text.subject,
                body=text.body,
                html_body=text.html_body,
            )
        )
    return Message.objects.bulk_create(rows)


def outbox_enqueue_for_patient(
    *, patient, purpose: str, due_at: datetime, dedupe_key: str, link_path: str = "", urgent: bool = False, now: datetime | None = None
) -> list[Message]:
    """Queue a patient message that is not an appointment reminder (e.g. a questionnaire link
    from a care-plan protocol). Renders the purpose's template in the patient's language on the
    channels the patient consents to; idempotent on dedupe_key. Returns the Message rows."""
    now = now or timezone.now()
    if purpose not in Purpose.values:
        raise ValidationFailed(f"Unknown message purpose {purpose!r}.", field_errors={"purpose": [f"One of {', '.join(Purpose.values)}."]})
    if not dedupe_key:
        raise ValidationFailed("A dedupe key is required.", field_errors={"dedupe_key": ["Required."]})
    link = settings.PUBLIC_BASE_URL + link_path if link_path.startswith("/") else link_path
    keys = {channel: f"patient:{dedupe_key}:{channel}"[:120] for channel in channels_for(patient, single=True)}
    found = {m.idempotency_key: m for m in Message.objects.filter(idempotency_key__in=keys.values())}
    new = []
    for channel, key in keys.items():
        if key in found:
            continue
        due = due_at if urgent else policy.fit_to_allowed_hours(due=due_at, zone=patient.zone, deadline=None, now=now)
        text = render_patient_notice(patient=patient, purpose=purpose, channel=channel, link=link)
        new.append(
            Message(
                patient=patient,
                channel=channel,
                purpose=purpose,
                due_at=due,
                urgent=urgent,
                idempotency_key=key,
                subject=text.subject,
                body=text.body,
                html_body=text.html_body,
            )
        )
    Message.objects.bulk_create(new)
    return [*found.values(), *new]
