"""Clinic's rows of the persona walk (tests/persona_walk/registry.py): reference data, providers
and patients in the admin and the API."""

from __future__ import annotations

from clinic.models import AnticoagulantDrug, ConsentEvent, Discipline, Equipment, Location, Patient, Payer, Provider, Room, TravelTime
from tests.persona_walk.registry import NOT_YOUR_PATIENT, Row, admin_app_index_row, admin_model_rows, autocomplete_row


def _obj(model):
    return lambda world: world.obj(model)


ADMIN = [
    admin_app_index_row("clinic"),
    *admin_model_rows(Discipline, _obj(Discipline)),
    *admin_model_rows(Location, _obj(Location)),
    *admin_model_rows(TravelTime, _obj(TravelTime)),
    *admin_model_rows(Equipment, _obj(Equipment)),
    *admin_model_rows(Room, _obj(Room)),
    *admin_model_rows(Payer, _obj(Payer)),
    *admin_model_rows(AnticoagulantDrug, lambda world: AnticoagulantDrug.objects.get(code="apixaban")),
    *admin_model_rows(Provider, _obj(Provider)),
    *admin_model_rows(Patient, lambda world: world.patient),
    *admin_model_rows(ConsentEvent, _obj(ConsentEvent)),
    Row(
        route="admin/clinic/provider/<path:object_id>/delete/",
        url=lambda w: f"/admin/clinic/provider/{w.objects['task_only_provider'].pk}/delete/",
        label="admin clinic.provider delete (assigned a clinical task)",
    ),
    Row(route="admin/clinic/patient/", url="/admin/clinic/patient/", label="admin clinic.patient changelist (names)", lists_patients=True),
    # Filtering or searching by a clinical field would tell it by who is listed.
    *[
        Row(
            route="admin/clinic/patient/",
            url=f"/admin/clinic/patient/?{query}",
            label=f"admin clinic.patient changelist ?{query}",
            forbid=("Walkpatient",),
        )
        for query in (
            "diabetic__exact=1",
            "anticoagulant=apixaban",
        )
    ],
    autocomplete_row(Patient, "payer"),
    autocomplete_row(Provider, "discipline"),
    autocomplete_row(Provider, "home_location"),
    autocomplete_row(Provider, "user"),
    autocomplete_row(Room, "location"),
    autocomplete_row(TravelTime, "origin"),
    autocomplete_row(TravelTime, "destination"),
]

API = [
    Row(route="api/v1/providers/", operation="GET /api/v1/providers/", url="/api/v1/providers/"),
    Row(route="api/v1/patients/", operation="GET /api/v1/patients/", url="/api/v1/patients/", lists_patients=True),
    Row(
        route="api/v1/patients/",
        operation="GET /api/v1/patients/",
        url="/api/v1/patients/?search=Walkpatient",
        lists_patients=True,
        label="GET /api/v1/patients/?search=",
    ),
    Row(
        route="api/v1/patients/",
        operation="POST /api/v1/patients/",
        method="POST",
        json=True,
        url="/api/v1/patients/",
        data={"first_name": "New", "last_name": "Walker", "date_of_birth": "1980-01-02"},
    ),
    Row(
        route="api/v1/patients/<int:pk>/",
        operation="GET /api/v1/patients/{id}/",
        url=lambda w: f"/api/v1/patients/{w.patient.pk}/",
        expect=NOT_YOUR_PATIENT,
    ),
]

ROWS = [*ADMIN, *API]
