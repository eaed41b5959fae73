"""Reads of messages scoped by the user asking."""

from __future__ import annotations

from django.db.models import QuerySet

from core import access, audit
from core.access import Kind
from core.errors import NotFound
from messaging.models import Message
from scheduling.models import Appointment


def appointment_messages_for_user(*, user, appointment_id: int) -> QuerySet[Message]:
    """The appointment's messages, or NotFound when the appointment is not one the user may see
    (the same answer as for one that does not exist)."""
    visible = access.scope(Appointment.objects.filter(pk=appointment_id), user, Kind.MESSAGES)
    patient_id = visible.values_list("patient_id", flat=True).first()
    if patient_id is None:
        raise NotFound("No such appointment, or not one of yours.")
    audit.looked_at([patient_id], user=user, model=Message)
    return Message.objects.filter(appointment_id=appointment_id).order_by("due_at", "id")
