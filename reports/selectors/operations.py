"""The operational report: who does not come, how full the book is, how fast the next visit is,
whether the waitlist refills freed time, reminders and task queues. A fixed number of queries
(about 20) whatever the date range; no loop over appointment rows in Python."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.db.models import Q
from django.utils import timezone

from careplans.models import DISCIPLINE_QUEUE, OPEN_TASK_STATUSES
from clinic.models import Discipline, Location, Provider, Room
from reports.filters import ReportFilters
from reports.selectors.common import APPOINTMENTS_IN_RANGE, base_params, fetch, rate, report_zone
from scheduling.availability import working_minutes
from scheduling.models import AppointmentStatus as S
from scheduling.models import VisitType
from scheduling.slots import SlotSearch

# How far ahead third-next-available looks; null when fewer than three slots are free in it.
TNA_HORIZON_DAYS = 60
WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
LEAD_TIMES = ["same day", "1–7 days", "8–30 days", "over 30 days"]
# Booked time for utilisation: everything that took the slot off the book (a no-show did too).
USED_STATUSES = [S.BOOKED, S.CONFIRMED, S.CHECKED_IN, S.IN_PROGRESS, S.COMPLETED, S.NO_SHOW]
# Confirmations the patient gave themselves, by SMS reply or signed link (appointment_confirm's reason).
PATIENT_CONFIRMATIONS = ["confirmed via sms", "confirmed via patient link"]

# Attendance by visit type, discipline, weekday and lead time, and booked minutes by provider and
# by room, in one pass over the rollup (reports.AppointmentDay, kept by a trigger on the
# appointments: a year is a few tens of thousands of narrow rows, no per-row time-zone work).
# Grouping sets; GROUPING() says which row is which. A late cancellation has at most
# `late_hours` of notice: the rollup's notice is in whole hours rounded up, exact for a whole
# number of hours (reports/migrations/0004_appointment_day_trigger.py).
_COUNTS = """
WITH g AS (
    SELECT r.visit_type_id, vt.name AS visit_type_name, d.code AS discipline, r.provider_id, r.room_id, r.lead,
           EXTRACT(ISODOW FROM r.day)::int - 1 AS weekday, r.status, r.notice_hours, r.n, r.visit_micros, r.room_micros
    FROM reports_appointmentday r
    JOIN scheduling_visittype vt ON vt.id = r.visit_type_id
    JOIN clinic_discipline d ON d.id = vt.discipline_id
    WHERE r.day BETWEEN %(start)s AND %(end)s AND r.n <> 0
      AND (%(location)s::bigint IS NULL OR r.location_id = %(location)s::bigint)
      AND (%(discipline)s::bigint IS NULL OR vt.discipline_id = %(discipline)s::bigint)
      AND (%(provider)s::bigint IS NULL OR r.provider_id = %(provider)s::bigint)
)
SELECT GROUPING(visit_type_id, discipline, weekday, lead, provider_id, room_id) AS g,
       visit_type_id, min(visit_type_name), discipline, weekday, lead, provider_id, room_id,
       COALESCE(sum(n), 0)::int,
       COALESCE(sum(n) FILTER (WHERE status = 'cancelled' AND notice_hours > %(late_hours)s), 0)::int,
       COALESCE(sum(n) FILTER (WHERE status = 'cancelled' AND notice_hours <= %(late_hours)s), 0)::int,
       COALESCE(sum(n) FILTER (WHERE status = 'noshow'), 0)::int,
       COALESCE(sum(n) FILTER (WHERE status = ANY(%(used)s)), 0)::int,
       sum(visit_micros) FILTER (WHERE status = ANY(%(used)s)) / 60000000.0,
       sum(room_micros) FILTER (WHERE status = ANY(%(used)s)) / 60000000.0
FROM g
GROUP BY GROUPING SETS ((), (visit_type_id), (discipline), (weekday), (lead), (provider_id), (room_id))
"""
# GROUPING() values: a bit per column not grouped by, first column highest.
_ALL, _BY_VISIT_TYPE, _BY_DISCIPLINE, _BY_WEEKDAY, _BY_LEAD, _BY_PROVIDER, _BY_ROOM = 63, 31, 47, 55, 59, 61, 62

_WAITLIST_AND_REMINDERS = f"""
WITH every AS MATERIALIZED (  -- read once, narrow: the subqueries below scan it several times
    SELECT id, status, start, "end", cancelled_at, hold_expires_at FROM ({APPOINTMENTS_IN_RANGE.format(extra="", local="")}) x
),
booked AS (SELECT * FROM every WHERE status <> 'held' AND hold_expires_at IS NULL),
offers AS (
    SELECT e.to_status, e.appointment_id FROM scheduling_waitlistevent e JOIN every ON every.id = e.appointment_id
    WHERE e.to_status IN ('offered', 'booked')
)
SELECT
    (SELECT count(*) FROM offers WHERE to_status = 'offered'),
    (SELECT count(*) FROM offers WHERE to_status = 'booked'),
    (SELECT COALESCE(sum(EXTRACT(EPOCH FROM "end" - start)), 0) / 60 FROM booked
        WHERE status = 'cancelled' AND cancelled_at < start),
    (SELECT COALESCE(sum(EXTRACT(EPOCH FROM "end" - start)), 0) / 60 FROM every
        WHERE id IN (SELECT appointment_id FROM offers WHERE to_status = 'booked')),
    (SELECT count(*) FROM messaging_message m JOIN booked ON booked.id = m.appointment_id
        WHERE m.purpose = 'reminder' AND m.sent_at IS NOT NULL),
    (SELECT count(*) FROM messaging_message m JOIN booked ON booked.id = m.appointment_id
        WHERE m.purpose = 'reminder' AND m.sent_at IS NOT NULL AND (m.delivered_at IS NOT NULL OR m.status = 'delivered')),
    (SELECT count(DISTINCT ev.appointment_id) FROM scheduling_appointmentevent ev JOIN booked ON booked.id = ev.appointment_id
        WHERE ev.to_status = 'confirmed' AND ev.reason = ANY(%(confirmations)s)),
    (SELECT count(*) FROM messaging_inboundsms s
        WHERE s.action = 'opt_out' AND s.received_at >= %(zlo)s AND s.received_at < %(zhi)s
          AND (%(location)s::bigint IS NULL OR EXISTS (
              SELECT 1 FROM scheduling_appointment x WHERE x.patient_id = s.patient_id AND x.location_id = %(location)s::bigint)))
    + (SELECT count(*) FROM messaging_patientlink k
        WHERE k.purpose = 'unsubscribe' AND k.used_at >= %(zlo)s AND k.used_at < %(zhi)s
          AND (%(location)s::bigint IS NULL OR EXISTS (
              SELECT 1 FROM scheduling_appointment x WHERE x.patient_id = k.patient_id AND x.location_id = %(location)s::bigint)))
"""

_TASKS = """
WITH t AS (
    SELECT t.status, t.due, t.created_at, t.completed_at, t.escalated_at,
           COALESCE(NULLIF(t.assignee_role, ''), {queue_case}, 'provider') AS queue
    FROM careplans_task t
    LEFT JOIN clinic_provider p ON p.id = t.assignee_provider_id
    LEFT JOIN clinic_discipline d ON d.id = p.discipline_id
    LEFT JOIN scheduling_appointment a ON a.id = t.appointment_id
    WHERE t.created_at >= %(zlo)s AND t.created_at < %(zhi)s
      AND (%(location)s::bigint IS NULL OR a.location_id = %(location)s::bigint)
      AND (%(provider)s::bigint IS NULL OR t.assignee_provider_id = %(provider)s::bigint)
      AND (%(discipline)s::bigint IS NULL OR p.discipline_id = %(discipline)s::bigint OR t.assignee_role = %(discipline_queue)s)
)
SELECT GROUPING(queue), queue,
       count(*) FILTER (WHERE status = ANY(%(open)s)),
       count(*) FILTER (WHERE due IS NOT NULL AND status <> 'cancelled'),
       count(*) FILTER (WHERE due IS NOT NULL AND status <> 'cancelled'
                        AND (completed_at > due OR (status = ANY(%(open)s) AND due < %(now)s))),
       count(*) FILTER (WHERE escalated_at IS NOT NULL),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY EXTRACT(EPOCH FROM completed_at - created_at) / 3600)
           FILTER (WHERE status = 'completed' AND completed_at IS NOT NULL)
FROM t GROUP BY GROUPING SETS ((), (queue))
"""


def _queue_case() -> str:
    # A task held by a named provider is counted in their discipline's queue.
    whens = " ".join(f"WHEN '{code}' THEN '{queue.value}'" for code, queue in DISCIPLINE_QUEUE.items())
    return f"CASE d.code {whens} ELSE NULL END"


def operations_report(*, filters: ReportFilters, now: datetime | None = None) -> dict:
    """The operational figures for appointments on local dates start..end (inclusive). Without
    `now` (the live report), third-next-available may come from a cache up to
    REPORTS_TNA_CACHE_SECONDS old."""
    live = now is None
    now = now or timezone.now()
    params = base_params(filters)
    zone = report_zone(filters)
    zlo, zhi = filters.local_bounds(zone)
    result: dict = {}
    rows = fetch(_COUNTS, {**params, "late_hours": settings.REPORTS_LATE_CANCEL_HOURS, "used": [str(s) for s in USED_STATUSES]})
    result.update(_attendance(rows))
    result["utilisation"] = _utilisation(filters, rows)
    result.update(_waitlist_and_reminders(params, zlo, zhi))
    result["tasks"] = _tasks(filters, params, zlo, zhi, now)
    result["third_next_available_days"] = (_third_next_available_cached if live else third_next_available)(filters=filters, now=now)
    return result


def _rates(total: int, early: int, late: int, no_shows: int) -> dict:
    # Cancelled well ahead, the time could be given to someone else: only the visits still on
    # the book at the late-cancellation cut-off can be missed or cancelled late.
    due = total - early
    return {"appointments": total, "no_show_rate": rate(no_shows, due), "late_cancel_rate": rate(late, due)}


def _attendance(rows: list[tuple]) -> dict:
    out = {"appointments": 0, "no_show_rate": None, "late_cancel_rate": None}
    breakdown: dict[str, list] = {"visit_type": [], "discipline": [], "weekday": [], "lead_time": []}
    for g, vt_id, vt_name, discipline, weekday, lead, _, _, total, early, late, no_shows, *_ in rows:
        figures = _rates(total, early, late, no_shows)
        figures.update(no_shows=no_shows, late_cancellations=late)
        if g == _ALL:
            out.update(_rates(total, early, late, no_shows))
        elif g == _BY_VISIT_TYPE:
            breakdown["visit_type"].append({"key": vt_id, "label": vt_name, **figures})
        elif g == _BY_DISCIPLINE:
            breakdown["discipline"].append({"key": discipline, "label": discipline, **figures})
        elif g == _BY_WEEKDAY:
            breakdown["weekday"].append({"key": weekday, "label": WEEKDAYS[weekday], **figures})
        elif g == _BY_LEAD:
            breakdown["lead_time"].append({"key": lead, "label": LEAD_TIMES[lead], **figures})
    for key in ("weekday", "lead_time"):
        breakdown[key].sort(key=lambda row: row["key"])
    for key in ("visit_type", "discipline"):
        breakdown[key].sort(key=lambda row: row["label"])
    out["breakdown"] = breakdown
    return out


def _utilisation(filters: ReportFilters, rows: list[tuple]) -> dict:
    booked_provider: dict[int, float] = {}
    booked_room: dict[int, float] = {}
    for g, *_, provider_id, room_id, _, _, _, _, used, minutes, room_minutes in rows:
        if not used:
            continue  # only cancelled (or rescheduled) visits: no booked time
        if g == _BY_PROVIDER and provider_id is not None:
            booked_provider[provider_id] = float(minutes or 0)
        elif g == _BY_ROOM and room_id is not None:
            booked_room[room_id] = float(room_minutes or 0)

    # Active providers, and any booked in the range though inactive now: one query either way.
    providers = Provider.objects.filter(Q(active=True) | Q(pk__in=list(booked_provider)))
    if filters.discipline_id:
        providers = providers.filter(discipline_id=filters.discipline_id)
    if filters.provider_id:
        providers = providers.filter(pk=filters.provider_id)
    provider_rows = list(providers.order_by("last_name", "first_name", "id").values_list("id", "first_name", "last_name", "credentials"))
    locations = {
        lid: (name, tz) for lid, name, tz in Location.objects.values_list("id", "name", "time_zone")
    }  # a handful of rows: the clinic's sites
    # Template minutes: each provider's working time on the range's local dates (its location's
    # zone), and per location the time anyone works there (a room is open while anyone works).
    template, open_minutes = working_minutes(
        provider_ids=[r[0] for r in provider_rows],
        zones={lid: tz for lid, (_, tz) in locations.items()},
        first_day=filters.start,
        last_day=filters.end,
        location_id=filters.location_id,
    )
    provider_out = []
    for pid, first, last, credentials in provider_rows:
        booked, available = booked_provider.get(pid, 0.0), template.get(pid, 0.0)
        if booked or available:
            provider_out.append(
                {
                    "id": pid,
                    "name": f"{first} {last}, {credentials}",
                    "booked_minutes": round(booked),
                    "template_minutes": round(available),
                    "rate": rate(booked, available),
                }
            )
    # A room is available while anyone works at its location (templates minus time off and closures).
    rooms = Room.objects.filter(active=True)
    if filters.location_id:
        rooms = rooms.filter(location_id=filters.location_id)
    room_out = []
    for room_id, name, location_id in rooms.order_by("location_id", "name", "id").values_list("id", "name", "location_id"):
        booked, available = booked_room.get(room_id, 0.0), open_minutes.get(location_id, 0.0)
        if booked or available:
            room_out.append(
                {
                    "id": room_id,
                    "name": f"{name} ({locations[location_id][0]})",
                    "booked_minutes": round(booked),
                    "template_minutes": round(available),
                    "rate": rate(booked, available),
                }
            )
    return {"providers": provider_out, "rooms": room_out}


def _waitlist_and_reminders(params: dict, zlo: datetime, zhi: datetime) -> dict:
    ((offers, accepted, freed, refilled, sent, delivered, confirmed, opted_out),) = fetch(
        _WAITLIST_AND_REMINDERS, {**params, "zlo": zlo, "zhi": zhi, "confirmations": PATIENT_CONFIRMATIONS}
    )
    freed, refilled = float(freed), float(refilled)
    return {
        "waitlist": {
            "offers": offers,
            "accepted": accepted,
            "freed_minutes": round(freed),
            "refilled_minutes": round(refilled),
            "refill_rate": rate(refilled, freed),
        },
        "reminders": {"sent": sent, "delivered": delivered, "confirmed": confirmed, "opted_out": opted_out},
    }


def _tasks(filters: ReportFilters, params: dict, zlo: datetime, zhi: datetime, now: datetime) -> dict:
    discipline_queue = None
    if filters.discipline_id:
        code = Discipline.objects.filter(pk=filters.discipline_id).values_list("code", flat=True).first()
        discipline_queue = DISCIPLINE_QUEUE.get(code)
    rows = fetch(
        _TASKS.format(queue_case=_queue_case()),
        {
            **params,
            "zlo": zlo,
            "zhi": zhi,
            "now": now,
            "open": [str(s) for s in OPEN_TASK_STATUSES],
            "discipline_queue": str(discipline_queue) if discipline_queue else None,
        },
    )
    out = {"open": 0, "overdue_rate": None, "escalations": 0, "median_hours_to_complete": {}}
    for g, queue, open_, with_due, overdue, escalations, median in rows:
        if g == 1:
            out.update(open=open_, overdue_rate=rate(overdue, with_due), escalations=escalations)
        elif median is not None:
            out["median_hours_to_complete"][queue] = round(float(median), 1)
    out["median_hours_to_complete"] = dict(sorted(out["median_hours_to_complete"].items()))
    return out


def _third_next_available_cached(*, filters: ReportFilters, now: datetime) -> dict[str, int | None]:
    """third_next_available "as of now", kept REPORTS_TNA_CACHE_SECONDS per location, discipline
    and provider filter: the slot engine over 60 days costs more than the rest of a month's report,
    and the measure moves by whole days. The key names the database and the visit types asked
    about, so a cache shared by several databases (tests) never answers for the wrong one."""
    seconds = settings.REPORTS_TNA_CACHE_SECONDS
    if seconds <= 0:
        return third_next_available(filters=filters, now=now)
    visit_types = tna_visit_types(filters)
    ids = ",".join(str(vt.pk) for vt in visit_types)
    key = f"reports:tna:{connection.settings_dict['NAME']}:{filters.location_id}:{filters.discipline_id}:{filters.provider_id}:{ids}"
    found = cache.get(key)
    if found is None:
        found = third_next_available(filters=filters, now=now, visit_types=visit_types)
        cache.set(key, found, timeout=seconds)
    return found


def tna_visit_types(filters: ReportFilters) -> list[VisitType]:
    """Per discipline, the visit a new patient books first: the longest active in-person visit
    type that is not a procedure (new-patient consults are the longest; ties to the lowest id)."""
    qs = VisitType.objects.filter(active=True, is_procedure=False, telehealth=False, discipline__active=True)
    if filters.discipline_id:
        qs = qs.filter(discipline_id=filters.discipline_id)
    if filters.provider_id:
        qs = qs.filter(discipline__providers=filters.provider_id)
    chosen: dict[int, VisitType] = {}
    for vt in qs.select_related("discipline").order_by("discipline_id", "-duration_minutes", "id"):
        chosen.setdefault(vt.discipline_id, vt)
    return list(chosen.values())


def third_next_available(
    *, filters: ReportFilters, now: datetime | None = None, visit_types: list[VisitType] | None = None
) -> dict[str, int | None]:
    """Days from today to the third free slot of each discipline's new-patient visit type, as the
    slot engine sees the book now (not historical). Calendar days in the slot's location zone."""
    now = now or timezone.now()
    visit_types = tna_visit_types(filters) if visit_types is None else visit_types
    if not visit_types:
        return {}
    search = SlotSearch(
        visit_types=visit_types, start=now, end=now + timedelta(days=TNA_HORIZON_DAYS), provider=filters.provider_id, now=now
    )
    out: dict[str, int | None] = {}
    for vt in visit_types:
        found = 0
        out[vt.discipline.code] = None
        for slot in search.iter_slots(vt):
            if filters.location_id and slot.location_id != filters.location_id:
                continue
            found += 1
            if found == 3:
                zone = search.zone(slot.location_id)
                out[vt.discipline.code] = (slot.start.astimezone(zone).date() - now.astimezone(zone).date()).days
                break
    return dict(sorted(out.items()))
