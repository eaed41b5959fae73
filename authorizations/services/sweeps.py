"""The periodic sweeps (config/schedules.py). Each is safe to run twice: a transition happens
once, and every task it raises has a dedupe key naming the authorization and the date it is
about (a new deadline after an appeal is a new task; the same one is not)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from authorizations.models import GRANTING, Authorization, AuthorizationStatus, ReferenceKind
from authorizations.services.authorizations import authorization_expire
from authorizations.services.coverage import units_used
from careplans.models import RoleQueue, Task
from careplans.services import task_create
from core.errors import IllegalTransition
from scheduling.models import ProcedureFamily

S = AuthorizationStatus


def _today(authorization: Authorization, now: datetime):
    return now.astimezone(authorization.patient.zone).date()


def _task(authorization: Authorization, *, key: str, title: str, description: str, due: datetime, now: datetime, urgent=False) -> Task:
    return task_create(
        title=f"Prior authorization #{authorization.pk}: {title}",
        description=description,
        patient=authorization.patient,
        assignee_role=RoleQueue.AUTHORIZATION,
        priority=Task.Priority.URGENT if urgent else Task.Priority.ROUTINE,
        source=Task.Source.AUTHORIZATION,
        due=due,
        dedupe_key=f"auth:{authorization.pk}:{key}",
        now=now,
    )


def authorizations_expire(*, now: datetime | None = None) -> int:
    """Approvals past their last valid day (in the patient's zone) become expired."""
    now = now or timezone.now()
    expired = 0
    candidates = Authorization.objects.filter(status__in=GRANTING, valid_to__lt=now.date() + timedelta(days=1)).select_related("patient")
    for authorization in candidates:
        if authorization.valid_to < _today(authorization, now):
            try:
                authorization_expire(authorization=authorization, now=now)
                expired += 1
            except IllegalTransition:
                pass  # a concurrent run or a void got there first
    return expired


def authorizations_overdue(*, now: datetime | None = None) -> int:
    """Requests with the payer past its decision deadline (CMS-0057-F turnaround): chase them."""
    now = now or timezone.now()
    rows = Authorization.objects.filter(status__in=[S.SUBMITTED, S.PENDED, S.APPEALED], decision_due_at__lt=now).select_related(
        "patient", "payer"
    )
    for authorization in rows:
        _task(
            authorization,
            key=f"overdue:{authorization.decision_due_at:%Y%m%d%H%M}",
            title="payer decision overdue",
            description=f"{authorization.payer} was due to decide by {authorization.decision_due_at:%Y-%m-%d %H:%M} UTC; call the payer.",
            due=now,
            urgent=authorization.urgency == "expedited",
            now=now,
        )
    return len(rows)


def _unused(authorization: Authorization) -> int:
    return sum(max((line.approved_units or 0) - units_used(line.pk), 0) for line in authorization.lines.all())


def authorizations_expiring_unused(*, now: datetime | None = None) -> int:
    """Approved units not yet used on approvals ending within PRIOR_AUTH_EXPIRING_DAYS: book the
    visits or ask the payer for an extension."""
    now = now or timezone.now()
    horizon = now.date() + timedelta(days=settings.PRIOR_AUTH_EXPIRING_DAYS)
    raised = 0
    for authorization in Authorization.objects.filter(status__in=GRANTING, valid_to__lte=horizon).select_related("patient"):
        if authorization.valid_to < _today(authorization, now) or not (left := _unused(authorization)):
            continue
        _task(
            authorization,
            key=f"expiring:{authorization.valid_to:%Y%m%d}",
            title=f"{left} approved unit(s) unused, approval ends {authorization.valid_to:%Y-%m-%d}",
            description="Book the remaining visits before the approval ends, or ask the payer for an extension.",
            due=now,
            now=now,
        )
        raised += 1
    return raised


def authorizations_denied(*, now: datetime | None = None) -> int:
    """Each denial: appeal, or reschedule (and tell the patient)?"""
    now = now or timezone.now()
    rows = Authorization.objects.filter(status=S.DENIED).select_related("patient")
    for authorization in rows:
        _task(
            authorization,
            key=f"denied:{(authorization.decided_at or authorization.updated_at):%Y%m%d%H%M}",
            title="denied: appeal or reschedule?",
            description=f"The payer denied it ({authorization.status_reason or 'no reason recorded'}). Appeal with the evidence pack, "
            "or reschedule the visits it was to cover.",
            due=now + timedelta(days=1),
            now=now,
        )
    return len(rows)


def authorizations_scs_window(*, now: datetime | None = None) -> int:
    """Medicare's spinal cord stimulator approvals (UTN) last 120 days: an unused one whose window
    closes within PRIOR_AUTH_SCS_WARNING_DAYS needs its implant booked or a new request."""
    now = now or timezone.now()
    horizon = now.date() + timedelta(days=settings.PRIOR_AUTH_SCS_WARNING_DAYS)
    rows = (
        Authorization.objects.filter(status__in=GRANTING, valid_to__lte=horizon, lines__procedure_family=ProcedureFamily.SCS_TRIAL)
        .filter(Q(reference_kind=ReferenceKind.UTN) | Q(payer__code="medicare"))
        .select_related("patient")
        .distinct()
    )
    raised = 0
    for authorization in rows:
        if authorization.valid_to < _today(authorization, now) or not _unused(authorization):
            continue
        _task(
            authorization,
            key=f"scs-window:{authorization.valid_to:%Y%m%d}",
            title=f"SCS: Medicare 120-day window closes {authorization.valid_to:%Y-%m-%d}",
            description="Book the stimulator procedure inside the window, or request a new UTN.",
            due=now,
            urgent=True,
            now=now,
        )
        raised += 1
    return raised
