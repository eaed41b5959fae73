"""Reports' rows of the persona walk (tests/persona_walk/registry.py): the admin's Reports
section, the workspace page and the two API reports. The refused personas must never receive
the seeded patient's clinical canaries here: the admin and API show aggregates only, and the
workspace lists patient-level rows only for patients the policy lets the clinician see."""

from __future__ import annotations

from datetime import timedelta

from reports.models import OutcomeWindow
from tests.persona_walk.registry import (
    ANONYMOUS,
    CLINIC_ADMIN,
    CLINICIANS_OFF_TEAM,
    FRONT_DESK,
    Row,
    admin_app_index_row,
    admin_model_rows,
    expect_all,
)


def _range(world) -> str:
    day = world.procedure_day or world.day
    return f"start={(day - timedelta(days=45)).isoformat()}&end={(day + timedelta(days=45)).isoformat()}"


OPERATIONS_ALLOWED = {FRONT_DESK: 200, CLINIC_ADMIN: 200, **expect_all(403, CLINICIANS_OFF_TEAM)}
OUTCOMES_ALLOWED = {FRONT_DESK: 403, CLINIC_ADMIN: 200, **expect_all(200, CLINICIANS_OFF_TEAM)}

ADMIN = [
    admin_app_index_row("reports"),
    *admin_model_rows(OutcomeWindow, lambda world: OutcomeWindow.objects.order_by("id").first()),
    Row(
        route="admin/reports/operationsreport/",
        url=lambda w: f"/admin/reports/operationsreport/?{_range(w)}",
        label="admin reports operations",
        expect=OPERATIONS_ALLOWED,
    ),
    Row(
        route="admin/reports/operationsreport/",
        url=lambda w: f"/admin/reports/operationsreport/?{_range(w)}&format=csv",
        label="admin reports operations CSV",
        expect=OPERATIONS_ALLOWED,
    ),
    Row(
        route="admin/reports/outcomereport/",
        url=lambda w: f"/admin/reports/outcomereport/?{_range(w)}",
        label="admin reports outcomes",
        expect={FRONT_DESK: 403, CLINIC_ADMIN: 200},
    ),
    Row(
        route="admin/reports/outcomereport/",
        url=lambda w: f"/admin/reports/outcomereport/?{_range(w)}&format=csv",
        label="admin reports outcomes CSV",
        expect={FRONT_DESK: 403, CLINIC_ADMIN: 200},
    ),
]

WORKSPACE = [
    Row(
        route="workspace/reports/",
        url=lambda w: f"/workspace/reports/?{_range(w)}",
        label="workspace reports",
        expect={FRONT_DESK: 403, CLINIC_ADMIN: 403, **expect_all(200, CLINICIANS_OFF_TEAM)},
    ),
    Row(
        route="workspace/reports/",
        url=lambda w: f"/workspace/reports/?{_range(w)}&format=csv",
        label="workspace reports CSV",
        expect={FRONT_DESK: 403, CLINIC_ADMIN: 403, **expect_all(200, CLINICIANS_OFF_TEAM)},
    ),
]

API = [
    Row(
        route="api/v1/reports/operations/",
        operation="GET /api/v1/reports/operations/",
        url=lambda w: f"/api/v1/reports/operations/?{_range(w)}",
        expect={**OPERATIONS_ALLOWED, ANONYMOUS: 401},
    ),
    Row(
        route="api/v1/reports/outcomes/",
        operation="GET /api/v1/reports/outcomes/",
        url=lambda w: f"/api/v1/reports/outcomes/?{_range(w)}",
        expect={**OUTCOMES_ALLOWED, ANONYMOUS: 401},
    ),
]

ROWS = [*ADMIN, *WORKSPACE, *API]
