"""FHIR's rows of the persona walk (tests/persona_walk/registry.py): every resource type's search
and read, the writes and the IHE operations, the CapabilityStatement and the SMART configuration.

The clinical resources give the policy's answers (front desk and clinic admin 403, off-team
clinicians nothing of the canary patient, anonymous 401) and the on-team clinician sees the
canaries where a FHIR resource carries them."""

from __future__ import annotations

from careplans.models import CarePlan, QuestionnaireResponse, Task
from clinic.models import Equipment, Location, Provider, Room
from scheduling.models import Appointment, VisitType
from tests.persona_walk.registry import ANONYMOUS, CLINICIANS_OFF_TEAM, WHOLE_CLINIC_STAFF, Row, expect_all

TYPE = "fhir/R4/<str:resource_type>"
INSTANCE = "fhir/R4/<str:resource_type>/<str:ident>"
OPERATION = "fhir/R4/<str:resource_type>/$<str:operation>"

CLINICAL_READ = {**expect_all(403, WHOLE_CLINIC_STAFF), **expect_all(404, CLINICIANS_OFF_TEAM), ANONYMOUS: 401}
CLINICAL_LIST = {**expect_all(403, WHOLE_CLINIC_STAFF), **expect_all(200, CLINICIANS_OFF_TEAM), ANONYMOUS: 401}


def _slot(world) -> str:
    visit = world.obj(Appointment)
    return f"provider-{visit.provider_id}.{visit.visit_type.code}.{visit.start:%Y%m%dT%H%MZ}"


def _patient(world) -> int:
    return world.patient.pk


SEARCHES = [
    Row(route=TYPE, url="/fhir/R4/Patient?name=Walk", label="FHIR Patient search", lists_patients=True),
    Row(route=TYPE, url="/fhir/R4/Practitioner", label="FHIR Practitioner search"),
    Row(route=TYPE, url="/fhir/R4/PractitionerRole", label="FHIR PractitionerRole search"),
    Row(route=TYPE, url="/fhir/R4/Location", label="FHIR Location search"),
    Row(route=TYPE, url="/fhir/R4/Device", label="FHIR Device search"),
    Row(route=TYPE, url="/fhir/R4/HealthcareService", label="FHIR HealthcareService search"),
    Row(route=TYPE, url="/fhir/R4/Schedule", label="FHIR Schedule search"),
    Row(route=TYPE, url=lambda w: f"/fhir/R4/Slot?service-type={w.obj(VisitType).code}&_count=3", label="FHIR Slot search"),
    Row(
        route=TYPE,
        url=lambda w: f"/fhir/R4/Appointment?patient=Patient/{_patient(w)}&_include=Appointment:actor",
        label="FHIR Appointment search",
    ),
    Row(
        route=TYPE,
        url="/fhir/R4/CarePlan",
        label="FHIR CarePlan search",
        expect=CLINICAL_LIST,
        shows=("plan", "plan_description", "problem", "activity"),
    ),
    Row(route=TYPE, url="/fhir/R4/CareTeam", label="FHIR CareTeam search", expect=CLINICAL_LIST),
    Row(
        route=TYPE,
        url=lambda w: f"/fhir/R4/Task?patient=Patient/{_patient(w)}",
        label="FHIR Task search",
        shows=("task", "task_description"),
    ),
    Row(route=TYPE, url="/fhir/R4/Questionnaire", label="FHIR Questionnaire search"),
    Row(
        route=TYPE, url="/fhir/R4/QuestionnaireResponse", label="FHIR QuestionnaireResponse search", expect=CLINICAL_LIST, shows=("answer",)
    ),
    Row(route=TYPE, url="/fhir/R4/Nonsense", label="FHIR unknown type", expect={ANONYMOUS: 401, **expect_all(404, WHOLE_CLINIC_STAFF)}),
]

READS = [
    Row(
        route=INSTANCE,
        url=lambda w: f"/fhir/R4/Patient/{_patient(w)}",
        label="FHIR Patient read",
        expect={**expect_all(404, CLINICIANS_OFF_TEAM), ANONYMOUS: 401},
    ),
    Row(route=INSTANCE, url=lambda w: f"/fhir/R4/Practitioner/{w.pk(Provider)}", label="FHIR Practitioner read"),
    Row(route=INSTANCE, url=lambda w: f"/fhir/R4/PractitionerRole/{w.pk(Provider)}", label="FHIR PractitionerRole read"),
    Row(route=INSTANCE, url=lambda w: f"/fhir/R4/Location/site-{w.pk(Location)}", label="FHIR Location read (site)"),
    Row(route=INSTANCE, url=lambda w: f"/fhir/R4/Location/room-{w.pk(Room)}", label="FHIR Location read (room)"),
    Row(route=INSTANCE, url=lambda w: f"/fhir/R4/Device/{w.pk(Equipment)}", label="FHIR Device read"),
    Row(route=INSTANCE, url=lambda w: f"/fhir/R4/HealthcareService/{w.pk(VisitType)}", label="FHIR HealthcareService read"),
    Row(route=INSTANCE, url=lambda w: f"/fhir/R4/Schedule/provider-{w.pk(Provider)}", label="FHIR Schedule read"),
    Row(route=INSTANCE, url=lambda w: f"/fhir/R4/Slot/{_slot(w)}", label="FHIR Slot read (a taken slot: 404)"),
    Row(
        route=INSTANCE,
        url=lambda w: f"/fhir/R4/Appointment/{w.pk(Appointment)}",
        label="FHIR Appointment read",
        expect={**expect_all(404, CLINICIANS_OFF_TEAM), ANONYMOUS: 401},
    ),
    Row(
        route=INSTANCE,
        url=lambda w: f"/fhir/R4/CarePlan/{w.pk(CarePlan)}",
        label="FHIR CarePlan read",
        expect=CLINICAL_READ,
        shows=("plan", "plan_description", "problem", "activity"),
    ),
    Row(route=INSTANCE, url=lambda w: f"/fhir/R4/CareTeam/{w.pk(CarePlan)}", label="FHIR CareTeam read", expect=CLINICAL_READ),
    Row(route=INSTANCE, url=lambda w: f"/fhir/R4/Task/{w.pk(Task)}", label="FHIR Task read", shows=("task", "task_description")),
    Row(route=INSTANCE, url="/fhir/R4/Questionnaire/PHQ-9", label="FHIR Questionnaire read"),
    Row(
        route=INSTANCE,
        url=lambda w: f"/fhir/R4/QuestionnaireResponse/{w.pk(QuestionnaireResponse)}",
        label="FHIR QuestionnaireResponse read",
        expect=CLINICAL_READ,
        shows=("answer",),
    ),
]


def _appointment_body(world) -> dict:
    return {
        "resourceType": "Appointment",
        "slot": [{"reference": f"Slot/{_slot(world)}"}],
        "participant": [{"actor": {"reference": f"Patient/{_patient(world)}"}, "status": "accepted"}],
    }


def _cancel_without_reason(world) -> dict:
    return {"resourceType": "Appointment", "id": str(world.pk(Appointment)), "status": "cancelled"}


def _appointment_status(world):
    return Appointment.objects.filter(patient=world.patient).order_by("id").values_list("id", "status")


WRITES = [
    Row(
        route=TYPE,
        method="POST",
        url="/fhir/R4/Appointment",
        data=_appointment_body,
        json=True,
        label="FHIR Appointment create (a taken slot)",
    ),
    Row(
        route=TYPE,
        method="POST",
        url="/fhir/R4/QuestionnaireResponse",
        json=True,
        data=lambda w: {
            "resourceType": "QuestionnaireResponse",
            "questionnaire": "Questionnaire/NRS",
            "status": "completed",
            "subject": {"reference": f"Patient/{_patient(w)}"},
            "item": [{"linkId": "1", "answer": [{"valueInteger": 4}]}],
        },
        expect=CLINICAL_READ,
        unchanged=lambda w: list(QuestionnaireResponse.objects.filter(patient=w.patient).values_list("id", flat=True)),
        label="FHIR QuestionnaireResponse create",
    ),
    Row(
        route=INSTANCE,
        method="PUT",
        url=lambda w: f"/fhir/R4/Appointment/{w.pk(Appointment)}",
        data=_cancel_without_reason,
        json=True,
        unchanged=None,
        label="FHIR Appointment update (cancel without a reason: 400)",
        expect={**expect_all(400, ("front_desk",)), **expect_all(404, CLINICIANS_OFF_TEAM), ANONYMOUS: 401},
    ),
    Row(
        route=INSTANCE,
        method="PATCH",
        url=lambda w: f"/fhir/R4/Appointment/{w.pk(Appointment)}",
        data=[{"op": "replace", "path": "/status", "value": "cancelled"}],
        json=True,
        label="FHIR Appointment JSON Patch (no reason: 400)",
        expect={**expect_all(404, CLINICIANS_OFF_TEAM), ANONYMOUS: 401},
    ),
    Row(
        route=OPERATION,
        method="POST",
        url="/fhir/R4/Appointment/$find",
        json=True,
        label="FHIR Appointment $find",
        data=lambda w: {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "appointment-type", "valueString": w.obj(VisitType).code},
                {"name": "patient", "valueReference": {"reference": f"Patient/{_patient(w)}"}},
                {"name": "_count", "valueInteger": 2},
            ],
        },
        expect={**expect_all(404, CLINICIANS_OFF_TEAM), ANONYMOUS: 401},
    ),
    Row(
        route=OPERATION,
        method="POST",
        url="/fhir/R4/Appointment/$hold",
        json=True,
        label="FHIR Appointment $hold (a taken slot)",
        data=lambda w: {"resourceType": "Parameters", "parameter": [{"name": "appointment", "resource": _appointment_body(w)}]},
    ),
    Row(
        route=OPERATION,
        method="POST",
        url="/fhir/R4/Appointment/$book",
        json=True,
        label="FHIR Appointment $book (cancel without a reason)",
        data=lambda w: {"resourceType": "Parameters", "parameter": [{"name": "appointment", "resource": _cancel_without_reason(w)}]},
        unchanged=None,
        expect={**expect_all(404, CLINICIANS_OFF_TEAM), ANONYMOUS: 401},
    ),
]

PUBLIC = [
    Row(route="fhir/R4/metadata", url="/fhir/R4/metadata", label="FHIR CapabilityStatement", expect={ANONYMOUS: 200}),
    Row(route="fhir/R4/<path:rest>", url="/fhir/R4/Patient/1/_history", label="FHIR unsupported path", expect=expect_all(404)),
    Row(
        route=".well-known/smart-configuration",
        url="/.well-known/smart-configuration",
        label="SMART configuration",
        expect={ANONYMOUS: 200},
    ),
]

ROWS = [*SEARCHES, *READS, *WRITES, *PUBLIC]
