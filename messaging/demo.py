"""Demo outbox: plan messages for the demo's future appointments that have none (appointments
booked through scheduling.services are planned already; bulk-loaded ones are not).
Idempotent: the planner leaves existing steps alone."""

from __future__ import annotations

from django.db.models import Exists, OuterRef
from django.utils import timezone

from messaging.models import Message
from messaging.services.planning import outbox_plan_appointment_messages
from scheduling.models import Appointment, AppointmentStatus


def seed(*, out=print) -> None:
    now = timezone.now()
    unplanned = (
        Appointment.objects.filter(start__gt=now, status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED])
        .exclude(Exists(Message.objects.filter(appointment=OuterRef("pk"))))
        .select_related("patient", "location", "visit_type")
    )
    planned = 0
    for appointment in unplanned.iterator(chunk_size=200):
        planned += len(outbox_plan_appointment_messages(appointment=appointment, now=now, notice=None))
    out(f"messaging: {planned} reminders planned")
