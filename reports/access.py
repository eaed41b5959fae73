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


Cell = tuple[dict, str]  # a count: the dict that holds it and its key


def _hide(groups: list[list[Cell]]) -> None:
    """Primary and complementary suppression, in place. Each group is the terms of one sum shown
    on the page (a total and the counts that add up to it): with exactly one term hidden, the
    others would give it away, so the next-smallest shown term is hidden too. A cell hidden for
    one group can leave another with a single hidden term: repeat until nothing changes."""
    hidden = {(id(d), k) for group in groups for d, k in group if isinstance(d[k], int) and d[k] < SMALL_CELL}
    changed = True
    while changed:
        changed = False
        for group in groups:
            shown = [(d, k) for d, k in group if (id(d), k) not in hidden]
            if len(group) - len(shown) == 1 and shown:
                d, k = min(shown, key=lambda cell: cell[0][cell[1]])
                hidden.add((id(d), k))
                changed = True
    for group in groups:
        for d, k in group:
            if (id(d), k) in hidden:
                d[k] = SUPPRESSED


def suppress_outcomes(report: dict) -> dict:
    """The outcome report with every patient count under 5 as "<5", and the median change and
    completeness hidden (null) where they rest on fewer than 5 patients. The families add up to
    the total (an episode is one family's), so each count of the total and its families' counts
    form a group for complementary suppression (`_hide`)."""

    def window(w: dict) -> dict:
        out = dict(w)
        if w["answered"] < SMALL_CELL:
            out["median_change"] = None
        if w["answered"] < SMALL_CELL or w["due"] < SMALL_CELL:
            out["completeness"] = None
        return out

    def cell(c: dict) -> dict:
        out = dict(c)
        out["followup"] = {key: window(w) for key, w in c["followup"].items()}
        return out

    out = cell(report)
    out["families"] = {family: cell(c) for family, c in report.get("families", {}).items()}
    parts = list(out["families"].values())
    groups = [[(out, key), *((c, key) for c in parts)] for key in ("treated", "with_baseline")]
    for wkey, w in out["followup"].items():
        for key in ("due", "answered", "improved", "worse"):
            groups.append([(w, key), *((c["followup"][wkey], key) for c in parts if wkey in c["followup"])])
    _hide(groups)
    # A share or completeness beside a count hidden by the complement would give it back.
    for c in (out, *parts):
        for w in c["followup"].values():
            if w["answered"] == SUPPRESSED or w["due"] == SUPPRESSED:
                w["completeness"] = None
            if w["answered"] == SUPPRESSED:
                w["median_change"] = None
    return out


def suppress_goals(report: dict) -> dict:
    """Goals per measure add up to the "All" row (a goal has one measure): each key's column is a
    group for complementary suppression."""
    keys = ("met", "not_met", "no_data")
    out = dict(report)
    out["measures"] = {m: dict(f) for m, f in report["measures"].items()}
    _hide([[(out, key), *((f, key) for f in out["measures"].values())] for key in keys])
    return out


def suppress_trends(trends: dict) -> dict:
    return {
        code: [
            {**point, "patients": _cell(point["patients"]), "median": point["median"] if point["patients"] >= SMALL_CELL else None}
            for point in points
        ]
        for code, points in trends.items()
    }
