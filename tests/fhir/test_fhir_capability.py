"""The CapabilityStatement advertises exactly what the tests exercise: every search parameter of
every resource type is searched here (strict handling, so an unsupported one would be a 400),
every read is done here, and every write interaction and operation names the test that proves it."""

from __future__ import annotations

import datetime

import pytest

from careplans.models import QuestionnaireResponse
from tests.fhir import test_fhir_care, test_fhir_round_trip, test_fhir_scheduling
from tests.fhir.conftest import tomorrow_utc, validate


def _day(days: int = 1) -> str:
    return f"{tomorrow_utc() + datetime.timedelta(days=days):%Y-%m-%d}"


SEARCH_EXAMPLES = {
    ("Patient", "_id"): lambda c: str(c.patient.pk),
    ("Patient", "identifier"): lambda c: f"urn:pain-clinic:mrn|{c.patient.mrn}",
    ("Patient", "name"): lambda c: "fhirpat",
    ("Patient", "birthdate"): lambda c: "ge1975-06-15",
    ("Practitioner", "_id"): lambda c: str(c.provider.pk),
    ("Practitioner", "identifier"): lambda c: f"http://hl7.org/fhir/sid/us-npi|{c.provider.npi}",
    ("Practitioner", "name"): lambda c: c.provider.last_name[:3],
    ("Practitioner", "active"): lambda c: "true",
    ("PractitionerRole", "practitioner"): lambda c: f"Practitioner/{c.provider.pk}",
    ("PractitionerRole", "specialty"): lambda c: "interventional-pain",
    ("PractitionerRole", "active"): lambda c: "true",
    ("Location", "_id"): lambda c: f"site-{c.location.pk},room-{c.suite.pk}",
    ("Location", "name"): lambda c: "Fluoro",
    ("Location", "partof"): lambda c: f"Location/site-{c.location.pk}",
    ("Location", "status"): lambda c: "active",
    ("Device", "_id"): lambda c: str(c.fluoroscopy.pk),
    ("Device", "device-name"): lambda c: "Fluoro",
    ("Device", "type"): lambda c: "urn:pain-clinic:equipment|fluoroscopy",
    ("HealthcareService", "_id"): lambda c: str(c.consult.pk),
    ("HealthcareService", "service-type"): lambda c: "pain-consult",
    ("HealthcareService", "specialty"): lambda c: "interventional-pain",
    ("HealthcareService", "active"): lambda c: "true",
    ("Schedule", "actor"): lambda c: f"Practitioner/{c.provider.pk}",
    ("Schedule", "active"): lambda c: "true",
    ("Schedule", "date"): lambda c: _day(),
    ("Schedule", "service-type"): lambda c: "pain-consult",
    ("Slot", "schedule"): lambda c: f"Schedule/provider-{c.provider.pk}",
    ("Slot", "start"): lambda c: f"ge{_day()}",
    ("Slot", "status"): lambda c: "free",
    ("Slot", "service-type"): lambda c: "pain-consult",
    ("Appointment", "patient"): lambda c: f"Patient/{c.patient.pk}",
    ("Appointment", "date"): lambda c: f"ge{_day()}",
    ("Appointment", "practitioner"): lambda c: f"Practitioner/{c.provider.pk}",
    ("Appointment", "location"): lambda c: f"Location/site-{c.location.pk}",
    ("Appointment", "status"): lambda c: "booked,pending",
    ("CarePlan", "patient"): lambda c: f"Patient/{c.patient.pk}",
    ("CarePlan", "status"): lambda c: "active",
    ("CareTeam", "patient"): lambda c: f"Patient/{c.patient.pk}",
    ("CareTeam", "status"): lambda c: "active",
    ("Task", "owner"): lambda c: f"Practitioner/{c.provider.pk}",
    ("Task", "patient"): lambda c: f"Patient/{c.patient.pk}",
    ("Task", "status"): lambda c: "requested",
    ("Task", "period"): lambda c: f"ge{_day(-30)}",
    ("Task", "priority"): lambda c: "routine",
    ("Questionnaire", "_id"): lambda c: "PHQ-9",
    ("Questionnaire", "name"): lambda c: "PHQ",
    ("QuestionnaireResponse", "patient"): lambda c: f"Patient/{c.patient.pk}",
    ("QuestionnaireResponse", "questionnaire"): lambda c: "Questionnaire/PHQ-9",
}
# A Slot search names a schedule or a service type (or both).
BASE_PARAMS = {"Slot": {"service-type": "pain-consult"}}
# Searches that find nothing in the small clinic would prove little: these must find something.
MUST_MATCH = {
    "Patient",
    "Practitioner",
    "PractitionerRole",
    "Location",
    "Device",
    "HealthcareService",
    "Schedule",
    "Slot",
    "Appointment",
    "CarePlan",
    "CareTeam",
    "Questionnaire",
    "QuestionnaireResponse",
}

READ_IDS = {
    "Patient": lambda c: str(c.patient.pk),
    "Practitioner": lambda c: str(c.provider.pk),
    "PractitionerRole": lambda c: str(c.provider.pk),
    "Location": lambda c: f"room-{c.suite.pk}",
    "Device": lambda c: str(c.fluoroscopy.pk),
    "HealthcareService": lambda c: str(c.procedure.pk),
    "Schedule": lambda c: f"provider-{c.provider.pk}",
    "Slot": None,  # re-derived from a searched slot
    "Appointment": lambda c: str(c.appointment_id),
    "CarePlan": lambda c: str(c.plan.pk),
    "CareTeam": lambda c: str(c.plan.pk),
    "Task": lambda c: str(c.task_id),
    "Questionnaire": lambda c: "ODI",
    "QuestionnaireResponse": lambda c: str(c.response_id),
}

WRITES = {
    ("Appointment", "create"): test_fhir_scheduling.test_create_into_a_free_slot_then_the_same_slot_again_is_409,
    ("Appointment", "update"): test_fhir_scheduling.test_cancel_by_put_needs_a_reason_and_json_patch_cancels,
    ("Appointment", "patch"): test_fhir_scheduling.test_cancel_by_put_needs_a_reason_and_json_patch_cancels,
    ("QuestionnaireResponse", "create"): test_fhir_care.test_questionnaire_response_is_scored_and_item_9_raises_the_urgent_task,
    ("Appointment", "$find"): test_fhir_scheduling.test_find_proposes_appointments_with_room_and_equipment_then_hold_and_book,
    ("Appointment", "$hold"): test_fhir_scheduling.test_find_proposes_appointments_with_room_and_equipment_then_hold_and_book,
    ("Appointment", "$book"): test_fhir_round_trip.test_find_book_read_and_book_again_with_fhirclient,
}


@pytest.fixture
def world(clinic):
    from tests.fhir.test_fhir_care import phq9
    from tests.fhir.test_fhir_scheduling import book_body, free_slots, post

    slot = free_slots(clinic.desk, start=f"ge{_day()}")[0]
    clinic.appointment_id = post(clinic.desk, "Appointment", book_body(slot["id"], clinic.patient.pk)).json()["id"]
    from tests.factories import TaskFactory

    clinic.task_id = TaskFactory(patient=clinic.patient, assignee_provider=clinic.provider, assignee_role="").pk
    clinic.response_id = post(clinic.doctor, "QuestionnaireResponse", phq9(clinic.patient.pk, [0] * 9)).json()["id"]
    assert QuestionnaireResponse.objects.filter(pk=clinic.response_id).exists()
    return clinic


def _capability(client) -> dict:
    body = client.get("/fhir/R4/metadata").json()
    validate(body)
    return {r["type"]: r for r in body["rest"][0]["resource"]}


def test_every_advertised_search_parameter_is_exercised(world):
    for name, resource in _capability(world.desk).items():
        client = (
            world.desk
            if name
            in (
                "Patient",
                "Practitioner",
                "PractitionerRole",
                "Location",
                "Device",
                "HealthcareService",
                "Schedule",
                "Slot",
                "Appointment",
                "Questionnaire",
            )
            else world.doctor
        )
        for param in resource["searchParam"]:
            if param["name"] in ("_count", "_offset"):
                continue
            example = SEARCH_EXAMPLES.get((name, param["name"]))
            assert example is not None, f"{name}?{param['name']} is advertised but not exercised"
            query = {**BASE_PARAMS.get(name, {}), param["name"]: example(world), "_count": "2"}
            response = client.get(f"/fhir/R4/{name}", query, HTTP_PREFER="handling=strict")
            assert response.status_code == 200, (name, param["name"], response.content)
            body = response.json()
            validate(body)
            if name in MUST_MATCH:
                assert body.get("entry"), f"{name}?{param['name']}={example(world)} found nothing"
    advertised = {(name, p["name"]) for name, r in _capability(world.desk).items() for p in r["searchParam"]}
    assert set(SEARCH_EXAMPLES) <= advertised, "examples for parameters the server no longer advertises"


def test_every_advertised_read_and_write_is_exercised(world):
    capability = _capability(world.desk)
    assert set(capability) == set(READ_IDS)
    slot = world.desk.get("/fhir/R4/Slot", {"service-type": "pain-consult", "_count": "1"}).json()["entry"][0]["resource"]
    for name, ident in READ_IDS.items():
        client = world.doctor if name in ("CarePlan", "CareTeam", "Task", "QuestionnaireResponse") else world.desk
        response = client.get(f"/fhir/R4/{name}/{slot['id'] if ident is None else ident(world)}")
        assert response.status_code == 200, (name, response.content)
        assert response.json()["resourceType"] == name
        validate(response.json())
    advertised = {
        (name, code["code"]) for name, r in capability.items() for code in r["interaction"] if code["code"] not in ("read", "search-type")
    }
    advertised |= {(name, f"${op['name']}") for name, r in capability.items() for op in r.get("operation", [])}
    assert advertised == set(WRITES)
    assert capability["Appointment"]["searchInclude"] == [
        "Appointment:patient",
        "Appointment:practitioner",
        "Appointment:location",
        "Appointment:actor",
    ]
