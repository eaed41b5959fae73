"""Care plans: creation, status transitions, problems, goals, team, activities (and turning an
activity into bookings through the scheduling services), team notes."""

from __future__ import annotations

import re
from collections.abc import Collection
from datetime import date, datetime, time
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from careplans.models import Activity, CarePlan, CarePlanEvent, CareTeamMember, Goal, Measure, Problem, TeamNote
from careplans.scoring import QUESTIONNAIRE_CODES
from clinic.models import Patient, Provider
from core import access
from core.access import Kind
from core.errors import IllegalTransition, ValidationFailed
from core.inputs import text_clean
from scheduling.bundles import bundle_book
from scheduling.models import BookingTicket
from scheduling.series import series_book
from scheduling.tickets import ticket_create

S = CarePlan.Status
A = Activity.Status
Subject = CarePlanEvent.Subject

LEGAL_TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.ACTIVE, S.REVOKED},
    S.ACTIVE: {S.ON_HOLD, S.COMPLETED, S.REVOKED},
    S.ON_HOLD: {S.ACTIVE, S.COMPLETED, S.REVOKED},
    S.COMPLETED: set(),
    S.REVOKED: set(),
}

# Activity status (FHIR CarePlan.activity.detail.status): completed, cancelled and stopped are final.
ACTIVITY_TRANSITIONS: dict[str, set[str]] = {
    A.NOT_STARTED: {A.SCHEDULED, A.IN_PROGRESS, A.ON_HOLD, A.COMPLETED, A.CANCELLED, A.STOPPED},
    A.SCHEDULED: {A.NOT_STARTED, A.IN_PROGRESS, A.ON_HOLD, A.COMPLETED, A.CANCELLED, A.STOPPED},
    A.IN_PROGRESS: {A.SCHEDULED, A.ON_HOLD, A.COMPLETED, A.CANCELLED, A.STOPPED},
    A.ON_HOLD: {A.NOT_STARTED, A.SCHEDULED, A.IN_PROGRESS, A.COMPLETED, A.CANCELLED, A.STOPPED},
    A.COMPLETED: set(),
    A.CANCELLED: set(),
    A.STOPPED: set(),
}
ACTIVITY_FINAL = frozenset(status for status, onward in ACTIVITY_TRANSITIONS.items() if not onward)

# ICD-10-CM: letter (not U), digit, digit or A/B, optional dot and up to four more characters.
ICD10CM = re.compile(r"^[A-TV-Z][0-9][0-9AB](\.[0-9A-TV-Z]{1,4})?$")


@transaction.atomic
def careplan_create(
    *,
    patient: Patient,
    title: str,
    period_start: date | None = None,
    period_end: date | None = None,
    description: str = "",
    activate: bool = False,
    created_by=None,
    now: datetime | None = None,
) -> CarePlan:
    now = now or timezone.now()
    access.require_change(created_by, patient=patient.pk, kind=Kind.CLINICAL, now=now)
    title = text_clean("title", title, max_length=200)
    description = text_clean("description", description)
    if not title:
        raise ValidationFailed("A care plan needs a title.", field_errors={"title": ["A title is required."]})
    period_start = period_start or timezone.localdate(now)
    if period_end is not None and period_end < period_start:
        raise ValidationFailed("The plan ends before it starts.", field_errors={"period_end": ["Must be on or after the start."]})
    plan = CarePlan.objects.create(
        patient=patient,
        title=title,
        description=description,
        period_start=period_start,
        period_end=period_end,
        status=S.ACTIVE if activate else S.DRAFT,
        status_changed_at=now,
        status_changed_by=created_by,
        created_by=created_by,
    )
    _event(plan.pk, Subject.CARE_PLAN, plan.pk, from_status="", to_status=plan.status, by=created_by, now=now, reason="created")
    return plan


def _event(care_plan_id: int, subject: str, object_id: int, *, from_status: str, to_status: str, by, now: datetime, reason: str = ""):
    CarePlanEvent.objects.create(
        care_plan_id=care_plan_id,
        subject=subject,
        object_id=object_id,
        from_status=from_status,
        to_status=to_status,
        by=by if getattr(by, "is_authenticated", False) else None,
        at=now,
        reason=(reason or "")[:300],
    )


def _transition(plan: CarePlan, *, to: str, by=None, reason: str = "", now: datetime | None = None, **fields) -> CarePlan:
    now = now or timezone.now()
    access.require_change(by, patient=plan.patient_id, kind=Kind.CLINICAL, now=now)  # whichever interface calls
    with transaction.atomic():
        locked = CarePlan.objects.select_for_update().get(pk=plan.pk)
        current = locked.status
        if to not in LEGAL_TRANSITIONS[current]:
            raise IllegalTransition(f"A {S(current).label.lower()} care plan cannot become {S(to).label.lower()}.", status=current)
        locked.status = to
        locked.status_reason = reason[:300]
        locked.status_changed_at = now
        locked.status_changed_by = by
        for name, value in fields.items():
            setattr(locked, name, value)
        locked.save(update_fields=["status", "status_reason", "status_changed_at", "status_changed_by", "updated_at", *fields])
        _event(locked.pk, Subject.CARE_PLAN, locked.pk, from_status=current, to_status=to, by=by, now=now, reason=reason)
    return locked


def careplan_activate(*, care_plan: CarePlan, by=None, now: datetime | None = None) -> CarePlan:
    return _transition(care_plan, to=S.ACTIVE, by=by, now=now)


def careplan_hold(*, care_plan: CarePlan, reason: str, by=None, now: datetime | None = None) -> CarePlan:
    if care_plan.status == S.DRAFT:
        raise IllegalTransition("A draft care plan cannot be put on hold.", status=care_plan.status)
    return _transition(care_plan, to=S.ON_HOLD, by=by, reason=reason, now=now)


def careplan_resume(*, care_plan: CarePlan, by=None, now: datetime | None = None) -> CarePlan:
    if care_plan.status != S.ON_HOLD:
        raise IllegalTransition("Only a care plan on hold can be resumed.", status=care_plan.status)
    return _transition(care_plan, to=S.ACTIVE, by=by, now=now)


def careplan_complete(*, care_plan: CarePlan, by=None, now: datetime | None = None) -> CarePlan:
    now = now or timezone.now()
    end = care_plan.period_end or max(timezone.localdate(now), care_plan.period_start)
    return _transition(care_plan, to=S.COMPLETED, by=by, now=now, period_end=end)


def careplan_revoke(*, care_plan: CarePlan, reason: str, by=None, now: datetime | None = None) -> CarePlan:
    if not (reason or "").strip():
        raise ValidationFailed("Say why the plan is revoked.", field_errors={"reason": ["A reason is required."]})
    return _transition(care_plan, to=S.REVOKED, by=by, reason=reason, now=now)


def problem_add(*, care_plan: CarePlan, code: str, text: str, onset: date | None = None, by=None) -> Problem:
    access.require_change(by, patient=care_plan.patient_id, kind=Kind.CLINICAL)
    code = text_clean("code", code).upper()
    text = text_clean("text", text, max_length=200)
    if not ICD10CM.match(code):
        raise ValidationFailed("Not an ICD-10-CM code.", field_errors={"code": ["Use an ICD-10-CM code such as M54.16 or G96.00."]})
    problem, _ = Problem.objects.get_or_create(care_plan=care_plan, code=code, defaults={"text": text, "onset": onset})
    return problem


def goal_add(
    *,
    care_plan: CarePlan,
    description: str,
    measure: str = Measure.OTHER,
    target_comparator: str = "",
    target_value: Decimal | float | int | None = None,
    target_text: str = "",
    target_date: date | None = None,
    by=None,
) -> Goal:
    access.require_change(by, patient=care_plan.patient_id, kind=Kind.CLINICAL)
    description = text_clean("description", description, max_length=300)
    target_text = text_clean("target_text", target_text, max_length=100)
    errors: dict[str, list[str]] = {}
    if not description:
        errors["description"] = ["A description is required."]
    if measure not in Measure.values:
        errors["measure"] = [f"Choose one of {', '.join(Measure.values)}."]
    if target_value is not None and target_comparator not in Goal.Comparator.values:
        errors["target_comparator"] = ["Choose <= or >= for a numeric target."]
    if errors:
        raise ValidationFailed("The goal is not valid.", field_errors=errors)
    return Goal.objects.create(
        care_plan=care_plan,
        description=description,
        measure=measure,
        target_comparator=target_comparator if target_value is not None else "",
        target_value=Decimal(str(target_value)) if target_value is not None else None,
        target_text=target_text,
        target_date=target_date,
    )


def goal_set_achievement(*, goal: Goal, status: str, by=None, reason: str = "", now: datetime | None = None) -> Goal:
    """The one way a goal's achievement changes (any status may follow any other: a goal can be
    achieved and later worsen); each change is written as a CarePlanEvent."""
    now = now or timezone.now()
    access.require_change(by, patient=goal.care_plan.patient_id, kind=Kind.CLINICAL, now=now)
    if status not in Goal.Achievement.values:
        raise ValidationFailed("Unknown achievement status.", field_errors={"achievement_status": [", ".join(Goal.Achievement.values)]})
    with transaction.atomic():
        locked = Goal.objects.select_for_update().get(pk=goal.pk)
        current = locked.achievement_status
        if current == status:
            return locked
        locked.achievement_status = status
        locked.save(update_fields=["achievement_status"])
        _event(locked.care_plan_id, Subject.GOAL, locked.pk, from_status=current, to_status=status, by=by, now=now, reason=reason)
    goal.achievement_status = status
    return locked


def team_member_add(
    *, care_plan: CarePlan, role: str, provider: Provider | None = None, user=None, by=None, now: datetime | None = None
) -> CareTeamMember:
    """Put a provider (or a non-provider user, e.g. a coordinator) on a plan's care team. `by`
    is the acting user: they must already be allowed to change this patient's clinical record
    (joining a team is a grant, so nobody grants themselves a patient they could not see).
    `by=None` is the system (protocols, demo data)."""
    # CHANGE leaves out alert grants: an open urgent task lets its assignee look while it is
    # open, not make that access lasting by joining the team.
    access.require_change(by, patient=care_plan.patient_id, kind=Kind.CLINICAL, now=now)
    if role not in CareTeamMember.Role.values:
        raise ValidationFailed("Unknown team role.", field_errors={"role": [f"Choose one of {', '.join(CareTeamMember.Role.values)}."]})
    if provider is None and user is None:
        raise ValidationFailed("Choose who joins the team.", field_errors={"provider": ["Choose a provider or a user."]})
    if provider is not None:
        member, _ = CareTeamMember.objects.get_or_create(care_plan=care_plan, provider=provider, role=role)
    else:
        member, _ = CareTeamMember.objects.get_or_create(care_plan=care_plan, user=user, role=role, provider=None)
    return member


def team_member_remove(*, member: CareTeamMember) -> None:
    member.delete()


def team_note_add(*, care_plan: CarePlan, author, text: str, by=None, now: datetime | None = None) -> TeamNote:
    access.require_change(by, patient=care_plan.patient_id, kind=Kind.CLINICAL, now=now)
    text = text_clean("text", text)
    if not text:
        raise ValidationFailed("The note is empty.", field_errors={"text": ["Write the note."]})
    return TeamNote.objects.create(care_plan=care_plan, author=author, text=text, at=now or timezone.now())


# --- activities ------------------------------------------------------------------------------


def activity_add(
    *,
    care_plan: CarePlan,
    title: str,
    discipline,
    kind: str,
    visit_type=None,
    planned_count: int = 1,
    per_week: int | None = None,
    weeks: int | None = None,
    questionnaire: str = "",
    by=None,
) -> Activity:
    access.require_change(by, patient=care_plan.patient_id, kind=Kind.CLINICAL)
    title = text_clean("title", title, max_length=200)
    errors: dict[str, list[str]] = {}
    if kind not in Activity.Kind.values:
        errors["kind"] = [f"Choose one of {', '.join(Activity.Kind.values)}."]
    if per_week and weeks:
        planned_count = per_week * weeks
    if planned_count < 1:
        errors["planned_count"] = ["Plan at least one."]
    if visit_type is not None and visit_type.discipline_id != discipline.pk:
        errors["visit_type"] = ["The visit type belongs to another discipline."]
    if kind == Activity.Kind.QUESTIONNAIRE:
        if questionnaire not in QUESTIONNAIRE_CODES:
            errors["questionnaire"] = [f"Choose one of {', '.join(QUESTIONNAIRE_CODES)}."]
    if errors:
        raise ValidationFailed("The activity is not valid.", field_errors=errors)
    return Activity.objects.create(
        care_plan=care_plan,
        title=title or (visit_type.name if visit_type else Activity.Kind(kind).label),
        discipline=discipline,
        kind=kind,
        visit_type=visit_type,
        planned_count=planned_count,
        per_week=per_week,
        weeks=weeks,
        questionnaire=questionnaire,
    )


def activity_set_status(
    *,
    activity: Activity,
    status: str,
    by=None,
    reason: str = "",
    only_from: Collection[str] | None = None,
    now: datetime | None = None,
) -> Activity:
    """The one way an activity's status changes (staff, or progress from its appointments);
    locks the row, checks the move is legal and writes a CarePlanEvent. With `only_from`, a row
    found in another status (moved on meanwhile) is left as it is."""
    now = now or timezone.now()
    access.require_change(by, patient=activity.care_plan.patient_id, kind=Kind.CLINICAL, now=now)
    if status not in A.values:
        raise ValidationFailed("Unknown activity status.", field_errors={"status": [", ".join(A.values)]})
    with transaction.atomic():
        locked = Activity.objects.select_for_update().get(pk=activity.pk)
        current = locked.status
        if current == status or (only_from is not None and current not in only_from):
            return locked
        if status not in ACTIVITY_TRANSITIONS[current]:
            raise IllegalTransition(f"A {A(current).label.lower()} activity cannot become {A(status).label.lower()}.", status=current)
        locked.status = status
        locked.save(update_fields=["status"])
        _event(locked.care_plan_id, Subject.ACTIVITY, locked.pk, from_status=current, to_status=status, by=by, now=now, reason=reason)
    activity.status = status
    return locked


def activity_link_appointment(*, activity: Activity, appointment, now: datetime | None = None) -> None:
    """Count an appointment towards an activity (idempotent)."""
    activity.appointments.add(appointment)
    if activity.status == A.NOT_STARTED:
        activity_set_status(
            activity=activity, status=A.SCHEDULED, only_from={A.NOT_STARTED}, reason=f"appointment #{appointment.pk} booked", now=now
        )


def activity_record_progress(*, activity: Activity, done: int, now: datetime | None = None) -> Activity:
    """Progress from completed appointments: in progress, or completed once `done` reaches the
    planned count. A final status (completed, cancelled, stopped) stays."""
    if activity.status in ACTIVITY_FINAL:
        return activity
    status = A.COMPLETED if done >= activity.planned_count else A.IN_PROGRESS
    unfinished = set(A.values) - ACTIVITY_FINAL
    return activity_set_status(
        activity=activity, status=status, only_from=unfinished, reason=f"{done} of {activity.planned_count} done", now=now
    )


def _appointments_from(result) -> list:
    """series_book returns a SeriesResult (its `appointments` a list of what was placed);
    bundle_book returns an AppointmentBundle (its `appointments` a related manager)."""
    appointments = result.appointments
    return list(appointments.all()) if hasattr(appointments, "all") else list(appointments)


def activity_book_series(
    *,
    activity: Activity,
    start_date: date,
    booked_by,
    provider: Provider | None = None,
    preferred_weekdays: list[int] | None = None,
    preferred_time: time | None = None,
    now: datetime | None = None,
):
    """Book an activity's visit series (e.g. PT twice a week for 6 weeks) through the scheduling
    series service and link the placed appointments to the activity. Returns the series result:
    `appointments` placed, `unplaced` occurrences with their nearest alternatives (never dropped)."""
    if activity.visit_type_id is None or not (activity.per_week and activity.weeks):
        raise ValidationFailed(
            "Only a visit series with a visit type and frequency can be booked.",
            field_errors={"activity": ["Set the visit type, visits per week and weeks first."]},
        )
    with transaction.atomic():
        result = series_book(
            patient=activity.care_plan.patient,
            visit_type=activity.visit_type,
            per_week=activity.per_week,
            weeks=activity.weeks,
            start_date=start_date,
            provider=provider,
            preferred_weekdays=preferred_weekdays,
            preferred_time=preferred_time,
            booked_by=booked_by,
            now=now,
        )
        for appointment in _appointments_from(result):
            activity_link_appointment(activity=activity, appointment=appointment)
    return result


def activity_book_bundle(
    *, activities: list[Activity], date: date, booked_by, max_gap_minutes: int = 30, now: datetime | None = None
) -> list:
    """Book one visit of each activity on the same day through the scheduling bundle service and
    link each appointment to the activity of its visit type."""
    if not activities or any(a.visit_type_id is None for a in activities):
        raise ValidationFailed("Each activity in a bundle needs a visit type.", field_errors={"activities": ["Set the visit types first."]})
    patients = {a.care_plan.patient_id for a in activities}
    if len(patients) != 1:
        raise ValidationFailed("A bundle is for one patient.", field_errors={"activities": ["Choose activities of one care plan."]})
    with transaction.atomic():
        result = bundle_book(
            patient=activities[0].care_plan.patient,
            visit_types=[a.visit_type for a in activities],
            date=date,
            max_gap_minutes=max_gap_minutes,
            booked_by=booked_by,
            now=now,
        )
        appointments = _appointments_from(result)
        by_type = {a.visit_type_id: a for a in activities}
        for appointment in appointments:
            if (activity := by_type.get(appointment.visit_type_id)) is not None:
                activity_link_appointment(activity=activity, appointment=appointment)
    return appointments


def activity_ticket_open(*, activity: Activity, earliest: date, latest: date, by=None, now: datetime | None = None):
    """Open a booking ticket for an activity's visits (e.g. PT twice a week for six weeks) instead
    of booking them for the patient: a self-schedulable visit type sends the patient a link; the
    visits booked from it count towards the activity (follow-up assembly links bookings of the
    plan's visit types). Idempotent per activity while its ticket is open."""
    if activity.visit_type_id is None:
        raise ValidationFailed("The activity has no visit type.", field_errors={"activity": ["Set the visit type first."]})
    return ticket_create(
        patient=activity.care_plan.patient,
        visit_type=activity.visit_type,
        earliest=earliest,
        latest=latest,
        visits=activity.planned_count,
        per_week=activity.per_week or 1,
        source=BookingTicket.Source.PLAN,
        source_key=f"activity:{activity.pk}",
        source_label=activity.title,
        created_by=by,
        now=now,
    )
