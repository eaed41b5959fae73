"""Which authorization covers an appointment, and the gate at check-in and start.

An appointment's authorization state (scheduling.Appointment.authorization_status, written
through scheduling's appointment_authorization_set) is decided here:

- not-required: no requirement rule asks for one;
- approved: it holds a unit of an approved line covering its procedure family, region and date
  of service (a LineUse row; the unit counts while the appointment holds time or is completed);
- pending: a request covering it is with the payer; denied / expired: the one that would cover
  it was denied or has lapsed; missing: nothing covers it (or its units are used up);
- overridden: a provider or clinic admin let it go ahead with a reason (audited).

Taking a unit locks the line (SELECT … FOR UPDATE) inside the booking transaction, so two
bookings racing for the last unit cannot both take it: the second sees the first's use once the
first commits and is marked missing instead.
"""

from __future__ import annotations

import logging
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from authorizations.models import AWAITING, GRANTING, Authorization, AuthorizationLine, AuthorizationStatus, LineUse
from authorizations.services.requirements import authorization_required
from careplans.models import OPEN_TASK_STATUSES, RoleQueue, Task
from careplans.services import task_cancel, task_complete, task_create
from core.audit import audit_record
from core.errors import Conflict, PermissionDenied, ValidationFailed
from core.roles import CLINIC_ADMIN, PROVIDER, user_roles
from scheduling.models import AUTHORIZATION_CLEARED, Appointment, AppointmentStatus
from scheduling.models import AuthorizationStatus as ApptAuth
from scheduling.rules import billing_region_of
from scheduling.services import appointment_authorization_set
from scheduling.services.payer_overrides import override_reason_clean

log = logging.getLogger(__name__)

# Appointment statuses whose unit counts: holding time (booked, confirmed, checked in, in
# progress) or done. Held slots (a waitlist offer) take no unit until claimed; cancelled and
# no-show appointments release theirs.
CONSUMING = [
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.IN_PROGRESS,
    AppointmentStatus.COMPLETED,
]
# Appointment statuses still ahead of the visit (their authorization can still change).
OPEN_APPOINTMENT = [AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED, AppointmentStatus.CHECKED_IN]


class AuthorizationRequired(Conflict):
    code = "authorization_required"


def service_date(appointment: Appointment) -> date:
    return appointment.start.astimezone(appointment.location.zone).date()


def units_used(line_id: int, *, excluding_appointment: int | None = None) -> int:
    uses = LineUse.objects.filter(line_id=line_id, appointment__status__in=CONSUMING)
    if excluding_appointment is not None:
        uses = uses.exclude(appointment_id=excluding_appointment)
    return uses.count()


def _line_covers(line: AuthorizationLine, appointment: Appointment, levels: list[str]) -> bool:
    if line.procedure_family != appointment.visit_type.procedure_family:
        return False
    return not line.region or not appointment.region or line.region in levels


def _candidate_lines(appointment: Appointment) -> list[AuthorizationLine]:
    family = appointment.visit_type.procedure_family
    if not family:
        return []
    levels, _ = billing_region_of(appointment.region) if appointment.region else ([], "")
    lines = (
        AuthorizationLine.objects.filter(authorization__patient_id=appointment.patient_id, procedure_family=family)
        .exclude(authorization__status=AuthorizationStatus.VOID)
        .select_related("authorization")
        .order_by("authorization__valid_to", "id")
    )
    return [line for line in lines if _line_covers(line, appointment, levels)]


def _in_dates(authorization: Authorization, day: date) -> bool:
    return bool(authorization.valid_from and authorization.valid_to and authorization.valid_from <= day <= authorization.valid_to)


def _take_unit(appointment: Appointment, lines: list[AuthorizationLine], day: date, now: datetime) -> AuthorizationLine | None:
    """A unit of the first approved line in dates with one left, the line locked first."""
    for line in lines:
        if line.authorization.status not in GRANTING or not _in_dates(line.authorization, day) or not line.approved_units:
            continue
        # The lock serialises every booking that would take a unit of this line; the count that
        # follows sees what the transactions before it committed.
        AuthorizationLine.objects.select_for_update().filter(pk=line.pk).first()
        if units_used(line.pk, excluding_appointment=appointment.pk) < line.approved_units:
            LineUse.objects.update_or_create(appointment=appointment, defaults={"line": line, "created_at": now})
            return line
    return None


def _state_without_unit(lines: list[AuthorizationLine], day: date) -> tuple[str, int | None]:
    """What to show when no unit could be taken, and the authorization it concerns."""
    by_status: dict[str, int] = {}
    for line in lines:
        auth = line.authorization
        if auth.status in AWAITING:
            by_status.setdefault(ApptAuth.PENDING, auth.pk)
        elif auth.status == AuthorizationStatus.DENIED:
            by_status.setdefault(ApptAuth.DENIED, auth.pk)
        elif auth.status == AuthorizationStatus.EXPIRED or (auth.status in GRANTING and auth.valid_to and auth.valid_to < day):
            by_status.setdefault(ApptAuth.EXPIRED, auth.pk)
        elif auth.status in GRANTING and _in_dates(auth, day):
            by_status.setdefault(ApptAuth.MISSING, auth.pk)  # approved, but its units are used up
    for status in (ApptAuth.PENDING, ApptAuth.MISSING, ApptAuth.DENIED, ApptAuth.EXPIRED):
        if status in by_status:
            return status, by_status[status]
    return ApptAuth.MISSING, None


def appointment_authorization_evaluate(*, appointment: Appointment, now: datetime | None = None) -> str:
    """Decide and record the appointment's authorization state (in the caller's transaction),
    take or keep a unit, and keep the authorization queue's task in step. Idempotent: running
    it again changes nothing unless an authorization or rule changed. An override stands."""
    now = now or timezone.now()
    before = appointment.authorization_status
    if before == ApptAuth.NOT_REQUIRED and appointment.status not in CONSUMING:
        return before  # never needed one: no unit, no task (no query on a cancellation)
    if appointment.authorization_status == ApptAuth.OVERRIDDEN or appointment.status not in CONSUMING:
        # An override stands; a held, cancelled or no-show visit takes no unit (its use, if any,
        # stops counting by its status) and its task closes.
        authorization_task_follow(appointment, now=now)
        return appointment.authorization_status
    if not authorization_required(appointment=appointment):
        if before == ApptAuth.NOT_REQUIRED:
            return before  # the common case: one query for the rules, nothing else
        LineUse.objects.filter(appointment=appointment).delete()
        status, ref = ApptAuth.NOT_REQUIRED, None
    else:
        day = service_date(appointment)
        lines = _candidate_lines(appointment)
        current = LineUse.objects.filter(appointment=appointment).select_related("line__authorization").first()
        if current is not None and current.line in lines and current.line.authorization.status in GRANTING:
            if _in_dates(current.line.authorization, day):
                lines = [current.line]  # keep the unit it holds (its line first)
        taken = _take_unit(appointment, lines, day, now)
        if taken is not None:
            status, ref = ApptAuth.APPROVED, taken.authorization_id
        else:
            LineUse.objects.filter(appointment=appointment).delete()
            status, ref = _state_without_unit(lines, day)
    if (appointment.authorization_status, appointment.authorization_ref) != (status, ref):
        appointment_authorization_set(appointment=appointment, status=status, authorization_id=ref)
    authorization_task_follow(appointment, now=now)
    return status


def _task_key(appointment_id: int) -> str:
    return f"auth:appt:{appointment_id}"


def business_days_before(day: date, days: int) -> date:
    while days > 0:
        day -= timedelta(days=1)
        if day.weekday() < 5:
            days -= 1
    return day


def authorization_task_follow(appointment: Appointment, *, now: datetime) -> None:
    """An appointment that still needs authorization has one open task in the authorization
    queue, due PRIOR_AUTH_TASK_LEAD_BUSINESS_DAYS before the procedure; once it is cleared (or the
    appointment is gone) the task closes."""
    key = _task_key(appointment.pk)
    needs = appointment.authorization_status not in AUTHORIZATION_CLEARED and appointment.status in OPEN_APPOINTMENT
    task = Task.objects.filter(dedupe_key=key).first()
    if needs:
        if task is not None and task.status in OPEN_TASK_STATUSES:
            return
        if task is not None:
            # Closed earlier (approved, then the approval was voided): a new key keeps the old row.
            key = f"{key}:{now:%Y%m%d%H%M%S}"
        zone = appointment.location.zone
        due_day = business_days_before(service_date(appointment), settings.PRIOR_AUTH_TASK_LEAD_BUSINESS_DAYS)
        due = max(now, datetime.combine(due_day, datetime.min.time().replace(hour=9), tzinfo=zone))
        late = due_day <= now.astimezone(zone).date()
        task_create(
            title=f"Prior authorization {ApptAuth(appointment.authorization_status).label.lower()}: appointment #{appointment.pk}"
            f" on {appointment.start.astimezone(zone):%a %d %b %Y}",
            description="Obtain or follow up the payer's authorization before the visit (Authorizations in the admin).",
            patient=appointment.patient,
            appointment=appointment,
            assignee_role=RoleQueue.AUTHORIZATION,
            priority=Task.Priority.URGENT if late else Task.Priority.ROUTINE,
            source=Task.Source.AUTHORIZATION,
            due=due,
            dedupe_key=key,
            now=now,
        )
        return
    open_tasks = Task.objects.filter(dedupe_key__startswith=key, status__in=OPEN_TASK_STATUSES, appointment=appointment)
    for open_task in open_tasks:
        if appointment.authorization_status in AUTHORIZATION_CLEARED:
            task_complete(task=open_task, note=f"authorization {appointment.authorization_status}", now=now)
        else:
            task_cancel(task=open_task, reason="appointment no longer booked", now=now)


def appointments_reevaluate(*, patient_id: int, authorization_id: int | None = None, now: datetime | None = None) -> int:
    """Re-decide the patient's appointments still ahead (an authorization was requested,
    approved, denied, voided or expired). Returns how many changed.

    With `authorization_id`, only the appointments that authorization can concern: those of its
    lines' procedure families (an appointment's state depends only on lines of its own family,
    see _candidate_lines) and any that names it. Not narrowed by date: a pending or denied
    request has no dates yet, and an expired one still decides what later visits show."""
    now = now or timezone.now()
    changed = 0
    rows = Appointment.objects.filter(patient_id=patient_id, status__in=OPEN_APPOINTMENT, end__gt=now)
    if authorization_id is not None:
        families = AuthorizationLine.objects.filter(authorization_id=authorization_id).values("procedure_family")
        rows = rows.filter(Q(visit_type__procedure_family__in=families) | Q(authorization_ref=authorization_id))
    rows = rows.select_related("visit_type", "location", "patient").order_by("start", "id")
    for appointment in rows:
        before = appointment.authorization_status
        if appointment_authorization_evaluate(appointment=appointment, now=now) != before:
            changed += 1
    return changed


# --- the gate and its override ------------------------------------------------------------------


def gate(*, appointment: Appointment, by=None, now: datetime | None = None, **_) -> None:
    """Guard on check-in and start (registered on scheduling's GuardPoints): a visit whose payer
    requires authorization goes ahead only when approved or overridden. An approval that came in
    since booking is picked up here (the unit is taken in this transaction)."""
    if appointment.authorization_status in AUTHORIZATION_CLEARED and appointment.authorization_status != ApptAuth.NOT_REQUIRED:
        return
    status = appointment_authorization_evaluate(appointment=appointment, now=now)
    if status in AUTHORIZATION_CLEARED:
        return
    raise AuthorizationRequired(
        f"This visit needs the payer's prior authorization ({ApptAuth(status).label.lower()}). "
        "A provider or clinic admin may let it go ahead with a reason (authorization override).",
        authorization_status=status,
        authorization=appointment.authorization_ref,
    )


def may_override(user) -> bool:
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return bool(user.is_superuser or user_roles(user) & {PROVIDER, CLINIC_ADMIN}) and user.has_perm("authorizations.override_authorization")


def appointment_authorization_override(*, appointment: Appointment, reason: str, by, now: datetime | None = None) -> Appointment:
    """Let a visit go ahead without an approved authorization. A provider or clinic admin only,
    with a reason of at least ten non-blank characters; one audit row carries the reason."""
    now = now or timezone.now()
    if not may_override(by):
        raise PermissionDenied("Only a provider or a clinic admin may override the authorization requirement.")
    try:
        reason = override_reason_clean(reason)
    except ValidationFailed as error:
        raise ValidationFailed(error.message, field_errors={"reason": error.field_errors.get("override_reason", [error.message])}) from None
    if not reason:
        raise ValidationFailed("Say why the visit may go ahead without authorization.", field_errors={"reason": ["A reason is required."]})
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().select_related("visit_type", "location", "patient").get(pk=appointment.pk)
        if locked.status not in OPEN_APPOINTMENT:
            raise Conflict(f"An appointment that is {AppointmentStatus(locked.status).label.lower()} needs no authorization override.")
        if locked.authorization_status in AUTHORIZATION_CLEARED:
            raise Conflict(f"Nothing to override: the authorization is {ApptAuth(locked.authorization_status).label.lower()}.")
        appointment_authorization_set(appointment=locked, status=ApptAuth.OVERRIDDEN, authorization_id=locked.authorization_ref)
        audit_record(
            user=by, action="change", obj=locked, patient_ids=[locked.patient_id], reason=f"authorization override: {reason}", now=now
        )
        authorization_task_follow(locked, now=now)
    log.info("authorization overridden", extra={"event": "authorization.overridden", "appointment_id": locked.pk})
    return locked
