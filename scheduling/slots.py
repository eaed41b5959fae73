"""Slot search: the earliest bookable times for a visit type.

Every input is loaded once per search with one query per kind (providers, templates, template
visit types, exceptions, closures, rooms, room equipment, visit-type equipment, appointments),
never per provider or per day (Cal.com #21103). The search itself is an in-memory sweep over
epoch seconds: each provider window walks its grid, jumping past busy intervals found by
bisection, and the windows are merged lazily so the search stops as soon as `limit` slots exist.

`SlotSearch` is the reusable engine (bundles and series load once and ask many questions);
`find_slots` is the one-shot command the API and the admin call.
"""

from __future__ import annotations

import heapq
import zoneinfo
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from itertools import chain

from django.db import connection
from django.db.models import BigIntegerField, Func, Q
from django.utils import timezone

from clinic.models import Provider, Room
from core.errors import ValidationFailed
from scheduling.availability import Window, provider_windows
from scheduling.inputs import MAX_SEARCH_DAYS, date_check
from scheduling.models import TIME_HOLDING, Appointment, VisitType

# Room buffers are minutes long; loading appointments this far either side of the range catches
# every one whose room span (set-up to turnover) can reach into it.
_MARGIN = timedelta(hours=12)


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime  # UTC
    end: datetime  # UTC
    provider_id: int
    room_id: int
    location_id: int


class _Epoch(Func):
    template = "EXTRACT(EPOCH FROM %(expressions)s)::bigint"
    output_field = BigIntegerField()


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _pk(value) -> int | None:
    return None if value is None else getattr(value, "pk", value)


def _merge(intervals: Iterable[tuple[int, int]]) -> tuple[list[int], list[int]]:
    """Sorted, disjoint intervals as two parallel lists (starts, ends) for bisection."""
    starts: list[int] = []
    ends: list[int] = []
    for s, e in sorted(intervals):
        if ends and s <= ends[-1]:
            if e > ends[-1]:
                ends[-1] = e
        else:
            starts.append(s)
            ends.append(e)
    return starts, ends


def _blocker_end(busy: tuple[list[int], list[int]], s: int, e: int) -> int | None:
    """End of the busy interval overlapping [s, e), or None when [s, e) is free."""
    starts, ends = busy
    i = bisect_left(starts, e) - 1  # the last interval starting before e
    if i >= 0 and ends[i] > s:
        return ends[i]
    return None


def default_step_minutes(visit_type: VisitType) -> int:
    return max(15, -(-visit_type.duration_minutes // 15) * 15)


@dataclass(frozen=True, slots=True)
class Preferences:
    """Patient preferences in the location's local time: slot starts on one of `weekdays`
    (0=Monday), not before `earliest_time`, and ends by `latest_time`."""

    weekdays: frozenset[int] | None = None
    earliest_time: time | None = None
    latest_time: time | None = None

    def __bool__(self) -> bool:
        return bool(self.weekdays) or self.earliest_time is not None or self.latest_time is not None

    def accepts(self, start: int, end: int, zone: zoneinfo.ZoneInfo) -> bool:
        local_start = datetime.fromtimestamp(start, zone)
        if self.weekdays and local_start.weekday() not in self.weekdays:
            return False
        if self.earliest_time is not None and local_start.time() < self.earliest_time:
            return False
        if self.latest_time is not None:
            local_end = datetime.fromtimestamp(end, zone)
            if local_end.date() > local_start.date() or local_end.time() > self.latest_time:
                return False
        return True


class SlotSearch:
    """Everything a search over [start, end) needs, loaded in a fixed number of queries.

    Busy intervals are kept per provider, per room and for the patient; `add_booking` adds one
    that was booked meanwhile (a series placing occurrence after occurrence)."""

    def __init__(
        self,
        *,
        visit_types: list[VisitType],
        start: datetime,
        end: datetime,
        provider=None,
        discipline=None,
        patient=None,
        now: datetime | None = None,
    ):
        self.now = now or timezone.now()
        self.start, self.end = start, end
        self.visit_types = {vt.pk: vt for vt in visit_types}
        discipline_ids = {vt.discipline_id for vt in visit_types}
        if discipline is not None:
            discipline_ids &= {_pk(discipline)}
        providers = Provider.objects.filter(active=True, discipline_id__in=discipline_ids)
        if provider is not None:
            providers = providers.filter(pk=_pk(provider))
        rows = list(providers.values_list("id", "discipline_id", "home_location_id"))  # query: providers
        self.providers_by_discipline: dict[int, list[int]] = defaultdict(list)
        for pid, discipline_id, _ in sorted(rows):
            self.providers_by_discipline[discipline_id].append(pid)
        provider_ids = [r[0] for r in rows]
        # queries: templates, template visit types, exceptions, closures
        self.windows: dict[int, list[Window]] = provider_windows(
            provider_ids=provider_ids, start=start, end=end, home_locations={r[0]: r[2] for r in rows}
        )

        kinds = {vt.room_kind for vt in visit_types}
        room_rows = list(Room.objects.filter(active=True, kind__in=kinds).values_list("id", "location_id", "kind", "location__time_zone"))
        self.zones = {location_id: zoneinfo.ZoneInfo(tz) for _, location_id, _, tz in room_rows}
        equipment: dict[int, set[int]] = defaultdict(set)
        if room_rows:  # query: room equipment
            through = Room.equipment.through
            for room_id, equipment_id in through.objects.filter(room_id__in=[r[0] for r in room_rows]).values_list(
                "room_id", "equipment_id"
            ):
                equipment[room_id].add(equipment_id)
        required: dict[int, set[int]] = defaultdict(set)
        vt_through = VisitType.required_equipment.through  # query: visit-type equipment
        for vt_id, equipment_id in vt_through.objects.filter(visittype_id__in=list(self.visit_types)).values_list(
            "visittype_id", "equipment_id"
        ):
            required[vt_id].add(equipment_id)
        # (visit type, location) -> suitable room ids, lowest first so choices are deterministic
        self.rooms: dict[tuple[int, int], list[int]] = defaultdict(list)
        for vt in visit_types:
            for room_id, location_id, kind, _ in sorted(room_rows):
                if kind == vt.room_kind and required[vt.pk] <= equipment[room_id]:
                    self.rooms[(vt.pk, location_id)].append(room_id)

        room_ids = [r[0] for r in room_rows]
        who = Q(provider_id__in=provider_ids) | Q(room_id__in=room_ids)
        self.patient_id = _pk(patient)
        if self.patient_id is not None:
            who |= Q(patient_id=self.patient_id)
        # A range on `start` alone lets the (provider|room|patient, start) indexes do the work;
        # no visit is longer than the margin. Unordered, and epoch seconds come back as
        # integers: parsing thousands of timestamps was most of a search's time.
        appointments = Appointment.objects.filter(who, status__in=TIME_HOLDING, start__gte=start - _MARGIN, start__lt=end + _MARGIN)
        provider_busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
        room_busy: dict[int, list[tuple[int, int]]] = defaultdict(list)
        patient_busy: list[tuple[int, int]] = []
        columns = appointments.order_by().values_list(
            "provider_id", "room_id", "patient_id", _Epoch("start"), _Epoch("end"), _Epoch("room_start"), _Epoch("room_end")
        )
        with connection.cursor() as cursor:  # query: appointments (raw rows: no per-value converters)
            cursor.execute(*columns.query.sql_with_params())
            rows = cursor.fetchall()
        for pid, room_id, patient_id, a_start, a_end, r_start, r_end in rows:
            provider_busy[pid].append((a_start, a_end))
            if room_id is not None:
                room_busy[room_id].append((r_start, r_end))
            if patient_id == self.patient_id:
                patient_busy.append((a_start, a_end))
        self._provider_raw, self._room_raw, self._patient_raw = provider_busy, room_busy, patient_busy
        self._reindex()

    def _reindex(self) -> None:
        self.room_busy = {rid: _merge(iv) for rid, iv in self._room_raw.items()}
        self.person_busy = {pid: _merge(chain(iv, self._patient_raw)) for pid, iv in self._provider_raw.items()}
        self._patient_only = _merge(self._patient_raw)

    def add_booking(self, appointment: Appointment) -> None:
        """Count an appointment booked after loading (same patient, provider or room)."""
        self._provider_raw[appointment.provider_id].append((epoch(appointment.start), epoch(appointment.end)))
        if appointment.room_id is not None:
            self._room_raw[appointment.room_id].append((epoch(appointment.room_start), epoch(appointment.room_end)))
        if appointment.patient_id == self.patient_id:
            self._patient_raw.append((epoch(appointment.start), epoch(appointment.end)))
        self._reindex()

    def free_rooms(self, visit_type: VisitType, location_id: int, start: int) -> list[int]:
        """Suitable rooms free from set-up to turnover for a visit starting at epoch `start`."""
        span = (start - visit_type.buffer_before_minutes * 60, start + (visit_type.duration_minutes + visit_type.buffer_after_minutes) * 60)
        return [
            rid
            for rid in self.rooms.get((visit_type.pk, location_id), [])
            if rid not in self.room_busy or _blocker_end(self.room_busy[rid], *span) is None
        ]

    def zone(self, location_id: int) -> zoneinfo.ZoneInfo:
        return self.zones.get(location_id, zoneinfo.ZoneInfo("UTC"))

    def iter_slots(
        self,
        visit_type: VisitType,
        *,
        start: datetime | None = None,
        end: datetime | None = None,
        provider_ids: Iterable[int] | None = None,
        preferences: Preferences | None = None,
        step_minutes: int | None = None,
    ) -> Iterator[Slot]:
        """Bookable slots earliest first, ordered by (start, provider_id, room_id); lazy, so
        taking the first N does only the work for N. Slots lie within [start, end)."""
        vt = visit_type
        lo = max(self.start if start is None else start, self.now + timedelta(minutes=vt.min_notice_minutes))
        hi = self.end if end is None else min(end, self.end)
        lo_ts, hi_ts = epoch(lo), epoch(hi)
        step = 60 * (step_minutes or default_step_minutes(vt))
        pids = self.providers_by_discipline.get(vt.discipline_id, []) if provider_ids is None else provider_ids
        per_provider = []
        for pid in pids:
            windows = [w for w in self.windows.get(pid, []) if w.allows(vt.pk) and self.rooms.get((vt.pk, w.location_id))]
            if windows:
                per_provider.append(self._provider_slots(vt, pid, windows, lo_ts, hi_ts, step, preferences))
        last = None
        for start_ts, pid, room_id, location_id, end_ts in heapq.merge(*per_provider):
            if (start_ts, pid) == last:  # overlapping windows of one provider offer a time once
                continue
            last = (start_ts, pid)
            yield Slot(_dt(start_ts), _dt(end_ts), pid, room_id, location_id)

    def _provider_slots(self, vt, pid, windows, lo_ts, hi_ts, step, preferences):
        # Windows of one provider rarely overlap (an extra session over a template); chain
        # disjoint ones and merge only those that do, keeping the stream in time order.
        clusters: list[list[Window]] = []
        cluster_end = None
        for w in windows:
            if clusters and w.start < cluster_end:
                clusters[-1].append(w)
                cluster_end = max(cluster_end, w.end)
            else:
                clusters.append([w])
                cluster_end = w.end
        return chain.from_iterable(
            heapq.merge(*(self._window_slots(vt, pid, w, lo_ts, hi_ts, step, preferences) for w in cluster)) for cluster in clusters
        )

    def _window_slots(self, vt, pid, window: Window, lo_ts, hi_ts, step, preferences):
        duration = vt.duration_minutes * 60
        before, after = vt.buffer_before_minutes * 60, vt.buffer_after_minutes * 60
        origin = epoch(window.grid_origin)
        first = max(epoch(window.start), lo_ts)
        last_end = min(epoch(window.end), hi_ts)
        busy = self.person_busy.get(pid, self._patient_only)
        rooms = [(rid, self.room_busy.get(rid)) for rid in self.rooms[(vt.pk, window.location_id)]]
        zone = self.zone(window.location_id) if preferences else None
        t = origin + -(-(first - origin) // step) * step  # first grid mark at or after `first`
        while t + duration <= last_end:
            blocked_until = _blocker_end(busy, t, t + duration)
            if blocked_until is not None:
                t = origin + -(-(blocked_until - origin) // step) * step
                continue
            if preferences and not preferences.accepts(t, t + duration, zone):
                t += step
                continue
            for room_id, room_busy in rooms:
                if room_busy is None or _blocker_end(room_busy, t - before, t + duration + after) is None:
                    yield (t, pid, room_id, window.location_id, t + duration)
                    break
            t += step


def search_range_check(*, start: datetime, end: datetime, now: datetime) -> None:
    """Refuse a search the engine should not run: naive or far-off datetimes, an empty range,
    or more than MAX_SEARCH_DAYS at once (the API, the admin and commands get the same answer)."""
    for field, value in (("start", start), ("end", end)):
        if value.tzinfo is None:
            raise ValidationFailed("Include a UTC offset.", field_errors={field: ["Include a UTC offset, e.g. 2026-03-02T09:00:00-05:00."]})
        date_check(field, value, today=now.date())
    if end <= start:
        raise ValidationFailed("end must be after start.", field_errors={"end": ["end must be after start."]})
    if (end - start).days > MAX_SEARCH_DAYS:
        message = f"Search at most {MAX_SEARCH_DAYS} days at a time."
        raise ValidationFailed(message, field_errors={"end": [message]})


def find_slots(
    *,
    visit_type: VisitType,
    start: datetime,
    end: datetime,
    provider=None,
    discipline=None,
    patient=None,
    limit: int = 10,
    now: datetime | None = None,
    weekdays: Iterable[int] | None = None,
    earliest_time: time | None = None,
    latest_time: time | None = None,
    step_minutes: int | None = None,
) -> list[Slot]:
    """The earliest `limit` bookable slots for `visit_type` within [start, end), for one
    provider, a discipline, or every provider of the visit type's discipline.

    A slot is bookable when the provider works then at a location (template or extra session,
    not time off or a closure) in a block that allows the visit type; neither the provider nor
    the patient has a time-holding appointment then; a room of the right kind with all required
    equipment is free from set-up to turnover; and it starts at least `min_notice_minutes` after
    `now`. Raises ValidationFailed for a range search_range_check refuses (over 92 days, empty,
    or far-off). Slots sit on a grid of `step_minutes` (default: the duration rounded up to 15 min)
    counted from the start of the working block. Ordered by (start, provider_id, room_id).
    """
    now = now or timezone.now()
    search_range_check(start=start, end=end, now=now)
    if limit <= 0:
        return []
    search = SlotSearch(visit_types=[visit_type], start=start, end=end, provider=provider, discipline=discipline, patient=patient, now=now)
    preferences = Preferences(frozenset(weekdays) if weekdays else None, earliest_time, latest_time)
    found = []
    for slot in search.iter_slots(visit_type, preferences=preferences or None, step_minutes=step_minutes):
        found.append(slot)
        if len(found) >= limit:
            break
    return found
