"""Pre-procedure checklists: items with ASRA hold days for the patient's recorded anticoagulant,
marking items, and the 24-hour alert for incomplete checklists."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from careplans.models import OPEN_TASK_STATUSES, ChecklistItem, RoleQueue, Task
from careplans.services.tasks import task_complete, task_create
from clinic.models import Anticoagulant
from core.errors import IllegalTransition, ValidationFailed
from scheduling.models import TIME_HOLDING, Appointment

# ASRA 2018 (Narouze et al.) hold times before interventional spine/pain procedures, in days.
# Defaults only: the prescriber and proceduralist decide for each patient.
ASRA_HOLD_DAYS: dict[str, Decimal] = {
    Anticoagulant.WARFARIN: Decimal(5),
    Anticoagulant.CLOPIDOGREL: Decimal(7),
    Anticoagulant.RIVAROXABAN: Decimal(3),
    Anticoagulant.APIXABAN: Decimal(3),
    Anticoagulant.ENOXAPARIN: Decimal(1),  # therapeutic dose: 24 hours
    Anticoagulant.ASPIRIN: Decimal(6),  # primary prevention, high-risk procedure
}
HOLD_NOTES = {
    Anticoagulant.WARFARIN: "; check INR is normal before the procedure",
    Anticoagulant.ENOXAPARIN: " (24 hours, therapeutic dose)",
    Anticoagulant.ASPIRIN: " if taken for primary prevention (high-risk procedure)",
}

# Checklist items whose answer does not depend on the day: they carry over to a rescheduled
# procedure. Consent, driver, NPO and pregnancy belong to the day and are asked again.
CARRY_OVER_CODES = {ChecklistItem.Code.ANTICOAGULANT, ChecklistItem.Code.CONTRAST_ALLERGY, ChecklistItem.Code.NUTRITION_SCREEN}


def checklist_values(code: str, appointment: Appointment) -> dict:
    patient = appointment.patient
    values: dict = {"label": ChecklistItem.Code(code).label, "detail": "", "hold_days": None}
    if code == ChecklistItem.Code.ANTICOAGULANT:
        drug = patient.anticoagulant
        days = ASRA_HOLD_DAYS.get(drug)
        if drug == Anticoagulant.NONE:
            values["detail"] = "No anticoagulant recorded: confirm with the patient."
        elif days is None:
            values["detail"] = f"{Anticoagulant(drug).label}: agree the hold with the prescriber (no default hold time)."
        else:
            local_start = timezone.localtime(appointment.start, appointment.location.zone)
            last_dose = (local_start - timedelta(days=float(days))).strftime("%a %d %b %H:%M")
            unit = "24 hours" if days == 1 else f"{days.normalize():f} days"
            values["detail"] = (
                f"Hold {Anticoagulant(drug).label.lower()} {unit} before (last dose by {last_dose}){HOLD_NOTES.get(drug, '')}."
            )
            values["hold_days"] = days
    return values


def checklist_item_mark(*, item: ChecklistItem, status: str, by=None, note: str = "", now: datetime | None = None) -> ChecklistItem:
    now = now or timezone.now()
    if status not in ChecklistItem.Status.values:
        raise ValidationFailed("Unknown checklist status.", field_errors={"status": [", ".join(ChecklistItem.Status.values)]})
    with transaction.atomic():
        locked = ChecklistItem.objects.select_for_update().select_related("appointment").get(pk=item.pk)
        if locked.appointment.status not in TIME_HOLDING:
            raise IllegalTransition("The checklist of a past or cancelled appointment cannot change.", status=locked.appointment.status)
        locked.status = status
        locked.note = note[:300]
        locked.done_at = now if status != ChecklistItem.Status.PENDING else None
        locked.done_by = by if status != ChecklistItem.Status.PENDING else None
        locked.save(update_fields=["status", "note", "done_at", "done_by"])
        if not ChecklistItem.objects.filter(appointment_id=locked.appointment_id, status=ChecklistItem.Status.PENDING).exists():
            # A complete checklist closes the "incomplete checklist" alert, if one was raised.
            for task in Task.objects.filter(dedupe_key=f"checklist-incomplete:{locked.appointment_id}", status__in=OPEN_TASK_STATUSES):
                task_complete(task=task, by=by, note="checklist completed", now=now)
    return locked


def checklists_raise_incomplete(*, now: datetime | None = None, horizon: timedelta = timedelta(hours=24)) -> int:
    """Beat job: a procedure within `horizon` whose checklist still has pending items raises one
    urgent task for the care coordinators (once per appointment: dedupe key)."""
    now = now or timezone.now()
    due_soon = (
        Appointment.objects.filter(
            status__in=TIME_HOLDING, start__gt=now, start__lte=now + horizon, checklist_items__status=ChecklistItem.Status.PENDING
        )
        .exclude(care_tasks__dedupe_key__startswith="checklist-incomplete:")
        .select_related("patient")
        .distinct()
    )
    raised = 0
    for appointment in due_soon:
        task = task_create(
            title="Pre-procedure checklist incomplete (procedure within 24 h)",
            description="Complete the pending checklist items or reschedule the procedure.",
            patient=appointment.patient,
            appointment=appointment,
            assignee_role=RoleQueue.CARE_COORDINATOR,
            priority=Task.Priority.URGENT,
            source=Task.Source.CHECKLIST,
            due=max(now, appointment.start - timedelta(hours=2)),
            dedupe_key=f"checklist-incomplete:{appointment.pk}",
            now=now,
        )
        raised += task.created_at == now
    return raised
