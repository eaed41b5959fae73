"""A small clinic for the FHIR tests: one site with a consult room and a fluoroscopy suite, an
anesthesiologist working every day 08:00–17:00, a consult and a procedure visit type, a patient
on the anesthesiologist's care plan, and API clients for the front desk and the provider."""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import pytest
from knox.models import AuthToken
from rest_framework.test import APIClient

from clinic.models import RoomKind
from clinic.roles import FRONT_DESK
from tests.factories import (
    CarePlanFactory,
    CareTeamMemberFactory,
    DisciplineFactory,
    EquipmentFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    RoomFactory,
    UserFactory,
    VisitTypeFactory,
    weekly_templates,
)


def validate(resource: dict):
    """Parse with fhirclient's R4 (4.0.1) models in strict mode: unknown elements, wrong types and
    missing required elements raise FHIRValidationError. Returns the parsed model."""
    from fhirclient.models import fhirelementfactory

    model = fhirelementfactory.FHIRElementFactory.instantiate(resource["resourceType"], resource)
    assert type(model).__name__ == resource["resourceType"]
    for contained in resource.get("contained", []):
        validate(contained)
    for entry in resource.get("entry", []):
        validate(entry["resource"])
    return model


def token_client(user) -> APIClient:
    """The REST API's knox token, sent as a FHIR client sends it."""
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


@dataclass
class Clinic:
    location: object
    consult_room: object
    suite: object
    fluoroscopy: object
    provider: object
    consult: object
    procedure: object
    patient: object
    plan: object
    desk: APIClient
    doctor: APIClient
    desk_user: object


@pytest.fixture
def clinic(db):
    location = LocationFactory()
    fluoroscopy = EquipmentFactory(code="fluoroscopy")
    consult_room = RoomFactory(location=location, name="Consult A", kind=RoomKind.CONSULT)
    suite = RoomFactory(location=location, name="Fluoro suite", kind=RoomKind.PROCEDURE_SUITE, equipment=[fluoroscopy])
    discipline = DisciplineFactory(code="interventional-pain")
    provider = ProviderFactory(discipline=discipline, home_location=location)
    weekly_templates(provider, location)
    consult = VisitTypeFactory(code="pain-consult", name="Pain consult", discipline=discipline, duration_minutes=30)
    procedure = VisitTypeFactory(
        code="nerve-block",
        name="Peripheral nerve block",
        discipline=discipline,
        duration_minutes=45,
        room_kind=RoomKind.PROCEDURE_SUITE,
        is_procedure=True,
        procedure_family="nerve_block",
        required_equipment=[fluoroscopy],
    )
    patient = PatientFactory(first_name="Fhirpatient")
    plan = CarePlanFactory(patient=patient, title="Back pain plan")
    CareTeamMemberFactory(care_plan=plan, provider=provider)
    desk_user = UserFactory(username="fhir-desk", role=FRONT_DESK)
    return Clinic(
        location,
        consult_room,
        suite,
        fluoroscopy,
        provider,
        consult,
        procedure,
        patient,
        plan,
        token_client(desk_user),
        token_client(provider.user),
        desk_user,
    )


def tomorrow_utc() -> datetime.datetime:
    return (datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
