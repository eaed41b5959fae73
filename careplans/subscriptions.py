"""Care plans react to scheduling (follow-up assembly) and messaging (patients asking for a
person), and to their own records. Connected in CareplansConfig.ready().

Assembly runs in Celery after commit, with ids only. A broker outage must not fail the booking:
`_enqueue` logs the failure (and core.events runs after-commit subscribers robustly), and
`followup_sweep` re-runs what never ran."""

from __future__ import annotations

import logging
from datetime import datetime, time

from careplans import tasks
from careplans.events import CareplansHappened
from careplans.events import registry as careplans_events
from careplans.models import OPEN_TASK_STATUSES, ProcedureRecord, RoleQueue, Task
from careplans.selectors import checklist_state_for_appointments
from careplans.services import (
    ebp_red_flag_window_appointment,
    followup_assemble,
    procedure_record_add,
    procedure_record_latest,
    red_flags_in_text,
    red_flags_report,
    task_cancel,
    task_create,
)
from careplans.services.checklists import checklists_refresh_anticoagulant, waitlist_hold_ready
from clinic.events import ClinicHappened
from clinic.events import registry as clinic_events
from core.events import Phase
from messaging.events import MessagingHappened
from messaging.events import registry as messaging_events
from scheduling import events as scheduling
from scheduling.events import AppointmentHappened
from scheduling.models import TIME_HOLDING, Appointment, AppointmentEvent, AppointmentStatus

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


def _notify_break_glass(*, break_glass, **_) -> None:
    try:
        tasks.notify_break_glass.delay(break_glass.pk)
    except Exception:  # noqa: BLE001 - the review task in the admins' queue already exists; the mail is the nudge
        log.warning("break-glass notice enqueue failed", extra={"event": "break_glass.enqueue_failed", "break_glass_id": break_glass.pk})


def _front_desk_task(*, patient, title: str, text: str, source: str, dedupe_key: str, now, **_) -> None:
    """A patient asked for a person. A text mentioning a red flag within two weeks of an epidural
    blood patch is anesthesiology's urgent work, not a routine front-desk callback; messaging
    cannot tell (it knows no procedures), so care plans decide here."""
    if source == "inbound_sms" and patient is not None and (flags := red_flags_in_text(text)):
        if (ebp := ebp_red_flag_window_appointment(patient_id=patient.pk, now=now)) is not None:
            red_flags_report(appointment=ebp, flags=flags, source=source, text=text, dedupe_key=f"red-flag:{dedupe_key}", now=now)
            return
    task_create(
        title=title,
        patient=patient,
        assignee_role=RoleQueue.FRONT_DESK,
        source=Task.Source.INBOUND_SMS if source == "inbound_sms" else Task.Source.PATIENT_LINK,
        description=text,
        dedupe_key=dedupe_key,
        now=now,
    )


def _ticket_not_booked(*, ticket, now, **_) -> None:
    """A booking ticket nobody booked (or one the patient cannot book themselves): the front
    desk's queue, once per ticket, due on its last day."""
    end = datetime.combine(ticket.latest, time(17, 0), tzinfo=ticket.patient.zone)
    task_create(
        title="Follow-up not booked",
        patient=ticket.patient,
        assignee_role=RoleQueue.FRONT_DESK,
        source=Task.Source.PROTOCOL if ticket.source == "protocol" else Task.Source.MANUAL,
        description=f"{ticket.visit_type.name} ×{ticket.visits}, between {ticket.earliest:%a %d %b} and {ticket.latest:%a %d %b}. "
        f"Booking ticket #{ticket.pk}.",
        due=max(end, now),
        dedupe_key=f"ticket:{ticket.pk}:not-booked",
        now=now,
    )


def _ticket_booked(*, ticket, now, **_) -> None:
    """Booked after all (the patient's link or staff): the "not booked" task is done."""
    for task in Task.objects.filter(dedupe_key=f"ticket:{ticket.pk}:not-booked", status__in=OPEN_TASK_STATUSES):
        task_cancel(task=task, reason="the ticket was booked", now=now)


def _medications_changed(*, patient_id: int, by, now, **_) -> None:
    # Upcoming procedures' anticoagulant reviews follow the new list (same transaction), and
    # assembly re-runs after commit so a hold task appears or withdraws with the drugs.
    checklists_refresh_anticoagulant(patient_id=patient_id, by=by, now=now)


def _medications_reassemble(*, patient_id: int, now, **_) -> None:
    upcoming = Appointment.objects.filter(
        patient_id=patient_id, visit_type__is_procedure=True, start__gt=now, status__in=TIME_HOLDING
    ).values_list("pk", flat=True)
    for appointment_id in upcoming:
        _enqueue(appointment_id, str(AppointmentHappened.BOOKED))


def _checklist_state(states: dict, *, appointment_ids, **_) -> dict:
    return {**states, **checklist_state_for_appointments(appointment_ids=appointment_ids)}


def connect() -> None:
    for event in ASSEMBLED_ON:
        scheduling.registry.subscribe(event, _assembler(event), phase=Phase.AFTER_COMMIT, uid=f"careplans.followup.{event}")
    scheduling.registry.add_filter(scheduling.CHECKLIST_STATE, _checklist_state, uid="careplans.checklists")
    # A freed procedure slot is not offered to a patient whose anticoagulant hold could not be done by then.
    scheduling.registry.add_filter(scheduling.WAITLIST_CANDIDATES, waitlist_hold_ready, uid="careplans.waitlist.anticoagulant_hold")
    scheduling.registry.subscribe(
        AppointmentHappened.COMPLETED, _relief_at_completion, phase=Phase.IN_TRANSACTION, uid="careplans.records.completion_relief"
    )
    careplans_events.subscribe(
        CareplansHappened.PROCEDURE_RECORDED, _procedure_recorded, phase=Phase.IN_TRANSACTION, uid="careplans.followup.recorded"
    )
    clinic_events.subscribe(
        ClinicHappened.MEDICATIONS_CHANGED, _medications_changed, phase=Phase.IN_TRANSACTION, uid="careplans.checklists.medications"
    )
    clinic_events.subscribe(
        ClinicHappened.MEDICATIONS_CHANGED, _medications_reassemble, phase=Phase.AFTER_COMMIT, uid="careplans.followup.medications"
    )
    careplans_events.subscribe(
        CareplansHappened.BREAK_GLASS_OPENED, _notify_break_glass, phase=Phase.AFTER_COMMIT, uid="careplans.break_glass.notify"
    )
    scheduling.registry.subscribe(
        AppointmentHappened.TICKET_NOT_BOOKED, _ticket_not_booked, phase=Phase.IN_TRANSACTION, uid="careplans.tickets.not_booked"
    )
    scheduling.registry.subscribe(
        AppointmentHappened.TICKET_BOOKED, _ticket_booked, phase=Phase.IN_TRANSACTION, uid="careplans.tickets.booked"
    )
    messaging_events.subscribe(
        MessagingHappened.PATIENT_NEEDS_FRONT_DESK, _front_desk_task, phase=Phase.IN_TRANSACTION, uid="careplans.front_desk_task"
    )
