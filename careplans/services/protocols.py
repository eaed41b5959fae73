"""Follow-up protocols: turning appointment events into checklists, tasks, patient messages and
questionnaires, from protocol data (careplans.Protocol / ProtocolStep).

Flow: scheduling announces appointment events; careplans.subscriptions enqueues
`careplans.tasks.assemble_followup(appointment_id, event)` after commit; the task calls
`followup_assemble`, which is idempotent: everything it creates has a unique key derived
from the procedure *episode* (the first appointment of a reschedule chain) and the protocol and
step codes, so a retried task, a duplicate event or a re-run creates nothing twice, and a
rescheduled procedure finds (and moves) what its predecessor created instead of duplicating it.
`followup_sweep` re-runs events whose task never ran (Redis lost).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Prefetch, Q
from django.utils import timezone

from careplans.models import (
    OPEN_TASK_STATUSES,
    Activity,
    CarePlan,
    ChecklistItem,
    FollowupAssembly,
    ProcedureRecord,
    Protocol,
    ProtocolStep,
    QuestionnaireRequest,
    RoleQueue,
    Task,
    TaskEvent,
)
from careplans.services.checklists import CARRY_OVER_CODES, checklist_values, needs_anticoagulant_hold
from careplans.services.plans import activity_link_appointment, activity_record_progress
from careplans.services.questionnaires import instructions_link_for, questionnaire_request_create
from careplans.services.tasks import active_plan_id, task_cancel, task_create
from core.errors import IllegalTransition, ValidationFailed
from messaging import services as messaging_services
from messaging.models import Purpose
from scheduling.events import AppointmentHappened
from scheduling.models import TIME_HOLDING, Appointment, AppointmentEvent, AppointmentStatus, BookingTicket
from scheduling.tickets import ticket_create

log = logging.getLogger(__name__)

E = AppointmentHappened
# Appointment events that assemble follow-up work (booked, rescheduled, completed) or withdraw it
# (cancelled, no-show).
ASSEMBLING = frozenset({E.BOOKED, E.RESCHEDULED})
WITHDRAWING = frozenset({E.CANCELLED, E.NO_SHOW})

# --- assembly --------------------------------------------------------------------------------


def _episode_id(appointment: Appointment) -> int:
    """The first appointment of a reschedule chain: keys stay the same when a procedure moves."""
    root_id, previous = appointment.pk, appointment.rescheduled_from_id
    seen = {root_id}
    while previous and previous not in seen:
        seen.add(previous)
        root_id = previous
        previous = Appointment.objects.filter(pk=previous).values_list("rescheduled_from_id", flat=True).first()
    return root_id


def protocols_for(visit_type) -> list[Protocol]:
    match = Q(visit_types=visit_type)
    if visit_type.is_procedure:
        match |= Q(all_procedures=True)
    if visit_type.procedure_family:
        match |= Q(procedure_families__contains=[visit_type.procedure_family])
    steps = Prefetch("steps", queryset=ProtocolStep.objects.filter(active=True).order_by("order", "id"))
    return list(Protocol.objects.filter(match, active=True).distinct().order_by("code").prefetch_related(steps))


def _applies(step: ProtocolStep, appointment: Appointment, complications: list[str]) -> bool:
    patient = appointment.patient
    if step.when_complication and step.when_complication not in complications:
        return False
    if step.when_region and appointment.region != step.when_region:
        return False
    if step.when_diabetic is not None and patient.diabetic != step.when_diabetic:
        return False
    if step.when_anticoagulated is not None:
        # "Anticoagulated" for this procedure: some current drug has a hold at its risk tier.
        if needs_anticoagulant_hold(patient.pk, appointment) != step.when_anticoagulated:
            return False
    return True


def _anchor_time(step: ProtocolStep, appointment: Appointment, now: datetime) -> datetime:
    if step.anchor == ProtocolStep.Anchor.START:
        return appointment.start
    if step.anchor == ProtocolStep.Anchor.COMPLETED:
        return appointment.completed_at or now
    return appointment.created_at or now


def _active_plan(patient_id: int):
    plan_id = active_plan_id(patient_id)
    return CarePlan.objects.filter(pk=plan_id).first() if plan_id else None


def _ensure_checklist_item(step: ProtocolStep, appointment: Appointment) -> bool:
    code = step.checklist_code
    if code not in ChecklistItem.Code.values:
        log.warning("unknown checklist code in protocol", extra={"event": "followup.bad_step", "step_id": step.pk})
        return False
    values = checklist_values(code, appointment)
    if step.title and code != ChecklistItem.Code.ANTICOAGULANT:
        values["label"] = step.title
    if step.description and not values["detail"]:
        values["detail"] = step.description[:300]
    _, created = ChecklistItem.objects.get_or_create(
        appointment=appointment, code=code, defaults={**values, "assignee_role": step.assignee_role}
    )
    return created


def _upsert_task(
    *, key: str, step: ProtocolStep, appointment: Appointment, due: datetime, description: str, plan, now, role: str = ""
) -> bool:
    existing = Task.objects.filter(dedupe_key=key).first()
    if existing is None:
        task = task_create(
            title=step.title,
            description=description,
            patient=appointment.patient,
            care_plan=plan,
            assignee_role=role or step.assignee_role or RoleQueue.CARE_COORDINATOR,
            priority=step.priority,
            source=Task.Source.PROTOCOL,
            due=due,
            dedupe_key=key,
            appointment=appointment,
            protocol_step=step,
            now=now,
        )
        return task.created_at == now
    if existing.status in OPEN_TASK_STATUSES and existing.appointment_id != appointment.pk:
        # The procedure moved: open work follows it; finished work stays as history.
        moved = Task.objects.filter(pk=existing.pk, status__in=OPEN_TASK_STATUSES).update(appointment=appointment, due=due, updated_at=now)
        if moved:
            TaskEvent.objects.create(task=existing, action=TaskEvent.Action.MOVED, at=now, detail=f"follows appointment {appointment.pk}")
    return False


def _run_step(step: ProtocolStep, protocol: Protocol, appointment: Appointment, *, episode: int, plan, now: datetime) -> str | None:
    """Create what one step asks for; returns the kind when something new was created."""
    key = f"proc:{episode}:{protocol.code}:{step.code}"
    anchor = _anchor_time(step, appointment, now)
    due = anchor + timedelta(minutes=step.offset_minutes)
    if step.kind == ProtocolStep.Kind.CHECKLIST:
        return step.kind if _ensure_checklist_item(step, appointment) else None
    if step.kind == ProtocolStep.Kind.TASK:
        created = _upsert_task(
            key=key, step=step, appointment=appointment, due=max(due, now), description=step.description, plan=plan, now=now
        )
        return step.kind if created else None
    if step.kind == ProtocolStep.Kind.FOLLOW_UP_VISIT and step.visit_type_id:
        # A booking ticket: the patient books it from a link when the visit type is
        # self-schedulable; otherwise (and if the patient does not) the front desk gets a task
        # from scheduling's TICKET_NOT_BOOKED (careplans.subscriptions).
        zone = appointment.patient.zone
        window_end = due + timedelta(minutes=step.window_minutes)
        exists = BookingTicket.objects.filter(source_key=key).exists()
        ticket_create(
            patient=appointment.patient,
            visit_type=step.visit_type,
            earliest=max(timezone.localtime(due, zone).date(), timezone.localdate(now, zone)),
            latest=max(timezone.localtime(window_end, zone).date(), timezone.localdate(now, zone)),
            visits=step.visits,
            per_week=step.per_week,
            source=BookingTicket.Source.PROTOCOL,
            source_key=key,
            source_label=step.title,
            now=now,
        )
        return None if exists else "ticket"
    if step.kind == ProtocolStep.Kind.FOLLOW_UP_VISIT:
        zone = appointment.location.zone
        window_end = due + timedelta(minutes=step.window_minutes)
        window = f"Book between {timezone.localtime(due, zone):%a %d %b} and {timezone.localtime(window_end, zone):%a %d %b}."
        description = f"{step.description}\n{window}".strip()
        # Front desk books the visit; the request is due a few days out so the window is still open.
        book_by = max(now, min(due, anchor + timedelta(days=3)))
        created = _upsert_task(
            key=key,
            step=step,
            appointment=appointment,
            due=book_by,
            description=description,
            plan=plan,
            now=now,
            role=step.assignee_role or RoleQueue.FRONT_DESK,
        )
        return step.kind if created else None
    if step.kind == ProtocolStep.Kind.QUESTIONNAIRE:
        exists = QuestionnaireRequest.objects.filter(dedupe_key=key).exists()
        questionnaire_request_create(
            patient=appointment.patient,
            questionnaire=step.questionnaire,
            due_at=max(due, now),
            dedupe_key=key,
            care_plan=plan,
            appointment=appointment,
            ask_relief=step.ask_relief,
            now=now,
        )
        return None if exists else step.kind
    if step.kind == ProtocolStep.Kind.PATIENT_MESSAGE:
        # The message itself says only "you have new instructions" (no procedure names in SMS);
        # the signed link opens the step's instructions.
        purpose = step.message_purpose if step.message_purpose in Purpose.values else Purpose.NOTICE
        try:
            messaging_services.outbox_enqueue_for_patient(
                patient=appointment.patient,
                purpose=purpose,
                due_at=max(due, now),
                dedupe_key=key,
                link_path=instructions_link_for(step, appointment=appointment),
                urgent=step.priority in (Task.Priority.STAT, Task.Priority.ASAP),
                now=now,
            )
        except ValidationFailed:
            # A misconfigured step must not stop the rest of the follow-up from assembling.
            log.warning("patient message step refused by the outbox", extra={"event": "followup.bad_step", "step_id": step.pk})
        return None  # the outbox is idempotent on the key; it reports nothing back
    return None


def _anchors_for(event: str) -> set[str]:
    if event in ASSEMBLING:
        return {ProtocolStep.Anchor.BOOKED, ProtocolStep.Anchor.START}
    if event == E.COMPLETED:
        return {ProtocolStep.Anchor.COMPLETED}
    return set()


def _link_activity(appointment: Appointment) -> None:
    """A booking of a visit type the patient's active plan calls for counts towards it."""
    if Activity.objects.filter(appointments=appointment).exists():
        return
    activity = (
        Activity.objects.filter(
            care_plan__patient_id=appointment.patient_id,
            care_plan__status=CarePlan.Status.ACTIVE,
            visit_type_id=appointment.visit_type_id,
        )
        .exclude(status__in=[Activity.Status.COMPLETED, Activity.Status.CANCELLED, Activity.Status.STOPPED])
        .order_by("id")
        .first()
    )
    if activity is not None:
        activity_link_appointment(activity=activity, appointment=appointment)


def _update_activity_progress(appointment: Appointment) -> None:
    for activity in Activity.objects.filter(appointments=appointment):
        done = activity.appointments.filter(status=AppointmentStatus.COMPLETED).count()
        activity_record_progress(activity=activity, done=done)


def _carry_over_checklist(appointment: Appointment) -> None:
    if not appointment.rescheduled_from_id:
        return
    done = ChecklistItem.objects.filter(
        appointment_id=appointment.rescheduled_from_id, code__in=CARRY_OVER_CODES, status=ChecklistItem.Status.DONE
    )
    for item in done:
        ChecklistItem.objects.filter(appointment=appointment, code=item.code, status=ChecklistItem.Status.PENDING).update(
            status=item.status, done_at=item.done_at, done_by=item.done_by_id, note=f"carried over: {item.note}"[:300]
        )


def _withdraw(appointment: Appointment, *, event: str, now: datetime, sources: list[str] | None = None) -> int:
    """A cancelled or missed procedure: what is still open for it is cancelled with the reason;
    completed work stays as history."""
    withdrawn = 0
    for task in Task.objects.filter(
        appointment=appointment, status__in=OPEN_TASK_STATUSES, source__in=sources or [Task.Source.PROTOCOL, Task.Source.CHECKLIST]
    ):
        try:
            task_cancel(task=task, reason=f"appointment {event.replace('_', '-')}", now=now)
            withdrawn += 1
        except IllegalTransition:
            continue
    QuestionnaireRequest.objects.filter(appointment=appointment, answered_at__isnull=True, withdrawn_at__isnull=True).update(
        withdrawn_at=now
    )
    ChecklistItem.objects.filter(appointment=appointment, status=ChecklistItem.Status.PENDING).update(
        status=ChecklistItem.Status.NOT_APPLICABLE, note=f"appointment {event.replace('_', '-')}"
    )
    return withdrawn


def followup_assemble(*, appointment_id: int, event: str, now: datetime | None = None) -> dict[str, int]:
    """Apply the protocols for one appointment event. Idempotent (see the module docstring);
    holds the appointment's row lock, so concurrent runs for one appointment queue up."""
    now = now or timezone.now()
    created: dict[str, int] = {}
    with transaction.atomic():
        appointment = (
            Appointment.objects.select_for_update(of=("self",))
            .select_related("patient", "visit_type", "location")
            .filter(pk=appointment_id)
            .first()
        )
        if appointment is None:
            return created
        marker, fresh = FollowupAssembly.objects.get_or_create(
            appointment=appointment, event=event, defaults={"first_run_at": now, "last_run_at": now}
        )
        if not fresh:
            FollowupAssembly.objects.filter(pk=marker.pk).update(runs=F("runs") + 1, last_run_at=now)

        if event in WITHDRAWING:
            if Appointment.objects.filter(rescheduled_from=appointment).exists():
                # Moved, not withdrawn: the new appointment's assembly moves the protocol work. The
                # "checklist incomplete" alert belongs to the old date and would otherwise
                # escalate forever; the new date raises its own if still needed.
                created["withdrawn"] = _withdraw(appointment, event=E.RESCHEDULED, now=now, sources=[Task.Source.CHECKLIST])
                return created
            created["withdrawn"] = _withdraw(appointment, event=event, now=now)
            return created
        if event in ASSEMBLING:
            if appointment.status not in TIME_HOLDING:
                return created  # cancelled before the task ran; its own event withdraws
            _link_activity(appointment)
        if event == E.COMPLETED:
            if appointment.status != AppointmentStatus.COMPLETED:
                return created
            _update_activity_progress(appointment)

        anchors = _anchors_for(event)
        if not anchors:
            return created
        protocols = protocols_for(appointment.visit_type)
        if not protocols:
            return created
        # The latest version is the current record: a complication entered in error and corrected
        # adds nothing more (what it already created stays, for a clinician to cancel).
        latest = ProcedureRecord.objects.filter(appointment=appointment).order_by("-version").values_list("complications", flat=True)
        complications = list(latest.first() or [])
        episode = _episode_id(appointment)
        plan = _active_plan(appointment.patient_id)
        for protocol in protocols:
            for step in protocol.steps.all():
                if step.anchor not in anchors or not _applies(step, appointment, complications):
                    continue
                kind = _run_step(step, protocol, appointment, episode=episode, plan=plan, now=now)
                if kind:
                    created[kind] = created.get(kind, 0) + 1
        if event in ASSEMBLING:
            _carry_over_checklist(appointment)
    log.info(
        "follow-up assembled", extra={"event": "followup.assembled", "appointment_id": appointment_id, "kind": event, "counts": created}
    )
    return created


# --- sweeps ----------------------------------------------------------------------------


EVENT_FOR_STATUS = {
    AppointmentStatus.BOOKED: E.BOOKED,
    AppointmentStatus.COMPLETED: E.COMPLETED,
    AppointmentStatus.CANCELLED: E.CANCELLED,
    AppointmentStatus.NO_SHOW: E.NO_SHOW,
}


def followup_sweep(*, now: datetime | None = None, lookback: timedelta = timedelta(hours=48)) -> int:
    """Beat job: run assembly for recent appointment events that never got it (the broker was
    down when they were enqueued). Safe at any time: assembly is idempotent."""
    now = now or timezone.now()
    missing = (
        AppointmentEvent.objects.filter(at__gte=now - lookback, at__lte=now - timedelta(minutes=5), to_status__in=list(EVENT_FOR_STATUS))
        .values_list("appointment_id", "to_status")
        .distinct()
    )
    done = set(FollowupAssembly.objects.filter(last_run_at__gte=now - lookback - timedelta(days=1)).values_list("appointment_id", "event"))
    ran = 0
    for appointment_id, status in missing:
        event = EVENT_FOR_STATUS[status]
        if (appointment_id, event) in done:
            continue
        followup_assemble(appointment_id=appointment_id, event=event, now=now)
        ran += 1
    return ran
