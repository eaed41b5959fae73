"""Pieces the report queries share."""

from __future__ import annotations

import re
import zoneinfo
from decimal import Decimal

from django.db import connection

from clinic.models import Location
from reports.filters import ReportFilters


def fetch(sql: str, params: dict) -> list[tuple]:
    """The rows of one report query, with JIT compilation off for it (SET LOCAL lasts for the
    statement's implicit transaction, or the caller's transaction). A report's plan costs enough
    for PostgreSQL to compile it, which takes longer (0.1-1.5 s) than the query itself."""
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL jit = off; " + sql, params)
        while cursor.description is None and cursor.nextset():
            pass  # past the SET's empty result, to the query's rows
        return cursor.fetchall()


def rate(numerator: float | int, denominator: float | int) -> float | None:
    """A fraction 0–1 rounded to 4 places; None (JSON null) when there is nothing to divide by."""
    if not denominator:
        return None
    return round(float(numerator) / float(denominator), 4)


def number(value) -> float | None:
    if value is None:
        return None
    return round(float(value), 2) if isinstance(value, (float, Decimal)) else value


def report_zone(filters: ReportFilters) -> zoneinfo.ZoneInfo:
    """The zone for facts that belong to no location (tasks, opt-outs): the chosen location's,
    else the clinic's first location's (one query), else UTC."""
    qs = Location.objects.filter(pk=filters.location_id) if filters.location_id else Location.objects.filter(active=True).order_by("id")
    name = qs.values_list("time_zone", flat=True).first()
    return zoneinfo.ZoneInfo(name or "UTC")


def base_params(filters: ReportFilters) -> dict:
    lo, hi = filters.utc_bounds()
    return {
        "lo": lo,
        "hi": hi,
        "start": filters.start,
        "end": filters.end,
        "location": filters.location_id,
        "discipline": filters.discipline_id,
        "provider": filters.provider_id,
    }


# Appointments whose start falls on a local date (in their location's zone) within the range,
# narrowed first by a UTC range the (start, id) index can use. Converting every row to its local
# date is what costs: a start more than three hours inside the location's local range (its bounds
# computed once per location) is in it whatever DST does there; only starts near the edges are
# converted (PostgreSQL evaluates an OR's arms in order and stops at the first true one). `{extra}` adds conditions;
# `{local}` is LOCAL_TIMES where a query needs local times (only there: a conversion per row).
APPOINTMENTS_IN_RANGE = """
    SELECT a.id, a.patient_id, a.status, a.start, a."end", a.room_start, a.room_end, a.created_at, a.cancelled_at,
           a.hold_expires_at, a.provider_id, a.room_id, a.location_id, a.visit_type_id,
           vt.name AS visit_type_name, vt.procedure_family, d.code AS discipline {local}
    FROM scheduling_appointment a
    JOIN scheduling_visittype vt ON vt.id = a.visit_type_id
    JOIN clinic_discipline d ON d.id = vt.discipline_id
    JOIN (
        SELECT id, time_zone,
               (%(start)s::date::timestamp AT TIME ZONE time_zone) + interval '3 hours' AS inner_lo,
               ((%(end)s::date + 1)::timestamp AT TIME ZONE time_zone) - interval '3 hours' AS inner_hi
        FROM clinic_location OFFSET 0  -- a fence: the bounds are computed once per location, not per row
    ) l ON l.id = a.location_id
    WHERE a.start >= %(lo)s AND a.start < %(hi)s
      AND ((a.start >= l.inner_lo AND a.start < l.inner_hi)
           OR (a.start AT TIME ZONE l.time_zone)::date BETWEEN %(start)s AND %(end)s)
      AND (%(location)s::bigint IS NULL OR a.location_id = %(location)s::bigint)
      AND (%(discipline)s::bigint IS NULL OR vt.discipline_id = %(discipline)s::bigint)
      AND (%(provider)s::bigint IS NULL OR a.provider_id = %(provider)s::bigint)
      {extra}
"""

LOCAL_TIMES = """,
           (a.start AT TIME ZONE l.time_zone) AS local_start,
           (a.created_at AT TIME ZONE l.time_zone)::date AS local_booked_on"""

# A hold that was never claimed (a waitlist offer, a bundle's pending time) was never a booking.
BOOKED_ONLY = "AND a.status <> 'held' AND a.hold_expires_at IS NULL"


def named_subquery(queryset, prefix: str) -> tuple[str, dict]:
    """A queryset's SQL with its positional parameters renamed, to sit inside a query written
    with named parameters (psycopg takes one style per statement). Literal %% stay escaped."""
    sql, params = queryset.query.sql_with_params()
    names = iter(f"{prefix}{i}" for i in range(len(params)))
    named = {}

    def rename(match):
        if match.group(1) == "%":
            return "%%"
        name = next(names)
        named[name] = params[len(named)]
        return f"%({name})s"

    return re.sub(r"%(%|s)", rename, sql), named
