"""Care coordination: CarePlan (problems as contained ICD-10-CM Conditions), CareTeam, Task,
Questionnaire (our scored instruments) and QuestionnaireResponse (read, search, and create through
careplans' scoring service: PHQ-9 item 9 raises its urgent alert however the answer arrives).

All of it is clinical: careplans' selectors apply the access policy (403 for the front desk,
only the patients a clinician may see) and record each look."""

from __future__ import annotations

from careplans.models import CarePlan, QuestionnaireResponse, Task
from careplans.scoring import INSTRUMENTS
from careplans.selectors import (
    careplan_get_for_user,
    careplans_for_user,
    clinical_patient_get_for_user,
    require_clinical,
    task_get_for_user,
    tasks_for_user,
)
from careplans.services import questionnaire_response_create
from core import access
from core.access import Kind
from core.errors import NotFound, PermissionDenied
from fhir.codes import (
    ACTIVITY_STATUS,
    CARE_TEAM_ROLE_SYSTEM,
    CAREPLAN_STATUS,
    ICD10CM_SYSTEM,
    QUESTIONNAIRE_ANSWER_SYSTEM,
    TASK_PRIORITY,
    TASK_STATUS,
    coding,
    instant,
    ref,
)
from fhir.http import FhirError
from fhir.paging import Result, page_list, page_queryset
from fhir.search import Param, Query, date_bounds, int_id, reference, token


def _pk(resource_type: str, ident: str) -> int:
    if not (ident.isascii() and ident.isdigit()) or len(ident) > 12:
        raise NotFound(f"No {resource_type} with id {ident!r}.")
    return int(ident)


def _patients(query: Query, name: str = "patient") -> list[int] | None:
    refs = query.any_of(name)
    return None if refs is None else [int_id(name, reference(name, r, "Patient")) for r in refs]


# --- CarePlan -----------------------------------------------------------------------------------
CAREPLAN_PARAMS = (
    Param("patient", "reference", "Patient/<id>"),
    Param("status", "token", "draft, active, on-hold, revoked, completed (comma for any)"),
)


def careplan_resource(plan: CarePlan) -> dict:
    conditions = [
        {
            "resourceType": "Condition",
            "id": f"problem-{problem.pk}",
            "clinicalStatus": {"coding": [coding("http://terminology.hl7.org/CodeSystem/condition-clinical", "active")]},
            "code": {"coding": [coding(ICD10CM_SYSTEM, problem.code, problem.text)], "text": problem.text},
            "subject": ref("Patient", plan.patient_id),
            **({"onsetDateTime": problem.onset.isoformat()} if problem.onset else {}),
        }
        for problem in plan.problems.all()
    ]
    out = {
        "resourceType": "CarePlan",
        "id": str(plan.pk),
        "status": CAREPLAN_STATUS[plan.status],
        "intent": "plan",
        "title": plan.title,
        "subject": ref("Patient", plan.patient_id),
        "period": {"start": plan.period_start.isoformat(), **({"end": plan.period_end.isoformat()} if plan.period_end else {})},
        "careTeam": [ref("CareTeam", plan.pk)],
    }
    if plan.description:
        out["description"] = plan.description
    if conditions:
        out["contained"] = conditions
        out["addresses"] = [{"reference": f"#{c['id']}"} for c in conditions]
    activities = [
        {
            "detail": {
                "kind": "Appointment" if activity.visit_type_id else "Task",
                "code": {"text": activity.title},
                "status": ACTIVITY_STATUS[activity.status],
                **(
                    {"scheduledString": f"{activity.per_week} per week for {activity.weeks} weeks"}
                    if activity.per_week and activity.weeks
                    else {}
                ),
            }
        }
        for activity in plan.activities.all()
    ]
    if activities:
        out["activity"] = activities
    return out


def careplan_read(*, user, ident: str) -> dict:
    return careplan_resource(careplan_get_for_user(user=user, pk=_pk("CarePlan", ident)))


def _plans(user, query: Query):
    qs = careplans_for_user(user=user)
    if (ids := _patients(query)) is not None:
        qs = qs.filter(patient_id__in=ids)
    return qs


def careplan_search(*, user, query: Query) -> Result:
    qs = _plans(user, query)
    if codes := query.any_of("status"):
        qs = qs.filter(status__in=[token(c)[1] for c in codes])
    result, _ = page_queryset(qs, query, careplan_resource, user=user)
    return result


# --- CareTeam (one per care plan) ---------------------------------------------------------------
CARETEAM_PARAMS = (
    Param("patient", "reference", "Patient/<id>"),
    Param("status", "token", "active (plan active or on hold) or inactive"),
)


def careteam_resource(plan: CarePlan) -> dict:
    participants = []
    for member in plan.team.all():
        role = {"coding": [coding(CARE_TEAM_ROLE_SYSTEM, member.role, member.get_role_display())]}
        if member.provider_id:
            participants.append({"role": [role], "member": ref("Practitioner", member.provider_id, member.provider.display_name)})
        else:
            participants.append({"role": [role, {"text": member.user.get_full_name() or member.user.get_username()}]})
    out = {
        "resourceType": "CareTeam",
        "id": str(plan.pk),
        "status": "active" if plan.status in (CarePlan.Status.ACTIVE, CarePlan.Status.ON_HOLD) else "inactive",
        "name": f"Care team: {plan.title}",
        "subject": ref("Patient", plan.patient_id),
    }
    if participants:
        out["participant"] = participants
    return out


def careteam_read(*, user, ident: str) -> dict:
    return careteam_resource(careplan_get_for_user(user=user, pk=_pk("CareTeam", ident)))


def careteam_search(*, user, query: Query) -> Result:
    qs = _plans(user, query)
    if codes := query.any_of("status"):
        wanted = {token(c)[1] for c in codes}
        live = [CarePlan.Status.ACTIVE, CarePlan.Status.ON_HOLD]
        if wanted == {"active"}:
            qs = qs.filter(status__in=live)
        elif wanted == {"inactive"}:
            qs = qs.exclude(status__in=live)
        elif not wanted <= {"active", "inactive"}:
            raise FhirError("status: active or inactive.", expression=["status"])
    result, _ = page_queryset(qs, query, careteam_resource, user=user)
    return result


# --- Task ---------------------------------------------------------------------------------------
TASK_PARAMS = (
    Param("owner", "reference", "Practitioner/<id>: tasks assigned to that provider"),
    Param("patient", "reference", "Patient/<id>"),
    Param("status", "token", "requested, accepted, in-progress, on-hold, completed, cancelled (comma for any)"),
    Param("period", "date", "Due date (eq, ge, gt, le, lt)"),
    Param("priority", "token", "routine, urgent, asap, stat"),
)


def task_resource(task: Task) -> dict:
    out = {
        "resourceType": "Task",
        "id": str(task.pk),
        "status": TASK_STATUS[task.status],
        "intent": "order",
        "priority": TASK_PRIORITY[task.priority],
        "code": {"text": task.get_source_display()},
        "description": task.title,
        "authoredOn": instant(task.created_at),
        "lastModified": instant(task.updated_at),
    }
    if task.patient_id:
        out["for"] = ref("Patient", task.patient_id)
    if task.assignee_provider_id:
        out["owner"] = ref("Practitioner", task.assignee_provider_id, task.assignee_provider.display_name)
    elif task.assignee_role:
        out["performerType"] = [{"text": task.assignee_display}]
    if task.due:
        out["restriction"] = {"period": {"end": instant(task.due)}}
        out["executionPeriod"] = {"end": instant(task.due)}
    if task.care_plan_id:
        out["basedOn"] = [ref("CarePlan", task.care_plan_id)]
    if task.appointment_id:
        out["focus"] = ref("Appointment", task.appointment_id)
    if task.status_reason:
        out["statusReason"] = {"text": task.status_reason}
    if task.description:
        out["note"] = [{"text": task.description}]
    return out


def task_read(*, user, ident: str) -> dict:
    task = task_get_for_user(user=user, pk=_pk("Task", ident))
    return task_resource(Task.objects.select_related("assignee_provider").get(pk=task.pk))


def task_search(*, user, query: Query) -> Result:
    qs = tasks_for_user(user=user)
    if refs := query.any_of("owner"):
        qs = qs.filter(assignee_provider_id__in=[int_id("owner", reference("owner", r, "Practitioner")) for r in refs])
    if (ids := _patients(query)) is not None:
        qs = qs.filter(patient_id__in=ids)
    if codes := query.any_of("status"):
        qs = qs.filter(status__in=[token(c)[1] for c in codes])
    if codes := query.any_of("priority"):
        qs = qs.filter(priority__in=[token(c)[1] for c in codes])
    lo, hi = date_bounds(query, "period")
    if lo is not None:
        qs = qs.filter(due__gte=lo)
    if hi is not None:
        qs = qs.filter(due__lt=hi)
    result, rows = page_queryset(qs.order_by("due", "id"), query, task_resource, user=user)
    if rows:  # tasks of patients seen only through an alert are recorded as such
        access.record_alert_looks(user, patient_ids={t.patient_id for t in rows if t.patient_id}, kind=Kind.CLINICAL)
    return result


# --- Questionnaire ------------------------------------------------------------------------------
QUESTIONNAIRE_PARAMS = (
    Param("_id", "token", "The instrument code, e.g. PHQ-9"),
    Param("name", "string", "The instrument code or name (starts with, case-insensitive)"),
)


def questionnaire_resource(code: str) -> dict:
    instrument = INSTRUMENTS[code]
    return {
        "resourceType": "Questionnaire",
        "id": code,
        "name": code.replace("-", ""),
        "title": instrument.name,
        "status": "active",
        "description": instrument.preamble,
        "subjectType": ["Patient"],
        "item": [
            {
                "linkId": str(index),
                "text": item.text,
                "type": "choice",
                "required": not instrument.optional_items,
                "answerOption": [
                    {"valueCoding": coding(QUESTIONNAIRE_ANSWER_SYSTEM, str(value), label)} for value, label in enumerate(item.choices)
                ],
            }
            for index, item in enumerate(instrument.items, start=1)
        ],
    }


def questionnaire_read(*, user, ident: str) -> dict:
    if ident not in INSTRUMENTS:
        raise NotFound(f"No Questionnaire with id {ident!r}.")
    return questionnaire_resource(ident)


def questionnaire_search(*, user, query: Query) -> Result:
    codes = list(INSTRUMENTS)
    if ids := query.any_of("_id"):
        codes = [c for c in codes if c in ids]
    for name in query.values.get("name", []):
        codes = [c for c in codes if c.lower().startswith(name.lower()) or INSTRUMENTS[c].name.lower().startswith(name.lower())]
    return page_list(codes, query, questionnaire_resource)


# --- QuestionnaireResponse ----------------------------------------------------------------------
RESPONSE_PARAMS = (
    Param("patient", "reference", "Patient/<id>"),
    Param("questionnaire", "reference", "Questionnaire/<code>, e.g. Questionnaire/PHQ-9"),
)


def response_resource(r: QuestionnaireResponse) -> dict:
    items = []
    for index, value in enumerate(r.answers, start=1):
        item = {"linkId": str(index)}
        if value is not None:
            item["answer"] = [{"valueInteger": value}]
        items.append(item)
    out = {
        "resourceType": "QuestionnaireResponse",
        "id": str(r.pk),
        "questionnaire": f"Questionnaire/{r.questionnaire}",
        "status": "completed",
        "subject": ref("Patient", r.patient_id),
        "authored": instant(r.answered_at),
        "item": items,
        "extension": [{"url": "urn:pain-clinic:fhir:score", "valueDecimal": float(r.score)}],
    }
    if r.severity:
        out["extension"].append({"url": "urn:pain-clinic:fhir:severity", "valueString": r.severity})
    return out


def _responses(user):
    require_clinical(user)
    return access.scope(QuestionnaireResponse.objects.all(), user, Kind.CLINICAL)


def response_read(*, user, ident: str) -> dict:
    row = _responses(user).filter(pk=_pk("QuestionnaireResponse", ident)).first()
    if row is None:
        raise NotFound(f"No QuestionnaireResponse with id {ident!r}, or not one of yours.")
    access.looked_at_rows([row], user=user)
    return response_resource(row)


def response_search(*, user, query: Query) -> Result:
    qs = _responses(user)
    if (ids := _patients(query)) is not None:
        qs = qs.filter(patient_id__in=ids)
    if refs := query.any_of("questionnaire"):
        qs = qs.filter(questionnaire__in=[reference("questionnaire", r, "Questionnaire") for r in refs])
    result, _ = page_queryset(qs.order_by("-answered_at", "-id"), query, response_resource, user=user)
    return result


def _answer_value(item: dict, link: str):
    answers = item.get("answer") or []
    if not answers:
        return None
    if not isinstance(answers, list) or len(answers) != 1 or not isinstance(answers[0], dict):
        raise FhirError(f"Item {link}: give one answer.", expression=[f"QuestionnaireResponse.item[{link}]"])
    answer = answers[0]
    if "valueInteger" in answer:
        value = answer["valueInteger"]
    elif "valueCoding" in answer and isinstance(answer["valueCoding"], dict):
        value = answer["valueCoding"].get("code")
    elif "valueString" in answer:
        value = answer["valueString"]
    else:
        raise FhirError(f"Item {link}: answer with valueInteger or valueCoding.", expression=[f"QuestionnaireResponse.item[{link}]"])
    if isinstance(value, str) and value.isascii() and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int):
        raise FhirError(f"Item {link}: the answer must be a whole number.", expression=[f"QuestionnaireResponse.item[{link}]"])
    return value


def response_create(*, user, body) -> tuple[dict, int]:
    if not isinstance(body, dict) or body.get("resourceType") != "QuestionnaireResponse":
        raise FhirError("Send a QuestionnaireResponse resource.")
    require_clinical(user)
    if not user.has_perm("careplans.add_questionnaireresponse"):
        raise PermissionDenied("You may not record questionnaires.")
    raw = body.get("questionnaire")
    if not isinstance(raw, str):
        raise FhirError("questionnaire must be Questionnaire/<code>.", expression=["QuestionnaireResponse.questionnaire"])
    code = reference("questionnaire", raw, "Questionnaire")
    if code not in INSTRUMENTS:
        raise FhirError(f"Unknown questionnaire {code!r}; see GET Questionnaire.", expression=["QuestionnaireResponse.questionnaire"])
    subject = body.get("subject")
    if not isinstance(subject, dict) or not isinstance(subject.get("reference"), str):
        raise FhirError("subject must be a reference to the Patient.", expression=["QuestionnaireResponse.subject"])
    patient = clinical_patient_get_for_user(user=user, pk=int_id("subject", reference("subject", subject["reference"], "Patient")))
    if body.get("status", "completed") != "completed":
        raise FhirError("Only completed responses are scored and stored.", expression=["QuestionnaireResponse.status"])
    size = len(INSTRUMENTS[code].items)
    answers: list = [None] * size
    items = body.get("item") or []
    if not isinstance(items, list):
        raise FhirError("item must be a list.", expression=["QuestionnaireResponse.item"])
    for item in items:
        link = item.get("linkId") if isinstance(item, dict) else None
        if not isinstance(link, str) or not link.isascii() or not link.isdigit() or not 1 <= int(link) <= size:
            raise FhirError(f"Each item needs a linkId from 1 to {size}.", expression=["QuestionnaireResponse.item.linkId"])
        answers[int(link) - 1] = _answer_value(item, link)
    response = questionnaire_response_create(
        patient=patient, questionnaire=code, answers=answers, entered_by=user, source=QuestionnaireResponse.Source.API
    )
    return response_resource(response), 201
