"""Outcome questionnaires: signed links sent through the messaging outbox, answers scored and
stored, alerts acted on at once (PHQ-9 item 9)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.core import signing
from django.db import transaction
from django.utils import timezone

from careplans.models import (
    CarePlan,
    CareTeamMember,
    ProcedureRecord,
    ProtocolStep,
    QuestionnaireRequest,
    QuestionnaireResponse,
    RoleQueue,
    Task,
)
from careplans.scoring import DIARY_CODE, INSTRUMENTS, score_answers
from careplans.services.records import procedure_record_add
from careplans.services.tasks import active_plan_id, task_create
from core.errors import Conflict, NotFound, ValidationFailed
from messaging import services as messaging_services
from scheduling.models import Appointment

log = logging.getLogger(__name__)

LINK_SALT = "careplans.questionnaire-link"
LINK_VALID_FOR = timedelta(days=7)


def questionnaire_link_for(request: QuestionnaireRequest) -> str:
    """The path of the answer page. The token is a signature over the request id only: nothing
    about the patient is in the URL. Expiry and single use are kept in the database."""
    token = signing.Signer(salt=LINK_SALT).sign_object({"r": request.pk})
    return f"/q/{token}/"


INSTRUCTIONS_SALT = "careplans.instructions-link"


def instructions_link_for(step) -> str:
    """Path of the public page showing a protocol step's patient instructions (not patient data)."""
    return f"/q/i/{signing.Signer(salt=INSTRUCTIONS_SALT).sign_object({'s': step.pk})}/"


def instructions_step_for_token(*, token: str):
    try:
        data = signing.Signer(salt=INSTRUCTIONS_SALT).unsign_object(token)
        return ProtocolStep.objects.get(pk=int(data["s"]), kind=ProtocolStep.Kind.PATIENT_MESSAGE)
    except (signing.BadSignature, ProtocolStep.DoesNotExist, KeyError, TypeError, ValueError):
        raise NotFound("This link is not valid.") from None


def questionnaire_request_for_token(*, token: str, now: datetime | None = None) -> QuestionnaireRequest:
    """The open request behind a link; NotFound for a forged, expired, withdrawn or used link."""
    now = now or timezone.now()
    try:
        data = signing.Signer(salt=LINK_SALT).unsign_object(token)
        request = QuestionnaireRequest.objects.get(pk=int(data["r"]))
    except (signing.BadSignature, QuestionnaireRequest.DoesNotExist, KeyError, TypeError, ValueError):
        raise NotFound("This link is not valid.") from None
    if request.answered_at is not None:
        raise NotFound("This questionnaire has already been answered. Thank you.")
    if request.withdrawn_at is not None or request.expires_at <= now:
        raise NotFound("This link has expired.")
    return request


def questionnaire_request_create(
    *,
    patient,
    questionnaire: str,
    due_at: datetime,
    dedupe_key: str,
    care_plan=None,
    appointment=None,
    ask_relief: bool = False,
    valid_for: timedelta = LINK_VALID_FOR,
    now: datetime | None = None,
) -> QuestionnaireRequest:
    """Create (once per dedupe_key) a questionnaire request and queue its link in the outbox for
    `due_at`. Safe to call again: the request and the outbox message are both keyed."""
    now = now or timezone.now()
    if questionnaire not in INSTRUMENTS:
        raise ValidationFailed("Unknown questionnaire.", field_errors={"questionnaire": [", ".join(INSTRUMENTS)]})
    request, _ = QuestionnaireRequest.objects.get_or_create(
        dedupe_key=dedupe_key,
        defaults={
            "patient": patient,
            "questionnaire": questionnaire,
            "due_at": due_at,
            "expires_at": due_at + valid_for,
            "care_plan": care_plan,
            "appointment": appointment,
            "ask_relief": ask_relief,
        },
    )
    if request.answered_at is None and request.withdrawn_at is None:
        messaging_services.outbox_enqueue_for_patient(
            patient=patient,
            purpose="questionnaire",
            due_at=request.due_at,
            dedupe_key=f"questionnaire:{request.pk}",
            link_path=questionnaire_link_for(request),
            now=now,
        )
    return request


def _psychologist_for(patient_id: int):
    member = (
        CareTeamMember.objects.filter(
            care_plan__patient_id=patient_id,
            care_plan__status__in=[CarePlan.Status.ACTIVE, CarePlan.Status.DRAFT, CarePlan.Status.ON_HOLD],
            role=CareTeamMember.Role.PSYCHOLOGIST,
            provider__active=True,
        )
        .select_related("provider")
        .order_by("-care_plan__period_start", "id")
        .first()
    )
    return member.provider if member else None


def _record_reported_relief(*, response: QuestionnaireResponse, appointment: Appointment, relief_percent: int | None, now) -> None:
    """What the patient reported about a procedure's relief becomes a patient-sourced version of
    its record: a completed block diary (its score is the % relief) or a questionnaire's relief
    question. A provider's own entry stays the effective one (careplans.services.records)."""
    if response.questionnaire == DIARY_CODE:
        procedure_record_add(
            appointment=appointment,
            relief_percent=int(response.score),
            source=ProcedureRecord.Source.DIARY,
            questionnaire_response=response,
            now=now,
        )
    elif relief_percent is not None:
        procedure_record_add(
            appointment=appointment,
            relief_percent=relief_percent,
            source=ProcedureRecord.Source.PATIENT,
            questionnaire_response=response,
            now=now,
        )


def questionnaire_response_create(
    *,
    patient,
    questionnaire: str,
    answers,
    entered_by=None,
    source: str = QuestionnaireResponse.Source.STAFF,
    request: QuestionnaireRequest | None = None,
    relief_percent: int | None = None,
    appointment=None,
    now: datetime | None = None,
) -> QuestionnaireResponse:
    """Score and store an answer set. A PHQ-9 with item 9 above 0 creates a STAT task for the
    patient's psychologist (or the psychology queue) in the same transaction, so the alert
    exists the moment the answer does. A link's request is closed by compare-and-set, so a
    double submit stores one response."""
    now = now or timezone.now()
    result = score_answers(questionnaire, answers)
    if relief_percent is not None and not (isinstance(relief_percent, int) and 0 <= relief_percent <= 100):
        raise ValidationFailed("Relief is a percentage.", field_errors={"relief_percent": ["Enter 0 to 100."]})
    with transaction.atomic():
        if request is not None:
            closed = QuestionnaireRequest.objects.filter(pk=request.pk, answered_at__isnull=True, withdrawn_at__isnull=True).update(
                answered_at=now
            )
            if not closed:
                raise Conflict("This questionnaire has already been answered.")
            appointment = appointment or request.appointment
        care_plan_id = (request.care_plan_id if request else None) or active_plan_id(patient.pk)
        response = QuestionnaireResponse.objects.create(
            patient=patient,
            care_plan_id=care_plan_id,
            request=request,
            appointment=appointment,
            questionnaire=questionnaire,
            answers=[None if v is None else int(v) for v in answers],
            score=result.score,
            severity=result.severity,
            relief_percent=relief_percent,
            answered_at=now,
            source=source,
            entered_by=entered_by if getattr(entered_by, "is_authenticated", False) else None,
        )
        if appointment is not None:
            _record_reported_relief(response=response, appointment=appointment, relief_percent=relief_percent, now=now)
        if "self_harm" in result.alerts:
            psychologist = _psychologist_for(patient.pk)
            task_create(
                title="PHQ-9 item 9 positive: same-day safety assessment",
                description=(
                    f"PHQ-9 answered {now:%Y-%m-%d %H:%M} UTC with item 9 (thoughts of self-harm) = {answers[8]}. "
                    "Contact the patient today and complete a suicide risk assessment."
                ),
                patient=patient,
                care_plan=CarePlan.objects.filter(pk=care_plan_id).first() if care_plan_id else None,
                assignee_provider=psychologist,
                assignee_role="" if psychologist else RoleQueue.PSYCHOLOGY,
                priority=Task.Priority.STAT,
                source=Task.Source.QUESTIONNAIRE,
                due=now,
                dedupe_key=f"phq9-item9:{response.pk}",
                now=now,
            )
    log.info("questionnaire answered", extra={"event": "questionnaire.answered", "response_id": response.pk, "source": source})
    return response
