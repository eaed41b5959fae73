"""Code systems and the mapping of our statuses to FHIR R4 value sets (shared/DESIGN.md §3)."""

from __future__ import annotations

from datetime import UTC, datetime

from careplans.models import Activity, CarePlan, Task
from scheduling.models import AppointmentStatus as S

# Our own vocabularies, as URNs of the clinic (no public canonical exists for a clinic's catalogue).
MRN_SYSTEM = "urn:pain-clinic:mrn"
VISIT_TYPE_SYSTEM = "urn:pain-clinic:visit-type"
DISCIPLINE_SYSTEM = "urn:pain-clinic:discipline"
EQUIPMENT_SYSTEM = "urn:pain-clinic:equipment"
CARE_TEAM_ROLE_SYSTEM = "urn:pain-clinic:care-team-role"
QUESTIONNAIRE_ANSWER_SYSTEM = "urn:pain-clinic:answer-value"
CPT_SYSTEM = "http://www.ama-assn.org/go/cpt"
HCPCS_SYSTEM = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"  # HCPCS Level II
NPI_SYSTEM = "http://hl7.org/fhir/sid/us-npi"
ICD10CM_SYSTEM = "http://hl7.org/fhir/sid/icd-10-cm"
PHYSICAL_TYPE_SYSTEM = "http://terminology.hl7.org/CodeSystem/location-physical-type"
HOLD_EXPIRES_EXTENSION = "urn:pain-clinic:fhir:hold-expires"

# Appointment (http://hl7.org/fhir/appointmentstatus). A hold is "pending": time is reserved
# while the booking is being finished (IHE ITI-116); in progress means the patient has arrived.
APPOINTMENT_STATUS = {
    S.HELD: "pending",
    S.BOOKED: "booked",
    S.CONFIRMED: "booked",
    S.CHECKED_IN: "checked-in",
    S.IN_PROGRESS: "arrived",
    S.COMPLETED: "fulfilled",
    S.CANCELLED: "cancelled",
    S.NO_SHOW: "noshow",
}
# A FHIR status searched for → our statuses.
APPOINTMENT_STATUS_SEARCH: dict[str, list[str]] = {}
for ours, theirs in APPOINTMENT_STATUS.items():
    APPOINTMENT_STATUS_SEARCH.setdefault(theirs, []).append(str(ours))
APPOINTMENT_STATUS_VALUES = (
    "proposed",
    "pending",
    "booked",
    "arrived",
    "fulfilled",
    "cancelled",
    "noshow",
    "entered-in-error",
    "checked-in",
    "waitlist",
)

# CarePlan (request-status): our values are FHIR's already.
CAREPLAN_STATUS = {value: value for value in CarePlan.Status.values}
ACTIVITY_STATUS = {value: value for value in Activity.Status.values}  # care-plan-activity-status
# Task (task-status) and priority (request-priority): ours are a subset of FHIR's.
TASK_STATUS = {value: value for value in Task.Status.values}
TASK_PRIORITY = {value: value for value in Task.Priority.values}


def instant(value: datetime | None, zone=None) -> str | None:
    """ISO 8601 with an offset (the location's when known, else UTC), to the second."""
    if value is None:
        return None
    return value.astimezone(zone or UTC).isoformat(timespec="seconds")


def coding(system: str, code: str, display: str = "") -> dict:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def ref(resource_type: str, ident, display: str = "") -> dict:
    out = {"reference": f"{resource_type}/{ident}"}
    if display:
        out["display"] = display
    return out


def billing_coding(code: str) -> dict:
    """CPT codes are digits (or four digits and F/T/U); HCPCS Level II codes start with a letter."""
    return coding(HCPCS_SYSTEM if code[:1].isalpha() else CPT_SYSTEM, code)
