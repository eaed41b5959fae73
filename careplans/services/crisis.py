"""Crisis alerts: a task that cannot wait (PHQ-9 item 9 above 0, an EBP red flag) reaches
clinicians' phones and inboxes at once, and climbs to the lead physician (or the medical
director) when nobody accepts it in time.

Who is told:
- the task's assignee (the patient's psychologist, the proceduralist), or every active provider
  of the task's queue when it sits in a queue;
- every clinician in the On-call rota (core.roles.ON_CALL; the clinic admin sets its members);
  when none of them has an alert phone, the clinic's after-hours phone (settings.ON_CALL_PHONE);
- after settings.CRISIS_ESCALATE_MINUTES unaccepted: the care plan's lead physician (team role),
  else the medical director (settings.MEDICAL_DIRECTOR_USERNAME), else the after-hours phone.

Alerts are outbox rows planned in the caller's transaction (they exist the moment the task
does, and a crash after commit loses none); right after commit the dispatcher is woken so they go
within seconds rather than at its next one-minute tick.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from careplans.models import CRISIS_SOURCES, DISCIPLINE_QUEUE, CareTeamMember, Task, TaskEvent
from clinic.models import Provider
from core.roles import CARE_COORDINATOR, ON_CALL, PROVIDER
from messaging import tasks as messaging_tasks
from messaging.services.staff_alerts import StaffContact, staff_alert_plan

log = logging.getLogger(__name__)

CRISIS_PRIORITIES = (Task.Priority.STAT, Task.Priority.URGENT)
ESCALATED_DETAIL = "crisis: not accepted in time; lead physician or medical director alerted"


def task_link(task: Task) -> str:
    """The workspace list that shows the task to anyone allowed to see it; nothing about the
    patient in the URL."""
    return f"/workspace/tasks/?scope=all&priority={task.priority}"


def _contact(user, provider: Provider | None = None) -> StaffContact:
    phone = provider.alert_phone.as_e164 if provider is not None and provider.alert_phone else ""
    return StaffContact(user=user, phone=phone, email=user.email or "")


def _provider_contacts(providers) -> list[StaffContact]:
    return [_contact(p.user, p) for p in providers if p.active and p.user.is_active]


def on_call_contacts() -> list[StaffContact]:
    """The On-call rota's clinicians, and the after-hours phone when none of them has a phone."""
    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=ON_CALL)
        .filter(groups__name__in=[PROVIDER, CARE_COORDINATOR])
        .select_related("provider")
        .distinct()
        .order_by("pk")
    )
    contacts = []
    for user in users:
        provider = getattr(user, "provider", None)  # a coordinator has none
        contacts.append(_contact(user, provider if provider is not None and provider.active else None))
    if settings.ON_CALL_PHONE and not any(c.phone for c in contacts):
        contacts.append(StaffContact(user=None, phone=settings.ON_CALL_PHONE))
    return contacts


def _assignee_contacts(task: Task) -> list[StaffContact]:
    if task.assignee_provider_id:
        return _provider_contacts([task.assignee_provider])
    codes = [code for code, queue in DISCIPLINE_QUEUE.items() if queue == task.assignee_role]
    return _provider_contacts(Provider.objects.filter(discipline__code__in=codes, active=True).select_related("user").order_by("pk"))


def _wake_dispatcher() -> None:
    try:
        messaging_tasks.dispatch_due.delay()
    except Exception:  # noqa: BLE001 - the beat's one-minute tick still sends them; the rows are committed
        log.warning("dispatcher wake-up failed", extra={"event": "crisis.wake_failed"})


def crisis_alert_raise(*, task: Task, notify: list[StaffContact] | None = None, now: datetime | None = None) -> int:
    """Plan the first alerts for a crisis task: `notify` (default: its assignee, or every active
    provider of its queue) and the on-call rota. Call inside the transaction that created the
    task. Idempotent per task. Returns the number of outbox rows planned."""
    now = now or timezone.now()
    contacts = [*(notify if notify is not None else _assignee_contacts(task)), *on_call_contacts()]
    rows = staff_alert_plan(patient=task.patient, contacts=contacts, link_path=task_link(task), dedupe_key=f"crisis:{task.pk}", now=now)
    transaction.on_commit(_wake_dispatcher)
    return len(rows)


def _escalation_contacts(task: Task) -> list[StaffContact]:
    leads = []
    if task.care_plan_id:
        leads = [
            m.provider
            for m in CareTeamMember.objects.filter(
                care_plan_id=task.care_plan_id, role=CareTeamMember.Role.LEAD_PHYSICIAN, provider__isnull=False
            ).select_related("provider__user")
        ]
    contacts = _provider_contacts(leads)
    if not contacts and settings.MEDICAL_DIRECTOR_USERNAME:
        director = (
            get_user_model().objects.filter(username=settings.MEDICAL_DIRECTOR_USERNAME, is_active=True).select_related("provider").first()
        )
        if director is not None:
            contacts = [_contact(director, getattr(director, "provider", None))]
    if not any(c.phone or c.email for c in contacts) and settings.ON_CALL_PHONE:
        contacts.append(StaffContact(user=None, phone=settings.ON_CALL_PHONE))
    return contacts


def crisis_tasks_escalate(*, now: datetime | None = None) -> int:
    """Beat job, every minute. A crisis task still `requested` (nobody accepted or started it)
    CRISIS_ESCALATE_MINUTES after it was created alerts the care plan's lead physician, or the
    medical director when the patient has no plan or the plan no lead.

    Exactly once per task: the task row is locked and the escalation event checked and written
    under that lock, and the outbox rows are keyed, so overlapping or repeated runs add nothing."""
    now = now or timezone.now()
    cutoff = now - timedelta(minutes=settings.CRISIS_ESCALATE_MINUTES)
    due = (
        Task.objects.filter(
            status=Task.Status.REQUESTED,
            source__in=CRISIS_SOURCES,
            priority__in=CRISIS_PRIORITIES,
            created_at__lte=cutoff,
        )
        .exclude(events__action=TaskEvent.Action.ESCALATED, events__detail=ESCALATED_DETAIL)
        .values_list("pk", flat=True)
    )
    escalated = 0
    for task_id in list(due):
        with transaction.atomic():
            task = Task.objects.select_for_update(of=("self",)).select_related("patient").get(pk=task_id)
            if task.status != Task.Status.REQUESTED:  # accepted, started, done or withdrawn meanwhile
                continue
            if TaskEvent.objects.filter(task=task, action=TaskEvent.Action.ESCALATED, detail=ESCALATED_DETAIL).exists():
                continue
            TaskEvent.objects.create(task=task, action=TaskEvent.Action.ESCALATED, at=now, detail=ESCALATED_DETAIL)
            staff_alert_plan(
                patient=task.patient,
                contacts=_escalation_contacts(task),
                link_path=task_link(task),
                dedupe_key=f"crisis-escalation:{task.pk}",
                now=now,
            )
            transaction.on_commit(_wake_dispatcher)
            escalated += 1
    if escalated:
        log.info("crisis tasks escalated", extra={"event": "crisis.escalated", "count": escalated})
    return escalated
