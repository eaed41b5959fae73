"""A patient's current anticoagulants and antiplatelets: what the pre-procedure checklist reads.

Changing the list is clinical (providers and care coordinators with access to the patient); each
change keeps the stopped rows and announces MEDICATIONS_CHANGED so open checklists follow it.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from clinic.events import ClinicHappened, announce
from clinic.models import AnticoagulantDrug, Patient, PatientMedication
from core import access
from core.access import Action, Kind
from core.errors import PermissionDenied


def medications_current(patient_id: int) -> list[AnticoagulantDrug]:
    """The drugs the patient takes now, by name (one query)."""
    return [
        m.drug
        for m in PatientMedication.objects.filter(patient_id=patient_id, stopped_at__isnull=True)
        .select_related("drug")
        .order_by("drug__name")
    ]


@transaction.atomic
def patient_medications_set(*, patient: Patient, drugs: Iterable[AnticoagulantDrug], by=None, now: datetime | None = None) -> bool:
    """Make `drugs` the patient's current list: new ones start, missing ones stop (kept as
    history). Returns whether anything changed. Clinical write access is required (`by=None`
    is the system). Holds the patient row lock, so two editors cannot both add the same drug."""
    now = now or timezone.now()
    access.require_change(by, patient=patient.pk, kind=Kind.CLINICAL, now=now)
    return medications_apply(patient=patient, drugs=drugs, by=by, now=now)


def medications_apply(*, patient: Patient, drugs: Iterable[AnticoagulantDrug], by, now: datetime) -> bool:
    """patient_medications_set without the access check, for callers that made their own (a
    clinician registering a new patient, who has no grant for them yet)."""
    Patient.objects.select_for_update().filter(pk=patient.pk).first()
    wanted = {drug.pk: drug for drug in drugs}
    current = {m.drug_id: m for m in PatientMedication.objects.filter(patient=patient, stopped_at__isnull=True)}
    stopped = [m.pk for drug_id, m in current.items() if drug_id not in wanted]
    started = [drug for drug_id, drug in wanted.items() if drug_id not in current]
    if stopped:
        PatientMedication.objects.filter(pk__in=stopped).update(stopped_at=now, stopped_by=by)
    PatientMedication.objects.bulk_create(
        PatientMedication(patient=patient, drug=drug, recorded_at=now, recorded_by=by) for drug in started
    )
    changed = bool(stopped or started)
    if changed:
        announce(ClinicHappened.MEDICATIONS_CHANGED, patient_id=patient.pk, by=by, now=now)
    return changed


def medications_check_registration(by) -> None:
    """Recording drugs while registering a patient: the role must be one that may ever change
    clinical data (front desk may not)."""
    if by is not None and not access.may_ever(by, Kind.CLINICAL, Action.CHANGE):
        raise PermissionDenied("Clinical information is for clinicians and care coordinators.")
