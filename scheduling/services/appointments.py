"""Booking and the appointment state machine.

held → booked → confirmed → checked-in → in-progress → completed; cancelled and no-show from
the time-holding states. One function per transition; each locks the row (SELECT … FOR UPDATE),
checks the move is legal, runs the guards other apps registered, records who/when/why in
AppointmentEvent, and announces what happened (scheduling.events). Messaging plans the outbox in
the same transaction, care plans assemble follow-up after commit and the waitlist offers freed
time after commit; all of them subscribe, none is imported here.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, OperationalError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from clinic.models import Patient, Provider, Room, RoomKind
from core import access
from core.access import Kind
from core.errors import IllegalTransition, SlotTaken, ValidationFailed
from core.inputs import text_clean
from scheduling.availability import window_covering
from scheduling.events import AppointmentHappened, GuardPoint, announce, registry
from scheduling.inputs import date_check, laterality_clean, region_clean
from scheduling.models import (
    TIME_HOLDING,
    WAITLIST_OPEN,
    Appointment,
    AppointmentEvent,
    AppointmentStatus,
    AuthorizationStatus,
    ProcedureFamily,
    VisitType,
    WaitlistEntry,
)
from scheduling.rules import frequency_violations
from scheduling.services.locations import DEADLOCK_DETECTED, provider_booking_lock, travel_buffer_check, visit_type_location_check
from scheduling.services.payer_overrides import override_audit, override_detail, override_reason_clean, payer_rules_enforce

log = logging.getLogger(__name__)
S = AppointmentStatus

LEGAL_TRANSITIONS: dict[str, set[str]] = {
    S.HELD: {S.BOOKED, S.CANCELLED},
    S.BOOKED: {S.CONFIRMED, S.CHECKED_IN, S.CANCELLED, S.NO_SHOW},
    S.CONFIRMED: {S.CHECKED_IN, S.CANCELLED, S.NO_SHOW},
    S.CHECKED_IN: {S.IN_PROGRESS, S.CANCELLED},
    S.IN_PROGRESS: {S.COMPLETED},
    S.COMPLETED: set(),
    S.CANCELLED: set(),
    S.NO_SHOW: set(),
}

# Statuses an appointment can be moved from (once checked in, the visit has begun).
RESCHEDULABLE = frozenset({S.HELD, S.BOOKED, S.CONFIRMED})

SPINAL_FAMILIES = {ProcedureFamily.ESI, ProcedureFamily.FACET, ProcedureFamily.MBB, ProcedureFamily.RFA, ProcedureFamily.EBP}


_CONSTRAINT_MESSAGES = {
    "appointment_no_provider_overlap": ("provider", "The provider already has an appointment at that time."),
    "appointment_no_room_overlap": ("room", "The room is taken at that time (including set-up and turnover)."),
    "appointment_no_patient_overlap": ("patient", "The patient already has an appointment at that time."),
}


def _slot_taken_from(error: IntegrityError) -> SlotTaken | None:
    constraint = getattr(getattr(error.__cause__, "diag", None), "constraint_name", None)
    if constraint in _CONSTRAINT_MESSAGES:
        what, message = _CONSTRAINT_MESSAGES[constraint]
        return SlotTaken(message, taken=what)
    return None


def _video_url() -> str:
    # A random room name: nothing about the patient or the visit is in the URL.
    return f"{settings.VIDEO_BASE_URL.rstrip('/')}/{secrets.token_urlsafe(12)}"


def _pick_room(*, visit_type: VisitType, location_id: int, room_start: datetime, room_end: datetime) -> Room | None:
    """A free active room of the right kind with the equipment, at the location; lowest id first
    so choices are deterministic."""
    busy = Appointment.objects.filter(room=OuterRef("pk"), status__in=TIME_HOLDING, room_start__lt=room_end, room_end__gt=room_start)
    # Equipment the visit needs that the room lacks: none, or the room does not suit (one query
    # with the rest, rather than one to read the visit type's list first).
    room_kit = Room.equipment.through.objects.filter(room_id=OuterRef(OuterRef("pk"))).values("equipment_id")
    lacking = VisitType.required_equipment.through.objects.filter(visittype_id=visit_type.pk).exclude(equipment_id__in=room_kit)
    candidates = Room.objects.filter(location_id=location_id, kind=visit_type.room_kind, active=True).exclude(Exists(busy))
    candidates = candidates.exclude(Exists(lacking))
    candidates = candidates.select_related("location")  # the booking's location, for whoever reacts to it
    return candidates.order_by("id").first()


_EVENT_FOR_STATUS = {
    S.BOOKED: AppointmentHappened.BOOKED,
    S.CONFIRMED: AppointmentHappened.CONFIRMED,
    S.CHECKED_IN: AppointmentHappened.CHECKED_IN,
    S.IN_PROGRESS: AppointmentHappened.STARTED,
    S.COMPLETED: AppointmentHappened.COMPLETED,
    S.CANCELLED: AppointmentHappened.CANCELLED,
    S.NO_SHOW: AppointmentHappened.NO_SHOW,
}


def _record(
    appointment: Appointment, *, from_status: str, to_status: str, by, reason: str, now: datetime, detail: dict | None = None
) -> None:
    AppointmentEvent.objects.create(
        appointment=appointment, from_status=from_status, to_status=to_status, at=now, by=by, reason=reason[:500], detail=detail or {}
    )


def appointment_release_expired_holds(*, now: datetime | None = None) -> int:
    """Holds past their expiry stop holding time, each with its audit event. Rows another
    transaction is working on are skipped (SKIP LOCKED); safe to run any time, from anywhere.
    The waitlist entries of released holds are moved on by scheduling.waitlist."""
    now = now or timezone.now()
    if not Appointment.objects.filter(status=S.HELD, hold_expires_at__lte=now).exists():
        return 0  # the common case (every booking calls this): one query, no savepoint
    with transaction.atomic():
        expired = list(
            Appointment.objects.select_for_update(skip_locked=True)
            .filter(status=S.HELD, hold_expires_at__lte=now)
            .values_list("pk", flat=True)
        )
        if not expired:
            return 0
        Appointment.objects.filter(pk__in=expired).update(
            status=S.CANCELLED, cancelled_at=now, cancel_reason="hold expired", updated_at=now
        )
        AppointmentEvent.objects.bulk_create(
            [
                AppointmentEvent(appointment_id=pk, from_status=S.HELD, to_status=S.CANCELLED, at=now, reason="hold expired")
                for pk in expired
            ]
        )
        announce(AppointmentHappened.RELEASED, appointment_ids=expired, now=now)
    return len(expired)


def appointment_book(
    *,
    patient: Patient,
    provider: Provider,
    visit_type: VisitType,
    start: datetime,
    booked_by=None,
    room: Room | None = None,
    region: str = "",
    laterality: str = "",
    override_reason: str = "",
    hold_minutes: int | None = None,
    series=None,
    bundle=None,
    notes: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Book (or, with hold_minutes, hold) one appointment.

    Checks, in order, with a message for each: input sanity (scheduling.inputs: region and
    laterality case-normalised, text without NUL, dates within range), provider working hours,
    the visit type offered at that location, the provider's travel time from and to visits at
    other locations (under a per-provider lock: services.locations), room, payer frequency rules (overridable by a provider or clinic admin with a reason of at least
    ten non-blank characters; services.payer_overrides). The database's
    exclusion constraints are the last word on overlaps: a concurrent booking that wins the
    race makes this one raise SlotTaken, never a double booking.

    Staff (`booked_by`) book only for patients whose scheduling they may change. A clinician who
    sees the patient only through an open urgent task may look, not book: a visit with them
    would turn that passing access into a lasting one.
    """
    now = now or timezone.now()
    access.require_change(booked_by, patient=patient.pk, kind=Kind.SCHEDULING, now=now)
    if start.tzinfo is None:
        raise ValidationFailed(
            "Start time must include a time zone offset.", field_errors={"start": ["Include a UTC offset, e.g. 2026-03-02T09:00:00-05:00."]}
        )
    date_check("start", start, today=now.date())
    region = region_clean(region)
    laterality = laterality_clean(laterality)
    override_reason = override_reason_clean(override_reason)
    notes = text_clean("notes", notes, max_length=500)
    if start <= now:
        raise ValidationFailed("That time has already passed.", field_errors={"start": ["Choose a time in the future."]})
    if start < now + timedelta(minutes=visit_type.min_notice_minutes):
        # The same minimum notice find_slots applies, so a slot it offers is one we accept.
        raise ValidationFailed(
            f"This visit needs at least {visit_type.min_notice_minutes} minutes' notice.",
            field_errors={"start": ["Choose a later time."]},
        )
    if not visit_type.active:
        raise ValidationFailed("This visit type is no longer offered.", field_errors={"visit_type": ["Inactive visit type."]})
    if not provider.active:
        raise ValidationFailed("This provider is not taking appointments.", field_errors={"provider": ["Inactive provider."]})
    if provider.discipline_id != visit_type.discipline_id:
        raise ValidationFailed(
            "This provider's discipline does not offer that visit type.",
            field_errors={"provider": ["Choose a provider of the visit type's discipline."]},
        )
    if visit_type.procedure_family in SPINAL_FAMILIES and not region:
        raise ValidationFailed(
            "Spinal procedures need a region.", field_errors={"region": ["Choose cervical, thoracic, lumbar or sacral."]}
        )

    end = start + timedelta(minutes=visit_type.duration_minutes)
    room_start = start - timedelta(minutes=visit_type.buffer_before_minutes)
    room_end = end + timedelta(minutes=visit_type.buffer_after_minutes)
    window = window_covering(provider_id=provider.id, visit_type_id=visit_type.id, start=start, end=end)
    if window is None:
        raise SlotTaken("The provider is not scheduled for this visit type at that time.", taken="provider")
    visit_type_location_check(visit_type=visit_type, location_id=window.location_id)

    with transaction.atomic():
        appointment_release_expired_holds(now=now)
        # Before any check that reads the provider's other visits (travel time is invisible to
        # the exclusion constraints): held until this transaction ends.
        provider_booking_lock(provider_id=provider.id)
        travel_buffer_check(provider=provider, location_id=window.location_id, start=start, end=end)
        if room is None:
            room = _pick_room(visit_type=visit_type, location_id=window.location_id, room_start=room_start, room_end=room_end)
            if room is None:
                raise SlotTaken("No suitable room is free at that time.", taken="room")
        elif (
            not room.active
            or room.kind != visit_type.room_kind
            or room.location_id != window.location_id
            or set(visit_type.required_equipment.values_list("id", flat=True)) - set(room.equipment.values_list("id", flat=True))
        ):
            raise ValidationFailed(
                "That room does not suit this visit.",
                field_errors={
                    "room": [
                        f"Needs an active {RoomKind(visit_type.room_kind).label} with the visit's equipment at the provider's location."
                    ]
                },
            )

        violations = frequency_violations(
            patient=patient, visit_type=visit_type, region=region, start=start, location_id=window.location_id
        )
        payer_rules_enforce(violations=violations, override_reason=override_reason, by=booked_by)
        overridden_by = booked_by if violations else None

        appointment = Appointment(
            patient=patient,
            provider=provider,
            visit_type=visit_type,
            location_id=window.location_id,
            room=room,
            start=start,
            end=end,
            room_start=room_start,
            room_end=room_end,
            status=S.HELD if hold_minutes else S.BOOKED,
            hold_expires_at=now + timedelta(minutes=hold_minutes) if hold_minutes else None,
            region=region,
            laterality=laterality,
            video_url=_video_url() if visit_type.telehealth else "",
            series=series,
            bundle=bundle,
            notes=notes,
            booked_by=booked_by,
            override_reason=override_reason if violations else "",
            overridden_by=overridden_by,
        )
        if Room.location.is_cached(room):
            appointment.location = room.location  # the same row (checked above): no query when the outbox renders it
        registry.check_guards(GuardPoint.BOOK, appointment=appointment, by=booked_by, now=now)
        try:
            with transaction.atomic():
                appointment.save()
        except IntegrityError as error:
            taken = _slot_taken_from(error)
            if taken is None:
                raise
            raise taken from None
        except OperationalError as error:
            # Two bookings racing for the same time can each wait on the other's row while
            # PostgreSQL checks the exclusion constraints (provider, room, patient); it breaks the
            # cycle by failing one of them. The other holds the time: this one lost the race.
            if getattr(error.__cause__, "sqlstate", None) != DEADLOCK_DETECTED:
                raise
            raise SlotTaken("Someone else booked that time just now.", taken="provider") from None
        if violations:
            _record(
                appointment,
                from_status="",
                to_status=appointment.status,
                by=booked_by,
                reason=f"override: {override_reason}",
                now=now,
                detail=override_detail(violations),
            )
            override_audit(appointment=appointment, violations=violations, reason=override_reason, by=booked_by, now=now)
        else:
            _record(appointment, from_status="", to_status=appointment.status, by=booked_by, reason="", now=now)
        announce(
            AppointmentHappened.BOOKED if appointment.status == S.BOOKED else AppointmentHappened.HELD, appointment=appointment, now=now
        )
    log.info("appointment booked", extra={"event": "appointment.booked", "appointment_id": appointment.id})
    return appointment


def _transition(appointment_id: int, *, to: str, by=None, reason: str = "", now: datetime | None = None, **fields) -> Appointment:
    now = now or timezone.now()
    with transaction.atomic():
        appointment = (
            # Locks what it locked before the location was joined: the location row stays unlocked.
            Appointment.objects.select_for_update(of=("self", "visit_type", "patient", "provider"))
            .select_related("visit_type", "patient", "provider", "location")
            .get(pk=appointment_id)
        )
        current = appointment.status
        if to not in LEGAL_TRANSITIONS[current]:
            raise IllegalTransition(
                f"An appointment that is {S(current).label.lower()} cannot become {S(to).label.lower()}.", status=current
            )
        registry.check_guards(to, appointment=appointment, by=by, now=now)
        appointment.status = to
        for name, value in fields.items():
            setattr(appointment, name, value)
        appointment.save(update_fields=["status", "updated_at", *fields])
        _record(appointment, from_status=current, to_status=to, by=by, reason=reason, now=now)
        announce(_EVENT_FOR_STATUS[to], appointment=appointment, now=now)
    return appointment


def appointment_confirm(*, appointment: Appointment, by=None, now: datetime | None = None, via: str = "staff") -> Appointment:
    """Booked → confirmed. A held slot becomes booked only when its waitlist offer is claimed
    (scheduling.waitlist.waitlist_claim checks the offer and marks the entry booked)."""
    now = now or timezone.now()
    if appointment.status == S.HELD:
        if via != "waitlist":
            raise IllegalTransition("This slot is held for a waitlist offer; claim the offer from the waitlist.", status=S.HELD)
        if appointment.hold_expires_at and appointment.hold_expires_at <= now:
            raise IllegalTransition("The hold on this slot has expired.", status=S.HELD)
        return _transition(appointment.pk, to=S.BOOKED, by=by, reason=f"hold claimed via {via}", now=now, hold_expires_at=None)
    return _transition(appointment.pk, to=S.CONFIRMED, by=by, reason=f"confirmed via {via}", now=now, confirmed_at=now)


def appointment_hold_book(*, appointment: Appointment, by=None, now: datetime | None = None) -> Appointment:
    """Held → booked for a hold a scheduling client placed (FHIR $hold, then $book) before it
    expires. A hold that is a waitlist offer is the waitlist's: it is claimed from there
    (waitlist_claim), never booked past the offer."""
    now = now or timezone.now()
    access.require_change(by, patient=appointment.patient_id, kind=Kind.SCHEDULING, now=now)
    if appointment.status != S.HELD:
        raise IllegalTransition("Only a held appointment can be booked from its hold.", status=appointment.status)
    if WaitlistEntry.objects.filter(offered_appointment=appointment, status__in=WAITLIST_OPEN).exists():
        raise IllegalTransition("This slot is held for a waitlist offer; claim the offer from the waitlist.", status=S.HELD)
    if appointment.hold_expires_at and appointment.hold_expires_at <= now:
        raise IllegalTransition("The hold on this slot has expired.", status=S.HELD)
    return _transition(appointment.pk, to=S.BOOKED, by=by, reason="hold booked", now=now, hold_expires_at=None)


CHECK_IN_FROM = frozenset({S.BOOKED, S.CONFIRMED})


def check_in_opens_at(first_start: datetime) -> datetime:
    """The earliest moment a visit (or a bundle whose first visit starts at `first_start`) may be
    checked in: CHECK_IN_EARLIEST_MINUTES before it starts."""
    return first_start - timedelta(minutes=settings.CHECK_IN_EARLIEST_MINUTES)


def _check_in_window_check(*, first: Appointment, now: datetime) -> None:
    opens = check_in_opens_at(first.start)
    if now < opens:
        zone = first.location.zone
        raise IllegalTransition(
            f"Too early to check in: check-in opens at {opens.astimezone(zone):%a %d %b %H:%M}, "
            f"{settings.CHECK_IN_EARLIEST_MINUTES} minutes before the {first.start.astimezone(zone):%H:%M} start.",
            status=first.status,
            opens_at=opens.isoformat(),
        )


def appointment_check_in(*, appointment: Appointment, by=None, now: datetime | None = None) -> Appointment:
    """Booked/confirmed → checked in, no earlier than CHECK_IN_EARLIEST_MINUTES before the start
    (the rule lives here so the admin, the API and anything else obey it alike).

    A same-day bundle checks in as one: checking in any of its visits checks in every visit of the
    bundle still waiting, and the window is measured from the bundle's first visit (the patient
    arrives once, for the first one). All of the bundle's rows are locked, in id order, first."""
    now = now or timezone.now()
    with transaction.atomic():
        locked = Appointment.objects.select_for_update().select_related("location").order_by("pk")
        if appointment.bundle_id is None:
            legs = list(locked.filter(pk=appointment.pk))
        else:
            legs = list(locked.filter(bundle_id=appointment.bundle_id).exclude(status__in=[S.CANCELLED, S.NO_SHOW]))
            if not any(leg.pk == appointment.pk for leg in legs):  # this visit itself cancelled: the state machine says so
                legs = list(locked.filter(pk=appointment.pk))
        if next(leg for leg in legs if leg.pk == appointment.pk).status in CHECK_IN_FROM:  # else _transition says why not
            _check_in_window_check(first=min(legs, key=lambda leg: leg.start), now=now)
        result = _transition(appointment.pk, to=S.CHECKED_IN, by=by, now=now, checked_in_at=now)
        for leg in sorted(legs, key=lambda leg: leg.start):
            if leg.pk != appointment.pk and leg.status in CHECK_IN_FROM:
                _transition(leg.pk, to=S.CHECKED_IN, by=by, reason="same-day bundle checked in", now=now, checked_in_at=now)
    return result


def appointment_clinical_check(*, appointment: Appointment, by, recording_outcome: bool = False, now: datetime | None = None) -> None:
    """Starting or completing a procedure visit, and recording an outcome (relief) of any visit,
    are clinical acts: they need clinical write access to the patient (403 for a role that never
    has it, such as the front desk; 404 for a clinician without a grant for this patient). The
    front desk still checks patients in and starts or completes non-procedure visits.
    `by=None` is the system itself (commands, tests of the state machine)."""
    if appointment.visit_type.is_procedure or recording_outcome:
        access.require_change(by, patient=appointment.patient_id, kind=Kind.CLINICAL, now=now)


def appointment_start(*, appointment: Appointment, by=None, now: datetime | None = None) -> Appointment:
    now = now or timezone.now()
    appointment_clinical_check(appointment=appointment, by=by, now=now)
    return _transition(appointment.pk, to=S.IN_PROGRESS, by=by, now=now, started_at=now)


def appointment_complete(
    *, appointment: Appointment, by=None, relief_percent: int | None = None, now: datetime | None = None
) -> Appointment:
    now = now or timezone.now()
    appointment_clinical_check(appointment=appointment, by=by, recording_outcome=relief_percent is not None, now=now)
    fields = {"completed_at": now}
    if relief_percent is not None:
        if not 0 <= relief_percent <= 100:
            raise ValidationFailed("Relief is a percentage.", field_errors={"relief_percent": ["Enter 0 to 100."]})
        fields["relief_percent"] = relief_percent
    return _transition(appointment.pk, to=S.COMPLETED, by=by, now=now, **fields)


def appointment_outcome_set(
    *,
    appointment: Appointment,
    relief_percent: int | None,
    relief_weeks: int | None = None,
    functional_improvement: bool | None = None,
    by=None,
    now: datetime | None = None,
) -> Appointment:
    """Set the appointment's effective outcome (what payer rules read), at completion or any time
    after it: a later value replaces an earlier one. Clinical (see appointment_clinical_check).
    The history of values is kept by whoever calls this (careplans' procedure records)."""
    appointment_clinical_check(appointment=appointment, by=by, recording_outcome=True, now=now)
    errors = {}
    if relief_percent is not None and not 0 <= relief_percent <= 100:
        errors["relief_percent"] = ["Enter 0 to 100."]
    if relief_weeks is not None and not 0 <= relief_weeks <= 520:
        errors["relief_weeks"] = ["Enter a number of weeks from 0 to 520."]
    if errors:
        raise ValidationFailed("The outcome is not valid.", field_errors=errors)
    appointment.relief_percent = relief_percent
    appointment.relief_weeks = relief_weeks
    appointment.functional_improvement = functional_improvement
    appointment.save(update_fields=["relief_percent", "relief_weeks", "functional_improvement", "updated_at"])
    return appointment


def appointment_cancel(*, appointment: Appointment, reason: str, by=None, now: datetime | None = None) -> Appointment:
    reason = text_clean("reason", reason, max_length=500)
    if not reason:
        raise ValidationFailed("Say why the appointment is cancelled.", field_errors={"reason": ["A reason is required."]})
    now = now or timezone.now()
    return _transition(
        appointment.pk, to=S.CANCELLED, by=by, reason=reason, now=now, cancelled_at=now, cancelled_by=by, cancel_reason=reason[:500]
    )


def appointment_no_show(*, appointment: Appointment, by=None, now: datetime | None = None) -> Appointment:
    now = now or timezone.now()
    if appointment.start > now:
        raise IllegalTransition("A patient can only be marked no-show once the appointment time has come.", status=appointment.status)
    return _transition(appointment.pk, to=S.NO_SHOW, by=by, now=now, no_show_at=now)


def appointment_authorization_set(*, appointment: Appointment, status: str, authorization_id: int | None = None) -> Appointment:
    """Record the payer authorization state of an appointment (the prior-authorization app calls
    this; it decides the state and holds whatever locks it needs). Writes only these two columns,
    so it cannot undo a concurrent status transition; the caller audits overrides."""
    if status not in AuthorizationStatus.values:
        raise ValidationFailed(
            "Unknown authorization status.", field_errors={"status": [f"Choose one of {', '.join(AuthorizationStatus.values)}."]}
        )
    Appointment.objects.filter(pk=appointment.pk).update(authorization_status=status, authorization_ref=authorization_id)
    appointment.authorization_status = status
    appointment.authorization_ref = authorization_id
    return appointment


def appointment_notes_set(*, appointment: Appointment, notes: str, by=None) -> Appointment:
    """Change the scheduling note only (no clinical content); writing just this column cannot
    undo a concurrent transition."""
    appointment.notes = text_clean("notes", notes, max_length=500)
    appointment.save(update_fields=["notes", "updated_at"])
    return appointment


def appointment_reschedule(
    *,
    appointment: Appointment,
    start: datetime,
    provider: Provider | None = None,
    by=None,
    reason: str = "rescheduled",
    override_reason: str = "",
    now: datetime | None = None,
) -> Appointment:
    """Move an appointment: the old one is cancelled and linked to the new one, atomically.
    If the new time cannot be booked nothing changes. Payer rules are checked afresh for the new
    date (an earlier override does not carry over); the freed time goes to the waitlist."""
    now = now or timezone.now()
    with transaction.atomic():
        old = Appointment.objects.select_for_update().select_related("patient", "visit_type", "provider").get(pk=appointment.pk)
        if old.status not in RESCHEDULABLE:
            raise IllegalTransition(f"An appointment that is {S(old.status).label.lower()} cannot be rescheduled.", status=old.status)
        old = _transition(old.pk, to=S.CANCELLED, by=by, reason=reason, now=now, cancelled_at=now, cancelled_by=by, cancel_reason=reason)
        new = appointment_book(
            patient=old.patient,
            provider=provider or old.provider,
            visit_type=old.visit_type,
            start=start,
            booked_by=by,
            region=old.region,
            laterality=old.laterality,
            override_reason=override_reason,
            series=old.series,
            bundle=old.bundle,
            notes=old.notes,
            now=now,
        )
        new.rescheduled_from = old
        new.save(update_fields=["rescheduled_from"])
        announce(AppointmentHappened.RESCHEDULED, old=old, appointment=new, now=now)
    return new
