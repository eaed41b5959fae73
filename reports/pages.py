"""What the report pages show, shared by the admin section and the workspace page: the
figures, their charts and their CSV rows. No queries beyond the selectors'."""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone

from core.audit import audit_record
from reports import access
from reports.charts import bar_chart, percent
from reports.filters import REGISTRY_FAMILIES, ReportFilters
from reports.selectors import goal_report, operations_report, outcome_report, psychology_trends
from scheduling.models import ProcedureFamily

# Epic Cadence Fast Pass: about 30 % of offered slots are taken (Epic's published figure).
FAST_PASS_ACCEPTANCE = 0.30
FAMILY_LABELS = dict(ProcedureFamily.choices)


def operations_context(filters: ReportFilters) -> dict:
    report = operations_report(filters=filters)
    breakdown = report["breakdown"]
    util = report["utilisation"]
    waitlist = report["waitlist"]
    acceptance = None if not waitlist["offers"] else round(waitlist["accepted"] / waitlist["offers"], 4)
    charts = {
        "no_show_weekday": bar_chart(
            "No-show rate by weekday",
            [(r["label"], r["no_show_rate"], percent(r["no_show_rate"])) for r in breakdown["weekday"]],
            max_value=0.4,
        ),
        "late_lead": bar_chart(
            "Late-cancellation rate by lead time",
            [(r["label"], r["late_cancel_rate"], percent(r["late_cancel_rate"])) for r in breakdown["lead_time"]],
            max_value=0.4,
        ),
        "util_providers": bar_chart("Utilisation by provider", [(r["name"], r["rate"], percent(r["rate"])) for r in util["providers"]]),
        "util_rooms": bar_chart("Utilisation by room", [(r["name"], r["rate"], percent(r["rate"])) for r in util["rooms"]]),
        "waitlist": bar_chart(
            "Waitlist",
            [
                ("Offers accepted", acceptance, percent(acceptance)),
                ("Freed minutes refilled", waitlist["refill_rate"], percent(waitlist["refill_rate"])),
            ],
            benchmark=FAST_PASS_ACCEPTANCE,
            benchmark_label="Epic Fast Pass, about 30 % of offered slots taken",
        ),
    }
    titles = {"visit_type": "Visit type", "discipline": "Discipline", "weekday": "Weekday", "lead_time": "Lead time (booking to visit)"}
    return {
        "report": report,
        "breakdowns": [(titles[key], rows) for key, rows in breakdown.items()],
        "charts": charts,
        "acceptance": acceptance,
        "fast_pass": FAST_PASS_ACCEPTANCE,
        "late_hours": settings.REPORTS_LATE_CANCEL_HOURS,
    }


def _window_rows(cell: dict) -> list[dict]:
    rows = []
    for key, w in cell["followup"].items():
        answered = w["answered"]
        numeric = isinstance(answered, int) and answered > 0
        rows.append(
            {
                "key": key,
                **w,
                "improved_share": w["improved"] / answered if numeric and isinstance(w["improved"], int) else None,
                "worse_share": w["worse"] / answered if numeric and isinstance(w["worse"], int) else None,
            }
        )
    return rows


def outcome_context(filters: ReportFilters, *, suppressed: bool) -> dict:
    report = outcome_report(filters=filters)
    goals = goal_report(filters=filters)
    trends = psychology_trends(filters=filters)
    if suppressed:
        report, goals, trends = access.suppress_outcomes(report), access.suppress_goals(goals), access.suppress_trends(trends)
    families = [
        {"code": code, "label": FAMILY_LABELS.get(code, code), **cell, "windows": _window_rows(cell)}
        for code, cell in report["families"].items()
    ]
    total_windows = _window_rows(report)
    charts = {
        "completeness": bar_chart(
            "Follow-up completeness (all families shown)",
            [(w["key"], w["completeness"], percent(w["completeness"])) for w in total_windows],
            benchmark=0.6,
            benchmark_label="60 %: below it a registry says little",
        ),
        "improved": bar_chart(
            f"Meaningful improvement in {filters.instrument}",
            [(w["key"], w["improved_share"], percent(w["improved_share"])) for w in total_windows],
        ),
    }
    return {
        "report": report,
        "total_windows": total_windows,
        "families": families,
        "goals": goals,
        "trends": trends,
        "charts": charts,
        "suppressed": suppressed,
        "registry_families": [(c, FAMILY_LABELS[c]) for c in REGISTRY_FAMILIES],
    }


# --- CSV -----------------------------------------------------------------------------------------
def _csv_response(rows: list[list], filename: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for row in rows:
        # A cell starting with = + - @ would run as a formula in a spreadsheet.
        writer.writerow([f"'{v}" if isinstance(v, str) and v[:1] in "=+-@" else v for v in row])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _describe(filters: ReportFilters) -> str:
    parts = [f"{filters.start}..{filters.end}"]
    for name in ("location_id", "discipline_id", "provider_id", "procedure"):
        if getattr(filters, name):
            parts.append(f"{name.removesuffix('_id')}={getattr(filters, name)}")
    return " ".join(parts)


def operations_csv(filters: ReportFilters, *, user) -> HttpResponse:
    report = operations_report(filters=filters)
    rows = [["section", "item", "measure", "value"]]
    rows += [["attendance", "all", k, report[k]] for k in ("appointments", "no_show_rate", "late_cancel_rate")]
    for dimension, entries in report["breakdown"].items():
        for entry in entries:
            for k in ("appointments", "no_shows", "late_cancellations", "no_show_rate", "late_cancel_rate"):
                rows.append([f"attendance by {dimension}", entry["label"], k, entry[k]])
    for kind, entries in report["utilisation"].items():
        for entry in entries:
            for k in ("booked_minutes", "template_minutes", "rate"):
                rows.append([f"utilisation {kind}", entry["name"], k, entry[k]])
    for section in ("waitlist", "reminders"):
        rows += [[section, "all", k, v] for k, v in report[section].items()]
    tasks = report["tasks"]
    rows += [["tasks", "all", k, tasks[k]] for k in ("open", "overdue_rate", "escalations")]
    rows += [["tasks", queue, "median_hours_to_complete", h] for queue, h in tasks["median_hours_to_complete"].items()]
    rows += [["third next available (days, as of now)", code, "days", d] for code, d in report["third_next_available_days"].items()]
    audit_record(user=user, action="export", reason=f"operations report CSV export ({_describe(filters)})")
    return _csv_response(rows, f"operations-{filters.start}-{filters.end}.csv")


def outcomes_csv(filters: ReportFilters, *, user, suppressed: bool, patient_rows: list[dict] | None = None) -> HttpResponse:
    context = outcome_context(filters, suppressed=suppressed)
    rows = [["family", "treated", "with_baseline", "window", "due", "answered", "completeness", "improved", "worse", "median_change"]]
    for family in [{"code": "all", **context["report"], "windows": context["total_windows"]}, *context["families"]]:
        for w in family["windows"]:
            rows.append(
                [
                    family["code"],
                    family["treated"],
                    family["with_baseline"],
                    w["key"],
                    w["due"],
                    w["answered"],
                    w["completeness"],
                    w["improved"],
                    w["worse"],
                    w["median_change"],
                ]
            )
    patient_ids: list[int] = []
    if patient_rows:
        rows.append([])
        rows.append(["patient_id", "family", "procedure_date", "baseline", *[f"{k}_score" for k in context["report"]["followup"]]])
        for r in patient_rows:
            patient_ids.append(r["patient_id"])
            rows.append(
                [
                    r["patient_id"],
                    r["family"],
                    r["date"],
                    r["baseline"],
                    *[r["followup"].get(k, {}).get("score") for k in context["report"]["followup"]],
                ]
            )
    audit_record(
        user=user,
        action="export",
        patient_ids=sorted(set(patient_ids)),
        reason=f"outcome report CSV export ({filters.instrument}, {_describe(filters)}, {len(patient_ids)} patient rows)",
        now=timezone.now(),
    )
    return _csv_response(rows, f"outcomes-{filters.instrument.lower()}-{filters.start}-{filters.end}.csv")
