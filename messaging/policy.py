"""Messaging's rows in the access policy. Connected in MessagingConfig.ready()."""

from __future__ import annotations

from core import access
from core.access import Kind
from messaging.models import FailedMessage, InboundSms, Message, PatientLink


def connect() -> None:
    for model in (Message, FailedMessage, InboundSms, PatientLink):
        access.protect(model, patient_path="patient", kind=Kind.MESSAGES)
