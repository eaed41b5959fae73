"""Prior authorization reacts to scheduling: a booking takes a unit of a covering approval (or is
marked as needing one, with a task), check-in and start are gated, cancelled and no-show visits
release their unit, and the waitlist offers freed procedure time only to patients whose
authorization covers the date. Connected in AuthorizationsConfig.ready(); scheduling never
imports this app."""

from __future__ import annotations

from datetime import date, datetime

from django.utils import timezone

from authorizations.models import GRANTING, Authorization, AuthorizationLine
from authorizations.services import appointment_authorization_evaluate, gate, matching_rule, units_used
from core.events import Phase
from scheduling.events import WAITLIST_CANDIDATES, AppointmentHappened, GuardPoint, registry
from scheduling.models import Appointment


def _evaluate(*, appointment: Appointment, now: datetime, **_) -> None:
    """In the booking's transaction: the line is locked and its unit taken before it commits."""
    appointment_authorization_evaluate(appointment=appointment, now=now)


def _released(*, appointment: Appointment, now: datetime, **_) -> None:
    """The unit comes back by itself (units count appointments that hold time or were done);
    the authorization task of a visit that will not happen closes."""
    appointment_authorization_evaluate(appointment=appointment, now=now)


def _covers(entry, day: date, lines_by_patient: dict[int, list[AuthorizationLine]]) -> bool:
    for line in lines_by_patient.get(entry.patient_id, []):
        auth = line.authorization
        if (
            line.procedure_family == entry.visit_type.procedure_family
            and auth.valid_from <= day <= auth.valid_to
            and (line.approved_units or 0) > units_used(line.pk)
        ):
            return True
    return False


def waitlist_authorized(entries, *, provider_id: int, start: datetime, **_):
    """Waitlist filter: a procedure candidate whose payer requires authorization is offered the
    freed time only when an approved line with a unit left covers that date."""
    candidates = list(entries.select_related("visit_type", "patient"))
    procedures = [e for e in candidates if e.visit_type.procedure_family]
    if not procedures:
        return entries
    freed = Appointment.objects.filter(provider_id=provider_id, start=start).select_related("location").order_by("-updated_at").first()
    zone = freed.location.zone if freed else timezone.get_current_timezone()
    state = freed.location.state if freed else ""
    day = start.astimezone(zone).date()
    needing = [
        e
        for e in procedures
        if (rule := matching_rule(payer_id=e.patient.payer_id, visit_type=e.visit_type, state=state)) and rule.required
    ]
    if not needing:
        return entries
    lines: dict[int, list[AuthorizationLine]] = {}
    for line in AuthorizationLine.objects.filter(
        authorization__patient_id__in={e.patient_id for e in needing}, authorization__status__in=GRANTING
    ).select_related("authorization"):
        lines.setdefault(line.authorization.patient_id, []).append(line)
    refused = [e.pk for e in needing if not _covers(e, day, lines)]
    return entries.exclude(pk__in=refused) if refused else entries


def connect() -> None:
    # A completed visit keeps its unit with nothing to do: units are counted from statuses. A
    # rescheduled visit is a cancellation (unit released) and a booking (unit taken again).
    registry.subscribe(AppointmentHappened.BOOKED, _evaluate, phase=Phase.IN_TRANSACTION, uid="authorizations.units.booked")
    for event in (AppointmentHappened.CANCELLED, AppointmentHappened.NO_SHOW):
        registry.subscribe(event, _released, phase=Phase.IN_TRANSACTION, uid=f"authorizations.release.{event}")
    registry.add_guard(GuardPoint.CHECK_IN, gate, uid="authorizations.gate.check_in")
    registry.add_guard(GuardPoint.START, gate, uid="authorizations.gate.start")
    registry.add_filter(WAITLIST_CANDIDATES, waitlist_authorized, uid="authorizations.waitlist.covered")


__all__ = ["Authorization", "connect"]
