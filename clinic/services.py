"""Commands that change people data. Admin, API and imports all call these."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone

from clinic.medications import medications_apply, medications_check_registration
from clinic.models import Channel, ConsentEvent, Location, Patient
from core import access
from core.access import Action, Kind
from core.errors import PermissionDenied, ValidationFailed

CONSENT_FIELDS = {"sms_consent": Channel.SMS, "email_consent": Channel.EMAIL}
# "anticoagulants" is the list of current drugs (clinic.medications), not a column.
CLINICAL_FIELDS = ("anticoagulants", "diabetic")
RELATED_FIELDS = frozenset({"anticoagulants"})
# What a patient update may change; the MRN, consent timestamps and audit times are the system's.
UPDATABLE_FIELDS = frozenset(
    {
        "first_name",
        "last_name",
        "date_of_birth",
        "language",
        "time_zone",
        "mobility",
        "phone",
        "email",
        "preferred_channel",
        "payer",
        "member_id",
        "preferred_location",
        *CONSENT_FIELDS,
        *CLINICAL_FIELDS,
    }
)
STALE_CONSENT = "Consent changed since this page was opened (for example the patient texted STOP); reload and check with the patient."


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
    drugs = fields.pop("anticoagulants", None) or []
    if errors := _preferred_location_errors(fields):
        raise ValidationFailed("The patient was not registered.", field_errors=errors)
    patient = Patient(first_name=first_name, last_name=last_name, date_of_birth=date_of_birth, **fields)
    patient.full_clean(exclude=["mrn"])
    patient.save()
    for channel, granted in ((Channel.SMS, sms_consent), (Channel.EMAIL, email_consent)):
        if granted:
            patient_set_consent(patient=patient, channel=channel, granted=True, source="registration", by=created_by, now=now)
    if drugs:
        medications_check_registration(created_by)
        medications_apply(patient=patient, drugs=drugs, by=created_by, now=now)
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


def _consent_at(patient: Patient, field: str) -> str:
    at = getattr(patient, f"{field}_at")
    return at.isoformat() if at else ""


def _preferred_location_errors(changes: dict) -> dict[str, list[str]]:
    """A preferred location must be one that takes patients (active); clearing it is fine. An
    inactive one already on file is left alone until someone changes it."""
    value = changes.get("preferred_location")
    if value is None:
        return {}
    location_id = value.pk if isinstance(value, Location) else value
    if not Location.objects.filter(pk=location_id, active=True).exists():
        return {"preferred_location": ["Choose an active location, or none."]}
    return {}


def patient_update_errors(*, patient: Patient, changes: dict, consent_seen: dict[str, str] | None = None) -> dict[str, list[str]]:
    """Field errors an update would be refused with. `consent_seen` holds, per consent field,
    the consent time the caller's page showed: a patient who texted STOP while the front desk
    had the form open must not be re-subscribed by a stale checkbox."""
    errors: dict[str, list[str]] = _preferred_location_errors(changes)
    for field in CONSENT_FIELDS:
        if field not in changes or bool(changes[field]) == getattr(patient, field):
            continue
        seen = (consent_seen or {}).get(field)
        if seen is not None and seen != _consent_at(patient, field):
            errors[field] = [STALE_CONSENT]
    return errors


@transaction.atomic
def patient_update(
    *,
    patient: Patient,
    changes: dict,
    by=None,
    consent_seen: dict[str, str] | None = None,
    source: str = "front desk",
    now: datetime | None = None,
) -> Patient:
    """Change a patient's details. Consent goes through patient_set_consent (so the history says
    who and when); clinical facts only by a user who may change this patient's clinical data
    (`by=None` is the system). Holds the patient row lock while it checks and writes; raises
    ValidationFailed (field errors) or PermissionDenied."""
    now = now or timezone.now()
    unknown = set(changes) - UPDATABLE_FIELDS
    if unknown:
        raise ValidationFailed("These fields cannot be changed here.", field_errors={f: ["Not changeable."] for f in sorted(unknown)})
    if by is not None and set(changes) & set(CLINICAL_FIELDS):
        if not access.can(by, Action.CHANGE, patient=patient, kind=Kind.CLINICAL, now=now):
            raise PermissionDenied("Clinical information is for clinicians and care coordinators.")
    locked = Patient.objects.select_for_update().get(pk=patient.pk)
    errors = patient_update_errors(patient=locked, changes=changes, consent_seen=consent_seen)
    if errors:
        raise ValidationFailed("The patient was not changed.", field_errors=errors)
    plain = {f: v for f, v in changes.items() if f not in CONSENT_FIELDS and f not in RELATED_FIELDS}
    for field, value in plain.items():
        setattr(locked, field, value)
    try:
        locked.full_clean(exclude=["mrn"])
    except DjangoValidationError as error:
        raise ValidationFailed("The patient was not changed.", field_errors=error.message_dict) from None
    locked.save(update_fields=[*plain, "updated_at"])
    if "anticoagulants" in changes:
        # Clinical access was checked above (the same rule patient_medications_set applies).
        medications_apply(patient=locked, drugs=changes["anticoagulants"] or [], by=by, now=now)
    for field, channel in CONSENT_FIELDS.items():
        if field in changes:
            patient_set_consent(patient=locked, channel=channel, granted=bool(changes[field]), source=source, by=by, now=now)
    return locked
