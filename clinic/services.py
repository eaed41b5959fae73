"""Commands that change people data. Admin, API and imports all call these."""

from __future__ import annotations

from datetime import date, datetime

from django.db import transaction
from django.utils import timezone

from clinic.models import Channel, ConsentEvent, Patient


@transaction.atomic
def patient_create(
    *,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    created_by=None,
    now: datetime | None = None,
    **fields,
) -> Patient:
    """Create a patient; the MRN comes from the database sequence. Consent given at
    registration is recorded in the consent history."""
    now = now or timezone.now()
    sms_consent = bool(fields.pop("sms_consent", False))
    email_consent = bool(fields.pop("email_consent", False))
    patient = Patient(first_name=first_name, last_name=last_name, date_of_birth=date_of_birth, **fields)
    patient.full_clean(exclude=["mrn"])
    patient.save()
    for channel, granted in ((Channel.SMS, sms_consent), (Channel.EMAIL, email_consent)):
        if granted:
            patient_set_consent(patient=patient, channel=channel, granted=True, source="registration", by=created_by, now=now)
    patient.refresh_from_db(fields=["mrn"])
    return patient


@transaction.atomic
def patient_set_consent(*, patient: Patient, channel: str, granted: bool, source: str, by=None, now: datetime | None = None) -> bool:
    """Record consent given or withdrawn on one channel. Returns False when nothing changed
    (a repeated STOP is not a new event)."""
    now = now or timezone.now()
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    field = "sms_consent" if channel == Channel.SMS else "email_consent"
    if getattr(locked, field) == granted and getattr(locked, f"{field}_at") is not None:
        return False
    setattr(locked, field, granted)
    setattr(locked, f"{field}_at", now)
    locked.save(update_fields=[field, f"{field}_at", "updated_at"])
    ConsentEvent.objects.create(patient=locked, channel=channel, granted=granted, at=now, source=source, recorded_by=by)
    setattr(patient, field, granted)
    setattr(patient, f"{field}_at", now)
    return True
