"""The outcome registry: for each procedure, the patient's score before it and at each follow-up
window, and whether it changed meaningfully; PHQ-9/GAD-7 trends for psychology; care-plan goals
met or not. SQL aggregates in a fixed number of queries; the patient-level variants are read only
for patients the access policy lets the caller see (the view passes that queryset in)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.db.models import QuerySet
from django.utils import timezone

from careplans.scoring import NRS_MIN_FRACTION, NRS_MIN_POINTS, ODI_MCID
from reports.filters import TREND_INSTRUMENTS, ReportFilters
from reports.models import OutcomeWindow
from reports.selectors.common import APPOINTMENTS_IN_RANGE, LOCAL_TIMES, base_params, fetch, named_subquery, rate, report_zone

GOAL_MEASURES = ["NRS", "PEG", "ODI", "PHQ-9", "GAD-7"]


def thresholds(instrument: str) -> tuple[Decimal, Decimal | None]:
    """(points, fraction of the baseline) that make a change meaningful: careplans.scoring's rule
    (NRS/PEG ≥2 points or ≥30 %; ODI ≥12.8 points; PHQ-9/GAD-7 ≥5 points)."""
    if instrument in ("NRS", "PEG"):
        return NRS_MIN_POINTS, NRS_MIN_FRACTION
    if instrument == "ODI":
        return ODI_MCID, None
    return Decimal(5), None


def windows() -> list[OutcomeWindow]:
    return list(OutcomeWindow.objects.order_by("target_days", "key"))


def _patients_clause(patients: QuerySet | None, column: str) -> tuple[str, dict]:
    if patients is None:
        return "", {}
    sql, named = named_subquery(patients.order_by().values("pk"), "allowed_")
    return f"AND {column} IN ({sql})", named


_EPISODES = """
WITH proc AS (
    SELECT DISTINCT ON (appt.patient_id, appt.procedure_family)
           appt.id, appt.patient_id, appt.procedure_family AS family, appt.start, appt.provider_id, appt.local_start
    FROM ({appointments}) appt
    ORDER BY appt.patient_id, appt.procedure_family, appt.start, appt.id
),
-- Materialised so each scalar subquery runs once per row: inlined, every later reference to
-- `baseline` or `score` (the improved/worse tests name them several times) would run it again.
base AS MATERIALIZED (
    SELECT proc.*, (
        SELECT r.score FROM careplans_questionnaireresponse r
        WHERE r.patient_id = proc.patient_id AND r.questionnaire = %(instrument)s
          AND r.answered_at <= proc.start AND r.answered_at >= proc.start - interval '30 days'
        ORDER BY r.answered_at DESC, r.id DESC LIMIT 1) AS baseline
    FROM proc
),
w AS (
    SELECT * FROM unnest(%(keys)s::text[], %(targets)s::int[], %(froms)s::int[], %(tos)s::int[]) AS w(key, target, lo, hi)
),
fu AS MATERIALIZED (
    SELECT base.family, base.patient_id, base.id AS appointment_id, w.key, base.baseline,
           base.start + make_interval(days => w.hi + 1) <= %(now)s AS closed,
           -- The aggregates read closed windows only: the answers of open ones are not looked up then.
           CASE WHEN %(every_window)s OR base.start + make_interval(days => w.hi + 1) <= %(now)s THEN
           (SELECT r.score FROM careplans_questionnaireresponse r
            WHERE r.patient_id = base.patient_id AND r.questionnaire = %(instrument)s
              AND r.answered_at >= base.start + make_interval(days => w.lo)
              AND r.answered_at < base.start + make_interval(days => w.hi + 1)
            ORDER BY abs(EXTRACT(EPOCH FROM r.answered_at - (base.start + make_interval(days => w.target)))), r.answered_at, r.id
            LIMIT 1) END AS score
    FROM base CROSS JOIN w WHERE base.baseline IS NOT NULL
),
judged AS (
    SELECT fu.*,
        score < baseline AND (baseline - score >= %(points)s
            OR (%(fraction)s::numeric IS NOT NULL AND baseline > 0 AND (baseline - score) / baseline >= %(fraction)s::numeric)) AS improved,
        score > baseline AND (score - baseline >= %(points)s
            OR (%(fraction)s::numeric IS NOT NULL AND baseline > 0 AND (score - baseline) / baseline >= %(fraction)s::numeric)) AS worse
    FROM fu
)
"""

_TOTALS = "SELECT GROUPING(family), family, count(*), count(baseline) FROM base GROUP BY GROUPING SETS ((family), ())"
_WINDOWS = """
SELECT GROUPING(family), family, key, count(*), count(score),
       count(*) FILTER (WHERE improved), count(*) FILTER (WHERE worse),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY score - baseline) FILTER (WHERE score IS NOT NULL)
FROM judged WHERE closed GROUP BY GROUPING SETS ((family, key), (key))
"""
_ROWS = """
SELECT base.patient_id, base.family, base.id, base.provider_id, base.local_start::date, base.baseline, judged.key, judged.score,
       judged.improved, judged.worse
FROM base LEFT JOIN judged ON judged.appointment_id = base.id
ORDER BY base.local_start, base.id, judged.key
LIMIT %(row_limit)s
"""


def _episode_sql(filters: ReportFilters, *, patients: QuerySet | None, now: datetime, every_window: bool = True) -> tuple[str, dict]:
    clause, named = _patients_clause(patients, "a.patient_id")
    extra = f"AND a.status = 'completed' AND vt.procedure_family = ANY(%(families)s) {clause}"
    ws = windows()
    points, fraction = thresholds(filters.instrument)
    params = {
        **base_params(filters),
        **named,
        "families": filters.families,
        "instrument": filters.instrument,
        "keys": [w.key for w in ws],
        "targets": [w.target_days for w in ws],
        "froms": [w.from_days for w in ws],
        "tos": [w.to_days for w in ws],
        "now": now,
        "every_window": every_window,
        "points": points,
        "fraction": fraction,
    }
    return _EPISODES.format(appointments=APPOINTMENTS_IN_RANGE.format(extra=extra, local=LOCAL_TIMES)), params


def _empty_window() -> dict:
    return {"answered": 0, "improved": 0, "worse": 0, "median_change": None, "due": 0, "completeness": None}


def outcome_report(*, filters: ReportFilters, now: datetime | None = None) -> dict:
    """{"treated", "with_baseline", "followup": {key: {...}}, "families": {family: same shape}}.

    A patient's first completed procedure of a family on a local date in the range is one
    episode; `treated` counts episodes (patients, for one family). A window's figures count the
    episodes with a baseline whose window has closed (`due`): counting early answers of windows
    still open, but not the missing ones, would flatter completeness."""
    now = now or timezone.now()
    sql, params = _episode_sql(filters, patients=None, now=now, every_window=False)
    keys = params["keys"]
    families: dict[str, dict] = {}
    total = {"treated": 0, "with_baseline": 0}

    def cell(family):
        if family is None:
            return total
        return families.setdefault(family, {"treated": 0, "with_baseline": 0})

    for g, family, treated, with_baseline in fetch(sql + _TOTALS, params):
        cell(None if g else family).update(treated=treated, with_baseline=with_baseline)
    for target in [total, *families.values()]:
        target["followup"] = {key: _empty_window() for key in keys}
    for g, family, key, due, answered, improved, worse, median in fetch(sql + _WINDOWS, params):
        target = total if g else families[family]
        target["followup"][key] = {
            "answered": answered,
            "improved": improved,
            "worse": worse,
            "median_change": None if median is None else round(float(median), 2),
            "due": due,
            "completeness": rate(answered, due),
        }
    total["families"] = dict(sorted(families.items()))
    return total


def outcome_rows(*, filters: ReportFilters, patients: QuerySet, now: datetime | None = None, limit: int = 500) -> list[dict]:
    """Patient-level episodes, only for `patients` (core.access.patients(user, CLINICAL)): the
    caller records the look (core.audit.looked_at)."""
    now = now or timezone.now()
    sql, params = _episode_sql(filters, patients=patients, now=now)
    episodes: dict[int, dict] = {}
    for patient_id, family, appointment_id, provider_id, day, baseline, key, score, improved, worse in fetch(
        sql + _ROWS, {**params, "row_limit": limit * max(1, len(params["keys"]))}
    ):
        episode = episodes.setdefault(
            appointment_id,
            {
                "patient_id": patient_id,
                "family": family,
                "appointment_id": appointment_id,
                "provider_id": provider_id,
                "date": day,
                "baseline": None if baseline is None else float(baseline),
                # Every window, in the windows' order (the page's columns are positional; the
                # query returns them by key, and "6m" sorts before "6w").
                "followup": {k: {"score": None, "change": ""} for k in params["keys"]},
            },
        )
        if key is not None:
            change = "improved" if improved else "worse" if worse else ""
            episode["followup"][key] = {"score": None if score is None else float(score), "change": change}
    return list(episodes.values())[:limit]


_TREND = f"""
WITH seen AS (
    SELECT DISTINCT appt.patient_id FROM ({APPOINTMENTS_IN_RANGE.format(extra="AND a.status = 'completed' AND d.code = 'psychology'", local="")}) appt
)
SELECT r.questionnaire, date_trunc('month', r.answered_at AT TIME ZONE %(tz)s)::date, count(DISTINCT r.patient_id),
       percentile_cont(0.5) WITHIN GROUP (ORDER BY r.score)
FROM careplans_questionnaireresponse r JOIN seen ON seen.patient_id = r.patient_id
WHERE r.questionnaire = ANY(%(instruments)s) AND r.answered_at >= %(zlo)s AND r.answered_at < %(zhi)s
GROUP BY 1, 2 ORDER BY 1, 2
"""


def psychology_trends(*, filters: ReportFilters) -> dict[str, list[dict]]:
    """PHQ-9 and GAD-7 by month (report zone) for patients seen by psychology in the range:
    patients answering and their median score."""
    zone = report_zone(filters)
    zlo, zhi = filters.local_bounds(zone)
    out: dict[str, list[dict]] = {code: [] for code in TREND_INSTRUMENTS}
    params = {**base_params(filters), "tz": zone.key, "zlo": zlo, "zhi": zhi, "instruments": TREND_INSTRUMENTS}
    for code, month, patients, median in fetch(_TREND, params):
        out[code].append({"month": month, "patients": patients, "median": round(float(median), 1)})
    return out


_GOALS = """
WITH g AS (
    SELECT g.id, g.description, g.measure, g.target_comparator, g.target_value, g.target_date, cp.patient_id, cp.id AS plan_id, (
        SELECT r.score FROM careplans_questionnaireresponse r
        WHERE r.patient_id = cp.patient_id AND r.questionnaire = g.measure
          AND r.answered_at >= (cp.period_start::timestamp AT TIME ZONE %(tz)s)
          AND r.answered_at < ((g.target_date + 1)::timestamp AT TIME ZONE %(tz)s)
        ORDER BY r.answered_at DESC, r.id DESC LIMIT 1) AS score
    FROM careplans_goal g JOIN careplans_careplan cp ON cp.id = g.care_plan_id
    WHERE g.target_date BETWEEN %(start)s AND %(last)s
      AND g.measure = ANY(%(measures)s) AND g.target_value IS NOT NULL AND g.target_comparator IN ('<=', '>=')
      AND (%(provider)s::bigint IS NULL OR EXISTS (
          SELECT 1 FROM careplans_careteammember m WHERE m.care_plan_id = cp.id AND m.provider_id = %(provider)s::bigint))
      AND (%(discipline)s::bigint IS NULL OR EXISTS (
          SELECT 1 FROM careplans_careteammember m JOIN clinic_provider p ON p.id = m.provider_id
          WHERE m.care_plan_id = cp.id AND p.discipline_id = %(discipline)s::bigint))
      {patients}
),
s AS (
    SELECT g.*, CASE WHEN score IS NULL THEN 'no_data'
                     WHEN (target_comparator = '<=' AND score <= target_value) OR (target_comparator = '>=' AND score >= target_value) THEN 'met'
                     ELSE 'not_met' END AS outcome
    FROM g
)
"""
_GOAL_TOTALS = """
SELECT GROUPING(measure), measure, count(*) FILTER (WHERE outcome = 'met'), count(*) FILTER (WHERE outcome = 'not_met'),
       count(*) FILTER (WHERE outcome = 'no_data')
FROM s GROUP BY GROUPING SETS ((measure), ())
"""
_GOAL_ROWS = "SELECT id, plan_id, patient_id, description, measure, target_comparator, target_value, target_date, score, outcome FROM s ORDER BY target_date, id LIMIT 500"


def _goal_sql(filters: ReportFilters, *, patients: QuerySet | None, now: datetime) -> tuple[str, dict]:
    zone = report_zone(filters)
    today = now.astimezone(zone).date()
    clause, named = _patients_clause(patients, "cp.patient_id")
    params = {
        **base_params(filters),
        **named,
        "tz": zone.key,
        "last": min(filters.end, today),  # a goal is judged once its target date has passed
        "measures": GOAL_MEASURES,
    }
    return _GOALS.format(patients=clause), params


def goal_report(*, filters: ReportFilters, now: datetime | None = None) -> dict:
    """Care-plan goals with a numeric target on a measured score whose target date is in the
    range (and has come): met, not met, or no data (no answer since the plan began)."""
    now = now or timezone.now()
    sql, params = _goal_sql(filters, patients=None, now=now)
    out = {"met": 0, "not_met": 0, "no_data": 0, "measures": {}}
    for g, measure, met, not_met, no_data in fetch(sql + _GOAL_TOTALS, params):
        figures = {"met": met, "not_met": not_met, "no_data": no_data}
        if g:
            out.update(figures)
        else:
            out["measures"][measure] = figures
    return out


def goal_rows(*, filters: ReportFilters, patients: QuerySet, now: datetime | None = None) -> list[dict]:
    now = now or timezone.now()
    sql, params = _goal_sql(filters, patients=patients, now=now)
    keys = ["goal_id", "plan_id", "patient_id", "description", "measure", "comparator", "target", "target_date", "score", "outcome"]
    return [dict(zip(keys, row, strict=True)) for row in fetch(sql + _GOAL_ROWS, params)]
