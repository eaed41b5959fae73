"""Procedure records: relief, its duration, functional improvement, complications and a note,
kept as versions (every entry a new row, nothing overwritten).

Who may write: a provider with clinical write access to the patient (`by`), or the system
(`by=None`) for values the patient reported (a pain diary, a questionnaire's relief question).

The appointment's *effective* outcome, which the payer rules read, is derived here after every
version and handed to scheduling's `appointment_outcome_set`, field by field: the latest
provider version that gives a value wins; where no provider gave one, the latest
patient-reported value (diary or questionnaire) is used. Both are kept.

Complications: every version is announced (PROCEDURE_RECORDED, in the transaction) with the
complications it adds; care plans' subscription runs follow-up assembly for a completed
procedure at once, so a dural puncture's CSF-leak check exists the moment the record does.
Assembly is idempotent: recording the same complication twice creates one task.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from careplans.events import CareplansHappened, announce
from careplans.models import Complication, ProcedureRecord, Task
from careplans.services.tasks import task_complete
from core import access
from core.access import Kind
from core.audit import audit_record, current_trail
from core.errors import ValidationFailed
from core.inputs import text_clean
from scheduling.models import Appointment
from scheduling.services.appointments import appointment_outcome_set

log = logging.getLogger(__name__)

Source = ProcedureRecord.Source
PATIENT_SOURCES = (Source.DIARY, Source.PATIENT)
OUTCOME_FIELDS = ("relief_percent", "relief_weeks", "functional_improvement")
MAX_RELIEF_WEEKS = 520


@dataclass(frozen=True)
class Outcome:
    relief_percent: int | None
    relief_weeks: int | None
    functional_improvement: bool | None


def _validate(*, relief_percent, relief_weeks, functional_improvement, complications) -> list[str]:
    errors: dict[str, list[str]] = {}
    if relief_percent is not None and (
        isinstance(relief_percent, bool) or not isinstance(relief_percent, int) or not 0 <= relief_percent <= 100
    ):
        errors["relief_percent"] = ["Enter a whole number from 0 to 100."]
    if relief_weeks is not None and (
        isinstance(relief_weeks, bool) or not isinstance(relief_weeks, int) or not 0 <= relief_weeks <= MAX_RELIEF_WEEKS
    ):
        errors["relief_weeks"] = [f"Enter a whole number of weeks from 0 to {MAX_RELIEF_WEEKS}."]
    if functional_improvement is not None and not isinstance(functional_improvement, bool):
        errors["functional_improvement"] = ["Answer yes or no."]
    if not isinstance(complications, list | tuple) or not all(isinstance(c, str) for c in complications):
        errors["complications"] = ["Send a list of complication codes."]
    else:
        unknown = sorted({c for c in complications if c not in Complication.values})
        if unknown:
            errors["complications"] = [f"Unknown: {', '.join(unknown)}. Choose from {', '.join(Complication.values)}."]
    if errors:
        raise ValidationFailed("The procedure record is not valid.", field_errors=errors)
    return sorted(set(complications))


def effective_outcome(records: list[ProcedureRecord]) -> Outcome:
    """The outcome the payer rules read, from an appointment's versions (any order): per field,
    the newest provider value, else the newest patient-reported value, else None."""
    newest_first = sorted(records, key=lambda r: r.version, reverse=True)
    values = {}
    for field in OUTCOME_FIELDS:
        provider = next((getattr(r, field) for r in newest_first if r.source == Source.PROVIDER and getattr(r, field) is not None), None)
        reported = next((getattr(r, field) for r in newest_first if r.source in PATIENT_SOURCES and getattr(r, field) is not None), None)
        values[field] = provider if provider is not None else reported
    return Outcome(**values)


def procedure_record_latest(*, appointment: Appointment) -> ProcedureRecord | None:
    return ProcedureRecord.objects.filter(appointment=appointment).select_related("recorded_by").order_by("-version").first()


def procedure_record_add(
    *,
    appointment: Appointment,
    relief_percent: int | None = None,
    relief_weeks: int | None = None,
    functional_improvement: bool | None = None,
    complications: list[str] | tuple[str, ...] | None = None,
    note: str = "",
    source: str = Source.PROVIDER,
    questionnaire_response=None,
    completes_task: Task | None = None,
    by=None,
    now: datetime | None = None,
) -> ProcedureRecord:
    """Store a new version of the appointment's procedure record and set its effective outcome.

    A value left None is "not stated in this entry": the effective outcome keeps the newest value
    stated (see effective_outcome), and `complications=None` carries the previous version's list
    forward, while a list (even empty) replaces it. A patient-reported version (diary,
    questionnaire) brings only relief and always carries complications and note forward. Holds the
    appointment's row lock while numbering, so concurrent entries get consecutive versions.

    `completes_task`: a task of this appointment (the "Record % relief" step) completed in the same
    transaction, so the task is never done without the record, nor the record left with the task
    still open."""
    now = now or timezone.now()
    if source not in Source.values:
        raise ValidationFailed("Unknown source.", field_errors={"source": [f"Choose from {', '.join(Source.values)}."]})
    if source == Source.PROVIDER:
        access.require_change(by, patient=appointment.patient_id, kind=Kind.CLINICAL, now=now)
    note = text_clean("note", note or "")
    stated = _validate(
        relief_percent=relief_percent,
        relief_weeks=relief_weeks,
        functional_improvement=functional_improvement,
        complications=[] if complications is None else list(complications) if isinstance(complications, list | tuple) else complications,
    )
    if completes_task is not None and completes_task.appointment_id != appointment.pk:
        raise ValidationFailed("That task is not about this appointment.", field_errors={"task": ["Choose a task of this appointment."]})
    if completes_task is not None and not completes_task.records_relief:
        raise ValidationFailed(
            "That task is not a relief-recording task.", field_errors={"task": ['Choose the task\'s "Record % relief" step.']}
        )
    if completes_task is not None and relief_percent is None:
        raise ValidationFailed("Enter the relief to complete the task.", field_errors={"relief_percent": ["Enter 0 to 100."]})
    with transaction.atomic():
        appointment = Appointment.objects.select_for_update(of=("self",)).select_related("visit_type").get(pk=appointment.pk)
        previous = list(ProcedureRecord.objects.filter(appointment=appointment).order_by("-version"))
        latest = previous[0] if previous else None
        carried = list(latest.complications) if latest is not None else []
        if source != Source.PROVIDER:
            complications, note = carried, note or (latest.note if latest is not None else "")
        else:
            complications = carried if complications is None else stated
        version = latest.version + 1 if latest is not None else 1
        record = ProcedureRecord.objects.create(
            appointment=appointment,
            version=version,
            source=source,
            relief_percent=relief_percent,
            relief_weeks=relief_weeks,
            functional_improvement=functional_improvement,
            complications=complications,
            note=note,
            questionnaire_response=questionnaire_response,
            recorded_by=by if getattr(by, "is_authenticated", False) else None,
            recorded_at=now,
        )
        outcome = effective_outcome([record, *previous])
        current = Outcome(appointment.relief_percent, appointment.relief_weeks, appointment.functional_improvement)
        if outcome != current:
            appointment_outcome_set(appointment=appointment, **outcome.__dict__, by=by, now=now)
        if record.recorded_by_id and current_trail() is None:
            # Inside a request the request's own audit row records this create (core.audit.wrote).
            audit_record(user=by, action="create", obj=record, patient_ids=[appointment.patient_id], now=now)
        if completes_task is not None:
            task_complete(task=completes_task, by=by, note=f"Recorded in the procedure record (version {version}).", now=now)
        added = sorted(set(complications) - set(latest.complications if latest else ()))
        announce(CareplansHappened.PROCEDURE_RECORDED, appointment=appointment, record=record, new_complications=added, now=now)
    log.info(
        "procedure recorded",
        extra={"event": "procedure.recorded", "appointment_id": appointment.pk, "version": version, "source": source},
    )
    return record


def procedure_record_set(
    *, appointment: Appointment, complications: list[str], note: str = "", by=None, now: datetime | None = None
) -> ProcedureRecord:
    """Record complications (and a note) as a new provider version; the relief stated before
    stays effective. The admin's procedure-record form uses this."""
    return procedure_record_add(
        appointment=appointment,
        complications=complications,
        note=note,
        by=by,
        now=now,
    )
