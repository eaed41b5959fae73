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
from careplans.services.crisis import crisis_alert_raise
from careplans.services.records import procedure_record_add
from careplans.services.tasks import active_plan_id, task_create
from core import access
from core.access import Kind
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
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


def instructions_link_for(step, appointment=None) -> str:
    """Path of the public page showing a protocol step's patient instructions. With the
    appointment the step follows, the page can also take the patient's report of new symptoms
    (after an EBP: careplans.services.red_flags); the token carries ids only, signed."""
    payload = {"s": step.pk} if appointment is None else {"s": step.pk, "a": appointment.pk}
    return f"/q/i/{signing.Signer(salt=INSTRUCTIONS_SALT).sign_object(payload)}/"


def instructions_for_token(*, token: str) -> tuple[ProtocolStep, Appointment | None]:
    """The step behind an instructions link and the appointment it follows (None for links made
    before links carried it). NotFound for a forged link."""
    try:
        data = signing.Signer(salt=INSTRUCTIONS_SALT).unsign_object(token)
        step = ProtocolStep.objects.get(pk=int(data["s"]), kind=ProtocolStep.Kind.PATIENT_MESSAGE)
        appointment_id = data.get("a")
        appointment = (
            Appointment.objects.select_related("patient", "visit_type", "provider__user").get(pk=int(appointment_id))
            if appointment_id is not None
            else None
        )
    except (signing.BadSignature, ProtocolStep.DoesNotExist, Appointment.DoesNotExist, KeyError, TypeError, ValueError, AttributeError):
        raise NotFound("This link is not valid.") from None
    return step, appointment


def instructions_step_for_token(*, token: str) -> ProtocolStep:
    return instructions_for_token(token=token)[0]


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
    patient's psychologist (or the psychology queue) and plans its urgent SMS and email alerts
    (careplans.services.crisis) in the same transaction, so the alert exists the moment the
    answer does. A link's request is closed by compare-and-set, so a
    double submit stores one response. Recording answers changes the patient's clinical record
    (and may raise a crisis task): `entered_by` needs clinical write access (a break-glass or an
    open urgent task lets a clinician look, not this); `None` is the patient's own link."""
    now = now or timezone.now()
    access.require_change(entered_by, patient=patient.pk, kind=Kind.CLINICAL, now=now)
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
            task = task_create(
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
            # Planned with the task, so the alerts exist the moment the answer does.
            crisis_alert_raise(task=task, now=now)
    log.info("questionnaire answered", extra={"event": "questionnaire.answered", "response_id": response.pk, "source": source})
    return response


def response_shows_crisis_resources(response: QuestionnaireResponse) -> bool:
    """Whether the patient's page after this answer shows the crisis lines (988, 911): the same
    rule that raised the alert."""
    return "self_harm" in score_answers(response.questionnaire, response.answers).alerts


def questionnaire_request_for_staff(*, request_id, by, now: datetime | None = None) -> QuestionnaireRequest:
    """An open questionnaire sent to a patient, for a staff member to enter the answers the
    patient gives them (read out on the phone). Entering a patient's answers changes their
    clinical record: 403 for a role that never may (front desk, clinic admin), 404 for a request
    of a patient outside the user's grants (as for one that does not exist), 409 once answered,
    withdrawn or expired."""
    now = now or timezone.now()
    if by is None or not access.may_ever(by, Kind.CLINICAL, access.Action.CHANGE):
        raise PermissionDenied("Entering a patient's answers is for clinicians and care coordinators.")
    try:
        request = QuestionnaireRequest.objects.select_related("patient").get(pk=int(request_id))
    except (QuestionnaireRequest.DoesNotExist, TypeError, ValueError):
        raise NotFound("No such questionnaire, or not one of your patients'.") from None
    access.require(by, access.Action.CHANGE, patient=request.patient, kind=Kind.CLINICAL, now=now)
    if request.answered_at is not None:
        raise Conflict("This questionnaire has already been answered.")
    if request.withdrawn_at is not None or request.expires_at <= now:
        raise Conflict("This questionnaire has expired or was withdrawn; record a new one instead.")
    return request


def questionnaire_answer_for_patient(
    *, request_id, answers, by, relief_percent: int | None = None, now: datetime | None = None
) -> QuestionnaireResponse:
    """Record the patient's answers to a questionnaire sent to them, typed in by `by` (a
    clinician). The same scoring, alerts and single-use closing as the patient's link; the
    response says it was entered by staff for the patient and who entered it, so a staff
    member's entry is never taken for the patient's own submission."""
    now = now or timezone.now()
    request = questionnaire_request_for_staff(request_id=request_id, by=by, now=now)
    return questionnaire_response_create(
        patient=request.patient,
        questionnaire=request.questionnaire,
        answers=answers,
        entered_by=by,
        source=QuestionnaireResponse.Source.ON_BEHALF,
        request=request,
        relief_percent=relief_percent,
        now=now,
    )
