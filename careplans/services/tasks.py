"""Worklist tasks: creation (idempotent on a dedupe key), one function per status transition,
reassignment, and overdue escalation.

requested → accepted → in-progress → completed; on-hold and back; cancelled from any open state.
Every change locks the row, checks the move is legal and writes a TaskEvent (who, when, why).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mass_mail
from django.db import IntegrityError, transaction
from django.utils import timezone

from careplans.models import DISCIPLINE_QUEUE, NON_CLINICAL_QUEUES, OPEN_TASK_STATUSES, CarePlan, RoleQueue, Task, TaskEvent
from careplans.policy import queues_for_user
from clinic.models import Provider
from core import access
from core.access import Action, Kind
from core.errors import IllegalTransition, PermissionDenied, ValidationFailed
from core.inputs import text_clean
from core.roles import AUTHORIZATION_COORDINATOR, CARE_COORDINATOR, CLINIC_ADMIN, FRONT_DESK

log = logging.getLogger(__name__)
S = Task.Status

LEGAL_TRANSITIONS: dict[str, set[str]] = {
    S.REQUESTED: {S.ACCEPTED, S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED, S.CANCELLED},
    S.ACCEPTED: {S.IN_PROGRESS, S.ON_HOLD, S.COMPLETED, S.CANCELLED},
    S.IN_PROGRESS: {S.ON_HOLD, S.COMPLETED, S.CANCELLED},
    S.ON_HOLD: {S.ACCEPTED, S.IN_PROGRESS, S.COMPLETED, S.CANCELLED},
    S.COMPLETED: set(),
    S.CANCELLED: set(),
}

# How long past due a task may stay at level 1 (assignee told) before the coordinator is alerted.
ESCALATION_GRACE = {
    Task.Priority.STAT: timedelta(minutes=15),
    Task.Priority.ASAP: timedelta(hours=1),
    Task.Priority.URGENT: timedelta(hours=2),
    Task.Priority.ROUTINE: timedelta(hours=24),
}


def active_plan_id(patient_id: int) -> int | None:
    return (
        CarePlan.objects.filter(patient_id=patient_id, status__in=[CarePlan.Status.ACTIVE, CarePlan.Status.DRAFT, CarePlan.Status.ON_HOLD])
        .order_by("status", "-period_start", "-id")  # "active" sorts before "draft" and "on-hold"
        .values_list("id", flat=True)
        .first()
    )


def task_create(
    *,
    title: str,
    patient=None,
    care_plan=None,
    assignee_provider=None,
    assignee_role: str = "",
    priority: str = "routine",
    source: str = "manual",
    description: str = "",
    due: datetime | None = None,
    created_by=None,
    dedupe_key: str = "",
    appointment=None,
    protocol_step=None,
    now: datetime | None = None,
) -> Task:
    """Create a worklist task for a provider or a role queue ("front_desk", "care_coordinator",
    "anesthesiology", "physical_therapy", "psychology", "nutrition"). Sources: protocol,
    inbound_sms, questionnaire, manual, checklist, escalation.

    Idempotent on a non-empty dedupe_key: a second call (a retried Celery task, a concurrent
    run) returns the existing task; the unique index decides races."""
    now = now or timezone.now()
    # Titles composed by protocols and escalations may run long; they are shortened, not refused.
    title = text_clean("title", title)[:200]
    description = text_clean("description", description)
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["A title is required."]
    if assignee_provider is None and not assignee_role:
        errors["assignee"] = ["Assign the task to a provider or a role queue."]
    if assignee_role and assignee_role not in RoleQueue.values:
        errors["assignee_role"] = [f"Choose one of {', '.join(RoleQueue.values)}."]
    if priority not in Task.Priority.values:
        errors["priority"] = [f"Choose one of {', '.join(Task.Priority.values)}."]
    if source not in Task.Source.values:
        errors["source"] = [f"Choose one of {', '.join(Task.Source.values)}."]
    if due is not None and due.tzinfo is None:
        errors["due"] = ["Include a time zone offset."]
    if errors:
        raise ValidationFailed("The task is not valid.", field_errors=errors)
    if dedupe_key:
        existing = Task.objects.filter(dedupe_key=dedupe_key).first()
        if existing is not None:
            return existing
    if patient is None and care_plan is not None:
        patient = care_plan.patient
    care_plan_id = care_plan.pk if care_plan is not None else (active_plan_id(patient.pk) if patient is not None else None)
    task = Task(
        title=title,
        description=description,
        patient=patient,
        care_plan_id=care_plan_id,
        appointment=appointment,
        assignee_provider=assignee_provider,
        assignee_role="" if assignee_provider is not None else assignee_role,
        due=due,
        priority=priority,
        source=source,
        protocol_step=protocol_step,
        dedupe_key=dedupe_key[:200],
        created_by=created_by,
        created_at=now,
    )
    try:
        with transaction.atomic():
            task.save()
            TaskEvent.objects.create(
                task=task, action=TaskEvent.Action.CREATED, to_status=task.status, at=now, by=created_by, detail=source
            )
    except IntegrityError:
        if not dedupe_key:
            raise
        return Task.objects.get(dedupe_key=dedupe_key)
    log.info("task created", extra={"event": "task.created", "task_id": task.pk, "source": source, "priority": priority})
    return task


def require_may_act(task: Task, *, by, now: datetime | None = None) -> None:
    """A staff member acts on a task held by them or by a queue they work from, or on one whose
    patient they may change. Seeing the patient is not enough: an open urgent task or a
    break-glass lets a clinician look, never work another team's tasks. `by=None` is the system."""
    if by is None or task.patient_id is None:
        return
    if task.assignee_provider_id is not None and task.assignee_provider_id == getattr(_provider_of(by), "pk", None):
        return
    if task.assignee_role and task.assignee_role in queues_for_user(by):
        return
    kind = Kind.CLINICAL if task.is_clinical else Kind.SCHEDULING
    if not access.can(by, Action.CHANGE, patient=task.patient_id, kind=kind, now=now):
        raise PermissionDenied("This task belongs to another team: you may look at it, not work it.")


def _transition(task: Task, *, to: str, by=None, reason: str = "", now: datetime | None = None, **fields) -> Task:
    now = now or timezone.now()
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        # Checked on the stored row: the caller's instance may carry unsaved edits (an admin form).
        require_may_act(locked, by=by, now=now)
        current = locked.status
        if to not in LEGAL_TRANSITIONS[current]:
            raise IllegalTransition(f"A task that is {S(current).label.lower()} cannot become {S(to).label.lower()}.", status=current)
        locked.status = to
        locked.status_reason = reason[:300]
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", "status_reason", "updated_at", *fields])
        TaskEvent.objects.create(
            task=locked, action=TaskEvent.Action.STATUS, from_status=current, to_status=to, at=now, by=by, detail=reason[:300]
        )
    return locked


def _provider_of(user) -> Provider | None:
    try:
        return user.provider if user is not None and getattr(user, "is_authenticated", False) else None
    except Provider.DoesNotExist:
        return None


def task_accept(*, task: Task, by=None, now: datetime | None = None) -> Task:
    now = now or timezone.now()
    provider = _provider_of(by)
    claim = {"assignee_provider": provider, "assignee_role": ""} if provider and task.assignee_provider_id is None else {}
    return _transition(task, to=S.ACCEPTED, by=by, now=now, accepted_at=now, **claim)


def task_start(*, task: Task, by=None, now: datetime | None = None) -> Task:
    now = now or timezone.now()
    provider = _provider_of(by)
    claim = {"assignee_provider": provider, "assignee_role": ""} if provider and task.assignee_provider_id is None else {}
    return _transition(task, to=S.IN_PROGRESS, by=by, now=now, **claim)


def task_hold(*, task: Task, reason: str, by=None, now: datetime | None = None) -> Task:
    if not (reason or "").strip():
        raise ValidationFailed("Say why the task is on hold.", field_errors={"reason": ["A reason is required."]})
    return _transition(task, to=S.ON_HOLD, by=by, reason=reason, now=now)


def task_complete(*, task: Task, by=None, note: str = "", now: datetime | None = None) -> Task:
    now = now or timezone.now()
    return _transition(task, to=S.COMPLETED, by=by, reason=note, now=now, completed_at=now, completed_by=by)


def task_cancel(*, task: Task, reason: str = "", by=None, now: datetime | None = None) -> Task:
    now = now or timezone.now()
    return _transition(task, to=S.CANCELLED, by=by, reason=reason or "cancelled", now=now, cancelled_at=now)


def task_reassign(
    *, task: Task, to_provider: Provider | None = None, to_role: str = "", by=None, reason: str = "", now: datetime | None = None
) -> Task:
    """Hand an open task to another provider or queue. It goes back to `requested` for the new
    owner, and its escalation starts over.

    A clinical task never goes to the front-desk queue, whose members may not read it: that is
    refused as invalid input (ValidationFailed on `assignee_role`), whoever asks, because no one
    may make that move; a clinician who needs the front desk creates a front-desk task in words
    fit for it."""
    now = now or timezone.now()
    if to_provider is None and not to_role:
        raise ValidationFailed("Choose who takes the task.", field_errors={"assignee": ["Choose a provider or a role queue."]})
    if to_role and to_role not in RoleQueue.values:
        raise ValidationFailed("Unknown queue.", field_errors={"assignee_role": [f"Choose one of {', '.join(RoleQueue.values)}."]})
    with transaction.atomic():
        locked = Task.objects.select_for_update().get(pk=task.pk)
        require_may_act(locked, by=by, now=now)  # the stored row, not the caller's edited instance
        if locked.status not in OPEN_TASK_STATUSES:
            raise IllegalTransition(f"A {S(locked.status).label.lower()} task cannot be reassigned.", status=locked.status)
        if to_provider is None and to_role in NON_CLINICAL_QUEUES and locked.is_clinical:
            raise ValidationFailed(
                f"A clinical task cannot go to the {RoleQueue(to_role).label.lower()} queue, whose members may not read clinical content.",
                field_errors={"assignee_role": ["Choose a clinician or a clinical queue; create a separate front-desk task instead."]},
            )
        before = locked.assignee_display
        locked.assignee_provider = to_provider
        locked.assignee_role = "" if to_provider is not None else to_role
        from_status = locked.status
        locked.status = S.REQUESTED
        locked.escalation_level = 0
        locked.escalated_at = None
        locked.save(update_fields=["assignee_provider", "assignee_role", "status", "escalation_level", "escalated_at", "updated_at"])
        detail = f"from {before} to {locked.assignee_display}" + (f": {reason}" if reason else "")
        TaskEvent.objects.create(
            task=locked,
            action=TaskEvent.Action.REASSIGNED,
            from_status=from_status,
            to_status=S.REQUESTED,
            at=now,
            by=by,
            detail=detail[:300],
        )
    return locked


# --- escalation -------------------------------------------------------------------------------


def _queue_emails(role: str) -> list[str]:
    users = get_user_model().objects.filter(is_active=True).exclude(email="")
    if role == RoleQueue.CARE_COORDINATOR:
        users = users.filter(groups__name=CARE_COORDINATOR)
    elif role == RoleQueue.FRONT_DESK:
        users = users.filter(groups__name=FRONT_DESK)
    elif role == RoleQueue.CLINIC_ADMIN:
        users = users.filter(groups__name=CLINIC_ADMIN)
    elif role == RoleQueue.AUTHORIZATION:
        users = users.filter(groups__name=AUTHORIZATION_COORDINATOR)
    else:
        codes = [code for code, queue in DISCIPLINE_QUEUE.items() if queue == role]
        users = users.filter(provider__discipline__code__in=codes, provider__active=True)
    return list(users.values_list("email", flat=True).distinct())


def _notify(emails: list[str], task_id: int, level: int) -> None:
    """Staff e-mail with a link only: titles can carry clinical detail, so they stay in the app."""
    if not emails:
        return
    link = f"{settings.PUBLIC_BASE_URL}/workspace/tasks/?task={task_id}"
    subject = "Overdue task in your worklist" if level == 1 else "Escalated: an overdue task needs a coordinator"
    body = f"A task is overdue. Open it in the workspace: {link}\n"
    messages = [(subject, body, settings.DEFAULT_FROM_EMAIL, [email]) for email in emails]
    transaction.on_commit(lambda: send_mass_mail(messages, fail_silently=True))


def tasks_escalate_overdue(*, now: datetime | None = None) -> dict[str, int]:
    """Beat job. Level 1: the task is past due, tell its assignee. Level 2: still open a grace
    period (by priority) later, alert the care coordinators with a task of their own.

    Idempotent: each level is claimed by a compare-and-set UPDATE on escalation_level, so two
    overlapping runs (or a retried one) escalate each task once per level."""
    now = now or timezone.now()
    counts = {"notified": 0, "coordinator": 0}
    level0 = Task.objects.filter(status__in=OPEN_TASK_STATUSES, due__lt=now, escalation_level=0).values_list(
        "id", "assignee_provider__user__email", "assignee_role"
    )
    for task_id, email, role in level0:
        with transaction.atomic():
            if not Task.objects.filter(pk=task_id, escalation_level=0).update(escalation_level=1, escalated_at=now, updated_at=now):
                continue
            TaskEvent.objects.create(task_id=task_id, action=TaskEvent.Action.ESCALATED, at=now, detail="overdue: assignee notified")
            _notify([email] if email else _queue_emails(role), task_id, 1)
            counts["notified"] += 1

    for priority, grace in ESCALATION_GRACE.items():
        # Coordinators follow up clinical work; the clinic admin's reviews and payer work (level 1
        # reminds them) stay theirs: a care-coordinator task would open the chart to a care queue.
        level1 = (
            Task.objects.filter(
                status__in=OPEN_TASK_STATUSES, priority=priority, due__lt=now - grace, escalation_level=1, escalated_at__lte=now - grace
            )
            .exclude(assignee_role__in=[RoleQueue.CLINIC_ADMIN, RoleQueue.AUTHORIZATION])
            .select_related("patient", "care_plan")
        )
        for task in level1:
            with transaction.atomic():
                if not Task.objects.filter(pk=task.pk, escalation_level=1).update(escalation_level=2, escalated_at=now, updated_at=now):
                    continue
                TaskEvent.objects.create(task=task, action=TaskEvent.Action.ESCALATED, at=now, detail="overdue: care coordinator alerted")
                if task.assignee_role != RoleQueue.CARE_COORDINATOR:
                    task_create(
                        title=f"Overdue: {task.title}"[:200],
                        description=f"Task #{task.pk} assigned to {task.assignee_display} is overdue; follow it up or reassign it.",
                        patient=task.patient,
                        care_plan=task.care_plan,
                        assignee_role=RoleQueue.CARE_COORDINATOR,
                        priority=Task.Priority.URGENT,
                        source=Task.Source.ESCALATION,
                        due=now + timedelta(hours=2),
                        dedupe_key=f"escalation:{task.pk}",
                        now=now,
                    )
                _notify(_queue_emails(RoleQueue.CARE_COORDINATOR), task.pk, 2)
                counts["coordinator"] += 1
    return counts
