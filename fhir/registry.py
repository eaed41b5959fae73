"""The one table of what /fhir/R4/ supports. Routing, search-parameter checking and the
CapabilityStatement are all read from it, so what the server advertises is what it does."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from fhir import appointments, care, directory, schedule
from fhir.search import Param


@dataclass(frozen=True)
class ResourceType:
    name: str
    read: Callable
    search: Callable
    params: tuple[Param, ...]
    includes: tuple[str, ...] = ()
    create: Callable | None = None
    update: Callable | None = None
    patch: Callable | None = None
    documentation: str = ""

    @property
    def interactions(self) -> list[str]:
        found = ["read", "search-type"]
        found += [name for name, fn in (("create", self.create), ("update", self.update), ("patch", self.patch)) if fn is not None]
        return found


@dataclass(frozen=True)
class Operation:
    resource: str
    name: str  # without the $
    run: Callable
    definition: str
    documentation: str


RESOURCES: dict[str, ResourceType] = {
    r.name: r
    for r in (
        ResourceType("Patient", directory.patient_read, directory.patient_search, directory.PATIENT_PARAMS),
        ResourceType("Practitioner", directory.practitioner_read, directory.practitioner_search, directory.PRACTITIONER_PARAMS),
        ResourceType("PractitionerRole", directory.role_read, directory.role_search, directory.ROLE_PARAMS),
        ResourceType(
            "Location",
            directory.location_read,
            directory.location_search,
            directory.LOCATION_PARAMS,
            documentation="Clinic sites (site-<id>, physicalType si) and their rooms (room-<id>, physicalType ro).",
        ),
        ResourceType("Device", directory.device_read, directory.device_search, directory.DEVICE_PARAMS, documentation="Room equipment."),
        ResourceType(
            "HealthcareService", directory.service_read, directory.service_search, directory.SERVICE_PARAMS, documentation="Visit types."
        ),
        ResourceType(
            "Schedule",
            schedule.schedule_read,
            schedule.schedule_search,
            schedule.SCHEDULE_PARAMS,
            documentation="Computed: provider-<id> and room-<id>.",
        ),
        ResourceType(
            "Slot",
            schedule.slot_read,
            schedule.slot_search,
            schedule.SLOT_PARAMS,
            documentation="Computed by the slot engine, never stored: <schedule id>.<visit type code>.<UTC start yyyymmddThhmmZ>. "
            "No total is given (the engine stops at the page).",
        ),
        ResourceType(
            "Appointment",
            appointments.appointment_read,
            appointments.appointment_search,
            appointments.APPOINTMENT_PARAMS,
            includes=appointments.APPOINTMENT_INCLUDES,
            create=appointments.appointment_create,
            update=appointments.appointment_update,
            patch=appointments.appointment_patch,
            documentation="Create books a free Slot (slot[0].reference). Update and JSON Patch cancel "
            "(status cancelled with cancelationReason.text) or book a held appointment (status booked).",
        ),
        ResourceType("CarePlan", care.careplan_read, care.careplan_search, care.CAREPLAN_PARAMS),
        ResourceType("CareTeam", care.careteam_read, care.careteam_search, care.CARETEAM_PARAMS, documentation="One per care plan."),
        ResourceType("Task", care.task_read, care.task_search, care.TASK_PARAMS),
        ResourceType("Questionnaire", care.questionnaire_read, care.questionnaire_search, care.QUESTIONNAIRE_PARAMS),
        ResourceType(
            "QuestionnaireResponse",
            care.response_read,
            care.response_search,
            care.RESPONSE_PARAMS,
            create=care.response_create,
            documentation="Create scores the answers (valueInteger or valueCoding per item linkId 1..n).",
        ),
    )
}

IHE = "https://profiles.ihe.net/ITI/Scheduling/OperationDefinition"
OPERATIONS: dict[tuple[str, str], Operation] = {
    (op.resource, op.name): op
    for op in (
        Operation(
            "Appointment",
            "find",
            appointments.appointment_find,
            f"{IHE}/appointment-find",
            "ITI-115: start, end, specialty, appointment-type (or visit-type), practitioner, location, patient, _count (default 20, at most 100).",
        ),
        Operation(
            "Appointment",
            "hold",
            appointments.appointment_hold,
            f"{IHE}/appointment-hold",
            "ITI-116: parameter appointment (as $find proposed it): held until FHIR_HOLD_MINUTES pass.",
        ),
        Operation(
            "Appointment",
            "book",
            appointments.appointment_book_op,
            f"{IHE}/appointment-book",
            "ITI-117: parameter appointment: without id books its slot; with id books a hold, moves it to another slot, or cancels it.",
        ),
    )
}
