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

from django.db.models import Q

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


def provider_windows(
    *, provider_ids: list[int], start: datetime, end: datetime, home_locations: dict[int, int | None] | None = None
) -> dict[int, list[Window]]:
    """Working windows per provider within [start, end): templates and extra sessions, minus
    time off and clinic closures. Four queries in all (five when an extra session has no
    location and the caller did not pass the providers' home locations)."""
    if not provider_ids:
        return {}
    # Local dates can differ from UTC dates by up to a day either side.
    first_day = (start - timedelta(days=1)).date()
    last_day = (end + timedelta(days=1)).date()
    # Plain rows, not model instances: a discipline's templates are hundreds of rows per search.
    templates = [
        _TemplateRow(*row)
        for row in AvailabilityTemplate.objects.filter(provider_id__in=provider_ids, valid_from__lte=last_day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=first_day))
        .order_by()
        .values_list(
            "id", "provider_id", "location_id", "location__time_zone", "weekday", "start_time", "end_time", "valid_from", "valid_until"
        )
    ]
    allowed: dict[int, set[int]] = defaultdict(set)
    if templates:
        through = AvailabilityTemplate.visit_types.through
        for template_id, visit_type_id in through.objects.filter(availabilitytemplate_id__in=[t.id for t in templates]).values_list(
            "availabilitytemplate_id", "visittype_id"
        ):
            allowed[template_id].add(visit_type_id)
    exceptions = list(AvailabilityException.objects.filter(provider_id__in=provider_ids, start__lt=end, end__gt=start))
    closures = set()
    for location_id, day in ClinicClosure.objects.filter(date__gte=first_day, date__lte=last_day).values_list("location_id", "date"):
        closures.add((location_id, day))

    windows: dict[int, list[Window]] = defaultdict(list)
    for template in templates:
        zone = zoneinfo.ZoneInfo(template.time_zone)  # ZoneInfo caches instances by key
        vt_ids = frozenset(allowed[template.id]) or None
        # Step straight from one matching weekday to the next rather than testing every day.
        day = first_day + timedelta(days=(template.weekday - first_day.weekday()) % 7)
        while day <= last_day:
            if (
                day >= template.valid_from
                and (template.valid_until is None or day <= template.valid_until)
                and (template.location_id, day) not in closures
                and (None, day) not in closures
            ):
                anchor = local_datetime(day, template.start_time, zone)
                w_start = max(anchor, start)
                w_end = min(local_datetime(day, template.end_time, zone), end)
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
