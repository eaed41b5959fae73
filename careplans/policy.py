"""Care plans' part of the access policy: every care-plan row is clinical data of its patient,
and the grants that care work gives (the care team, the coordinator queue, and open urgent or
STAT tasks, whose looks are recorded). Connected in CareplansConfig.ready()."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from careplans.models import (
    CRISIS_SOURCES,
    DISCIPLINE_QUEUE,
    NON_CLINICAL_QUEUES,
    OPEN_TASK_STATUSES,
    Activity,
    BreakGlass,
    CarePlan,
    CarePlanEvent,
    CareTeamMember,
    ChecklistItem,
    FollowupAssembly,
    Goal,
    Problem,
    ProcedureRecord,
    QuestionnaireRequest,
    QuestionnaireResponse,
    RoleQueue,
    Task,
    TaskEvent,
    TeamNote,
)
from core import access
from core.access import CLINICAL_ROLES, Kind
from core.roles import AUTHORIZATION_COORDINATOR, CARE_COORDINATOR, CLINIC_ADMIN, FRONT_DESK, ON_CALL, user_roles

ALERT_PRIORITIES = [Task.Priority.URGENT, Task.Priority.ASAP, Task.Priority.STAT]

# Which staff read each queue's tasks: a clinical task may only sit in a queue whose members may
# read it (the front desk reads none).
CLINICAL_QUEUES = frozenset(RoleQueue) - NON_CLINICAL_QUEUES


def queues_for_user(user) -> list[str]:
    """The role queues the user works from."""
    roles = user_roles(user)
    queues = []
    if FRONT_DESK in roles:
        queues.append(RoleQueue.FRONT_DESK)
    if CLINIC_ADMIN in roles:
        queues.append(RoleQueue.CLINIC_ADMIN)
    if AUTHORIZATION_COORDINATOR in roles:
        queues.append(RoleQueue.AUTHORIZATION)
    if CARE_COORDINATOR in roles or getattr(user, "is_superuser", False):
        queues.append(RoleQueue.CARE_COORDINATOR)
    provider = access.provider_of(user)
    if provider is not None and (queue := DISCIPLINE_QUEUE.get(provider.discipline.code)):
        queues.append(queue)
    if ON_CALL in roles and roles & CLINICAL_ROLES:
        queues.append(RoleQueue.ON_CALL)
    return queues


def covers_crises(user) -> bool:
    """On-call clinicians and the medical director are alerted of every crisis task
    (careplans.services.crisis), so they may open one whoever holds it."""
    if not access.may_ever(user, Kind.CLINICAL):
        return False
    director = settings.MEDICAL_DIRECTOR_USERNAME
    return ON_CALL in user_roles(user) or bool(director and user.get_username() == director)


def _care_team(user, now: datetime) -> Q:
    provider = access.provider_of(user)
    member = Q(user=user) | Q(provider=provider) if provider is not None else Q(user=user)
    return Q(Exists(CareTeamMember.objects.filter(member, care_plan__patient=OuterRef("pk"))))


def _coordinator_queue(user, now: datetime) -> Q:
    open_work = Task.objects.filter(patient=OuterRef("pk"), assignee_role=RoleQueue.CARE_COORDINATOR, status__in=OPEN_TASK_STATUSES)
    return Q(Exists(open_work))


def _alerts(user, now: datetime) -> Q:
    """Open urgent/STAT tasks assigned to the user or sitting in a queue they work from, and open
    crisis tasks for those who cover crises."""
    provider = access.provider_of(user)
    mine = Q(assignee_role__in=[q for q in queues_for_user(user) if q in CLINICAL_QUEUES])
    if provider is not None:
        mine |= Q(assignee_provider=provider)
    if covers_crises(user):
        mine |= Q(source__in=CRISIS_SOURCES)
    alerts = Task.objects.filter(mine, patient=OuterRef("pk"), status__in=OPEN_TASK_STATUSES, priority__in=ALERT_PRIORITIES)
    return Q(Exists(alerts))


def _break_glass(user, now: datetime) -> Q:
    """A clinician's own break-glass on the patient, until it expires."""
    return Q(Exists(BreakGlass.objects.filter(user=user, patient=OuterRef("pk"), expires_at__gt=now)))


def _break_glass_reasons(user, patient_ids: set[int], now: datetime) -> dict[int, str]:
    """The audit reason of a look that only a break-glass allows: its id and the reason given."""
    rows = (
        BreakGlass.objects.filter(user=user, patient_id__in=patient_ids, expires_at__gt=now)
        .order_by("patient_id", "-expires_at", "-id")
        .distinct("patient_id")
        .values_list("patient_id", "pk", "reason")
    )
    return {patient_id: f"break-glass #{pk}: {reason}" for patient_id, pk, reason in rows}


def connect() -> None:
    for model, path in (
        (CarePlan, "patient"),
        (CarePlanEvent, "care_plan__patient"),
        (Problem, "care_plan__patient"),
        (Goal, "care_plan__patient"),
        (CareTeamMember, "care_plan__patient"),
        (Activity, "care_plan__patient"),
        (TeamNote, "care_plan__patient"),
        (Task, "patient"),
        (TaskEvent, "task__patient"),
        (ChecklistItem, "appointment__patient"),
        (ProcedureRecord, "appointment__patient"),
        (FollowupAssembly, "appointment__patient"),
        (QuestionnaireRequest, "patient"),
        (QuestionnaireResponse, "patient"),
    ):
        access.protect(model, patient_path=path, kind=Kind.CLINICAL)
    access.register_grant("careplans.care_team", applies=lambda user: access.may_ever(user, Kind.CLINICAL), patients=_care_team)
    access.register_grant(
        "careplans.coordinator_queue", applies=lambda user: CARE_COORDINATOR in user_roles(user), patients=_coordinator_queue
    )
    access.register_grant(
        "careplans.open_alerts", applies=lambda user: access.may_ever(user, Kind.CLINICAL), patients=_alerts, recorded=True
    )
    # Break-glass lets its clinician look at every kind of the patient's data, never change it:
    # an emergency needs the record read, and a change made under it would be made by someone
    # the care team never chose (recorded grants count for VIEW only).
    access.register_grant(
        "careplans.break_glass",
        applies=lambda user: access.may_ever(user, Kind.CLINICAL),
        patients=_break_glass,
        recorded=True,
        describe=_break_glass_reasons,
    )
