"""Scheduling's part of the access policy: which rows are whose data, and the grants that a
relationship in time gives. Connected in SchedulingConfig.ready()."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import Exists, OuterRef, Q

from core import access
from core.access import Kind
from core.roles import CARE_COORDINATOR, user_roles
from scheduling.models import (
    HOLDING_OR_COMPLETED,
    Appointment,
    AppointmentBundle,
    AppointmentEvent,
    AppointmentSeries,
    AppointmentStatus,
    BookingTicket,
    WaitlistEntry,
    WaitlistEvent,
)

S = AppointmentStatus
# A provider sees the chart of a patient they see in person: booked or seen, not merely held or cancelled.
PROVIDER_VISIT_STATUSES = [S.BOOKED, S.CONFIRMED, S.CHECKED_IN, S.IN_PROGRESS, S.COMPLETED, S.NO_SHOW]
PROVIDER_VISIT_WINDOW = timedelta(days=30)
COORDINATOR_PROCEDURE_WINDOW = timedelta(days=30)
# A coordinator prepares procedures that are booked (not merely held) or just done.
COORDINATOR_PROCEDURE_STATUSES = [s for s in HOLDING_OR_COMPLETED if s != S.HELD]


def _provider_visits(user, now: datetime) -> Q:
    provider = access.provider_of(user)
    visits = Appointment.objects.filter(
        patient=OuterRef("pk"),
        provider=provider,
        status__in=PROVIDER_VISIT_STATUSES,
        start__gte=now - PROVIDER_VISIT_WINDOW,
        start__lte=now + PROVIDER_VISIT_WINDOW,
    )
    return Q(Exists(visits))


def _coordinator_procedures(user, now: datetime) -> Q:
    upcoming = Appointment.objects.filter(
        patient=OuterRef("pk"),
        visit_type__is_procedure=True,
        status__in=COORDINATOR_PROCEDURE_STATUSES,
        # From a day back, so today's procedures stay visible after they start.
        start__gte=now - timedelta(days=1),
        start__lte=now + COORDINATOR_PROCEDURE_WINDOW,
    )
    return Q(Exists(upcoming))


def connect() -> None:
    access.protect(Appointment, patient_path="patient", kind=Kind.SCHEDULING)
    access.protect(AppointmentEvent, patient_path="appointment__patient", kind=Kind.SCHEDULING)
    access.protect(AppointmentSeries, patient_path="patient", kind=Kind.SCHEDULING)
    access.protect(AppointmentBundle, patient_path="patient", kind=Kind.SCHEDULING)
    access.protect(WaitlistEntry, patient_path="patient", kind=Kind.SCHEDULING)
    access.protect(BookingTicket, patient_path="patient", kind=Kind.SCHEDULING)
    access.protect(WaitlistEvent, patient_path="entry__patient", kind=Kind.SCHEDULING)
    access.register_grant(
        "scheduling.provider_visits", applies=lambda user: access.provider_of(user) is not None, patients=_provider_visits
    )
    access.register_grant(
        "scheduling.coordinator_procedures",
        applies=lambda user: CARE_COORDINATOR in user_roles(user),
        patients=_coordinator_procedures,
    )
