"""Same-day bundles: several visit types (usually of different disciplines) for one patient on
one day, back to back with gaps no longer than a limit, in any order, booked all-or-nothing.

Home-bound and bed-bound patients (after a CSF leak, say) can come in once instead of three
times. The search loads its inputs once for the whole date range (slots.SlotSearch), then tries
day by day, location by location, every order of the visits, and stops at the first day that
works.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import permutations

from django.db import transaction
from django.utils import timezone

from clinic.models import Provider
from core.errors import SlotTaken, ValidationFailed
from scheduling.inputs import MAX_SEARCH_DAYS, date_check
from scheduling.models import AppointmentBundle, VisitType
from scheduling.services import appointment_book
from scheduling.slots import Slot, SlotSearch, epoch

BUNDLE_STEP_MINUTES = 15


@dataclass(frozen=True, slots=True)
class BundleLeg:
    visit_type_id: int
    slot: Slot


@dataclass(frozen=True, slots=True)
class BundleOption:
    date: date
    location_id: int
    legs: tuple[BundleLeg, ...]  # in time order

    @property
    def start(self) -> datetime:
        return self.legs[0].slot.start

    @property
    def end(self) -> datetime:
        return self.legs[-1].slot.end

    @property
    def total_gap_minutes(self) -> int:
        return sum(int((b.slot.start - a.slot.end).total_seconds() // 60) for a, b in zip(self.legs, self.legs[1:], strict=False))


def _check_visit_types(visit_types: Sequence[VisitType]) -> list[VisitType]:
    visit_types = list(visit_types)
    if len(visit_types) < 2:
        raise ValidationFailed("A bundle needs at least two visit types.", field_errors={"visit_types": ["Choose two or more."]})
    if len({vt.pk for vt in visit_types}) != len(visit_types):
        raise ValidationFailed("Each visit type can appear once in a bundle.", field_errors={"visit_types": ["Remove the duplicate."]})
    return visit_types


def bundle_find_days(
    *,
    patient,
    visit_types: Sequence[VisitType],
    start_date: date,
    end_date: date,
    max_gap_minutes: int = 30,
    location=None,
    now: datetime | None = None,
    limit: int = 5,
) -> list[BundleOption]:
    """Up to `limit` options on the first day in [start_date, end_date] where every visit type
    fits back to back for the patient. Options are ordered by start, then shortest stay."""
    visit_types = _check_visit_types(visit_types)
    now = now or timezone.now()
    date_check("date" if start_date == end_date else "start_date", start_date, today=now.date())
    date_check("date" if start_date == end_date else "end_date", end_date, today=now.date())
    if not 0 <= (end_date - start_date).days <= MAX_SEARCH_DAYS:
        message = f"Search 1 to {MAX_SEARCH_DAYS} days at a time."
        raise ValidationFailed(message, field_errors={"end_date": [message]})
    # UTC range wide enough for any zone's local days.
    search = SlotSearch(
        visit_types=visit_types,
        start=datetime.combine(start_date, time(0), tzinfo=UTC) - timedelta(hours=14),
        end=datetime.combine(end_date + timedelta(days=1), time(0), tzinfo=UTC) + timedelta(hours=14),
        patient=patient,
        now=now,
        location_ids=None if location is None else [getattr(location, "pk", location)],
    )
    location_ids = sorted({w.location_id for ws in search.windows.values() for w in ws})
    if location is not None:
        location_ids = [lid for lid in location_ids if lid == getattr(location, "pk", location)]
    day = start_date
    while day <= end_date:
        options: list[BundleOption] = []
        for location_id in location_ids:
            zone = search.zone(location_id)
            day_start = datetime.combine(day, time(0), tzinfo=zone)
            day_end = datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone)
            options.extend(_day_options(search, visit_types, day, location_id, day_start, day_end, max_gap_minutes * 60, limit))
        if options:
            options.sort(key=lambda o: (o.start, o.end, o.location_id, [leg.visit_type_id for leg in o.legs]))
            return options[:limit]
        day += timedelta(days=1)
    return []


def bundle_find(
    *,
    patient,
    visit_types: Sequence[VisitType],
    date: date,
    max_gap_minutes: int = 30,
    location=None,
    now: datetime | None = None,
    limit: int = 5,
) -> list[BundleOption]:
    """Options for one day (see bundle_find_days)."""
    return bundle_find_days(
        patient=patient,
        visit_types=visit_types,
        start_date=date,
        end_date=date,
        max_gap_minutes=max_gap_minutes,
        location=location,
        now=now,
        limit=limit,
    )


def _day_options(search: SlotSearch, visit_types, day, location_id, day_start, day_end, max_gap: int, limit: int) -> list[BundleOption]:
    # For each visit type, the first (lowest provider, lowest room) slot at each start time.
    firsts: list[dict[int, Slot]] = []
    for vt in visit_types:
        by_start: dict[int, Slot] = {}
        # A fine grid lets visits of different lengths follow each other without idle gaps.
        for slot in search.iter_slots(vt, start=day_start, end=day_end, step_minutes=BUNDLE_STEP_MINUTES):
            if slot.location_id == location_id:
                by_start.setdefault(epoch(slot.start), slot)
        if not by_start:
            return []
        firsts.append(by_start)
    starts = [sorted(d) for d in firsts]
    durations = [vt.duration_minutes * 60 for vt in visit_types]
    orders = list(permutations(range(len(visit_types))))
    found: list[BundleOption] = []

    def extend(order, position, chain):
        if position == len(order):
            option = _with_rooms(search, visit_types, firsts, order, chain, day, location_id)
            if option is not None:
                found.append(option)
            return
        index = order[position]
        previous_end = chain[-1] + durations[order[position - 1]]
        column = starts[index]
        for t in column[bisect_left(column, previous_end) : bisect_right(column, previous_end + max_gap)]:
            extend(order, position + 1, [*chain, t])

    # Walk first-leg start times in order; once `limit` options exist, later starts cannot
    # beat them (options sort by start first).
    for first in sorted({t for column in starts for t in column}):
        for order in orders:
            if first in firsts[order[0]]:
                extend(order, 1, [first])
        if len(found) >= limit:
            break
    return found


def _with_rooms(search: SlotSearch, visit_types, firsts, order, chain, day, location_id) -> BundleOption | None:
    """Give each leg a room; two legs may share one only if set-up and turnover do not overlap."""
    taken: list[tuple[int, int, int]] = []  # (room, room start, room end)
    legs = []
    for index, start in zip(order, chain, strict=True):
        vt = visit_types[index]
        span = (start - vt.buffer_before_minutes * 60, start + (vt.duration_minutes + vt.buffer_after_minutes) * 60)
        free = search.free_rooms(vt, location_id, start)
        room = next((rid for rid in free if not any(r == rid and s < span[1] and span[0] < e for r, s, e in taken)), None)
        if room is None:
            return None
        taken.append((room, *span))
        slot = firsts[index][start]
        legs.append(BundleLeg(vt.pk, Slot(slot.start, slot.end, slot.provider_id, room, location_id)))
    return BundleOption(day, location_id, tuple(legs))


def bundle_book(
    *,
    patient,
    visit_types: Sequence[VisitType],
    date: date,
    max_gap_minutes: int = 30,
    option_index: int = 0,
    legs: Sequence[BundleLeg] | None = None,
    booked_by=None,
    location=None,
    now: datetime | None = None,
) -> AppointmentBundle:
    """Book every leg of a bundle in one transaction: all of them or none.

    Without `legs`, books option `option_index` of bundle_find. Each leg goes through
    appointment_book (so rules, rooms and the exclusion constraints apply); if any leg is taken
    meanwhile, SlotTaken propagates and nothing of the bundle stays."""
    visit_types = _check_visit_types(visit_types)
    now = now or timezone.now()
    if legs is None:
        options = bundle_find(
            patient=patient, visit_types=visit_types, date=date, max_gap_minutes=max_gap_minutes, location=location, now=now
        )
        if not options:
            raise SlotTaken(f"No same-day bundle of these visits fits on {date:%A %d %B %Y}.", taken="bundle")
        if not 0 <= option_index < len(options):
            raise ValidationFailed("That bundle option no longer exists.", field_errors={"option_index": ["Search again."]})
        legs = options[option_index].legs
    legs = sorted(legs, key=lambda leg: leg.slot.start)
    by_id = {vt.pk: vt for vt in visit_types}
    if sorted(leg.visit_type_id for leg in legs) != sorted(by_id):
        raise ValidationFailed("The legs must be exactly the bundle's visit types.", field_errors={"legs": ["One leg per visit type."]})
    for a, b in zip(legs, legs[1:], strict=False):
        if not timedelta(0) <= b.slot.start - a.slot.end <= timedelta(minutes=max_gap_minutes):
            raise ValidationFailed(
                f"Visits in a bundle must follow each other with gaps of at most {max_gap_minutes} minutes.",
                field_errors={"legs": ["Too far apart or overlapping."]},
            )
    providers = Provider.objects.in_bulk([leg.slot.provider_id for leg in legs])
    with transaction.atomic():
        bundle = AppointmentBundle.objects.create(patient=patient, date=date, max_gap_minutes=max_gap_minutes, created_by=booked_by)
        for leg in legs:
            appointment_book(
                patient=patient,
                provider=providers[leg.slot.provider_id],
                visit_type=by_id[leg.visit_type_id],
                start=leg.slot.start,
                booked_by=booked_by,
                bundle=bundle,
                notes="same-day bundle",
                now=now,
            )
    return bundle
