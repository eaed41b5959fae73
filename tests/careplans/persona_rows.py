"""Care plans' rows of the persona walk (tests/persona_walk/registry.py): its admin, API,
workspace and patient-facing pages. Every one of them is walked as each refused persona; `shows`
marks where the on-team clinician must see the seeded patient's clinical content."""

from __future__ import annotations

import datetime

from careplans.models import (
    Activity,
    BreakGlass,
    CarePlan,
    CareTeamMember,
    ChecklistItem,
    Goal,
    Problem,
    ProcedureRecord,
    Protocol,
    ProtocolStep,
    QuestionnaireRequest,
    QuestionnaireResponse,
    Task,
    TeamNote,
)
from scheduling.models import BookingTicket
from tests.persona_walk.registry import (
    ANONYMOUS,
    CLINICAL_WRITE_REFUSED,
    CLINICIANS_OFF_TEAM,
    WHOLE_CLINIC_STAFF,
    Row,
    admin_app_index_row,
    admin_model_rows,
    autocomplete_row,
    expect_all,
)


def _obj(model):
    return lambda world: world.obj(model)


def _task_state(world):
    return Task.objects.filter(pk=world.pk(Task)).values_list("status", "assignee_provider_id", "assignee_role").first()


def _tickets(world) -> list:
    return list(BookingTicket.objects.filter(patient=world.patient).order_by("pk").values_list("pk", "status", "latest"))


def _plans(world) -> int:
    return CarePlan.objects.filter(patient=world.patient).count()


def _plan_status(world) -> str:
    return CarePlan.objects.filter(pk=world.plan.pk).values_list("status", flat=True).first()


def _responses(world) -> int:
    return QuestionnaireResponse.objects.filter(patient=world.patient).count()


def _record_versions(world) -> int:
    return ProcedureRecord.objects.filter(appointment_id=_recorded_appointment(world)).count()


def _recorded_appointment(world) -> int:
    return world.obj(ProcedureRecord).appointment_id


def _notes(world) -> int:
    return TeamNote.objects.filter(care_plan=world.plan).count()


ADMIN = [
    admin_app_index_row("careplans"),
    *admin_model_rows(Protocol, _obj(Protocol)),
    *admin_model_rows(ProtocolStep, _obj(ProtocolStep)),
    *admin_model_rows(CarePlan, _obj(CarePlan), shows=("plan", "plan_description", "problem", "goal", "activity"), list_shows=("plan",)),
    *admin_model_rows(Problem, _obj(Problem), shows=("problem",), list_shows=("problem",)),
    *admin_model_rows(Goal, _obj(Goal), shows=("goal",), list_shows=("goal",)),
    *admin_model_rows(CareTeamMember, _obj(CareTeamMember)),
    *admin_model_rows(Activity, _obj(Activity), shows=("activity",), list_shows=("activity",)),
    *admin_model_rows(TeamNote, _obj(TeamNote), shows=("note",)),
    *admin_model_rows(Task, _obj(Task), shows=("task", "task_description"), list_shows=("task",)),
    *admin_model_rows(ChecklistItem, _obj(ChecklistItem), shows=("checklist",)),
    *admin_model_rows(ProcedureRecord, _obj(ProcedureRecord)),
    *admin_model_rows(QuestionnaireRequest, _obj(QuestionnaireRequest)),
    *admin_model_rows(QuestionnaireResponse, _obj(QuestionnaireResponse), shows=("answer",), list_shows=("answer",)),
    # The break-glass report: the clinic admin's to read, nobody's to change.
    *admin_model_rows(BreakGlass, _obj(BreakGlass)),
    # The front desk reads the task list (non-clinical tasks): a filter on clinical text must not
    # tell which patient's task matches.
    *[
        Row(
            route="admin/careplans/task/",
            url=f"/admin/careplans/task/?{query}",
            label=f"admin careplans.task changelist ?{query}",
            forbid=("Walkpatient",),
        )
        for query in (
            "title__icontains=canary-task-3c7e",
            "description__icontains=canary-taskdesc-91ab",
            "q=canary-task-3c7e",
        )
    ],
    *[
        Row(
            route="admin/careplans/careplan/",
            method="POST",
            url="/admin/careplans/careplan/",
            data=lambda w, a=action: {"action": a, "_selected_action": [w.plan.pk], "index": 0},
            label=f"admin careplans.careplan action {action}",
            unchanged=_plan_status,
        )
        for action in ("complete",)
    ],
    # A front-desk task of the same patient, made from the plan: the front desk reads it, not the plan.
    *[
        Row(
            route=f"admin/careplans/task/<path:object_id>/{suffix}",
            url=lambda w, x=suffix: f"/admin/careplans/task/{w.objects['front_desk_task'].pk}/{x}",
            label=f"admin careplans.task {suffix or 'bare id'} (front-desk task from the plan)",
        )
        for suffix in ("change/", "history/")
    ],
    autocomplete_row(Activity, "care_plan"),
    autocomplete_row(Activity, "visit_type"),
    autocomplete_row(CarePlan, "patient", lists_patients=True),
    autocomplete_row(CareTeamMember, "care_plan"),
    autocomplete_row(CareTeamMember, "provider"),
    autocomplete_row(CareTeamMember, "user"),
    autocomplete_row(Goal, "care_plan"),
    autocomplete_row(Problem, "care_plan"),
    autocomplete_row(ProtocolStep, "protocol"),
    autocomplete_row(Task, "assignee_provider"),
    autocomplete_row(Task, "care_plan"),
    autocomplete_row(Task, "patient", lists_patients=True),
    autocomplete_row(TeamNote, "care_plan"),
]


def _task(world) -> int:
    return world.pk(Task)


def _open_request(world) -> int:
    return QuestionnaireRequest.objects.get(dedupe_key="walk-open").pk


# Break-glass is the documented way for an off-team clinician into the record (audited, reviewed;
# tests/careplans/test_break_glass.py), so the walk sends what is refused: a reason too short for
# the clinicians (400), any reason for the roles that may never break glass (403). No `unchanged`
# snapshot: the control already sees the record, so it has nothing to open (409).
SHORT_REASON = {"reason": "need it"}
BREAK_GLASS_REFUSED = {**expect_all(403, WHOLE_CLINIC_STAFF), **expect_all(400, CLINICIANS_OFF_TEAM)}
# Entering a patient's answers changes their clinical record.
STAFF_ENTRY = {**expect_all(403, WHOLE_CLINIC_STAFF), **expect_all(404, CLINICIANS_OFF_TEAM), ANONYMOUS: 302}


# Care plans are clinical: the front desk and the clinic admin are refused the list outright, the
# off-team clinicians get their own patients' plans only.
PLAN_LIST = {**expect_all(403, WHOLE_CLINIC_STAFF), **expect_all(200, CLINICIANS_OFF_TEAM), ANONYMOUS: 401}
# A clinical task of a patient the persona may not see is "no such task" to all of them (the front
# desk and the clinic admin change non-clinical tasks, so their role may act on tasks).
NOT_YOUR_TASK = {**expect_all(404, (*WHOLE_CLINIC_STAFF, *CLINICIANS_OFF_TEAM)), ANONYMOUS: 401}


API = [
    Row(
        route="api/v1/careplans/",
        operation="GET /api/v1/careplans/",
        url="/api/v1/careplans/",
        shows=("plan", "problem", "goal"),
        expect=PLAN_LIST,
    ),
    Row(
        route="api/v1/careplans/",
        operation="GET /api/v1/careplans/",
        url=lambda w: f"/api/v1/careplans/?patient={w.patient.pk}",
        label="GET /api/v1/careplans/?patient=",
        shows=("plan",),
        expect=PLAN_LIST,
    ),
    Row(
        route="api/v1/careplans/",
        operation="POST /api/v1/careplans/",
        method="POST",
        json=True,
        url="/api/v1/careplans/",
        data=lambda w: {"patient": w.patient.pk, "title": "Walk plan"},
        unchanged=_plans,
        expect=CLINICAL_WRITE_REFUSED,
    ),
    Row(
        route="api/v1/tasks/",
        operation="GET /api/v1/tasks/",
        url="/api/v1/tasks/",
        shows=("task",),
        expect={**expect_all(200), ANONYMOUS: 401},
    ),
    *[
        Row(
            route=f"api/v1/tasks/<int:pk>/{action}/",
            operation=f"POST /api/v1/tasks/{{id}}/{action}/",
            method="POST",
            json=True,
            url=lambda w, a=action: f"/api/v1/tasks/{_task(w)}/{a}/",
            unchanged=_task_state,
            expect=NOT_YOUR_TASK,
        )
        for action in ("accept", "complete", "cancel")
    ],
    Row(
        route="api/v1/patients/<int:pk>/break-glass/",
        operation="POST /api/v1/patients/{id}/break-glass/",
        method="POST",
        json=True,
        url=lambda w: f"/api/v1/patients/{w.patient.pk}/break-glass/",
        data=SHORT_REASON,
        label="POST /api/v1/patients/{id}/break-glass/ (reason too short)",
        expect={**BREAK_GLASS_REFUSED, ANONYMOUS: 401},
    ),
    Row(
        route="api/v1/patients/<int:pk>/break-glass/",
        operation="POST /api/v1/patients/{id}/break-glass/",
        method="POST",
        json=True,
        url=lambda w: f"/api/v1/patients/{w.patient.pk + 100000}/break-glass/",
        data={"reason": "Unknown patient, a reason long enough."},
        label="POST /api/v1/patients/{id}/break-glass/ (no such patient)",
        expect={**expect_all(403, WHOLE_CLINIC_STAFF), **expect_all(404, CLINICIANS_OFF_TEAM), ANONYMOUS: 401},
    ),
    Row(
        route="api/v1/questionnaire-responses/",
        operation="POST /api/v1/questionnaire-responses/",
        method="POST",
        json=True,
        url="/api/v1/questionnaire-responses/",
        data=lambda w: {"patient": w.patient.pk, "questionnaire": "NRS", "answers": [5]},
        unchanged=_responses,
        expect=CLINICAL_WRITE_REFUSED,
    ),
    Row(
        route="api/v1/appointments/<int:pk>/procedure-record/",
        operation="GET /api/v1/appointments/{id}/procedure-record/",
        url=lambda w: f"/api/v1/appointments/{_recorded_appointment(w)}/procedure-record/",
        shows=("complication", "procedure_note", "relief"),
        expect=CLINICAL_WRITE_REFUSED,
    ),
    Row(
        route="api/v1/appointments/<int:pk>/procedure-record/",
        operation="POST /api/v1/appointments/{id}/procedure-record/",
        method="POST",
        json=True,
        url=lambda w: f"/api/v1/appointments/{_recorded_appointment(w)}/procedure-record/",
        data={"relief_percent": 55, "complications": ["dural_puncture"]},
        unchanged=_record_versions,
        expect=CLINICAL_WRITE_REFUSED,
    ),
]

WORKSPACE = [
    Row(route="workspace/", url="/workspace/", label="workspace my day", shows=("task",)),
    Row(route="workspace/tasks/", url="/workspace/tasks/", label="workspace tasks", shows=("task",)),
    *[
        Row(
            route="workspace/tasks/<int:pk>/<slug:action>/",
            method="POST",
            url=lambda w, a=action: f"/workspace/tasks/{_task(w)}/{a}/",
            label=f"workspace task {action}",
            data=lambda w, a=action: {"assignee": f"provider:{w.objects['task_only_provider'].pk}"} if a == "reassign" else {},
            unchanged=_task_state,
        )
        for action in ("accept", "start", "complete", "cancel", "reassign")
    ],
    Row(
        route="workspace/checklist/<int:pk>/",
        method="POST",
        url=lambda w: f"/workspace/checklist/{w.pk(ChecklistItem)}/",
        data={"status": "done"},
    ),
    Row(
        route="workspace/patients/<int:pk>/",
        url=lambda w: f"/workspace/patients/{w.patient.pk}/",
        shows=("plan", "problem", "goal", "note", "activity", "task", "answer", "complication", "anticoagulant", "diabetic"),
        expect={**expect_all(403, WHOLE_CLINIC_STAFF), **expect_all(404, CLINICIANS_OFF_TEAM), ANONYMOUS: 302},
    ),
    Row(
        route="workspace/patients/<int:pk>/break-glass/",
        method="POST",
        url=lambda w: f"/workspace/patients/{w.patient.pk}/break-glass/",
        data=SHORT_REASON,
        label="workspace break-glass (reason too short)",
        expect={**BREAK_GLASS_REFUSED, ANONYMOUS: 302},
    ),
    Row(
        route="workspace/questionnaires/<int:pk>/enter/",
        url=lambda w: f"/workspace/questionnaires/{_open_request(w)}/enter/",
        label="workspace questionnaire entry form",
        expect=STAFF_ENTRY,
    ),
    Row(
        route="workspace/questionnaires/<int:pk>/enter/",
        method="POST",
        url=lambda w: f"/workspace/questionnaires/{_open_request(w)}/enter/",
        data={"item0": "5", "confirm_read_out": "1"},
        label="workspace questionnaire entry",
        unchanged=_responses,
        expect=STAFF_ENTRY,
    ),
    Row(
        route="workspace/appointments/<int:pk>/procedure-record/",
        url=lambda w: f"/workspace/appointments/{_recorded_appointment(w)}/procedure-record/",
        label="workspace procedure record",
        shows=("complication", "procedure_note"),
        expect={**expect_all(403, WHOLE_CLINIC_STAFF), **expect_all(404, CLINICIANS_OFF_TEAM), ANONYMOUS: 302},
    ),
    Row(
        route="workspace/appointments/<int:pk>/procedure-record/",
        method="POST",
        url=lambda w: f"/workspace/appointments/{_recorded_appointment(w)}/procedure-record/",
        label="workspace procedure record (new version)",
        data={"relief_percent": "55", "complications_shown": "1", "complications": ["dural_puncture"]},
        unchanged=_record_versions,
    ),
    Row(
        route="workspace/plans/<int:pk>/notes/",
        method="POST",
        url=lambda w: f"/workspace/plans/{w.plan.pk}/notes/",
        data={"text": "hand-off"},
        unchanged=_notes,
    ),
    Row(route="workspace/plans/<int:pk>/notes/", url=lambda w: f"/workspace/plans/{w.plan.pk}/notes/", label="GET workspace team note"),
    Row(
        route="workspace/patients/",
        url=lambda w: f"/workspace/patients/?q={w.patient.last_name}",
        label="workspace patient search",
        lists_patients=True,
        expect={**expect_all(403, WHOLE_CLINIC_STAFF), **expect_all(200, CLINICIANS_OFF_TEAM), ANONYMOUS: 302},
    ),
    Row(
        route="workspace/goals/<int:pk>/achievement/",
        method="POST",
        url=lambda w: f"/workspace/goals/{w.pk(Goal)}/achievement/",
        data={"status": "achieved"},
        unchanged=lambda w: list(Goal.objects.filter(care_plan=w.plan).values_list("pk", "achievement_status")),
    ),
    Row(
        route="workspace/plans/<int:pk>/status/<slug:move>/",
        method="POST",
        url=lambda w: f"/workspace/plans/{w.plan.pk}/status/complete/",
        label="workspace care plan status",
        unchanged=lambda w: CarePlan.objects.filter(pk=w.plan.pk).values_list("status", flat=True).first(),
    ),
    Row(
        route="workspace/patients/<int:pk>/tickets/",
        method="POST",
        url=lambda w: f"/workspace/patients/{w.patient.pk}/tickets/",
        label="workspace booking ticket create",
        data=lambda w: {
            "visit_type": w.obj(BookingTicket).visit_type_id,
            "earliest": w.day.isoformat(),
            "latest": w.day.isoformat(),
            "visits": "1",
            "per_week": "1",
        },
        unchanged=_tickets,
    ),
    *[
        Row(
            route="workspace/tickets/<int:pk>/<slug:action>/",
            method="POST",
            url=lambda w, a=action: f"/workspace/tickets/{w.pk(BookingTicket)}/{a}/",
            label=f"workspace booking ticket {action}",
            data=lambda w, a=action: (
                {"latest": (w.obj(BookingTicket).latest + datetime.timedelta(days=7)).isoformat()} if a == "extend" else {"reason": "walk"}
            ),
            unchanged=_tickets,
        )
        for action in ("extend", "cancel")
    ],
    Row(
        route="workspace/activities/<int:pk>/book-series/",
        method="POST",
        url=lambda w: f"/workspace/activities/{w.pk(Activity)}/book-series/",
        data=lambda w: {"start_date": w.day.isoformat()},
    ),
]

PUBLIC = [
    Row(route="q/<str:token>/", url=lambda w: w.tokens["questionnaire"], label="questionnaire page (valid token)"),
    Row(route="q/<str:token>/", url="/q/not-a-token/", label="questionnaire page (bad token)"),
    Row(
        route="q/<str:token>/",
        method="POST",
        url=lambda w: w.tokens["questionnaire"],
        data={"q0": "5"},
        label="questionnaire answer (valid token)",
    ),
    Row(route="q/i/<str:token>/", url=lambda w: w.tokens["instructions"], label="instructions page (valid token)"),
    Row(route="q/i/<str:token>/", url="/q/i/not-a-token/", label="instructions page (bad token)"),
    # A red-flag report through a link that follows no EBP (the walk's link names a step only):
    # refused as bad input for everyone, staff signed in or not; nothing is created.
    Row(
        route="q/i/<str:token>/",
        method="POST",
        url=lambda w: w.tokens["instructions"],
        data={"flag": "fever"},
        expect=expect_all(400),
        label="instructions red-flag report (no EBP behind the link)",
    ),
]

ROWS = [*ADMIN, *API, *WORKSPACE, *PUBLIC]
