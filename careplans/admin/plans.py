"""Care plans and their parts, added through careplans.services; status through transitions."""

from __future__ import annotations

from django.contrib import admin

from careplans.admin.base import ReadOnlyInline, ServiceAdmin
from careplans.models import (
    Activity,
    CarePlan,
    CarePlanEvent,
    CareTeamMember,
    Goal,
    Problem,
    TeamNote,
)
from careplans.services import (
    activity_add,
    activity_set_status,
    careplan_activate,
    careplan_complete,
    careplan_create,
    careplan_resume,
    goal_add,
    goal_set_achievement,
    problem_add,
    team_member_add,
    team_note_add,
)
from core.admin_utils import run_action

# --- care plans --------------------------------------------------------------------------------


class ProblemInline(ReadOnlyInline):
    model = Problem
    fields = ["code", "text", "onset"]


class GoalInline(ReadOnlyInline):
    model = Goal
    fields = ["description", "measure", "target_comparator", "target_value", "target_text", "target_date", "achievement_status"]


class TeamInline(ReadOnlyInline):
    model = CareTeamMember
    fields = ["role", "provider", "user"]


class ActivityInline(ReadOnlyInline):
    model = Activity
    fields = ["title", "discipline", "kind", "visit_type", "planned_count", "per_week", "weeks", "questionnaire", "status"]


class CarePlanEventInline(ReadOnlyInline):
    model = CarePlanEvent
    fields = ["at", "subject", "object_id", "from_status", "to_status", "by", "reason"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


@admin.register(CarePlan)
class CarePlanAdmin(ServiceAdmin):
    list_display = ["title", "patient", "status", "period_start", "period_end"]
    list_filter = ["status"]
    list_select_related = ["patient"]
    search_fields = ["title", "patient__mrn", "patient__last_name", "problems__code"]
    autocomplete_fields = ["patient"]
    fields = ["patient", "title", "description", "period_start", "period_end"]
    readonly_fields = ["status", "status_reason", "status_changed_at", "status_changed_by", "created_by", "created_at"]
    editable = ()
    clinical_choice_paths = {"patient": ""}
    inlines = [ProblemInline, GoalInline, TeamInline, ActivityInline, CarePlanEventInline]
    actions = ["activate", "resume", "complete"]

    def get_fields(self, request, obj=None):
        return self.fields if obj is None else [*self.fields, *self.readonly_fields]

    def create(self, request, data):
        return careplan_create(
            patient=data["patient"],
            title=data["title"],
            description=data.get("description") or "",
            period_start=data.get("period_start"),
            period_end=data.get("period_end"),
            created_by=request.user,
        )

    def has_change_permission(self, request, obj=None) -> bool:
        # The change form is read-only; status moves through the actions below.
        return obj is None and admin.ModelAdmin.has_change_permission(self, request, obj)

    @admin.action(description="Activate", permissions=["change"])
    def activate(self, request, queryset):
        run_action(request, queryset, "Activated", lambda plan: careplan_activate(care_plan=plan, by=request.user))

    @admin.action(description="Resume (from on hold)", permissions=["change"])
    def resume(self, request, queryset):
        run_action(request, queryset, "Resumed", lambda plan: careplan_resume(care_plan=plan, by=request.user))

    @admin.action(description="Complete", permissions=["change"])
    def complete(self, request, queryset):
        run_action(request, queryset, "Completed", lambda plan: careplan_complete(care_plan=plan, by=request.user))


@admin.register(Problem)
class ProblemAdmin(ServiceAdmin):
    list_display = ["code", "text", "care_plan"]
    list_select_related = ["care_plan"]
    search_fields = ["code", "text"]
    autocomplete_fields = ["care_plan"]
    fields = ["care_plan", "code", "text", "onset"]

    def create(self, request, data):
        return problem_add(care_plan=data["care_plan"], code=data["code"], text=data["text"], onset=data.get("onset"), by=request.user)


@admin.register(Goal)
class GoalAdmin(ServiceAdmin):
    list_display = ["description", "measure", "target_value", "target_date", "achievement_status", "care_plan"]
    list_filter = ["measure", "achievement_status"]
    list_select_related = ["care_plan"]
    search_fields = ["description"]
    autocomplete_fields = ["care_plan"]
    fields = [
        "care_plan",
        "description",
        "measure",
        "target_comparator",
        "target_value",
        "target_text",
        "target_date",
        "achievement_status",
    ]
    editable = ("achievement_status",)
    change_only = ("achievement_status",)

    def create(self, request, data):
        return goal_add(
            care_plan=data["care_plan"],
            description=data["description"],
            measure=data["measure"],
            target_comparator=data.get("target_comparator") or "",
            target_value=data.get("target_value"),
            target_text=data.get("target_text") or "",
            target_date=data.get("target_date"),
            by=request.user,
        )

    def change(self, request, obj, data, changed):
        if "achievement_status" in changed:
            goal_set_achievement(goal=obj, status=data["achievement_status"], by=request.user, reason="admin")


@admin.register(CareTeamMember)
class CareTeamMemberAdmin(ServiceAdmin):
    list_display = ["care_plan", "role", "provider", "user"]
    list_filter = ["role"]
    list_select_related = ["care_plan", "provider", "user"]
    search_fields = ["provider__last_name", "care_plan__title"]
    autocomplete_fields = ["care_plan", "provider", "user"]
    fields = ["care_plan", "role", "provider", "user"]

    def create(self, request, data):
        return team_member_add(
            care_plan=data["care_plan"], role=data["role"], provider=data.get("provider"), user=data.get("user"), by=request.user
        )


@admin.register(Activity)
class ActivityAdmin(ServiceAdmin):
    list_display = ["title", "care_plan", "discipline", "kind", "planned_count", "status"]
    list_filter = ["kind", "status", "discipline"]
    list_select_related = ["care_plan", "discipline"]
    search_fields = ["title", "care_plan__title"]
    autocomplete_fields = ["care_plan", "visit_type"]
    fields = ["care_plan", "title", "discipline", "kind", "visit_type", "questionnaire", "planned_count", "per_week", "weeks", "status"]
    editable = ("status",)
    change_only = ("status",)  # a new activity starts "not started"; changes write an event

    def create(self, request, data):
        return activity_add(
            care_plan=data["care_plan"],
            title=data.get("title") or "",
            discipline=data["discipline"],
            kind=data["kind"],
            visit_type=data.get("visit_type"),
            planned_count=1 if data.get("planned_count") is None else data["planned_count"],
            per_week=data.get("per_week"),
            weeks=data.get("weeks"),
            questionnaire=data.get("questionnaire") or "",
            by=request.user,
        )

    def change(self, request, obj, data, changed):
        if "status" in changed:
            activity_set_status(activity=obj, status=data["status"], by=request.user, reason="admin")


@admin.register(TeamNote)
class TeamNoteAdmin(ServiceAdmin):
    list_display = ["care_plan", "author", "at"]
    list_select_related = ["care_plan", "author"]
    search_fields = ["text", "care_plan__title"]
    autocomplete_fields = ["care_plan"]
    fields = ["care_plan", "text"]
    readonly_fields = ["author", "at"]

    def get_fields(self, request, obj=None):
        return self.fields if obj is None else [*self.fields, *self.readonly_fields]

    def create(self, request, data):
        return team_note_add(care_plan=data["care_plan"], author=request.user, text=data["text"], by=request.user)
