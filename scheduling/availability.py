"""Provider availability as concrete UTC intervals.

Templates are wall-clock times in the location's IANA zone, so a 08:00–12:00 block stays
08:00–12:00 local on both sides of a DST change (its UTC offset moves instead). Each input is
loaded with one query per kind, whatever the number of providers or days (Cal.com #21103).
"""

from __future__ import annotations

import zoneinfo
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple

from django.db import connections, router

from clinic.models import Location, Provider
from scheduling.models import AvailabilityException, AvailabilityTemplate, ClinicClosure

UTC = UTC


@dataclass(frozen=True, slots=True)
class Window:
    provider_id: int
    location_id: int
    start: datetime  # UTC
    end: datetime  # UTC
    visit_type_ids: frozenset[int] | None  # None: any visit type of the provider's discipline
    # Where the block really begins before clipping to the search range or cutting out time off,
    # so slot grids stay on the same marks (08:00, 08:30…) whatever range is searched.
    anchor: datetime | None = None

    @property
    def grid_origin(self) -> datetime:
        return self.anchor or self.start

    def allows(self, visit_type_id: int) -> bool:
        return self.visit_type_ids is None or visit_type_id in self.visit_type_ids


class _TemplateRow(NamedTuple):
    id: int
    provider_id: int
    location_id: int
    time_zone: str
    weekday: int
    start_time: time
    end_time: time
    valid_from: date
    valid_until: date | None


def local_datetime(day: date, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
    """The UTC instant of a wall-clock time on a local date. A wall time that does not exist
    (inside a spring-forward gap) is moved forward by the gap, as clocks do."""
    # PEP 495: fold=0 reads a wall time with the offset in force before the change. Inside a
    # spring-forward gap that lands past the gap (02:30 EST = 03:30 EDT), as clocks do; an
    # ambiguous fall-back time means its first occurrence. (fold=1 would move gap times back.)
    return datetime.combine(day, at).replace(tzinfo=zone, fold=0).astimezone(UTC)


def _subtract(intervals: list[tuple[datetime, datetime]], cut: tuple[datetime, datetime]) -> list[tuple[datetime, datetime]]:
    result = []
    for start, end in intervals:
        if cut[1] <= start or cut[0] >= end:
            result.append((start, end))
            continue
        if cut[0] > start:
            result.append((start, cut[0]))
        if cut[1] < end:
            result.append((cut[1], end))
    return result


class _Availability(NamedTuple):
    """What availability is made of for some providers over [start, end), as loaded."""

    provider_ids: list[int]
    start: datetime
    end: datetime
    first_day: date
    last_day: date
    templates: list[_TemplateRow]
    allowed: dict[int, set[int]]
    exceptions: list[_ExceptionRow]
    closures: set[tuple[int | None, date]]


def provider_windows(
    *, provider_ids: list[int], start: datetime, end: datetime, home_locations: dict[int, int | None] | None = None
) -> dict[int, list[Window]]:
    """Working windows per provider within [start, end): templates and extra sessions, minus
    time off and clinic closures. Three queries in all (four when an extra session has no
    location and the caller did not pass the providers' home locations)."""
    if not provider_ids:
        return {}
    return _expand(_load(provider_ids, start, end), home_locations)


def availability_load(*, provider_ids: list[int], start: datetime, end: datetime) -> _Availability:
    """What provider_windows reads, to expand later part by part (availability_windows). Three
    queries."""
    return _load(provider_ids, start, end)


def availability_windows(
    loaded: _Availability, home_locations: dict[int, int | None] | None, *, start: datetime | None = None, end: datetime | None = None
) -> dict[int, list[Window]]:
    """The windows of what availability_load read, within [start, end) of its range when given
    (a block crossing `start` keeps its grid anchor): a search can expand the days it reaches
    rather than the whole range."""
    s = loaded.start if start is None else max(start, loaded.start)
    e = loaded.end if end is None else min(end, loaded.end)
    if s >= e:
        return {}
    if (s, e) != (loaded.start, loaded.end):
        first_day = max(loaded.first_day, (s - timedelta(days=1)).date())
        last_day = min(loaded.last_day, (e + timedelta(days=1)).date())
        loaded = loaded._replace(start=s, end=e, first_day=first_day, last_day=last_day)
    return _expand(loaded, home_locations)


class _ExceptionRow(NamedTuple):
    """An AvailabilityException as the expansion reads it (kind compares equal to its Kind)."""

    id: int
    provider_id: int
    kind: str
    start: datetime
    end: datetime
    location_id: int | None


# The inputs are read with plain SQL: they run on every slot search, and building and compiling
# the equivalent ORM querysets cost more than PostgreSQL took to answer them. Tables and columns
# come from the models' metadata; every value is a bound parameter.
_TEMPLATES_SQL = f"""
    SELECT t.id, t.provider_id, t.location_id, l.time_zone, t.weekday, t.start_time, t.end_time, t.valid_from, t.valid_until,
           ARRAY(SELECT v.visittype_id FROM {AvailabilityTemplate.visit_types.through._meta.db_table} v WHERE v.availabilitytemplate_id = t.id)
    FROM {AvailabilityTemplate._meta.db_table} t JOIN {Location._meta.db_table} l ON l.id = t.location_id
    WHERE t.provider_id = ANY(%s) AND t.valid_from <= %s AND (t.valid_until IS NULL OR t.valid_until >= %s)
"""
_EXCEPTIONS_SQL = f"""
    SELECT id, provider_id, kind, start, "end", location_id FROM {AvailabilityException._meta.db_table}
    WHERE provider_id = ANY(%s) AND start < %s AND "end" > %s
"""
_CLOSURES_SQL = f"SELECT location_id, date FROM {ClinicClosure._meta.db_table} WHERE date >= %s AND date <= %s"


def _load(provider_ids: list[int], start: datetime, end: datetime) -> _Availability:
    # Local dates can differ from UTC dates by up to a day either side.
    first_day = (start - timedelta(days=1)).date()
    last_day = (end + timedelta(days=1)).date()
    # Plain rows, not model instances: a discipline's templates are hundreds of rows per search.
    # The visit types each block allows come with it (an array per row), not in a query of their own.
    templates = []
    allowed: dict[int, set[int]] = defaultdict(set)
    ids = list(provider_ids)
    with connections[router.db_for_read(AvailabilityTemplate)].cursor() as cursor:
        cursor.execute(_TEMPLATES_SQL, [ids, last_day, first_day])
        for *row, visit_type_ids in cursor.fetchall():
            template = _TemplateRow(*row)
            templates.append(template)
            if visit_type_ids:
                allowed[template.id].update(visit_type_ids)
        cursor.execute(_EXCEPTIONS_SQL, [ids, end, start])
        exceptions = [_ExceptionRow(*row) for row in cursor.fetchall()]
        cursor.execute(_CLOSURES_SQL, [first_day, last_day])
        closures = {(location_id, day) for location_id, day in cursor.fetchall()}
    return _Availability(provider_ids, start, end, first_day, last_day, templates, allowed, exceptions, closures)


def _expand(
    loaded: _Availability, home_locations: dict[int, int | None] | None, days: set[tuple[int, date]] | None = None
) -> dict[int, list[Window]]:
    """The windows of what `_load` read; with `days`, template blocks only on those (location,
    local date) pairs (extra sessions and time off everywhere)."""
    provider_ids, start, end, first_day, last_day, templates, allowed, exceptions, closures = loaded
    # Templates share their wall-clock times across providers and weeks: convert each (zone, day,
    # time) once per call rather than once per template and day (a year of 300 templates is
    # ~40,000 conversions, ~2,000 of them distinct).
    instants: dict[tuple[str, date, time], datetime] = {}

    def instant(day: date, at: time, zone: zoneinfo.ZoneInfo) -> datetime:
        key = (zone.key, day, at)
        found = instants.get(key)
        if found is None:
            found = instants[key] = local_datetime(day, at, zone)
        return found

    windows: dict[int, list[Window]] = defaultdict(list)
    for template in templates:
        zone = zoneinfo.ZoneInfo(template.time_zone)  # ZoneInfo caches instances by key
        vt_ids = frozenset(allowed[template.id]) or None
        # Step straight from one matching weekday to the next rather than testing every day.
        day = first_day + timedelta(days=(template.weekday - first_day.weekday()) % 7)
        while day <= last_day:
            if (
                (days is None or (template.location_id, day) in days)
                and day >= template.valid_from
                and (template.valid_until is None or day <= template.valid_until)
                and (template.location_id, day) not in closures
                and (None, day) not in closures
            ):
                anchor = instant(day, template.start_time, zone)
                w_start = max(anchor, start)
                w_end = min(instant(day, template.end_time, zone), end)
                if w_start < w_end:
                    windows[template.provider_id].append(Window(template.provider_id, template.location_id, w_start, w_end, vt_ids, anchor))
            day += timedelta(days=7)
    home_locations = dict(home_locations or {})
    zones = {t.location_id: t.time_zone for t in templates}
    for exception in exceptions:
        if exception.kind == AvailabilityException.Kind.EXTRA:
            location_id = exception.location_id or home_locations.get(exception.provider_id)
            if location_id is None and exception.provider_id not in home_locations:
                home_locations.update(Provider.objects.filter(id__in=provider_ids).values_list("id", "home_location_id"))
                location_id = exception.location_id or home_locations.get(exception.provider_id)
            if location_id is not None and closures:
                if location_id not in zones:
                    zones.update(Location.objects.filter(id=location_id).values_list("id", "time_zone"))
                local_day = exception.start.astimezone(zoneinfo.ZoneInfo(zones[location_id])).date()
                if (location_id, local_day) in closures or (None, local_day) in closures:
                    continue  # a closure wins over an extra session booked before it was declared
            w_start, w_end = max(exception.start, start), min(exception.end, end)
            if w_start < w_end and location_id is not None:
                windows[exception.provider_id].append(Window(exception.provider_id, location_id, w_start, w_end, None, exception.start))
    for exception in exceptions:
        if exception.kind != AvailabilityException.Kind.TIME_OFF:
            continue
        pieces = []
        for window in windows.get(exception.provider_id, []):
            for s, e in _subtract([(window.start, window.end)], (exception.start, exception.end)):
                pieces.append(Window(window.provider_id, window.location_id, s, e, window.visit_type_ids, window.grid_origin))
        windows[exception.provider_id] = pieces
    return {pid: sorted(ws, key=lambda w: (w.start, w.location_id)) for pid, ws in windows.items()}


def window_covering(*, provider_id: int, visit_type_id: int, start: datetime, end: datetime) -> Window | None:
    """The working window that contains [start, end) and allows the visit type, if any."""
    for window in provider_windows(provider_ids=[provider_id], start=start, end=end).get(provider_id, []):
        if window.start <= start and end <= window.end and window.allows(visit_type_id):
            return window
    return None


def _changes_offset(day: date, zone: zoneinfo.ZoneInfo) -> bool:
    """Whether the zone's UTC offset moves at any moment of the local date (a DST day)."""
    offsets = {datetime.combine(day, at).replace(tzinfo=zone, fold=fold).utcoffset() for at in (time(0), time.max) for fold in (0, 1)}
    return len(offsets) > 1


def _minute_of_day(at: time) -> float:
    return at.hour * 60 + at.minute + (at.second + at.microsecond / 1e6) / 60


def _union_length(spans: list[tuple[float, float]]) -> float:
    total, current = 0.0, None
    for s, e in sorted(spans):
        if current is None or s > current[1]:
            if current is not None:
                total += current[1] - current[0]
            current = [s, e]
        elif e > current[1]:
            current[1] = e
    if current is not None:
        total += current[1] - current[0]
    return total


def working_minutes(
    *, provider_ids: list[int], zones: dict[int, str], first_day: date, last_day: date, location_id: int | None = None
) -> tuple[dict[int, float], dict[int, float]]:
    """Minutes of work over the local dates first_day..last_day (each location's own zone):
    per provider (templates and extra sessions, minus time off and closures: the sum of their
    `provider_windows`), and per location the minutes anyone of them works there (overlaps
    once). `zones`: location id -> IANA zone, for every location; `location_id` keeps that
    location's work only. Three queries, as provider_windows.

    Templates are weekly wall-clock blocks, so an ordinary day's work is its templates' wall-clock
    lengths: those days are counted, not expanded. Days that are not ordinary are expanded into
    windows exactly as provider_windows does: DST days (the day's UTC length differs from its
    wall-clock length; a block's minutes are the time really worked, 08:00-12:00 across a change
    at 02:00 is still 4 hours but 01:00-03:00 is 1 hour in spring), closure days, and every local
    date any exception (time off, extra session) touches."""
    if not provider_ids or not zones:
        return {}, {}
    bounds = {}
    for lid, tz in zones.items():
        zone = zoneinfo.ZoneInfo(tz)
        lo = datetime.combine(first_day, time(0)).replace(tzinfo=zone, fold=0).astimezone(UTC)
        hi = datetime.combine(last_day + timedelta(days=1), time(0)).replace(tzinfo=zone, fold=0).astimezone(UTC)
        bounds[lid] = (lo, hi)
    loaded = _load(provider_ids, min(b[0] for b in bounds.values()), max(b[1] for b in bounds.values()))

    days = [first_day + timedelta(days=n) for n in range((last_day - first_day).days + 1)]
    special: set[tuple[int, date]] = set()
    for lid, tz in zones.items():
        zone = zoneinfo.ZoneInfo(tz)
        special.update((lid, day) for day in days if _changes_offset(day, zone))
        for closed_at, day in loaded.closures:
            if closed_at is None or closed_at == lid:
                special.add((lid, day))
        for exception in loaded.exceptions:
            day, last = exception.start.astimezone(zone).date(), exception.end.astimezone(zone).date()
            while day <= last:
                special.add((lid, day))
                day += timedelta(days=1)

    provider_minutes: dict[int, float] = defaultdict(float)
    location_minutes: dict[int, float] = defaultdict(float)
    staffed: dict[int, list[tuple[float, float]]] = defaultdict(list)
    origin = min(b[0] for b in bounds.values())
    for w in (w for ws in _expand(loaded, None, special).values() for w in ws):
        if location_id and w.location_id != location_id:
            continue
        w_lo, w_hi = bounds[w.location_id]
        s, e = max(w.start, w_lo), min(w.end, w_hi)
        if s < e:
            provider_minutes[w.provider_id] += (e - s).total_seconds() / 60
            staffed[w.location_id].append(((s - origin).total_seconds() / 60, (e - origin).total_seconds() / 60))
    for lid, spans in staffed.items():
        location_minutes[lid] += _union_length(spans)

    # Ordinary days: group them by (location, the templates that apply), then count.
    by_weekday: dict[tuple[int, int], list[_TemplateRow]] = defaultdict(list)
    for t in loaded.templates:
        if not location_id or t.location_id == location_id:
            by_weekday[(t.location_id, t.weekday)].append(t)
    groups: dict[tuple[int, tuple[_TemplateRow, ...]], int] = defaultdict(int)
    for lid in zones:
        for day in days:
            if (lid, day) in special:
                continue
            applying = tuple(
                t
                for t in by_weekday.get((lid, day.weekday()), ())
                if t.valid_from <= day and (t.valid_until is None or day <= t.valid_until)
            )
            if applying:
                groups[(lid, applying)] += 1
    for (lid, applying), count in groups.items():
        spans = [(_minute_of_day(t.start_time), _minute_of_day(t.end_time)) for t in applying]
        for t, (t_start, t_end) in zip(applying, spans, strict=True):
            provider_minutes[t.provider_id] += count * (t_end - t_start)
        location_minutes[lid] += count * _union_length(spans)
    return dict(provider_minutes), dict(location_minutes)
