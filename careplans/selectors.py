"""Care-plan reads scoped by the user asking. Views, API, admin and other apps use these, never an
unscoped CarePlan/Task query. Each function loads a fixed number of queries whatever the data size.

Access is the one policy's (core.access): clinical content (plans, scores, procedures, clinical
tasks) is for providers and coordinators, for the patients a grant ties them to (care team,
recent or coming visits, coordinator work, open urgent tasks). The front desk sees only its own
task queue (inbound SMS, patients' requests), never clinical content.
"""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import Count, IntegerField, OuterRef, Prefetch, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from careplans.models import (
    OPEN_TASK_STATUSES,
    Activity,
    CarePlan,
    CareTeamMember,
    ChecklistItem,
    Goal,
    Problem,
    ProcedureRecord,
    QuestionnaireRequest,
    QuestionnaireResponse,
    RoleQueue,
    Task,
    TeamNote,
)
from careplans.policy import queues_for_user
from clinic.models import Patient
from core import access, audit
from core.access import Action, Kind
from core.errors import NotFound, PermissionDenied
from core.roles import AUTHORIZATION_COORDINATOR, CLINIC_ADMIN, FRONT_DESK, user_roles
from messaging.models import Message
from scheduling.models import TIME_HOLDING, Appointment, AppointmentStatus

# Appointments still to come whose pre-procedure checklist is worked on.
UPCOMING = [AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED, AppointmentStatus.CHECKED_IN]


def require_clinical(user) -> None:
    if not access.may_ever(user, Kind.CLINICAL):
        raise PermissionDenied("Clinical information is for clinicians and care coordinators.")


# --- care plans -------------------------------------------------------------------------------


def activities_with_progress(queryset: QuerySet[Activity] | None = None) -> QuerySet[Activity]:
    """Progress in SQL: `done` counts completed appointments (or, for questionnaire activities,
    responses to that instrument since the plan started) against `planned_count`."""
    queryset = queryset if queryset is not None else Activity.objects.all()
    answered = (
        QuestionnaireResponse.objects.filter(
            patient_id=OuterRef("care_plan__patient_id"),
            questionnaire=OuterRef("questionnaire"),
            answered_at__date__gte=OuterRef("care_plan__period_start"),
        )
        .order_by()
        .values("patient_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    visits = (
        Activity.appointments.through.objects.filter(activity_id=OuterRef("pk"), appointment__status=AppointmentStatus.COMPLETED)
        .order_by()
        .values("activity_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    booked = (
        Activity.appointments.through.objects.filter(activity_id=OuterRef("pk"), appointment__status__in=TIME_HOLDING)
        .order_by()
        .values("activity_id")
        .annotate(n=Count("id"))
        .values("n")
    )
    return queryset.select_related("discipline", "visit_type").annotate(
        done=Coalesce(Subquery(visits, output_field=IntegerField()), Value(0))
        + Coalesce(Subquery(answered, output_field=IntegerField()), Value(0)),
        upcoming=Coalesce(Subquery(booked, output_field=IntegerField()), Value(0)),
    )


def careplan_queryset_for_user(*, user) -> QuerySet[CarePlan]:
    require_clinical(user)
    return access.scope(CarePlan.objects.all(), user)


def careplans_for_user(*, user, patient_id: int | None = None) -> QuerySet[CarePlan]:
    """Care plans with problems, goals, team and activities (with progress) prefetched: five
    queries whatever the number of plans."""
    qs = careplan_queryset_for_user(user=user).select_related("patient")
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    return qs.order_by("-period_start", "-id").prefetch_related(
        Prefetch("problems", queryset=Problem.objects.order_by("id")),
        Prefetch("goals", queryset=Goal.objects.order_by("id")),
        Prefetch("team", queryset=CareTeamMember.objects.select_related("provider__discipline", "user").order_by("role", "id")),
        Prefetch("activities", queryset=activities_with_progress().order_by("id")),
        Prefetch("notes", queryset=TeamNote.objects.select_related("author").order_by("-at", "-id")),
    )


PATIENT_SEARCH_ROWS = 25


def patient_search_for_user(*, user, text: str, limit: int = PATIENT_SEARCH_ROWS) -> list[Patient]:
    """The workspace's patient search: patients whose clinical record the user may open (the
    access policy's scope, so an off-team clinician finds no one else's patient), matching every
    word of `text` in a name part or the MRN, in name order. 403 for roles without clinical access
    (the front desk searches in find-and-book). Every patient listed is a look (audited)."""
    require_clinical(user)
    words = text.split()[:5]
    if not words:
        return []
    qs = access.patients(user, Kind.CLINICAL)
    for word in words:
        qs = qs.filter(Q(first_name__icontains=word) | Q(last_name__icontains=word) | Q(mrn__iexact=word))
    rows = list(qs.order_by("last_name", "first_name", "id")[:limit])
    access.record_alert_looks(user, patient_ids=[p.pk for p in rows], kind=Kind.CLINICAL)
    audit.looked_at([p.pk for p in rows], user=user)
    return rows


def goal_get_for_user(*, user, pk: int) -> Goal:
    """A goal of a care plan the user may see (404 otherwise, as for a goal that does not exist)."""
    try:
        goal = Goal.objects.select_related("care_plan").get(pk=pk)
    except (Goal.DoesNotExist, ValueError, TypeError):
        require_clinical(user)
        raise NotFound("No such goal, or not one of yours.") from None
    goal.care_plan = careplan_get_for_user(user=user, pk=goal.care_plan_id)
    return goal


def careplan_get_for_user(*, user, pk: int) -> CarePlan:
    try:
        plan = careplans_for_user(user=user).get(pk=pk)
    except (CarePlan.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such care plan, or not one of yours.") from None
    access.record_alert_looks(user, patient_ids=[plan.patient_id], kind=Kind.CLINICAL, obj=plan)
    audit.looked_at([plan.patient_id], user=user, obj=plan)
    return plan


def clinical_patient_get_for_user(*, user, pk) -> Patient:
    """A patient whose clinical record the user may open: 403 for the front desk, 404 for a
    patient outside the user's care teams."""
    try:
        patient = Patient.objects.get(pk=pk)
    except (Patient.DoesNotExist, ValueError, TypeError):
        require_clinical(user)
        raise NotFound("No such patient, or not one of yours.") from None
    access.require(user, Action.VIEW, patient=patient, kind=Kind.CLINICAL, record_object=patient)
    return patient


def procedure_appointment_get_for_user(*, user, pk, action: Action = Action.VIEW) -> Appointment:
    """An appointment whose procedure record the user may read (VIEW) or write (CHANGE): 403 for
    a role that never sees clinical content (front desk, clinic admin), 404 for an appointment
    of a patient outside the user's grants (or none at all)."""
    appointment = Appointment.objects.select_related("patient", "visit_type", "provider", "location").filter(pk=pk).first()
    if appointment is None:
        require_clinical(user)
        raise NotFound("No such appointment, or not one of yours.")
    access.require(user, action, patient=appointment.patient, kind=Kind.CLINICAL, record_object=appointment)
    return appointment


def procedure_records_for_appointment(*, appointment: Appointment) -> list[ProcedureRecord]:
    """Every version, newest first (the caller has checked access to the appointment)."""
    return list(ProcedureRecord.objects.filter(appointment=appointment).select_related("recorded_by").order_by("-version"))


# --- tasks ------------------------------------------------------------------------------------


def task_queryset_for_user(*, user) -> QuerySet[Task]:
    """Tasks of the patients the user may see clinically (a queue shows nothing else), plus
    the user's queues' tasks about no known patient. The front desk sees its own queue only."""
    if not access.is_active_user(user):
        return Task.objects.none()
    if not access.may_ever(user, Kind.CLINICAL):
        # Front desk: its own queue (inbound SMS and booking requests), nothing clinical. Clinic
        # admin: its own queue's reviews (break-glass), which name no patient's clinical data.
        roles = user_roles(user)
        queues = [
            queue
            for role, queue in (
                (FRONT_DESK, RoleQueue.FRONT_DESK),
                (CLINIC_ADMIN, RoleQueue.CLINIC_ADMIN),
                (AUTHORIZATION_COORDINATOR, RoleQueue.AUTHORIZATION),
            )
            if role in roles
        ]
        if not queues:
            return Task.objects.none()
        return Task.objects.filter(assignee_role__in=queues).exclude(assignee_role=RoleQueue.CLINIC_ADMIN, patient__isnull=False)
    if user.is_superuser:
        return Task.objects.all()
    allowed = access.patients(user, Kind.CLINICAL).values("pk")
    return Task.objects.filter(Q(patient__in=allowed) | Q(patient__isnull=True, assignee_role__in=queues_for_user(user)))


def tasks_for_user(
    *,
    user,
    patient_id: int | None = None,
    assignee_id: int | None = None,
    status: str | None = None,
    scope: str = "",
    priority: str = "",
) -> QuerySet[Task]:
    """Filtered worklist. `scope`: "mine" (assigned to me or my queues), "" (all I may see).
    `status`: a status, "open", or empty for all."""
    qs = task_queryset_for_user(user=user).select_related("patient", "assignee_provider", "appointment__visit_type")
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if assignee_id is not None:
        qs = qs.filter(assignee_provider_id=assignee_id)
    if status == "open":
        qs = qs.filter(status__in=OPEN_TASK_STATUSES)
    elif status:
        qs = qs.filter(status=status)
    if priority:
        qs = qs.filter(priority=priority)
    if scope == "mine":
        provider = access.provider_of(user)
        mine = Q(assignee_role__in=queues_for_user(user))
        if provider is not None:
            mine |= Q(assignee_provider=provider)
        qs = qs.filter(mine)
    return qs


def task_get_for_user(*, user, pk) -> Task:
    try:
        task = task_queryset_for_user(user=user).select_related("patient").get(pk=pk)
    except (Task.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such task, or not one you can see.") from None
    access.record_alert_looks(user, patient_ids=[task.patient_id], kind=Kind.CLINICAL, obj=task)
    audit.looked_at([task.patient_id], user=user, obj=task)
    return task


# --- checklists, scores -----------------------------------------------------------------------


def checklist_state_for_appointments(*, appointment_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Pre-procedure checklist progress per appointment: {appointment_id: (done, total)}, in one
    query. Appointments without a checklist are absent. Not-applicable items count as done.
    Used by the day sheet and My day."""
    if not appointment_ids:
        return {}
    rows = (
        ChecklistItem.objects.filter(appointment_id__in=list(appointment_ids))
        .order_by()
        .values("appointment_id")
        .annotate(total=Count("id"), done=Count("id", filter=~Q(status=ChecklistItem.Status.PENDING)))
    )
    return {row["appointment_id"]: (row["done"], row["total"]) for row in rows}


def latest_scores_for_patients(*, patient_ids) -> dict[int, dict[str, QuestionnaireResponse]]:
    """The latest response per patient and instrument, in one query (DISTINCT ON)."""
    rows = (
        QuestionnaireResponse.objects.filter(patient_id__in=list(patient_ids))
        .order_by("patient_id", "questionnaire", "-answered_at", "-id")
        .distinct("patient_id", "questionnaire")
        .only("id", "patient_id", "questionnaire", "score", "severity", "answered_at")
    )
    result: dict[int, dict[str, QuestionnaireResponse]] = {}
    for row in rows:
        result.setdefault(row.patient_id, {})[row.questionnaire] = row
    return result


def my_day(*, user, day: date, zone, location_id: int | None = None) -> list[Appointment]:
    """The provider's appointments on `day` in `zone` (coordinators: the procedures of patients
    they may see), at one location if `location_id` is given,
    each with .checklist (done, total) and .scores {instrument: response}: three queries."""
    require_clinical(user)
    start = datetime.combine(day, datetime.min.time(), tzinfo=zone)
    end = datetime.combine(day, datetime.max.time(), tzinfo=zone)
    qs = Appointment.objects.filter(start__gte=start, start__lte=end).exclude(
        status__in=[AppointmentStatus.CANCELLED, AppointmentStatus.HELD]
    )
    if location_id is not None:
        qs = qs.filter(location_id=location_id)
    provider = access.provider_of(user)
    if provider is not None:
        qs = qs.filter(provider=provider)
    else:
        qs = qs.filter(visit_type__is_procedure=True)
    qs = qs.filter(patient__in=access.patients(user, Kind.CLINICAL).values("pk"))
    appointments = list(qs.select_related("patient", "visit_type", "location", "room", "provider").order_by("start", "id"))
    checklists = checklist_state_for_appointments(appointment_ids=[a.pk for a in appointments])
    scores = latest_scores_for_patients(patient_ids={a.patient_id for a in appointments})
    for appointment in appointments:
        appointment.checklist = checklists.get(appointment.pk)
        appointment.scores = scores.get(appointment.patient_id, {})
    return appointments


# --- patient page -----------------------------------------------------------------------------


def patient_record_for_user(*, user, patient_id, now: datetime, limit: int = 200) -> dict:
    """Everything the patient page shows, in a fixed number of queries: plans (with nested
    parts), appointments, procedure records, tasks, messages, questionnaire responses, upcoming
    checklists. Timeline lists are capped at `limit` rows each (newest first)."""
    patient = clinical_patient_get_for_user(user=user, pk=patient_id)
    plans = list(careplans_for_user(user=user, patient_id=patient.pk))
    appointments = list(
        Appointment.objects.filter(patient=patient).select_related("visit_type", "provider", "location").order_by("-start", "-id")[:limit]
    )
    # The latest version of each appointment's record (DISTINCT ON), as the record stands now.
    latest_records = ProcedureRecord.objects.filter(appointment__patient=patient).order_by("appointment_id", "-version")
    procedures = {r.appointment_id: r for r in latest_records.distinct("appointment_id")[:limit]}
    tasks = list(Task.objects.filter(patient=patient).select_related("assignee_provider").order_by("-created_at", "-id")[:limit])
    responses = list(
        QuestionnaireResponse.objects.filter(patient=patient)
        .select_related("entered_by__provider")
        .order_by("answered_at", "id")[: limit * 5]
    )
    open_requests = list(
        QuestionnaireRequest.objects.filter(patient=patient, answered_at__isnull=True, withdrawn_at__isnull=True, expires_at__gt=now)
        .filter(due_at__lte=now)
        .order_by("due_at", "id")[:limit]
    )
    checklist = list(
        ChecklistItem.objects.filter(appointment__patient=patient, appointment__start__gte=now, appointment__status__in=UPCOMING)
        .select_related("appointment__visit_type")
        .order_by("appointment__start", "id")
    )
    patient_messages = _messages_for(patient, limit)
    return {
        "patient": patient,
        "plans": plans,
        "appointments": appointments,
        "procedures": procedures,
        "tasks": tasks,
        "responses": responses,
        "open_requests": open_requests,
        "checklist": checklist,
        "patient_messages": patient_messages,
    }


def _messages_for(patient: Patient, limit: int) -> list:
    # Only what the timeline shows: purpose, channel, status, time (never the body).
    return list(
        Message.objects.filter(patient=patient)
        .only("id", "purpose", "channel", "status", "created_at")
        .order_by("-created_at", "-id")[:limit]
    )
