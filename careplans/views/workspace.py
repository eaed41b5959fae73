"""Provider workspace: My day, My tasks, the patient page and its actions.
Thin: read through selectors, write through services, map domain errors once (`_domain`)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import F
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from careplans.charts import build_chart
from careplans.models import Activity, CarePlan, ChecklistItem, Complication, Goal, RoleQueue, Task
from careplans.scoring import ValidationFailed
from careplans.selectors import (
    careplan_get_for_user,
    clinical_patient_get_for_user,
    goal_get_for_user,
    my_day,
    patient_record_for_user,
    patient_search_for_user,
    procedure_appointment_get_for_user,
    procedure_records_for_appointment,
    queues_for_user,
    task_get_for_user,
    tasks_for_user,
)
from careplans.services import (
    activity_book_series,
    break_glass_live,
    careplan_activate,
    careplan_complete,
    careplan_hold,
    careplan_resume,
    careplan_revoke,
    checklist_item_mark,
    goal_set_achievement,
    procedure_record_add,
    task_accept,
    task_cancel,
    task_complete,
    task_reassign,
    task_start,
    team_note_add,
)
from careplans.services.break_glass import may_break_glass
from careplans.views.break_glass import refusal_page
from careplans.views.zones import workspace_zone
from clinic.medications import medications_current
from clinic.models import Location, Provider
from core import access, audit
from core.access import Action, Kind
from core.errors import DomainError, NotFound, PermissionDenied
from scheduling.models import AppointmentStatus, BookingTicket, VisitType
from scheduling.selectors import ticket_get_for_user, ticket_queryset_for_user
from scheduling.tickets import ticket_cancel, ticket_create, ticket_extend

TASK_PAGE_ROWS = 100


def _domain(view):
    """Domain errors become a page with the right status (GET) or a message and a redirect (POST)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except DomainError as error:
            if request.method == "POST":
                messages.error(request, error.message)
                return _back(request)
            return render(request, "workspace/error.html", {"error": error}, status=error.http_status)

    return wrapper


def _back(request, fallback: str = "") -> HttpResponseRedirect:
    target = request.POST.get("next") or request.GET.get("next") or fallback or reverse("workspace:tasks")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        target = reverse("workspace:tasks")
    return HttpResponseRedirect(target)


_zone = workspace_zone


@never_cache
@login_required
@_domain
def my_day_view(request):
    zone = _zone(request.user)
    try:
        day = date.fromisoformat(request.GET["date"]) if request.GET.get("date") else timezone.localdate(timezone.now(), zone)
    except ValueError:
        day = timezone.localdate(timezone.now(), zone)
    # A health system's provider may work at several locations in a day: ?location=<id> keeps
    # one of them (an unknown id shows every location, like a bad date shows today).
    locations = list(Location.objects.filter(active=True).order_by("name").values_list("pk", "name"))
    location_id = next((pk for pk, _ in locations if str(pk) == request.GET.get("location")), None)
    appointments = my_day(user=request.user, day=day, zone=zone, location_id=location_id)
    open_tasks = list(tasks_for_user(user=request.user, status="open", scope="mine").order_by("due", "id")[:10])
    audit.looked_at([a.patient_id for a in appointments] + [t.patient_id for t in open_tasks], user=request.user)
    return render(
        request,
        "workspace/my_day.html",
        {
            "day": day,
            "zone": zone,
            "locations": locations,
            "location_id": location_id,
            "appointments": appointments,
            "tasks": open_tasks,
            "now": timezone.now(),
            "instruments": ["NRS", "PEG", "ODI"],
            "section": "day",
        },
    )


@never_cache
@login_required
@_domain
def my_tasks_view(request):
    status = request.GET.get("status", "open")
    if status not in ("open", "", *Task.Status.values):
        status = "open"
    priority = request.GET.get("priority", "")
    if priority not in ("", *Task.Priority.values):
        priority = ""
    scope = request.GET.get("scope", "mine")
    scope = scope if scope in ("mine", "all") else "mine"
    qs = tasks_for_user(user=request.user, status=status, priority=priority, scope="mine" if scope == "mine" else "")
    tasks = list(qs.order_by("due", "id")[:TASK_PAGE_ROWS])
    access.looked_at_rows(tasks, user=request.user)
    providers = list(Provider.objects.filter(active=True).select_related("discipline").order_by("last_name", "first_name"))
    return render(
        request,
        "workspace/my_tasks.html",
        {
            "tasks": tasks,
            "status": status,
            "priority": priority,
            "scope": scope,
            "statuses": Task.Status.choices,
            "priorities": Task.Priority.choices,
            "providers": providers,
            "queues": RoleQueue.choices,
            "my_queues": queues_for_user(request.user),
            "now": timezone.now(),
            "clinical": access.may_ever(request.user, Kind.CLINICAL),
            "limit": TASK_PAGE_ROWS,
            "section": "tasks",
        },
    )


@login_required
@require_POST
@_domain
def task_action_view(request, pk: int, action: str):
    if not request.user.has_perm("careplans.change_task"):
        raise PermissionDenied("You may not change tasks.")
    task = task_get_for_user(user=request.user, pk=pk)
    if action == "accept":
        task_accept(task=task, by=request.user)
        messages.success(request, f"Accepted: {task.title}")
    elif action == "start":
        task_start(task=task, by=request.user)
        messages.success(request, f"Started: {task.title}")
    elif action == "complete":
        task_complete(task=task, by=request.user, note=request.POST.get("note", "")[:300])
        messages.success(request, f"Completed: {task.title}")
    elif action == "cancel":
        task_cancel(task=task, by=request.user, reason=request.POST.get("reason", "")[:300])
        messages.success(request, f"Cancelled: {task.title}")
    elif action == "reassign":
        target = request.POST.get("assignee", "")
        if target.startswith("provider:"):
            try:
                provider = Provider.objects.get(pk=int(target.split(":", 1)[1]), active=True)
            except (Provider.DoesNotExist, ValueError):
                raise ValidationFailed("Choose an active provider.") from None
            task_reassign(task=task, to_provider=provider, by=request.user, reason=request.POST.get("reason", ""))
        elif target.startswith("queue:"):
            task_reassign(task=task, to_role=target.split(":", 1)[1], by=request.user, reason=request.POST.get("reason", ""))
        else:
            raise ValidationFailed("Choose who takes the task.")
        messages.success(request, f"Reassigned: {task.title}")
    else:
        raise NotFound("Unknown action.")
    return _back(request)


@login_required
@require_POST
@_domain
def checklist_mark_view(request, pk: int):
    item = ChecklistItem.objects.select_related("appointment").filter(pk=pk).first()
    if item is None:
        raise NotFound("No such checklist item.")
    clinical_patient_get_for_user(user=request.user, pk=item.appointment.patient_id)  # access check
    status = request.POST.get("status", ChecklistItem.Status.DONE)
    checklist_item_mark(item=item, status=status, by=request.user, note=request.POST.get("note", ""))
    messages.success(request, f"Checklist: {item.label} marked {ChecklistItem.Status(status).label.lower()}.")
    return _back(request, reverse("workspace:patient", args=[item.appointment.patient_id]))


@never_cache
@login_required
@_domain
def patient_view(request, pk: int):
    now = timezone.now()
    zone = _zone(request.user)
    try:
        record = patient_record_for_user(user=request.user, patient_id=pk, now=now)
    except NotFound:
        if not may_break_glass(request.user):
            raise
        # The same page for a patient that does not exist: the offer confirms nothing.
        return refusal_page(request, pk)
    emergency = break_glass_live(user=request.user, patient_id=pk, now=now)
    procedures = [
        (a.completed_at or a.start, a.visit_type.name)
        for a in record["appointments"]
        if a.visit_type.is_procedure and a.status == AppointmentStatus.COMPLETED
    ]
    pain = build_chart(
        title="Pain (NRS, PEG)", codes=["NRS", "PEG"], y_max=10, responses=record["responses"], procedures=procedures, zone=zone
    )
    function = build_chart(
        title="Function (ODI %)", codes=["ODI"], y_max=100, responses=record["responses"], procedures=procedures, zone=zone
    )
    timeline = _timeline(record)
    kind = request.GET.get("kind", "")
    kinds = sorted({item["kind"] for item in timeline})
    if kind in kinds:
        timeline = [item for item in timeline if item["kind"] == kind]
    else:
        kind = ""
    # Messages are many and mostly routine: collapsed into one folded group unless asked for.
    shown = [item for item in timeline if item["kind"] != "Message" or kind == "Message"]
    folded = [item for item in timeline if item["kind"] == "Message" and kind != "Message"]
    return render(
        request,
        "workspace/patient.html",
        {
            **record,
            # Read after patient_record_for_user checked clinical access to this patient.
            "medications": medications_current(record["patient"].pk),
            "pain_chart": pain,
            "function_chart": function,
            "timeline": shown,
            "timeline_messages": folded,
            "timeline_kinds": kinds,
            "timeline_kind": kind,
            "goal_marks": GOAL_MARKS,
            "plan_moves": PLAN_MOVES,
            "zone": zone,
            "now": now,
            "emergency": emergency,
            # Formatted here: the template's time filter would turn it back into the server's zone.
            "emergency_until": timezone.localtime(emergency.expires_at, zone).strftime("%H:%M") if emergency else "",
            **_tickets_context(request.user, record["patient"], now=now),
        },
    )


TICKETS_CLOSED_SHOWN = 5
TICKETS_ACTIVE_SHOWN = 50


def _tickets_context(user, patient, *, now) -> dict:
    """The patient's booking tickets (open and expired first, then the last few booked or
    cancelled), read through the access policy, and the visit types a new ticket may order."""
    tickets = ticket_queryset_for_user(user=user).filter(patient=patient)
    live = (BookingTicket.Status.OPEN, BookingTicket.Status.EXPIRED)
    active = tickets.filter(status__in=live).order_by("latest", "id")[:TICKETS_ACTIVE_SHOWN]
    closed = tickets.exclude(status__in=live).order_by(F("closed_at").desc(nulls_last=True), "-id")[:TICKETS_CLOSED_SHOWN]
    # One query for both groups; the union's order is the database's, so it is sorted here.
    rows = list(active.union(closed, all=True))
    epoch = datetime.min.replace(tzinfo=UTC)
    rows.sort(key=lambda t: (0, t.latest.toordinal(), t.pk) if t.status in live else (1, -(t.closed_at or epoch).timestamp(), -t.pk))
    may_change = access.can(user, Action.CHANGE, patient=patient, kind=Kind.SCHEDULING, now=now)
    today = timezone.localdate(now, patient.zone)
    return {
        "tickets": rows,
        "ticket_may_change": may_change,
        "ticket_visit_types": list(VisitType.objects.filter(active=True, is_procedure=False).order_by("name")) if may_change else [],
        "ticket_today": today,
        "ticket_default_latest": today + timedelta(days=28),
    }


def _timeline(record) -> list[dict]:
    items = []
    for a in record["appointments"]:
        complications = record["procedures"].get(a.pk)
        items.append(
            {
                "at": a.start,
                "kind": "Procedure" if a.visit_type.is_procedure else "Appointment",
                "text": f"{a.visit_type.name} with {a.provider.display_name}",
                "status": a.get_status_display(),
                "extra": ", ".join(complications.complication_labels) if complications else "",
                "record_url": reverse("workspace:procedure-record", args=[a.pk]) if a.visit_type.is_procedure else "",
            }
        )
    for t in record["tasks"]:
        items.append({"at": t.created_at, "kind": "Task", "text": t.title, "status": t.get_status_display(), "extra": t.assignee_display})
    for r in record["responses"]:
        items.append(
            {
                "at": r.answered_at,
                "kind": "Questionnaire",
                "text": f"{r.questionnaire} {r.score.normalize():f}",
                "status": r.severity,
                "extra": r.entered_by_display,
            }
        )
    for m in record["patient_messages"]:
        items.append(
            {
                "at": m.created_at,
                "kind": "Message",
                "text": m.get_purpose_display(),
                "status": m.get_status_display(),
                "extra": m.get_channel_display(),
            }
        )
    items.sort(key=lambda i: i["at"], reverse=True)
    return items[:200]


@never_cache
@login_required
@_domain
def patient_search_view(request):
    """Find a patient by name or MRN among those whose record the user may open."""
    text = request.GET.get("q", "")[:100]
    results = patient_search_for_user(user=request.user, text=text)
    context = {"q": text.strip(), "results": results, "searched": bool(text.strip()), "section": "patients"}
    return render(request, "workspace/patient_search.html", context)


# The goal marks the patient page offers (any achievement status is legal after any other: a goal
# achieved can worsen again); the service records each change.
GOAL_MARKS = [(Goal.Achievement.ACHIEVED, "Mark achieved"), (Goal.Achievement.NOT_ACHIEVED, "Mark not achieved")]


@login_required
@require_POST
@_domain
def goal_achievement_view(request, pk: int):
    goal = goal_get_for_user(user=request.user, pk=pk)
    status = request.POST.get("status", "")
    goal_set_achievement(goal=goal, status=status, by=request.user, reason=request.POST.get("reason", "")[:300])
    messages.success(request, f"Goal marked {Goal.Achievement(status).label.lower()}.")
    return _back(request, reverse("workspace:patient", args=[goal.care_plan.patient_id]))


# Care-plan status changes, one service each; the service says which moves are legal.
PLAN_MOVES = {
    "activate": (careplan_activate, "Activate", {CarePlan.Status.DRAFT}),
    "hold": (careplan_hold, "Put on hold", {CarePlan.Status.ACTIVE}),
    "resume": (careplan_resume, "Resume", {CarePlan.Status.ON_HOLD}),
    "complete": (careplan_complete, "Complete", {CarePlan.Status.ACTIVE, CarePlan.Status.ON_HOLD}),
    "revoke": (careplan_revoke, "Revoke", {CarePlan.Status.DRAFT, CarePlan.Status.ACTIVE, CarePlan.Status.ON_HOLD}),
}
NEEDS_REASON = {"hold", "revoke"}


@login_required
@require_POST
@_domain
def careplan_status_view(request, pk: int, move: str):
    if move not in PLAN_MOVES:
        raise NotFound("No such change.")
    plan = careplan_get_for_user(user=request.user, pk=pk)
    service, label, _ = PLAN_MOVES[move]
    kwargs = {"reason": request.POST.get("reason", "")[:300]} if move in NEEDS_REASON else {}
    plan = service(care_plan=plan, by=request.user, **kwargs)
    messages.success(request, f"Care plan {plan.get_status_display().lower()}.")
    return _back(request, reverse("workspace:patient", args=[plan.patient_id]))


@login_required
@require_POST
@_domain
def team_note_view(request, pk: int):
    """A hand-off note on a care plan the user may see."""
    if not request.user.has_perm("careplans.add_teamnote"):
        raise PermissionDenied("You may not write team notes.")
    plan = careplan_get_for_user(user=request.user, pk=pk)
    team_note_add(care_plan=plan, author=request.user, text=request.POST.get("text", ""), by=request.user)
    messages.success(request, "Note added.")
    return _back(request, reverse("workspace:patient", args=[plan.patient_id]))


@login_required
@require_POST
@_domain
def activity_book_series_view(request, pk: int):
    """Book a visit-series activity from the plan; what cannot be placed is listed, not dropped."""
    if not request.user.has_perm("scheduling.add_appointment"):
        raise PermissionDenied("You may not book appointments.")
    activity = Activity.objects.select_related("care_plan").filter(pk=pk).first()
    if activity is None:
        raise NotFound("No such activity.")
    careplan_get_for_user(user=request.user, pk=activity.care_plan_id)  # access check
    try:
        start = date.fromisoformat(request.POST.get("start_date", ""))
    except ValueError:
        raise ValidationFailed("Choose the date the series starts.", field_errors={"start_date": ["Choose a date."]}) from None
    result = activity_book_series(activity=activity, start_date=start, booked_by=request.user)
    messages.success(request, f"Booked {len(result.appointments)} visit(s) of {activity.title}.")
    for item in result.unplaced:
        wanted = getattr(item, "wanted", None) or getattr(item, "wanted_date", "")
        alternatives = ", ".join(timezone.localtime(a.start, _zone(request.user)).strftime("%a %d %b %H:%M") for a in item.alternatives)
        messages.warning(request, f"Not placed: {wanted}. Nearest free: {alternatives or 'none in range'}.")
    return _back(request, reverse("workspace:patient", args=[activity.care_plan.patient_id]))


# The furthest ahead a staff ticket may start; the service bounds its span (MAX_TICKET_DAYS).
TICKET_START_HORIZON_DAYS = 730


def _day(request, name: str, errors: dict, *, today: date) -> date | None:
    raw = request.POST.get(name, "").strip()
    try:
        day = date.fromisoformat(raw) if raw.isascii() else None
    except ValueError:
        day = None
    if day is None:
        errors[name] = ["Enter a date as YYYY-MM-DD."]
    elif not today - timedelta(days=1) <= day <= today + timedelta(days=TICKET_START_HORIZON_DAYS):
        errors[name] = [f"Choose a day within {TICKET_START_HORIZON_DAYS} days from today."]
        day = None
    return day


def _count(request, name: str, errors: dict, *, upper: int) -> int | None:
    raw = request.POST.get(name, "").strip()
    if not (raw.isdecimal() and raw.isascii() and 1 <= int(raw) <= upper):
        errors[name] = [f"Enter a whole number from 1 to {upper}."]
        return None
    return int(raw)


def _field_messages(request, error: ValidationFailed) -> None:
    """A ValidationFailed as messages on the page: one per field error, else its message."""
    field_errors = error.field_errors or {}
    for name, problems in field_errors.items():
        label = name.replace("_", " ").capitalize()
        for problem in problems:
            messages.error(request, f"{label}: {problem}")
    if not field_errors:
        messages.error(request, error.message)


@login_required
@require_POST
@_domain
def ticket_create_view(request, pk: int):
    """Staff open a booking ticket for the patient; the service announces it (the patient's link,
    or the front desk's task for a visit type patients cannot book themselves)."""
    patient = clinical_patient_get_for_user(user=request.user, pk=pk)
    back = reverse("workspace:patient", args=[patient.pk]) + "#tickets-heading"
    today = timezone.localdate(timezone.now(), patient.zone)
    errors: dict[str, list[str]] = {}
    raw_type = request.POST.get("visit_type", "").strip()
    visit_type = None
    if raw_type.isdecimal() and raw_type.isascii():
        visit_type = VisitType.objects.filter(pk=int(raw_type), active=True, is_procedure=False).first()
    if visit_type is None:
        errors["visit_type"] = ["Choose a visit type."]
    earliest = _day(request, "earliest", errors, today=today)
    latest = _day(request, "latest", errors, today=today)
    visits = _count(request, "visits", errors, upper=60)
    per_week = _count(request, "per_week", errors, upper=7)
    try:
        if errors:
            raise ValidationFailed("The ticket is not valid.", field_errors=errors)
        ticket = ticket_create(
            patient=patient,
            visit_type=visit_type,
            earliest=earliest,
            latest=latest,
            visits=visits,
            per_week=per_week,
            source=BookingTicket.Source.STAFF,
            created_by=request.user,
        )
    except ValidationFailed as error:
        _field_messages(request, error)
        return _back(request, back)
    messages.success(request, f"Booking ticket opened: {ticket.visit_type.name}, {ticket.earliest:%d %b} to {ticket.latest:%d %b %Y}.")
    return _back(request, back)


TICKET_ACTIONS = ("extend", "cancel")


@login_required
@require_POST
@_domain
def ticket_action_view(request, pk: int, action: str):
    """Extend (a new last day) or cancel (with a reason) a ticket of a patient the user may open."""
    if action not in TICKET_ACTIONS:
        raise NotFound("No such change.")
    ticket = ticket_get_for_user(user=request.user, pk=pk)
    clinical_patient_get_for_user(user=request.user, pk=ticket.patient_id)  # the workspace's own check
    back = reverse("workspace:patient", args=[ticket.patient_id]) + "#tickets-heading"
    try:
        if action == "extend":
            errors: dict[str, list[str]] = {}
            latest = _day(request, "latest", errors, today=timezone.localdate(timezone.now(), ticket.patient.zone))
            if errors:
                raise ValidationFailed("The new last day is not valid.", field_errors=errors)
            ticket = ticket_extend(ticket=ticket, latest=latest, by=request.user)
            messages.success(request, f"Booking ticket extended to {ticket.latest:%d %b %Y}.")
        else:
            ticket = ticket_cancel(ticket=ticket, reason=request.POST.get("reason", ""), by=request.user)
            messages.success(request, "Booking ticket cancelled.")
    except ValidationFailed as error:
        _field_messages(request, error)
    return _back(request, back)


def _whole_number(request, name: str, errors: dict, upper: int) -> int | None:
    raw = request.POST.get(name, "").strip()
    if not raw:
        return None
    try:
        return int(raw)
    except ValueError:
        errors[name] = [f"Enter a whole number from 0 to {upper}."]
        return None


def _procedure_record_input(request) -> dict:
    """The form's fields as the service takes them; what cannot be parsed is refused here with
    the same field names the service uses, so one error list serves both."""
    errors: dict[str, list[str]] = {}
    functional = {"": None, "yes": True, "no": False}.get(request.POST.get("functional_improvement", ""), "bad")
    if functional == "bad":
        errors["functional_improvement"] = ["Answer yes, no or not assessed."]
    data = {
        "relief_percent": _whole_number(request, "relief_percent", errors, 100),
        "relief_weeks": _whole_number(request, "relief_weeks", errors, 520),
        "functional_improvement": None if functional == "bad" else functional,
        # The full form says which complications it shows; the task's short form leaves them as they were.
        "complications": request.POST.getlist("complications") if request.POST.get("complications_shown") else None,
        "note": request.POST.get("note", ""),
    }
    if errors:
        raise ValidationFailed("The procedure record is not valid.", field_errors=errors)
    return data


@never_cache
@login_required
@_domain
def procedure_record_view(request, pk: int):
    """The appointment's procedure record: a form for a new version (relief, duration, function,
    complications, note) and every earlier version. Opened from a "Record % relief" task
    (`?task=`), saving also completes that task, in the same transaction."""
    action = Action.CHANGE if request.method == "POST" else Action.VIEW
    appointment = procedure_appointment_get_for_user(user=request.user, pk=pk, action=action)
    raw_task = request.POST.get("task") or request.GET.get("task") or ""
    task = task_get_for_user(user=request.user, pk=int(raw_task)) if raw_task.isdecimal() and raw_task.isascii() else None
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            data = _procedure_record_input(request)
            completes = task if task is not None and task.is_open else None
            record = procedure_record_add(appointment=appointment, **data, completes_task=completes, by=request.user)
        except ValidationFailed as error:
            errors = error.field_errors or {"__all__": [error.message]}
        else:
            done = f" Task completed: {task.title}." if completes else ""
            messages.success(request, f"Procedure record saved (version {record.version}).{done}")
            return _back(request, reverse("workspace:procedure-record", args=[appointment.pk]))
    versions = procedure_records_for_appointment(appointment=appointment)
    latest = versions[0] if versions else None
    form = request.POST if errors else None
    return render(
        request,
        "workspace/procedure_record.html",
        {
            "appointment": appointment,
            "versions": versions,
            "latest": latest,
            "task": task,
            "errors": errors,
            "form": form,
            "complications": Complication.choices,
            "zone": appointment.location.zone,
            "next": request.GET.get("next", ""),
        },
        status=400 if errors else 200,
    )
