"""Who sees which report (issue 13, "Where"):

| role | operations | outcome aggregates | patient-level outcome rows |
|---|---|---|---|
| front desk | yes | no (403) | no |
| clinic admin | yes | yes, cells under 5 patients shown as "<5" | no |
| provider, care coordinator | no | yes | only patients core.access lets them see |
| superuser | yes | yes | every patient |
"""

from __future__ import annotations

from core import access
from core.access import Kind
from core.errors import PermissionDenied
from core.roles import CARE_COORDINATOR, CLINIC_ADMIN, FRONT_DESK, PROVIDER, user_roles

SMALL_CELL = 5  # counts of patients below this are shown as "<5" to users who see no patient rows
SUPPRESSED = "<5"


def may_see_operations(user) -> bool:
    return access.is_active_user(user) and (user.is_superuser or bool(user_roles(user) & {FRONT_DESK, CLINIC_ADMIN}))


def may_see_outcomes(user) -> bool:
    return access.is_active_user(user) and (user.is_superuser or bool(user_roles(user) & {CLINIC_ADMIN, PROVIDER, CARE_COORDINATOR}))


def outcomes_suppressed(user) -> bool:
    """Small cells are hidden from users who may not see clinical data (the clinic admin):
    a count of 1–4 patients beside the filters could name them."""
    return not access.may_ever(user, Kind.CLINICAL)


def require_operations(user) -> None:
    if not may_see_operations(user):
        raise PermissionDenied("Operational reports are for the front desk and the clinic admin.")


def require_outcomes(user) -> None:
    if not may_see_outcomes(user):
        raise PermissionDenied("Outcome reports are for clinicians, care coordinators and the clinic admin.")


def _cell(value):
    return SUPPRESSED if isinstance(value, int) and value < SMALL_CELL else value


def suppress_counts(figures: dict, count_keys: tuple[str, ...]) -> dict:
    return {k: _cell(v) if k in count_keys else v for k, v in figures.items()}


def suppress_outcomes(report: dict) -> dict:
    """The outcome report with every patient count under 5 as "<5", and the median change and
    completeness hidden (null) where they rest on fewer than 5 patients."""

    def window(w: dict) -> dict:
        out = suppress_counts(w, ("answered", "improved", "worse", "due"))
        if w["answered"] < SMALL_CELL:
            out["median_change"] = None
        if w["answered"] < SMALL_CELL or w["due"] < SMALL_CELL:
            out["completeness"] = None
        return out

    def cell(c: dict) -> dict:
        out = suppress_counts(c, ("treated", "with_baseline"))
        out["followup"] = {key: window(w) for key, w in c["followup"].items()}
        return out

    out = cell(report)
    out["families"] = {family: cell(c) for family, c in report.get("families", {}).items()}
    return out


def suppress_goals(report: dict) -> dict:
    keys = ("met", "not_met", "no_data")
    out = suppress_counts(report, keys)
    out["measures"] = {m: suppress_counts(f, keys) for m, f in report["measures"].items()}
    return out


def suppress_trends(trends: dict) -> dict:
    return {
        code: [
            {**point, "patients": _cell(point["patients"]), "median": point["median"] if point["patients"] >= SMALL_CELL else None}
            for point in points
        ]
        for code, points in trends.items()
    }
