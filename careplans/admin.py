"""Care-plan admin. Protocols are the clinic admin's to edit (steps inline); clinical rows are
scoped to the patients the user may see; changelists load a fixed number of queries."""

from django import forms
from django.contrib import admin

from careplans.models import (
    Activity,
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
    TaskEvent,
    TeamNote,
)
from clinic.admin import PatientScopedAdmin


class ProtocolStepInline(admin.TabularInline):
    model = ProtocolStep
    extra = 0
    fields = [
        "order",
        "code",
        "title",
        "kind",
        "anchor",
        "offset_minutes",
        "window_minutes",
        "assignee_role",
        "priority",
        "questionnaire",
        "ask_relief",
        "checklist_code",
        "when_complication",
        "when_region",
        "when_diabetic",
        "when_anticoagulated",
        "active",
    ]


@admin.register(Protocol)
class ProtocolAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "all_procedures", "procedure_families", "active"]
    list_filter = ["active", "all_procedures"]
    search_fields = ["name", "code", "steps__title"]
    filter_horizontal = ["visit_types"]
    inlines = [ProtocolStepInline]


@admin.register(ProtocolStep)
class ProtocolStepAdmin(admin.ModelAdmin):
    list_display = ["title", "protocol", "kind", "anchor", "offset_minutes", "assignee_role", "active"]
    list_filter = ["kind", "anchor", "protocol", "active"]
    list_select_related = ["protocol"]
    search_fields = ["title", "code", "protocol__name"]
    autocomplete_fields = ["protocol"]


class ProblemInline(admin.TabularInline):
    model = Problem
    extra = 0


class GoalInline(admin.TabularInline):
    model = Goal
    extra = 0
    fields = ["description", "measure", "target_comparator", "target_value", "target_text", "target_date", "achievement_status"]


class TeamInline(admin.TabularInline):
    model = CareTeamMember
    extra = 0
    autocomplete_fields = ["provider", "user"]


class ActivityInline(admin.TabularInline):
    model = Activity
    extra = 0
    fields = ["title", "discipline", "kind", "visit_type", "planned_count", "per_week", "weeks", "questionnaire", "status"]
    autocomplete_fields = ["visit_type"]


@admin.register(CarePlan)
class CarePlanAdmin(PatientScopedAdmin):
    list_display = ["title", "patient", "status", "period_start", "period_end"]
    list_filter = ["status"]
    list_select_related = ["patient"]
    search_fields = ["title", "patient__mrn", "patient__last_name", "problems__code"]
    autocomplete_fields = ["patient"]
    readonly_fields = ["status", "status_reason", "status_changed_at", "status_changed_by", "created_by", "created_at"]
    inlines = [ProblemInline, GoalInline, TeamInline, ActivityInline]


@admin.register(Problem)
class ProblemAdmin(PatientScopedAdmin):
    patient_path = "care_plan__patient"
    list_display = ["code", "text", "care_plan"]
    list_select_related = ["care_plan"]
    search_fields = ["code", "text"]
    autocomplete_fields = ["care_plan"]


@admin.register(Goal)
class GoalAdmin(PatientScopedAdmin):
    patient_path = "care_plan__patient"
    list_display = ["description", "measure", "target_value", "target_date", "achievement_status", "care_plan"]
    list_filter = ["measure", "achievement_status"]
    list_select_related = ["care_plan"]
    search_fields = ["description"]
    autocomplete_fields = ["care_plan"]


@admin.register(CareTeamMember)
class CareTeamMemberAdmin(PatientScopedAdmin):
    patient_path = "care_plan__patient"
    list_display = ["care_plan", "role", "provider", "user"]
    list_filter = ["role"]
    list_select_related = ["care_plan", "provider", "user"]
    search_fields = ["provider__last_name", "care_plan__title"]
    autocomplete_fields = ["care_plan", "provider", "user"]


@admin.register(Activity)
class ActivityAdmin(PatientScopedAdmin):
    patient_path = "care_plan__patient"
    list_display = ["title", "care_plan", "discipline", "kind", "planned_count", "status"]
    list_filter = ["kind", "status", "discipline"]
    list_select_related = ["care_plan", "discipline"]
    search_fields = ["title", "care_plan__title"]
    autocomplete_fields = ["care_plan", "visit_type"]
    raw_id_fields = ["appointments"]


@admin.register(TeamNote)
class TeamNoteAdmin(PatientScopedAdmin):
    patient_path = "care_plan__patient"
    list_display = ["care_plan", "author", "at"]
    list_select_related = ["care_plan", "author"]
    search_fields = ["text", "care_plan__title"]
    autocomplete_fields = ["care_plan"]
    readonly_fields = ["author", "at"]


class TaskEventInline(admin.TabularInline):
    model = TaskEvent
    extra = 0
    can_delete = False
    readonly_fields = ["action", "from_status", "to_status", "at", "by", "detail"]

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class TaskAdminForm(forms.ModelForm):
    class Meta:
        model = Task
        fields = ["title", "description", "patient", "care_plan", "assignee_provider", "assignee_role", "priority", "due"]

    def clean(self):
        data = super().clean()
        if self.instance.pk is None and not data.get("assignee_provider") and not data.get("assignee_role"):
            raise forms.ValidationError("Assign the task to a provider or a role queue.")
        return data


@admin.register(Task)
class TaskAdmin(admin.ModelAdmin):
    form = TaskAdminForm
    list_display = ["title", "patient", "assignee_provider", "assignee_role", "priority", "status", "due", "source", "escalation_level"]
    list_filter = ["status", "priority", "source", "assignee_role", "escalation_level"]
    list_select_related = ["patient", "assignee_provider"]
    search_fields = ["title", "patient__mrn", "patient__last_name"]
    autocomplete_fields = ["patient", "care_plan", "assignee_provider"]
    raw_id_fields = ["appointment", "protocol_step"]
    readonly_fields = ["status", "dedupe_key", "escalation_level", "escalated_at", "created_at", "completed_at", "cancelled_at"]
    show_full_result_count = False
    inlines = [TaskEventInline]

    def get_queryset(self, request):
        from careplans.selectors import task_queryset_for_user

        return task_queryset_for_user(user=request.user)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is None else [*self.readonly_fields, "source"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # A manual task goes through the service like every other (audit, care plan, dedupe).
        from careplans.services import task_create

        data = form.cleaned_data
        task = task_create(
            title=data["title"],
            description=data.get("description", ""),
            patient=data.get("patient"),
            care_plan=data.get("care_plan"),
            assignee_provider=data.get("assignee_provider"),
            assignee_role=data.get("assignee_role") or "",
            priority=data.get("priority") or "routine",
            due=data.get("due"),
            source="manual",
            created_by=request.user,
        )
        obj.pk = task.pk


@admin.register(ChecklistItem)
class ChecklistItemAdmin(PatientScopedAdmin):
    patient_path = "appointment__patient"
    list_display = ["label", "appointment", "status", "hold_days", "assignee_role", "done_at"]
    list_filter = ["code", "status"]
    list_select_related = ["appointment"]
    search_fields = ["label", "appointment__patient__mrn"]
    raw_id_fields = ["appointment"]


@admin.register(ProcedureRecord)
class ProcedureRecordAdmin(PatientScopedAdmin):
    patient_path = "appointment__patient"
    list_display = ["appointment", "complications", "recorded_at"]
    list_select_related = ["appointment"]
    search_fields = ["appointment__patient__mrn"]
    raw_id_fields = ["appointment"]


@admin.register(QuestionnaireRequest)
class QuestionnaireRequestAdmin(PatientScopedAdmin):
    list_display = ["questionnaire", "patient", "due_at", "expires_at", "answered_at", "withdrawn_at"]
    list_filter = ["questionnaire"]
    list_select_related = ["patient"]
    search_fields = ["patient__mrn", "patient__last_name"]
    raw_id_fields = ["patient", "appointment", "care_plan"]
    exclude = ["dedupe_key"]


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(PatientScopedAdmin):
    list_display = ["questionnaire", "patient", "score", "severity", "answered_at", "source"]
    list_filter = ["questionnaire", "severity", "source"]
    list_select_related = ["patient"]
    search_fields = ["patient__mrn", "patient__last_name"]
    raw_id_fields = ["patient", "appointment", "care_plan", "request"]
    readonly_fields = ["score", "severity"]

    # Answers are recorded through the API, the workspace or the patient's link, which score
    # them and raise the PHQ-9 item 9 alert; the admin shows them.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
