"""Scheduling's own reactions to what it announces: freed and new time go to the waitlist, after
commit, through Celery (ids only). Connected in SchedulingConfig.ready()."""

from __future__ import annotations

from datetime import datetime

from clinic.models import Provider
from core.events import Phase
from scheduling import tasks
from scheduling.events import WAITLIST_CANDIDATES, AppointmentHappened, registry
from scheduling.models import Appointment
from scheduling.rules import frequency_violations


def offer_freed_time(*, appointment, now: datetime, **_) -> None:
    """The whole slot when it is still ahead; what is left of it when a no-show is marked early
    (whatever still fits, within each visit type's minimum notice)."""
    if appointment.start > now:
        tasks.waitlist_offer_freed_time.delay(appointment.id)
    elif appointment.end > now:
        tasks.waitlist_offer_new_time.delay(appointment.provider_id, now.isoformat(), appointment.end.isoformat())


def ticket_follows_cancellation(*, appointment, **_) -> None:
    """Only visits a ticket placed; the task decides between a move and a cancellation once the
    whole transaction (a reschedule books the successor after cancelling) has committed."""
    if appointment.booking_tickets.exists():
        tasks.ticket_visit_cancelled.delay(appointment.id)


def offer_new_time(*, provider_id: int, start: datetime, end: datetime, **_) -> None:
    tasks.waitlist_offer_new_time.delay(provider_id, start.isoformat(), end.isoformat())


def payer_rules_ready(entries, *, provider_id: int, start: datetime, **_):
    """Waitlist filter: leave out procedure candidates whom the payer frequency rules would refuse
    on that date, checked as the offer would book it (the freed visit's region for the same visit
    type, as scheduling.waitlist holds it). Procedure entries are few: a check each."""
    freed = (
        Appointment.objects.filter(provider_id=provider_id, start=start)
        .order_by("-updated_at")
        .values_list("location_id", "visit_type_id", "region")
        .first()
    )
    location_id = freed[0] if freed else Provider.objects.filter(pk=provider_id).values_list("home_location_id", flat=True).first()
    if location_id is None:
        return entries
    refused = [
        entry.pk
        for entry in entries.select_related("visit_type", "patient")
        if entry.visit_type.procedure_family
        and frequency_violations(
            patient=entry.patient,
            visit_type=entry.visit_type,
            region=freed[2] if freed and freed[1] == entry.visit_type_id else "",
            start=start,
            location_id=location_id,
        )
    ]
    return entries.exclude(pk__in=refused) if refused else entries


def connect() -> None:
    registry.add_filter(WAITLIST_CANDIDATES, payer_rules_ready, uid="scheduling.waitlist.payer_rules")
    for event in (AppointmentHappened.CANCELLED, AppointmentHappened.NO_SHOW):
        registry.subscribe(event, offer_freed_time, phase=Phase.AFTER_COMMIT, uid="scheduling.waitlist.freed_time")
    registry.subscribe(
        AppointmentHappened.CANCELLED, ticket_follows_cancellation, phase=Phase.AFTER_COMMIT, uid="scheduling.tickets.visit_cancelled"
    )
    registry.subscribe(AppointmentHappened.WORKING_TIME_ADDED, offer_new_time, phase=Phase.AFTER_COMMIT, uid="scheduling.waitlist.new_time")
