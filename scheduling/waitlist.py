"""Waitlist: offer freed time to the best matching entry, first to claim gets it.

When a cancellation or an early no-show frees time, the best WAITING entry (priority, then
age) that fits gets the slot as a HELD appointment for WAITLIST_HOLD_MINUTES and a message
with a claim link (announced as WAITLIST_OFFERED; messaging writes the message in the same
transaction). The hold is a
real time-holding appointment inside the exclusion constraints, so nobody else can book that
time meanwhile. One entry is offered a slot at a time (the hold belongs to one patient); when
the hold lapses, `waitlist_expire_offers` puts the entry back and offers the time to the next.

Status moves only through the transition functions here (offer, claim, remove, lapse, expire),
each checked against LEGAL_TRANSITIONS and recorded as a WaitlistEvent:

    waiting → offered → booked
       │  ↑______│  (a lapsed offer goes back to waiting)
       ↓         ↓
    expired / removed
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from clinic.models import Provider, Room
from core.errors import Conflict, DomainError, NotFound, ValidationFailed
from core.inputs import text_clean
from scheduling.events import WAITLIST_CANDIDATES, AppointmentHappened, announce, registry
from scheduling.inputs import MAX_SEARCH_DAYS, date_range_error
from scheduling.models import TIME_HOLDING, WAITLIST_OPEN, Appointment, AppointmentStatus, WaitlistEntry, WaitlistEvent
from scheduling.services import appointment_book, appointment_cancel, appointment_confirm, appointment_release_expired_holds
from scheduling.slots import find_slots

log = logging.getLogger(__name__)
W = WaitlistEntry.Status

LEGAL_TRANSITIONS: dict[str, set[str]] = {
    W.WAITING: {W.OFFERED, W.EXPIRED, W.REMOVED},
    W.OFFERED: {W.BOOKED, W.WAITING, W.EXPIRED, W.REMOVED},
    W.BOOKED: set(),
    W.EXPIRED: set(),
    W.REMOVED: set(),
}


def _record(entry: WaitlistEntry, *, from_status: str, to_status: str, by=None, reason: str = "", appointment=None, now: datetime):
    WaitlistEvent.objects.create(
        entry=entry, from_status=from_status, to_status=to_status, at=now, by=by, reason=reason[:500], appointment=appointment
    )


def _move(entry: WaitlistEntry, *, to: str, now: datetime, by=None, reason: str = "", appointment=None, **fields) -> WaitlistEntry:
    """The one way an entry changes status. The caller holds the row lock (select_for_update)."""
    current = entry.status
    if to not in LEGAL_TRANSITIONS[current]:
        raise Conflict(f"A waitlist entry that is {W(current).label.lower()} cannot become {W(to).label.lower()}.", status=current)
    entry.status = to
    for name, value in fields.items():
        setattr(entry, name, value)
    entry.save(update_fields=["status", *fields])
    _record(entry, from_status=current, to_status=to, by=by, reason=reason, appointment=appointment, now=now)
    return entry


def _hold_minutes() -> int:
    return getattr(settings, "WAITLIST_HOLD_MINUTES", 30)


def waitlist_entry_errors(
    *,
    patient,
    visit_type,
    earliest_date: date,
    latest_date: date,
    provider=None,
    weekdays=None,
    earliest_time=None,
    latest_time=None,
    now: datetime,
) -> dict[str, list[str]]:
    """Field messages for a waitlist entry that cannot be accepted (empty when it can): dates
    within range (scheduling.inputs) and in order, not over, weekdays and times that make sense,
    a provider of the visit type's discipline. waitlist_add refuses with them."""
    errors: dict[str, list[str]] = {}
    today = now.astimezone(patient.zone).date()
    for field, value in (("earliest_date", earliest_date), ("latest_date", latest_date)):
        if message := date_range_error(value, today=today):
            errors[field] = [message]
    if not errors:  # order and the past only mean something for dates within range
        if latest_date < earliest_date:
            errors["latest_date"] = ["Must be on or after the earliest date."]
        if latest_date < today:
            errors["latest_date"] = ["Must not be in the past."]
    if any(not 0 <= d <= 6 for d in weekdays or []):
        errors["weekdays"] = ["Use 0 (Monday) to 6 (Sunday)."]
    if earliest_time and latest_time and latest_time <= earliest_time:
        errors["latest_time"] = ["Must be after the earliest time."]
    if provider is not None and provider.discipline_id != visit_type.discipline_id:
        errors["provider"] = ["Choose a provider of the visit type's discipline."]
    return errors


def waitlist_add(
    *,
    patient,
    visit_type,
    earliest_date: date,
    latest_date: date,
    provider=None,
    weekdays: Iterable[int] | None = None,
    earliest_time: time | None = None,
    latest_time: time | None = None,
    priority: int = WaitlistEntry.Priority.ROUTINE,
    notes: str = "",
    created_by=None,
    now: datetime | None = None,
) -> WaitlistEntry:
    now = now or timezone.now()
    errors = waitlist_entry_errors(
        patient=patient,
        visit_type=visit_type,
        provider=provider,
        earliest_date=earliest_date,
        latest_date=latest_date,
        weekdays=weekdays,
        earliest_time=earliest_time,
        latest_time=latest_time,
        now=now,
    )
    if errors:
        raise ValidationFailed("The waitlist entry is not valid.", field_errors=errors)
    notes = text_clean("notes", notes, max_length=300)
    days = sorted(set(weekdays or []))
    entry = WaitlistEntry.objects.create(
        patient=patient,
        visit_type=visit_type,
        provider=provider,
        earliest_date=earliest_date,
        latest_date=latest_date,
        weekdays=days,
        earliest_time=earliest_time,
        latest_time=latest_time,
        priority=priority,
        notes=notes,
        created_by=created_by,
    )
    _record(entry, from_status="", to_status=W.WAITING, by=created_by, now=now)
    return entry


def waitlist_remove(*, entry_id: int, by=None, now: datetime | None = None) -> WaitlistEntry:
    """Take an entry off the list; a slot still held for it is released at once."""
    now = now or timezone.now()
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().get(pk=entry_id)
        if entry.status in WAITLIST_OPEN:
            held = entry.offered_appointment if entry.status == W.OFFERED else None
            _move(entry, to=W.REMOVED, by=by, now=now, reason="removed", appointment=held)
            if held is not None and held.status == AppointmentStatus.HELD:
                appointment_cancel(appointment=held, reason="waitlist entry removed", by=by, now=now)
    return entry


def _candidates(freed: Appointment, exclude_ids: set[int], now: datetime):
    """WAITING entries that could use the freed time, best first, locked (skipping rows another
    offer is handling)."""
    zone = freed.location.zone
    local_start = freed.start.astimezone(zone)
    minutes = int((freed.end - freed.start).total_seconds() // 60)
    entries = (
        WaitlistEntry.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("visit_type", "patient")
        .filter(
            status=W.WAITING,
            visit_type__discipline_id=freed.provider.discipline_id,
            visit_type__duration_minutes__lte=minutes,
            visit_type__active=True,
            earliest_date__lte=local_start.date(),
            latest_date__gte=local_start.date(),
        )
        .filter(Q(provider__isnull=True) | Q(provider_id=freed.provider_id))
        .filter(Q(weekdays=[]) | Q(weekdays__contains=[local_start.weekday()]))
        .filter(Q(earliest_time__isnull=True) | Q(earliest_time__lte=local_start.time()))
        .exclude(patient_id=freed.patient_id)
        .exclude(pk__in=exclude_ids)
        .order_by("-priority", "created_at", "id")
    )
    entries = registry.apply_filters(WAITLIST_CANDIDATES, entries, provider_id=freed.provider_id, start=freed.start, end=freed.end, now=now)
    for entry in entries:
        local_end = (freed.start + timedelta(minutes=entry.visit_type.duration_minutes)).astimezone(zone)
        if entry.latest_time is None or (local_end.date() == local_start.date() and local_end.time() <= entry.latest_time):
            yield entry


def _hold_for(entry: WaitlistEntry, *, provider, start: datetime, now: datetime, room=None, region: str = "", laterality: str = ""):
    """Hold `start` for the entry's patient and tell them (in the caller's transaction); None
    when this patient cannot take it (busy, payer rule, notice)."""
    try:
        # A savepoint per try: a refusal for one patient must not spoil the transaction for the next.
        with transaction.atomic():
            held = appointment_book(
                patient=entry.patient,
                provider=provider,
                visit_type=entry.visit_type,
                start=start,
                room=room,
                region=region,
                laterality=laterality,
                hold_minutes=_hold_minutes(),
                notes="waitlist offer",
                now=now,
            )
    except DomainError:
        return None
    _move(
        entry, to=W.OFFERED, now=now, reason="slot held", appointment=held, offered_appointment=held, offer_expires_at=held.hold_expires_at
    )
    announce(AppointmentHappened.WAITLIST_OFFERED, entry=entry, now=now)
    log.info("waitlist offer", extra={"event": "waitlist.offered", "entry_id": entry.pk, "appointment_id": held.pk})
    return held


def _offer(freed: Appointment, *, now: datetime, exclude_ids: set[int] = frozenset()) -> WaitlistEntry | None:
    if freed.start <= now:
        return None
    for entry in _candidates(freed, set(exclude_ids), now):
        same = entry.visit_type_id == freed.visit_type_id
        if _hold_for(
            entry,
            provider=freed.provider,
            start=freed.start,
            now=now,
            region=freed.region if same else "",
            laterality=freed.laterality if same else "",
        ):
            return entry
    return None


def waitlist_offer_new_time(*, provider_id: int, start: datetime, end: datetime, now: datetime | None = None) -> list[WaitlistEntry]:
    """New working time (a template or an extra session) goes to the waiting entries it suits,
    best first: each gets the earliest slot that fits its wishes, held and offered. Idempotent:
    offered entries are no longer waiting, and held time is no longer free."""
    now = now or timezone.now()
    start = max(start, now)
    provider = Provider.objects.select_related("discipline").filter(pk=provider_id, active=True).first()
    if provider is None or end <= start:
        return []
    offered = []
    with transaction.atomic():
        entries = (
            WaitlistEntry.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("visit_type", "patient")
            .filter(status=W.WAITING, visit_type__discipline_id=provider.discipline_id, visit_type__active=True)
            .filter(earliest_date__lte=end.date(), latest_date__gte=(start - timedelta(days=1)).date())
            .filter(Q(provider__isnull=True) | Q(provider_id=provider_id))
            .order_by("-priority", "created_at", "id")
        )
        entries = registry.apply_filters(WAITLIST_CANDIDATES, entries, provider_id=provider_id, start=start, end=end, now=now)
        for entry in entries:
            zone = entry.patient.zone
            window_start = max(start, datetime.combine(entry.earliest_date, time(0), tzinfo=zone))
            window_end = min(end, datetime.combine(entry.latest_date + timedelta(days=1), time(0), tzinfo=zone))
            window_end = min(window_end, window_start + timedelta(days=MAX_SEARCH_DAYS))
            if window_end <= window_start:
                continue
            slots = find_slots(
                visit_type=entry.visit_type,
                start=window_start,
                end=window_end,
                provider=provider,
                patient=entry.patient,
                limit=1,
                now=now,
                weekdays=entry.weekdays or None,
                earliest_time=entry.earliest_time,
                latest_time=entry.latest_time,
            )
            if slots and _hold_for(entry, provider=provider, start=slots[0].start, room=_room(slots[0].room_id), now=now):
                offered.append(entry)
    return offered


def _room(room_id):
    return Room.objects.filter(pk=room_id).first() if room_id else None


def waitlist_offer_freed_time(*, appointment_id: int, now: datetime | None = None) -> WaitlistEntry | None:
    """Offer the time of a cancelled / no-show appointment to the best matching entry.
    Idempotent: once the time is held or booked again, a second run finds it taken."""
    now = now or timezone.now()
    with transaction.atomic():
        freed = Appointment.objects.select_related("provider", "location").filter(pk=appointment_id).first()
        if freed is None or freed.status in TIME_HOLDING:
            return None
        return _offer(freed, now=now)


def waitlist_claim(*, entry_id: int, by=None, now: datetime | None = None) -> Appointment:
    """The patient (through a messaging link) or the front desk claims an offered, held slot.
    Returns the booked Appointment; raises Conflict when the offer expired or was taken. The
    entry row is locked, so of two simultaneous claims exactly one books."""
    now = now or timezone.now()
    with transaction.atomic():
        entry = WaitlistEntry.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None:
            raise NotFound("That waitlist offer does not exist.")
        if entry.status == W.BOOKED:
            raise Conflict("This offer has already been claimed.")
        if entry.status != W.OFFERED or entry.offered_appointment_id is None:
            raise Conflict("This offer is no longer open.")
        if entry.offer_expires_at is not None and entry.offer_expires_at <= now:
            raise Conflict("This offer has expired. You are still on the waitlist.")
        held = Appointment.objects.select_for_update().get(pk=entry.offered_appointment_id)
        if held.status != AppointmentStatus.HELD:
            raise Conflict("Sorry, this time is no longer available. You are still on the waitlist.")
        booked = appointment_confirm(appointment=held, by=by, via="waitlist", now=now)
        _move(entry, to=W.BOOKED, by=by, now=now, reason="offer claimed", appointment=booked)
    return booked


def waitlist_expire_offers(*, now: datetime | None = None) -> int:
    """Release lapsed holds, put their entries back (or expire them when their dates have
    passed) and offer each freed time to the next entry. Also expires WAITING entries whose
    dates are over. Safe to run at any time and twice; returns the number of lapsed offers."""
    now = now or timezone.now()
    with transaction.atomic():
        appointment_release_expired_holds(now=now)
        lapsed = list(
            WaitlistEntry.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("patient", "offered_appointment__provider", "offered_appointment__location")
            .filter(status=W.OFFERED, offer_expires_at__lte=now)
        )
        for entry in lapsed:
            still_wanted = entry.latest_date >= now.astimezone(entry.patient.zone).date()
            _move(entry, to=W.WAITING if still_wanted else W.EXPIRED, now=now, reason="offer lapsed", appointment=entry.offered_appointment)
        for entry in lapsed:
            if entry.offered_appointment is not None:
                _offer(entry.offered_appointment, now=now, exclude_ids={entry.pk})
        # Calendar dates in UTC here are at most a day off; entries end a day late, never early.
        over = WaitlistEntry.objects.select_for_update(skip_locked=True).filter(
            status=W.WAITING, latest_date__lt=(now - timedelta(days=1)).date()
        )
        for entry in over:
            _move(entry, to=W.EXPIRED, now=now, reason="dates passed")
    return len(lapsed)
