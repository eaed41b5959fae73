"""Pre-procedure checklists: items with ASRA hold times for each drug the patient takes, by the
procedure's bleeding-risk tier; marking items; the 24-hour alert for incomplete checklists; and
recomputing the anticoagulant review when the medication list changes before the procedure."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from careplans.models import OPEN_TASK_STATUSES, ChecklistItem, RoleQueue, Task
from careplans.services.tasks import task_complete, task_create
from clinic.medications import medications_current
from clinic.models import AnticoagulantDrug, PatientMedication, ProcedureRiskTier
from core.errors import IllegalTransition, ValidationFailed
from scheduling.models import TIME_HOLDING, Appointment

# Checklist items whose answer does not depend on the day: they carry over to a rescheduled
# procedure. Consent, driver, NPO and pregnancy belong to the day and are asked again.
CARRY_OVER_CODES = {ChecklistItem.Code.ANTICOAGULANT, ChecklistItem.Code.CONTRAST_ALLERGY, ChecklistItem.Code.NUTRITION_SCREEN}


DETAIL_MAX = ChecklistItem._meta.get_field("detail").max_length


def anticoagulant_holds(drugs: list[AnticoagulantDrug], tier: str) -> list[tuple[AnticoagulantDrug, int | None]]:
    """Each drug with its hold in hours before a procedure of this tier (None: no default hold)."""
    return [(drug, drug.hold_hours(tier)) for drug in drugs]


def needs_anticoagulant_hold(patient_id: int, appointment: Appointment) -> bool:
    """Whether any current drug has a hold before this procedure's tier: what a protocol step
    "when anticoagulated" asks. Aspirin before a low-risk nerve block is no hold."""
    tier = appointment.visit_type.bleeding_risk
    return any(hours for _, hours in anticoagulant_holds(medications_current(patient_id), tier))


def waitlist_hold_ready(entries, *, start: datetime, now: datetime | None = None, **_):
    """Waitlist filter (scheduling.events.WAITLIST_CANDIDATES): leave out patients whose
    anticoagulant hold before the entry's procedure could not be completed by `start` (the
    freed slot comes sooner than the drug's hold). One query for the drugs of all candidates."""
    now = now or timezone.now()
    procedures = [(e.pk, e.patient_id, e.visit_type) for e in entries.select_related("visit_type") if e.visit_type.is_procedure]
    if not procedures:
        return entries
    drugs: dict[int, list[AnticoagulantDrug]] = {}
    for medication in PatientMedication.objects.filter(
        patient_id__in={patient_id for _, patient_id, _ in procedures}, stopped_at__isnull=True
    ).select_related("drug"):
        drugs.setdefault(medication.patient_id, []).append(medication.drug)
    hours_left = (start - now).total_seconds() / 3600
    too_soon = [
        pk
        for pk, patient_id, visit_type in procedures
        if any((hours or 0) > hours_left for _, hours in anticoagulant_holds(drugs.get(patient_id, []), visit_type.bleeding_risk))
    ]
    return entries.exclude(pk__in=too_soon) if too_soon else entries


def _duration(hours: int) -> str:
    if hours % 24:
        return f"{hours} hours"
    days = hours // 24
    return "24 hours" if days == 1 else f"{days} days"


def anticoagulant_detail(appointment: Appointment, drugs: list[AnticoagulantDrug]) -> tuple[str, Decimal | None]:
    """The checklist line for the drugs, and the longest hold in days (None without any hold).
    Each drug with a hold shows its last-dose time in the location's zone."""
    if not drugs:
        return "No anticoagulant recorded: confirm with the patient.", None
    tier = appointment.visit_type.bleeding_risk
    tier_label = ProcedureRiskTier(tier).label.lower()
    zone = appointment.location.zone
    parts, longest = [], 0
    for drug, hours in anticoagulant_holds(drugs, tier):
        note = f"; {drug.note}" if drug.note else ""
        if not hours:
            parts.append(f"{drug.name}: no default hold before a {tier_label} procedure; review with the prescriber{note}.")
            continue
        # Elapsed hours, then shown on the wall clock: across a DST change 120 h is not "5 days
        # earlier at the same time".
        last_dose = timezone.localtime(appointment.start - timedelta(hours=hours), zone).strftime("%a %d %b %H:%M")
        parts.append(f"Hold {drug.name.lower()} {_duration(hours)} before (last dose by {last_dose}){note}.")
        longest = max(longest, hours)
    return " ".join(parts)[:DETAIL_MAX], ((Decimal(longest) / 24).quantize(Decimal("0.1")) if longest else None)


def checklist_values(code: str, appointment: Appointment) -> dict:
    values: dict = {"label": ChecklistItem.Code(code).label, "detail": "", "hold_days": None}
    if code == ChecklistItem.Code.ANTICOAGULANT:
        values["detail"], values["hold_days"] = anticoagulant_detail(appointment, medications_current(appointment.patient_id))
    return values


def checklists_refresh_anticoagulant(*, patient_id: int, by=None, now: datetime | None = None) -> int:
    """The patient's medication list changed: every upcoming procedure's anticoagulant review is
    recomputed, and one already marked done is asked again (it reviewed another list). Runs in
    the caller's transaction (the medication change). Returns how many items changed."""
    now = now or timezone.now()
    items = ChecklistItem.objects.select_for_update().filter(
        appointment__patient_id=patient_id,
        appointment__status__in=TIME_HOLDING,
        appointment__start__gt=now,
        code=ChecklistItem.Code.ANTICOAGULANT,
    )
    drugs = medications_current(patient_id)
    changed = 0
    for item in items.select_related("appointment__visit_type", "appointment__location"):
        detail, hold_days = anticoagulant_detail(item.appointment, drugs)
        if (detail, hold_days) == (item.detail, item.hold_days) and item.status == ChecklistItem.Status.PENDING:
            continue
        item.detail, item.hold_days = detail, hold_days
        item.status, item.done_at, item.done_by = ChecklistItem.Status.PENDING, None, None
        item.note = "Medication list changed: review again."
        item.save(update_fields=["detail", "hold_days", "status", "done_at", "done_by", "note"])
        changed += 1
    return changed


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
