"""Slot search: the earliest bookable times for a visit type.

Every input is loaded with one query per kind (providers, templates with the visit types they
allow, exceptions, closures, rooms with their equipment, the visit types' equipment and
locations), never per provider or per day (Cal.com #21103). Busy time comes from PostgreSQL
already merged: `range_agg` unions each provider's (per location), each room's and the patient's
time-holding appointments into disjoint intervals, so Python receives a few intervals per
calendar rather than every appointment. It is read in widening chunks (the first day, the next
two, then the rest of the range) only as far as the search gets: the earliest slots are usually
in the first day, so a search costs what it looks at, not what the clinic holds. That is at most
three busy-time queries, each covering the whole range's providers and rooms at once.

The search itself is an in-memory sweep over epoch seconds: each provider window walks its grid,
jumping past busy intervals found by bisection, and the windows are merged lazily so the search
stops as soon as `limit` slots exist. The exclusion constraints still decide every booking: a
slot offered here from a stale read (a replica) is refused at booking with SlotTaken.

Travel: a provider's appointment at location A blocks them at another location B from
`start - travel(B→A)` to `end + travel(A→B)` (clinic.travel.travel_matrix, as appointment_book).

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
from itertools import chain, islice

from django.db import connections, router
from django.utils import timezone

from clinic.models import Location, Provider, Room
from clinic.travel import travel_matrix
from core.errors import ValidationFailed
from scheduling.availability import Window, availability_load, availability_windows
from scheduling.inputs import MAX_SEARCH_DAYS, date_check
from scheduling.models import TIME_HOLDING, Appointment, AvailabilityException, AvailabilityTemplate, VisitType

# Room buffers and travel are minutes long; loading appointments this far either side of the
# range catches every one whose room span (set-up to turnover) or travel can reach into it.
_MARGIN = timedelta(hours=12)
# Busy time is read up to these horizons past the search's start, then to its end.
_CHUNKS = (timedelta(days=1), timedelta(days=3))
# A chunk read to horizon H + _MARGIN is complete up to H + _AHEAD: a visit starting before H
# fits (duration and turnover under 6 hours) and visits after it reach back less than the rest of
# the margin (set-up and travel under 6 hours). Longer ones stay correct: `_reach` reads further.
_AHEAD = timedelta(hours=6)
ORDERS = ("time", "preferred")

# A search's inputs are read with plain SQL: building and compiling the equivalent ORM querysets
# cost more than PostgreSQL took to answer them. Tables and columns come from the models'
# metadata; every value is a bound parameter (NULL: no such filter).
_PROVIDERS_SQL = f"""
    SELECT p.id, p.discipline_id, p.home_location_id FROM {Provider._meta.db_table} p
    WHERE p.active AND p.discipline_id = ANY(%s) AND (%s::bigint IS NULL OR p.id = %s::bigint)
      AND (%s::bigint[] IS NULL
           OR p.home_location_id = ANY(%s::bigint[])
           OR EXISTS (SELECT 1 FROM {AvailabilityTemplate._meta.db_table} t
                      WHERE t.provider_id = p.id AND t.location_id = ANY(%s::bigint[]))
           OR EXISTS (SELECT 1 FROM {AvailabilityException._meta.db_table} e
                      WHERE e.provider_id = p.id AND e.kind = %s AND e.location_id = ANY(%s::bigint[])))
"""
_ROOMS_SQL = f"""
    SELECT r.id, r.location_id, r.kind, l.time_zone,
           ARRAY(SELECT e.equipment_id FROM {Room.equipment.through._meta.db_table} e WHERE e.room_id = r.id)
    FROM {Room._meta.db_table} r JOIN {Location._meta.db_table} l ON l.id = r.location_id
    WHERE r.active AND r.kind = ANY(%s) AND (%s::bigint[] IS NULL OR r.location_id = ANY(%s::bigint[]))
"""
_VISIT_TYPE_NEEDS_SQL = f"""
    SELECT v.id,
           ARRAY(SELECT e.equipment_id FROM {VisitType.required_equipment.through._meta.db_table} e WHERE e.visittype_id = v.id),
           ARRAY(SELECT l.location_id FROM {VisitType.locations.through._meta.db_table} l WHERE l.visittype_id = v.id)
    FROM {VisitType._meta.db_table} v WHERE v.id = ANY(%s)
"""

Busy = tuple[list[int], list[int]]  # disjoint sorted intervals as (starts, ends), for bisection


@dataclass(frozen=True, slots=True)
class Slot:
    start: datetime  # UTC
    end: datetime  # UTC
    provider_id: int
    room_id: int
    location_id: int


def epoch(moment: datetime) -> int:
    return int(moment.timestamp())


def _dt(seconds: int) -> datetime:
    return datetime.fromtimestamp(seconds, UTC)


def _pk(value) -> int | None:
    return None if value is None else getattr(value, "pk", value)


def _merge(intervals: Iterable[tuple[int, int]]) -> Busy:
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


def _extend(busy: Busy | None, starts: list[int], ends: list[int]) -> Busy:
    """`busy` with the disjoint sorted intervals (starts, ends) added. A later chunk's intervals
    usually all begin after the earlier ones end: then they are appended (joining the last one
    if they touch); otherwise everything is merged again."""
    if busy is None or not busy[0]:
        return starts, ends
    old_starts, old_ends = busy
    if starts[0] >= old_starts[-1]:
        if starts[0] <= old_ends[-1]:
            old_ends[-1] = max(old_ends[-1], ends[0])
            starts, ends = starts[1:], ends[1:]
            if starts and starts[0] <= old_ends[-1]:
                return _merge(chain(_pairs(busy), zip(starts, ends, strict=True)))
        old_starts.extend(starts)
        old_ends.extend(ends)
        return busy
    return _merge(chain(_pairs(busy), zip(starts, ends, strict=True)))


def _pairs(busy: Busy) -> Iterator[tuple[int, int]]:
    return zip(*busy, strict=True)


def _blocker_end(busy: Busy, s: int, e: int) -> int | None:
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

    Busy intervals are kept per provider and location, per room and for the patient, read as far
    as the search has got (`_reach`); `add_booking` adds one that was booked meanwhile (a series
    placing occurrence after occurrence). `location_ids` (None: every location) keeps the search
    to those locations: their rooms and the windows worked there, so the other locations' rows
    are not read (except the searched providers' own appointments, for travel)."""

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
        location_ids: Iterable[int] | None = None,
    ):
        self.now = now or timezone.now()
        self.start, self.end = start, end
        self.visit_types = {vt.pk: vt for vt in visit_types}
        self.location_ids = None if location_ids is None else frozenset(location_ids)
        # Slot search may read a replica (core.replica); bookings decide on the primary.
        self._alias = router.db_for_read(Appointment)
        discipline_ids = {vt.discipline_id for vt in visit_types}
        if discipline is not None:
            discipline_ids &= {_pk(discipline)}
        only = None if self.location_ids is None else sorted(self.location_ids)
        with connections[self._alias].cursor() as cursor:  # query: providers
            # Who can work at the searched locations: a block or an extra session there, or based there.
            cursor.execute(
                _PROVIDERS_SQL,
                [sorted(discipline_ids), _pk(provider), _pk(provider), only, only, only, AvailabilityException.Kind.EXTRA.value, only],
            )
            rows = cursor.fetchall()
        self.providers_by_discipline: dict[int, list[int]] = defaultdict(list)
        for pid, discipline_id, _ in sorted(rows):
            self.providers_by_discipline[discipline_id].append(pid)
        provider_ids = [r[0] for r in rows]
        # queries: templates (with their visit types), exceptions, closures; expanded into
        # windows only as far as the search goes (`_windows_between`), or all at once (`windows`)
        self._availability = availability_load(provider_ids=provider_ids, start=start, end=end) if provider_ids else None
        self._homes = {r[0]: r[2] for r in rows}
        self._all_windows: dict[int, list[Window]] | None = None
        self._band_windows: dict[tuple[int, int], dict[int, list[Window]]] = {}

        kinds = sorted({vt.room_kind for vt in visit_types})
        with connections[self._alias].cursor() as cursor:
            cursor.execute(_ROOMS_SQL, [kinds, only, only])  # query: rooms with their equipment
            room_rows = sorted(cursor.fetchall())
            # query: the visit types' equipment and locations (none: every location)
            cursor.execute(_VISIT_TYPE_NEEDS_SQL, [sorted(self.visit_types)])
            needs = {vt_id: (set(equipment), set(locations)) for vt_id, equipment, locations in cursor.fetchall()}
        self.zones = {location_id: zoneinfo.ZoneInfo(tz) for _, location_id, _, tz, _ in room_rows}
        # (visit type, location) -> suitable room ids, lowest first so choices are deterministic
        self.rooms: dict[tuple[int, int], list[int]] = defaultdict(list)
        for vt in visit_types:
            required, offered = needs.get(vt.pk, (set(), set()))
            for room_id, location_id, kind, _, equipment in room_rows:
                if kind == vt.room_kind and required <= set(equipment) and (not offered or location_id in offered):
                    self.rooms[(vt.pk, location_id)].append(room_id)

        self._provider_ids = provider_ids
        self._room_ids = [r[0] for r in room_rows]
        self.patient_id = _pk(patient)
        self._provider_busy: dict[tuple[int, int], Busy] = {}  # (provider, location of the visits)
        self.room_busy: dict[int, Busy] = {}
        self._patient_busy: Busy = ([], [])
        self._person: dict[tuple[int, int], Busy] = {}  # (provider, location searched) -> busy there
        self._travel: dict[tuple[int, int], int] = {}
        self._generation = 0  # changes whenever busy time does: iterators look their lists up again
        self._loaded_to = start - _MARGIN  # appointments starting before this are loaded
        self._horizon = -(2**62)  # busy time is complete for intervals ending by this epoch
        self._pending = [start + step for step in _CHUNKS if start + step < end] + [end]
        self._reach(epoch(start) + 1)

    # --- working windows -----------------------------------------------------------------------
    @property
    def windows(self) -> dict[int, list[Window]]:
        """Working windows per provider over the whole range (at the searched locations)."""
        if self._all_windows is None:
            self._all_windows = self._windows_between(None, None)
        return self._all_windows

    def _windows_between(self, start: datetime | None, end: datetime | None) -> dict[int, list[Window]]:
        if self._availability is None:
            return {}
        windows = availability_windows(self._availability, self._homes, start=start, end=end)
        if self.location_ids is not None:
            windows = {pid: [w for w in ws if w.location_id in self.location_ids] for pid, ws in windows.items()}
        return windows

    def _windows_for_band(self, lo_ts: int, hi_ts: int) -> dict[int, list[Window]]:
        """Windows holding every slot that starts in [lo_ts, hi_ts): those of the whole range if
        already expanded, else the band's own plus a day (a block crossing its end)."""
        if self._all_windows is not None:
            return self._all_windows
        key = (lo_ts, hi_ts)
        if key not in self._band_windows:
            self._band_windows[key] = self._windows_between(_dt(lo_ts), _dt(hi_ts) + timedelta(days=1))
        return self._band_windows[key]

    # --- busy time ---------------------------------------------------------------------------
    def _reach(self, until: int) -> None:
        """Load busy time until it is complete for every interval ending by epoch `until`."""
        while until > self._horizon and self._pending:
            horizon = self._pending.pop(0)
            while self._pending and epoch(horizon + _AHEAD) < until:  # a caller far ahead: one query, not several
                horizon = self._pending.pop(0)
            self._load_busy(self._loaded_to, horizon + _MARGIN)
            self._loaded_to = horizon + _MARGIN
            self._horizon = epoch(horizon + _AHEAD) if self._pending else 2**62

    def _load_busy(self, lo: datetime, hi: datetime) -> None:
        """One query: busy intervals of appointments starting in [lo, hi), merged by PostgreSQL
        per provider and location, per room and for the patient (unnest returns a multirange's
        ranges in order)."""
        table = connections[self._alias].ops.quote_name(Appointment._meta.db_table)
        where = "status = ANY(%s) AND start >= %s AND start < %s"
        holding = [str(s) for s in TIME_HOLDING]
        parts, params = [], []
        if self._provider_ids:
            parts.append(
                f'SELECT 0, provider_id, location_id, unnest(range_agg(tstzrange(start, "end"))) FROM {table} '
                f"WHERE provider_id = ANY(%s) AND {where} GROUP BY provider_id, location_id"
            )
            params += [self._provider_ids, holding, lo, hi]
        if self._room_ids:
            parts.append(
                f"SELECT 1, room_id, 0, unnest(range_agg(tstzrange(room_start, room_end))) FROM {table} "
                f"WHERE room_id = ANY(%s) AND {where} GROUP BY room_id"
            )
            params += [self._room_ids, holding, lo, hi]
        if self.patient_id is not None:
            parts.append(f'SELECT 2, 0, 0, unnest(range_agg(tstzrange(start, "end"))) FROM {table} WHERE patient_id = %s AND {where}')
            params += [self.patient_id, holding, lo, hi]
        if not parts:
            return
        sql = (
            "SELECT kind, id, location_id, EXTRACT(EPOCH FROM lower(r))::bigint, EXTRACT(EPOCH FROM upper(r))::bigint "
            f"FROM ({' UNION ALL '.join(parts)}) AS busy(kind, id, location_id, r)"
        )
        # A raw cursor: epoch seconds come back as integers, with no per-value converters.
        with connections[self._alias].cursor() as cursor:  # query: busy time
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        found: dict[tuple[int, int, int], Busy] = {}
        for kind, key, location_id, s, e in rows:
            starts, ends = found.setdefault((kind, key, location_id), ([], []))
            starts.append(s)
            ends.append(e)
        for (kind, key, location_id), (starts, ends) in found.items():
            if kind == 0:
                self._provider_busy[(key, location_id)] = _extend(self._provider_busy.get((key, location_id)), starts, ends)
            elif kind == 1:
                self.room_busy[key] = _extend(self.room_busy.get(key), starts, ends)
            else:
                self._patient_busy = _extend(self._patient_busy, starts, ends)
        self._changed()

    def _changed(self) -> None:
        self._person.clear()
        self._generation += 1

    def _person_busy(self, pid: int, location_id: int) -> Busy:
        """When the provider (or the patient) cannot see someone at `location_id`: the provider's
        visits there, their visits elsewhere widened by travel both ways, and the patient's."""
        key = (pid, location_id)
        found = self._person.get(key)
        if found is not None:
            return found
        own = [(loc, busy) for (p, loc), busy in self._provider_busy.items() if p == pid and busy[0]]
        patient = self._patient_busy
        if not patient[0] and len(own) == 1 and own[0][0] == location_id:
            found = own[0][1]
        elif not own:
            found = patient
        else:
            pieces = [_pairs(patient)] if patient[0] else []
            for elsewhere, (starts, ends) in own:
                if elsewhere == location_id:
                    pieces.append(zip(starts, ends, strict=True))
                    continue
                there, back = self._travel_minutes(location_id, elsewhere) * 60, self._travel_minutes(elsewhere, location_id) * 60
                pieces.append(((s - there, e + back) for s, e in zip(starts, ends, strict=True)))
            found = _merge(chain.from_iterable(pieces))
        self._person[key] = found
        return found

    def _travel_minutes(self, origin: int, destination: int) -> int:
        if origin == destination:
            return 0
        if (origin, destination) not in self._travel:  # one query per location not seen yet
            known = {loc for pair in self._travel for loc in pair} | {origin, destination}
            self._travel = travel_matrix(known)
        return self._travel[(origin, destination)]

    def add_booking(self, appointment: Appointment) -> None:
        """Count an appointment booked after loading (same patient, provider or room)."""

        def added(busy: Busy | None, s: datetime, e: datetime) -> Busy:
            return _merge(chain(_pairs(busy or ([], [])), [(epoch(s), epoch(e))]))

        key = (appointment.provider_id, appointment.location_id)
        self._provider_busy[key] = added(self._provider_busy.get(key), appointment.start, appointment.end)
        if appointment.room_id is not None:
            self.room_busy[appointment.room_id] = added(
                self.room_busy.get(appointment.room_id), appointment.room_start, appointment.room_end
            )
        if appointment.patient_id == self.patient_id:
            self._patient_busy = added(self._patient_busy, appointment.start, appointment.end)
        self._changed()

    def free_rooms(self, visit_type: VisitType, location_id: int, start: int) -> list[int]:
        """Suitable rooms free from set-up to turnover for a visit starting at epoch `start`."""
        span = (start - visit_type.buffer_before_minutes * 60, start + (visit_type.duration_minutes + visit_type.buffer_after_minutes) * 60)
        self._reach(span[1])
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
        location_ids: Iterable[int] | None = None,
    ) -> Iterator[Slot]:
        """Bookable slots earliest first, ordered by (start, provider_id, room_id); lazy, so
        taking the first N does only the work for N (and reads busy time only that far). Slots
        lie within [start, end), at `location_ids` when given."""
        only = None if location_ids is None else frozenset(location_ids)
        vt = visit_type
        vt_pk = vt.pk  # a model's pk is a property lookup: read it once, not per window
        lo = max(self.start if start is None else start, self.now + timedelta(minutes=vt.min_notice_minutes))
        hi = self.end if end is None else min(end, self.end)
        lo_ts, hi_ts = epoch(lo), epoch(hi)
        step = 60 * (step_minutes or default_step_minutes(vt))
        pids = self.providers_by_discipline.get(vt.discipline_id, []) if provider_ids is None else provider_ids
        # Band by band along the busy-time chunks: merging every provider's stream at once would
        # make one whose next free time is weeks away read (and expand) all the weeks before it.
        edges = [lo_ts, *(e for e in (epoch(self.start + c) for c in _CHUNKS) if lo_ts < e < hi_ts), hi_ts]
        last = None
        for band_lo, band_hi in zip(edges, edges[1:], strict=False):
            band_windows = self._windows_for_band(band_lo, band_hi)
            per_provider = []
            for pid in pids:
                windows = [
                    w
                    for w in band_windows.get(pid, [])
                    if w.allows(vt_pk) and self.rooms.get((vt_pk, w.location_id)) and (only is None or w.location_id in only)
                ]
                if windows:
                    per_provider.append(self._provider_slots(vt, pid, windows, band_lo, hi_ts, step, preferences, band_hi))
            for start_ts, pid, room_id, location_id, end_ts in heapq.merge(*per_provider):
                if (start_ts, pid) == last:  # overlapping windows of one provider offer a time once
                    continue
                last = (start_ts, pid)
                yield Slot(_dt(start_ts), _dt(end_ts), pid, room_id, location_id)

    def _provider_slots(self, vt, pid, windows, lo_ts, hi_ts, step, preferences, starts_before):
        # Windows of one provider rarely overlap (an extra session over a template); chain
        # disjoint ones and merge only those that do, keeping the stream in time order.
        clusters: list[list[Window]] = []
        cluster_end = None
        lo, hi = _dt(lo_ts), _dt(starts_before)
        for w in windows:
            if w.end <= lo or w.start >= hi:
                continue
            if clusters and w.start < cluster_end:
                clusters[-1].append(w)
                cluster_end = max(cluster_end, w.end)
            else:
                clusters.append([w])
                cluster_end = w.end
        return chain.from_iterable(
            heapq.merge(*(self._window_slots(vt, pid, w, lo_ts, hi_ts, step, preferences, starts_before) for w in cluster))
            for cluster in clusters
        )

    def _window_slots(self, vt, pid, window: Window, lo_ts, hi_ts, step, preferences, starts_before):
        duration = vt.duration_minutes * 60
        before, after = vt.buffer_before_minutes * 60, vt.buffer_after_minutes * 60
        origin = epoch(window.grid_origin)
        first = max(epoch(window.start), lo_ts)
        last_end = min(epoch(window.end), hi_ts)
        zone = self.zone(window.location_id) if preferences else None
        location_id = window.location_id
        room_ids = self.rooms[(vt.pk, location_id)]
        generation = None
        # The sweep is the engine's hot loop (a bundle walks every grid mark of a day): busy
        # intervals are looked up with bisect_left inline, as _blocker_end does.
        t = origin + -(-(first - origin) // step) * step  # first grid mark at or after `first`
        while t + duration <= last_end and t < starts_before:
            if t + duration + after > self._horizon:
                self._reach(t + duration + after)
            if generation != self._generation:  # busy time was read further or a booking added
                generation = self._generation
                busy_starts, busy_ends = self._person_busy(pid, location_id)
                rooms = [(rid, self.room_busy.get(rid)) for rid in room_ids]
            end = t + duration
            i = bisect_left(busy_starts, end) - 1  # the last busy interval starting before the visit ends
            if i >= 0 and busy_ends[i] > t:
                t = origin + -(-(busy_ends[i] - origin) // step) * step
                continue
            if preferences and not preferences.accepts(t, end, zone):
                t += step
                continue
            room_start, room_end = t - before, end + after
            for room_id, room_busy in rooms:
                if room_busy is None:
                    yield (t, pid, room_id, location_id, end)
                    break
                starts, ends = room_busy
                j = bisect_left(starts, room_end) - 1
                if j < 0 or ends[j] <= room_start:
                    yield (t, pid, room_id, location_id, end)
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
    locations: Iterable[int] | None = None,
    order: str = "time",
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

    `locations` (ids; None: every location) keeps the search to those locations; a provider's
    visits elsewhere still block them, widened by the travel time between the two places.
    `order="preferred"` puts the slots at the patient's preferred location first (earliest
    first), then the others by time; without a patient or a preferred location it is "time".
    """
    now = now or timezone.now()
    search_range_check(start=start, end=end, now=now)
    if order not in ORDERS:
        raise ValidationFailed(f"Order by one of: {', '.join(ORDERS)}.", field_errors={"order": [f"Choose one of: {', '.join(ORDERS)}."]})
    if limit <= 0:
        return []
    location_ids = None if locations is None else [_pk(loc) for loc in locations]
    search = SlotSearch(
        visit_types=[visit_type],
        start=start,
        end=end,
        provider=provider,
        discipline=discipline,
        patient=patient,
        now=now,
        location_ids=location_ids,
    )
    preferences = Preferences(frozenset(weekdays) if weekdays else None, earliest_time, latest_time) or None
    preferred = getattr(patient, "preferred_location_id", None) if order == "preferred" else None
    if preferred is not None and (location_ids is None or preferred in location_ids):
        first = list(
            islice(search.iter_slots(visit_type, preferences=preferences, step_minutes=step_minutes, location_ids=[preferred]), limit)
        )
        others = {w.location_id for ws in search.windows.values() for w in ws} - {preferred}
        rest = search.iter_slots(visit_type, preferences=preferences, step_minutes=step_minutes, location_ids=others)
        return first + list(islice(rest, limit - len(first)))
    return list(islice(search.iter_slots(visit_type, preferences=preferences, step_minutes=step_minutes), limit))
