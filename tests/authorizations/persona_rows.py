"""Prior authorization's rows of the persona walk (tests/persona_walk/registry.py): the admin
queue and its pages, the API, and the evidence pack, which carries the canary patient's
diagnoses (clinical) and so opens to the on-team clinician only among the walked personas (none
of them is an authorization coordinator)."""

from __future__ import annotations

from authorizations.api import ACTIONS
from authorizations.models import Authorization, PayerAuthorizationTerms, RequirementRule
from scheduling.models import Appointment
from tests.persona_walk.registry import (
    ANONYMOUS,
    CLINICAL_WRITE_REFUSED,
    NOT_YOUR_PATIENT,
    Row,
    admin_app_index_row,
    admin_model_rows,
    autocomplete_row,
)


def _auth(world) -> int:
    return world.pk(Authorization)


def _obj(model):
    return lambda world: world.obj(model)


BASE = "admin/authorizations/authorization/"

ADMIN = [
    admin_app_index_row("authorizations"),
    *admin_model_rows(Authorization, _obj(Authorization)),
    *admin_model_rows(RequirementRule, _obj(RequirementRule)),
    *admin_model_rows(PayerAuthorizationTerms, _obj(PayerAuthorizationTerms)),
    autocomplete_row(Authorization, "patient", lists_patients=True),
    Row(route=f"{BASE}<int:pk>/approve/", url=lambda w: f"/{BASE}{_auth(w)}/approve/", label="admin authorization approve page"),
    Row(
        route=f"{BASE}<int:pk>/approve/",
        method="POST",
        url=lambda w: f"/{BASE}{_auth(w)}/approve/",
        data={"number": "WALK-1", "valid_from": "2030-01-01", "valid_to": "2030-02-01"},
        label="admin authorization approve (post)",
    ),
    Row(
        route=f"{BASE}<int:pk>/evidence/",
        url=lambda w: f"/{BASE}{_auth(w)}/evidence/",
        label="admin authorization evidence pack",
        shows=("problem",),
    ),
    Row(
        route=f"{BASE}<int:pk>/evidence/",
        url=lambda w: f"/{BASE}{_auth(w)}/evidence/?format=pdf",
        label="admin authorization evidence pack (pdf)",
    ),
    Row(
        route=f"{BASE}<int:pk>/documents/<int:document_id>/",
        url=lambda w: f"/{BASE}{_auth(w)}/documents/999999/",
        label="admin authorization document (none)",
    ),
    Row(
        route=f"{BASE}override/<int:appointment_id>/",
        url=lambda w: f"/{BASE}override/{w.objects['procedure_appointment'].pk}/",
        label="admin authorization override page",
    ),
    Row(
        route=f"{BASE}override/<int:appointment_id>/",
        method="POST",
        url=lambda w: f"/{BASE}override/{w.pk(Appointment)}/",
        data={"reason": "walk: payer approved by phone"},
        label="admin authorization override (post)",
    ),
]

API = [
    Row(route="api/v1/authorizations/", operation="GET /api/v1/authorizations/", url="/api/v1/authorizations/"),
    Row(
        route="api/v1/authorizations/",
        operation="GET /api/v1/authorizations/",
        url=lambda w: f"/api/v1/authorizations/?patient={w.patient.pk}",
        label="GET /api/v1/authorizations/?patient=",
    ),
    Row(
        route="api/v1/authorizations/",
        operation="POST /api/v1/authorizations/",
        method="POST",
        json=True,
        url="/api/v1/authorizations/",
        data=lambda w: {"patient": w.patient.pk, "lines": [{"code": "62323"}]},
    ),
    Row(
        route="api/v1/authorizations/<int:pk>/",
        operation="GET /api/v1/authorizations/{id}/",
        url=lambda w: f"/api/v1/authorizations/{_auth(w)}/",
        expect=NOT_YOUR_PATIENT,
    ),
    *[
        Row(
            route=f"api/v1/authorizations/<int:pk>/{name}/",
            operation=f"POST /api/v1/authorizations/{{id}}/{name}/",
            method="POST",
            json=True,
            url=lambda w, n=name: f"/api/v1/authorizations/{_auth(w)}/{n}/",
            data={"reason": "walk reason text"},
        )
        for name in ACTIONS
    ],
    Row(
        route="api/v1/authorizations/<int:pk>/evidence/",
        operation="GET /api/v1/authorizations/{id}/evidence/",
        url=lambda w: f"/api/v1/authorizations/{_auth(w)}/evidence/",
        expect=CLINICAL_WRITE_REFUSED,  # clinical: a clinician with a grant, or an authorization coordinator
        shows=("problem",),
    ),
    Row(
        route="api/v1/appointments/<int:pk>/authorization-override/",
        operation="POST /api/v1/appointments/{id}/authorization-override/",
        method="POST",
        json=True,
        url=lambda w: f"/api/v1/appointments/{w.pk(Appointment)}/authorization-override/",
        data={"reason": "walk: payer approved by phone"},
        expect={ANONYMOUS: 401},
    ),
]

ROWS = [*ADMIN, *API]
