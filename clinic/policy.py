"""What of clinic's data core.access protects. Connected in ClinicConfig.ready()."""

from __future__ import annotations

from clinic.models import ConsentEvent, Patient
from core import access
from core.access import Kind


def connect() -> None:
    access.protect(Patient, patient_path="", kind=Kind.DEMOGRAPHICS)
    access.protect(ConsentEvent, patient_path="patient", kind=Kind.DEMOGRAPHICS)
