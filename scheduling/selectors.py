"""Scheduling reads scoped by the user asking."""

from __future__ import annotations

from datetime import datetime

from django.db.models import QuerySet

from core import access, audit
from core.access import Kind
from core.errors import NotFound
from scheduling.models import Appointment, BookingTicket, WaitlistEntry


def appointment_queryset_for_user(*, user) -> QuerySet[Appointment]:
    """Appointments of the patients the user may see, with everything a list shows joined in
    (one query whatever the page size)."""
    base = Appointment.objects.select_related("patient", "provider__discipline", "visit_type__discipline", "room", "location")
    return access.scope(base, user, Kind.SCHEDULING)


def appointment_get_for_user(*, user, pk: int) -> Appointment:
    try:
        appointment = appointment_queryset_for_user(user=user).get(pk=pk)
    except (Appointment.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such appointment, or not one you may see.") from None
    audit.looked_at([appointment.patient_id], user=user, obj=appointment)
    return appointment


def appointment_list(
    *,
    user,
    start: datetime | None = None,
    end: datetime | None = None,
    provider_id: int | None = None,
    patient_id: int | None = None,
    status: list[str] | None = None,
    location_id: int | None = None,
) -> QuerySet[Appointment]:
    qs = appointment_queryset_for_user(user=user)
    if start:
        qs = qs.filter(end__gt=start)
    if end:
        qs = qs.filter(start__lt=end)
    if provider_id:
        qs = qs.filter(provider_id=provider_id)
    if patient_id:
        qs = qs.filter(patient_id=patient_id)
    if status:
        qs = qs.filter(status__in=status)
    if location_id:
        qs = qs.filter(location_id=location_id)
    return qs.order_by("start", "id")


# What the appointment list shows of each row, read as plain values: building eight model
# instances per row (appointment, patient, provider, two disciplines, visit type, room, location)
# and walking them with DRF fields was most of the list's time (docs/performance.md).
APPOINTMENT_ROW_VALUES = (
    "id",
    "status",
    "start",
    "end",
    "patient_id",
    "patient__first_name",
    "patient__last_name",
    "provider_id",
    "provider__first_name",
    "provider__last_name",
    "provider__credentials",
    "visit_type__code",
    "visit_type__name",
    "room_id",
    "room__name",
    "location_id",
    "location__time_zone",
    "region",
    "laterality",
    "video_url",
    "rescheduled_from_id",
    "override_reason",
    "authorization_status",
    "authorization_ref",
)


def appointment_rows(*, ids: QuerySet) -> list[dict]:
    """The list's rows for `ids`, a sliced `values("pk")` of appointment_list (so scoped to the
    user): the page is chosen on the appointment table alone and only its rows are joined.
    In appointment_list's order; one query."""
    return list(Appointment.objects.filter(pk__in=ids).order_by("start", "id").values(*APPOINTMENT_ROW_VALUES))


def waitlist_queryset_for_user(*, user) -> QuerySet[WaitlistEntry]:
    """Waitlist entries of the patients the user may see."""
    return access.scope(WaitlistEntry.objects.select_related("visit_type"), user, Kind.SCHEDULING)


def waitlist_entry_get_for_user(*, user, pk: int) -> WaitlistEntry:
    entry = waitlist_queryset_for_user(user=user).filter(pk=pk).first()
    if entry is None:
        raise NotFound("No such waitlist entry, or not one you may see.")
    audit.looked_at([entry.patient_id], user=user, obj=entry)
    return entry


def ticket_queryset_for_user(*, user) -> QuerySet[BookingTicket]:
    """Booking tickets of the patients the user may see (scheduling data, no clinical content)."""
    return access.scope(BookingTicket.objects.select_related("visit_type", "discipline"), user, Kind.SCHEDULING)


def ticket_get_for_user(*, user, pk: int) -> BookingTicket:
    ticket = ticket_queryset_for_user(user=user).select_related("patient").filter(pk=pk).first()
    if ticket is None:
        raise NotFound("No such booking ticket, or not one you may see.")
    audit.looked_at([ticket.patient_id], user=user, obj=ticket)
    return ticket
