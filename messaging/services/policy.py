"""When a message may go out: quiet hours in the patient's zone and the SMS frequency limits
(FCC 2015 healthcare exemption: at most one a day and three a week). The limits count every
clinic-initiated text, cancellation notices and video links included; only urgent clinical
messages (crisis and red-flag alerts, `Message.urgent`), replies to the patient (never in the
outbox) and the video link on the day of the visit are exempt. When texts compete for the
slots left, they go in SMS_PRIORITY order and the others wait for the next free slot."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta

from django.conf import settings
from django.db.models import F

from clinic.models import Channel
from core.errors import ConfigError
from messaging.models import Message, MessageStatus, Purpose

ONE_MINUTE = timedelta(minutes=1)


def _parse_hhmm(value: str, name: str) -> time:
    try:
        hours, minutes = (int(part) for part in value.split(":"))
        return time(hours, minutes)
    except (ValueError, TypeError):
        raise ConfigError(f"{name} must be HH:MM, got {value!r}") from None


def quiet_window() -> tuple[time, time] | None:
    """(allowed from, allowed until) in local wall-clock time, or None when quiet hours are off."""
    start = _parse_hhmm(settings.QUIET_HOURS_START, "QUIET_HOURS_START")
    end = _parse_hhmm(settings.QUIET_HOURS_END, "QUIET_HOURS_END")
    return None if start == end else (start, end)


def is_allowed(at: datetime, zone: zoneinfo.ZoneInfo) -> bool:
    window = quiet_window()
    if window is None:
        return True
    start, end = window
    local = at.astimezone(zone).time()
    if start < end:
        return start <= local < end
    return local >= start or local < end  # an allowed window that spans midnight


def next_allowed(at: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """The earliest instant at or after `at` outside quiet hours."""
    if is_allowed(at, zone):
        return at
    start, _ = quiet_window()
    local_day = at.astimezone(zone).date()
    for days in (0, 1, 2):
        candidate = datetime.combine(local_day + timedelta(days=days), start, tzinfo=zone)
        if candidate >= at:
            return candidate
    raise AssertionError("unreachable: an allowed start exists within two days")


def last_allowed_before(limit: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    """The latest whole minute before `limit` outside quiet hours (the evening before, for a
    visit early in the morning)."""
    at = limit - ONE_MINUTE
    if is_allowed(at, zone):
        return at
    _, end = quiet_window()
    local_day = at.astimezone(zone).date()
    for days in (0, 1, 2):
        candidate = datetime.combine(local_day - timedelta(days=days), end, tzinfo=zone) - ONE_MINUTE
        if candidate <= at:
            return candidate
    raise AssertionError("unreachable: an allowed end exists within two days")


def fit_to_allowed_hours(*, due: datetime, zone: zoneinfo.ZoneInfo, deadline: datetime | None, now: datetime) -> datetime | None:
    """Move `due` out of quiet hours: to the next allowed time, or, when that would be at or
    after the deadline (the visit), to the last allowed time before it. None when no allowed
    time remains between now and the deadline: the message has no point any more."""
    moved = next_allowed(max(due, now), zone)
    if deadline is None or moved < deadline:
        return moved
    earlier = last_allowed_before(deadline, zone)
    return earlier if earlier >= now - ONE_MINUTE else None


def recent_sms_starts(*, patient_ids: list[int], now: datetime) -> dict[int, list[datetime]]:
    """When each patient's recent non-urgent SMS were handed (or are being handed) to the
    gateway, in one query for a whole batch.

    Precondition: the caller holds locks on these patients' rows, so two workers cannot both
    see room for the last SMS of the day."""
    rows = Message.objects.filter(
        patient_id__in=patient_ids,
        channel=Channel.SMS,
        urgent=False,
        send_started_at__gte=now - timedelta(days=7),
        status__in=[MessageStatus.SENDING, MessageStatus.SENT, MessageStatus.DELIVERED, MessageStatus.FAILED],
    )
    # The video link sent on the day of the visit is exempt, so it takes no slot either
    # (approximated in SQL as: handed over less than a day before the visit).
    rows = rows.exclude(purpose=Purpose.VIDEO_LINK, appointment__start__lt=F("send_started_at") + timedelta(days=1))
    rows = rows.values_list("patient_id", "send_started_at")
    found: dict[int, list[datetime]] = {pid: [] for pid in patient_ids}
    for patient_id, started in rows:
        found[patient_id].append(started)
    return found


def sms_limit_reason(*, starts: list[datetime], zone: zoneinfo.ZoneInfo, now: datetime) -> str:
    """'' when one more non-urgent SMS may go now (given the recent hand-overs), else why not."""
    day_start = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    week_start = now - timedelta(days=7)
    if sum(1 for at in starts if at >= day_start) >= settings.SMS_MAX_PER_DAY:
        return f"SMS limit: {settings.SMS_MAX_PER_DAY} a day"
    if sum(1 for at in starts if at >= week_start) >= settings.SMS_MAX_PER_WEEK:
        return f"SMS limit: {settings.SMS_MAX_PER_WEEK} a week"
    return ""


def next_local_day(now: datetime, zone: zoneinfo.ZoneInfo) -> datetime:
    tomorrow = now.astimezone(zone).date() + timedelta(days=1)
    return next_allowed(datetime.combine(tomorrow, time(0), tzinfo=zone), zone)


# Which text takes a scarce slot first (lower goes first): a cancellation notice keeps a patient
# from travelling for nothing; a reminder prevents a missed visit; a confirmation repeats what the
# patient just did; links to book or answer can wait.
SMS_PRIORITY: dict[str, int] = {
    Purpose.CANCELLATION: 0,
    Purpose.REMINDER: 1,
    Purpose.VIDEO_LINK: 1,
    Purpose.CONFIRMATION: 2,
    Purpose.RESCHEDULED: 2,
    Purpose.WAITLIST_OFFER: 3,
    Purpose.QUESTIONNAIRE: 3,
    Purpose.NOTICE: 3,
}


def sms_cap_exempt(*, purpose: str, urgent: bool, visit_start: datetime | None, zone: zoneinfo.ZoneInfo, now: datetime) -> bool:
    """Urgent clinical messages, and the video link on the (patient-local) day of the visit."""
    if urgent:
        return True
    return purpose == Purpose.VIDEO_LINK and visit_start is not None and visit_start.astimezone(zone).date() == now.astimezone(zone).date()


def sms_room(*, starts: list[datetime], zone: zoneinfo.ZoneInfo, now: datetime) -> int:
    """How many more non-urgent texts may go today within both limits."""
    day_start = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    today = sum(1 for at in starts if at >= day_start)
    week = sum(1 for at in starts if at >= now - timedelta(days=7))
    return max(0, min(settings.SMS_MAX_PER_DAY - today, settings.SMS_MAX_PER_WEEK - week))


def sms_next_slot(*, starts: list[datetime], zone: zoneinfo.ZoneInfo, now: datetime) -> datetime:
    """The earliest allowed time the limits leave room for one more text: the next local day,
    or, when the week is full, the moment the oldest text of the week leaves the 7-day window."""
    day_start = datetime.combine(now.astimezone(zone).date(), time(0), tzinfo=zone)
    day_full = sum(1 for at in starts if at >= day_start) >= settings.SMS_MAX_PER_DAY
    candidate = next_local_day(now, zone) if day_full else now
    in_week = sorted(at for at in starts if at >= now - timedelta(days=7))
    surplus = len(in_week) - settings.SMS_MAX_PER_WEEK
    if surplus >= 0:
        candidate = max(candidate, in_week[surplus] + timedelta(days=7))
    return next_allowed(candidate, zone)
