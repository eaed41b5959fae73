"""Care plans react to scheduling (follow-up assembly) and messaging (patients asking for a
person), and to their own records. Connected in CareplansConfig.ready().

Assembly runs in Celery after commit, with ids only. A broker outage must not fail the booking:
`_enqueue` logs the failure (and core.events runs after-commit subscribers robustly), and
`followup_sweep` re-runs what never ran."""

from __future__ import annotations

import logging

from careplans import tasks
from careplans.events import CareplansHappened
from careplans.events import registry as careplans_events
from careplans.models import ProcedureRecord, RoleQueue, Task
from careplans.selectors import checklist_state_for_appointments
from careplans.services import followup_assemble, procedure_record_add, procedure_record_latest, task_create
from core.events import Phase
from messaging.events import MessagingHappened
from messaging.events import registry as messaging_events
from scheduling import events as scheduling
from scheduling.events import AppointmentHappened
from scheduling.models import Appointment, AppointmentEvent, AppointmentStatus

log = logging.getLogger(__name__)

# Appointment events that assemble (or withdraw) follow-up work.
ASSEMBLED_ON = (
    AppointmentHappened.BOOKED,
    AppointmentHappened.RESCHEDULED,
    AppointmentHappened.COMPLETED,
    AppointmentHappened.CANCELLED,
    AppointmentHappened.NO_SHOW,
)


def _enqueue(appointment_id: int, event: str) -> None:
    try:
        tasks.assemble_followup.delay(appointment_id, event)
    except Exception:  # noqa: BLE001 - a broker outage must not fail the booking; the sweep re-runs it
        log.warning("follow-up enqueue failed", extra={"event": "followup.enqueue_failed", "appointment_id": appointment_id})


def _assembler(event: AppointmentHappened):
    def assemble(*, appointment, **_) -> None:
        _enqueue(appointment.pk, str(event))

    return assemble


def _procedure_recorded(*, appointment, new_complications=(), now=None, **_) -> None:
    # A complication recorded on a completed procedure adds its steps in the recording
    # transaction, not after commit through the broker: a CSF-leak check must not wait for Redis,
    # and the sweep would not re-run a completion that was already assembled. Assembly adds only
    # what is new. Before completion, the completion's own assembly picks the complication up.
    if new_complications and Appointment.objects.filter(pk=appointment.pk, status=AppointmentStatus.COMPLETED).exists():
        followup_assemble(appointment_id=appointment.pk, event=AppointmentHappened.COMPLETED, now=now)


def _relief_at_completion(*, appointment, now, **_) -> None:
    # Relief sent with the completion (the appointments API's `complete`) becomes a provider
    # version of the procedure record like any other entry; the completing user is the one the
    # appointment's history names for this transition.
    if appointment.relief_percent is None:
        return
    latest = procedure_record_latest(appointment=appointment)
    if latest is not None and latest.source == ProcedureRecord.Source.PROVIDER and latest.relief_percent == appointment.relief_percent:
        return
    event = AppointmentEvent.objects.filter(appointment=appointment, to_status=AppointmentStatus.COMPLETED).order_by("-at", "-id").first()
    procedure_record_add(
        appointment=appointment,
        relief_percent=appointment.relief_percent,
        relief_weeks=appointment.relief_weeks,
        functional_improvement=appointment.functional_improvement,
        note="Relief entered when the visit was completed.",
        by=event.by if event else None,
        now=now,
    )


def _front_desk_task(*, patient, title: str, text: str, source: str, dedupe_key: str, now, **_) -> None:
    task_create(
        title=title,
        patient=patient,
        assignee_role=RoleQueue.FRONT_DESK,
        source=Task.Source.INBOUND_SMS if source == "inbound_sms" else Task.Source.PATIENT_LINK,
        description=text,
        dedupe_key=dedupe_key,
        now=now,
    )


def _checklist_state(states: dict, *, appointment_ids, **_) -> dict:
    return {**states, **checklist_state_for_appointments(appointment_ids=appointment_ids)}


def connect() -> None:
    for event in ASSEMBLED_ON:
        scheduling.registry.subscribe(event, _assembler(event), phase=Phase.AFTER_COMMIT, uid=f"careplans.followup.{event}")
    scheduling.registry.add_filter(scheduling.CHECKLIST_STATE, _checklist_state, uid="careplans.checklists")
    scheduling.registry.subscribe(
        AppointmentHappened.COMPLETED, _relief_at_completion, phase=Phase.IN_TRANSACTION, uid="careplans.records.completion_relief"
    )
    careplans_events.subscribe(
        CareplansHappened.PROCEDURE_RECORDED, _procedure_recorded, phase=Phase.IN_TRANSACTION, uid="careplans.followup.recorded"
    )
    messaging_events.subscribe(
        MessagingHappened.PATIENT_NEEDS_FRONT_DESK, _front_desk_task, phase=Phase.IN_TRANSACTION, uid="careplans.front_desk_task"
    )
