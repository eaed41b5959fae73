"""Care-plan admin: a client of careplans.services, never a back door.

Protocols and their steps are configuration, the clinic admin's to edit. Every clinical record
(plans, problems, goals, team, activities, notes, tasks, checklist items, procedure records,
questionnaires) is added through its service (`save_model` calls `problem_add`, `goal_add`,
`team_member_add`, …) and changes only through a transition service (goal achievement, activity
status, task reassignment, care-plan actions); nothing clinical is edited or deleted raw. A
refusal from a service comes back as a form error, never a 500. Rows, foreign-key choices and
autocomplete are scoped by the one access policy (core.access via PolicyAdmin/PolicyInline).
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.forms.models import construct_instance
from django.http import HttpResponseRedirect
from django.urls import reverse

from careplans.models import (
    Activity,
    CarePlan,
    CarePlanEvent,
    CareTeamMember,
    ChecklistItem,
    Complication,
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
from careplans.selectors import task_queryset_for_user
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
    procedure_record_set,
    task_create,
    task_reassign,
    team_member_add,
    team_note_add,
)
from clinic.admin import PatientScopedAdmin
from core import access
from core.access import Action, Kind
from core.admin_access import PolicyInline
from core.admin_utils import report_domain_error
from core.errors import DomainError

# --- configuration -----------------------------------------------------------------------------


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


# --- the service-client base -------------------------------------------------------------------


def _refusing(form_class, error: DomainError):
    """The same form, failing validation with the service's refusal (field messages on their
    fields where the form has them, the rest at the top)."""

    class Refused(form_class):
        def clean(self):
            data = super().clean()
            self.add_error(None, error.message)
            for name, problems in error.field_errors.items():
                if name in self.fields:
                    self.add_error(name, problems)
                else:
                    self.add_error(None, [f"{name}: {problem}" for problem in problems])
            return data

    Refused.__name__ = form_class.__name__
    return Refused


def _adopt(obj, saved) -> None:
    """Make the admin's unsaved instance the row the service saved (for the log and redirect)."""
    obj.__dict__.update({k: v for k, v in saved.__dict__.items() if k != "_state"})
    obj._state.adding = False
    obj._state.db = saved._state.db


class ServiceForm(forms.ModelForm):
    """The admin's form for a service: it shapes input; the service checks the rules (the model's
    constraints included), so the messages are the service's."""

    def _post_clean(self):
        # Build the instance from the cleaned data, without the model's own validation.
        opts = self._meta
        try:
            self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)
        except forms.ValidationError as error:
            self._update_errors(error)


class ServiceAdmin(PatientScopedAdmin):
    """A clinical record's admin: adds through `create` (a service), changes through `change`
    (transition services) or not at all, never deletes. Fields named in `editable` are the only
    ones a change form offers; everything else is read-only once the row exists."""

    form = ServiceForm
    editable: tuple[str, ...] = ()
    # Fields set only after the row exists (through a transition service), not on the add form.
    change_only: tuple[str, ...] = ()
    # Foreign keys to rows of a patient: their choices are the patients whose clinical record
    # the user may change (path from the related model to its patient).
    clinical_choice_paths: dict[str, str] = {}

    def create(self, request, data: dict):  # pragma: no cover - each admin that allows adding defines it
        raise NotImplementedError

    def change(self, request, obj, data: dict, changed: list[str]) -> None:
        """Apply the changed `editable` fields through services."""

    def has_add_permission(self, request) -> bool:
        return type(self).create is not ServiceAdmin.create and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return bool(self.editable) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return [f for f in fields if f not in self.change_only] if obj is None else fields

    def get_inlines(self, request, obj):
        return super().get_inlines(request, obj) if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return list(super().get_readonly_fields(request, obj))
        form_fields = self.fields or [f.name for f in self.model._meta.fields if f.editable and not f.primary_key]
        return [f for f in form_fields if f not in self.editable] + [
            f for f in super().get_readonly_fields(request, obj) if f not in form_fields
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        path = self.clinical_choice_paths.get(db_field.name)
        if formfield is not None and path is not None:
            allowed = access.patients(request.user, Kind.CLINICAL, action=Action.CHANGE).values("pk")
            formfield.queryset = formfield.queryset.filter(**{f"{path}__in" if path else "pk__in": allowed})
        return formfield

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            if request.method != "POST":
                report_domain_error(request, error)
                return HttpResponseRedirect(reverse("admin:index"))
            # The write was rolled back with the view's transaction; show the same form again
            # with the refusal as its errors and the user's input kept.
            request._service_refusal = error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, "_service_refusal", None)
        return _refusing(form, error) if error is not None else form

    def save_model(self, request, obj, form, change):
        if change:
            self.change(request, obj, form.cleaned_data, [f for f in form.changed_data if f in self.editable])
        else:
            _adopt(obj, self.create(request, form.cleaned_data))

    def save_related(self, request, form, formsets, change):
        """Nothing is saved raw: services have saved what there was to save."""


class ReadOnlyInline(PolicyInline, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


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


def _run(request, queryset, label: str, fn) -> None:
    done = 0
    for row in queryset:
        try:
            fn(row)
            done += 1
        except DomainError as error:
            report_domain_error(request, error, prefix=f"{row}: ")
    if done:
        messages.success(request, f"{label}: {done}.")


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
        _run(request, queryset, "Activated", lambda plan: careplan_activate(care_plan=plan, by=request.user))

    @admin.action(description="Resume (from on hold)", permissions=["change"])
    def resume(self, request, queryset):
        _run(request, queryset, "Resumed", lambda plan: careplan_resume(care_plan=plan, by=request.user))

    @admin.action(description="Complete", permissions=["change"])
    def complete(self, request, queryset):
        _run(request, queryset, "Completed", lambda plan: careplan_complete(care_plan=plan, by=request.user))


@admin.register(Problem)
class ProblemAdmin(ServiceAdmin):
    list_display = ["code", "text", "care_plan"]
    list_select_related = ["care_plan"]
    search_fields = ["code", "text"]
    autocomplete_fields = ["care_plan"]
    fields = ["care_plan", "code", "text", "onset"]

    def create(self, request, data):
        return problem_add(care_plan=data["care_plan"], code=data["code"], text=data["text"], onset=data.get("onset"))


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
        return team_note_add(care_plan=data["care_plan"], author=request.user, text=data["text"])


# --- tasks -------------------------------------------------------------------------------------


class TaskEventInline(ReadOnlyInline):
    model = TaskEvent
    fields = ["action", "from_status", "to_status", "at", "by", "detail"]
    readonly_fields = fields

    def get_queryset(self, request):
        # The task's own events; the task itself is scoped by the task admin.
        return TaskEvent.objects.select_related("by")


class TaskAdminForm(ServiceForm):
    reason = forms.CharField(required=False, max_length=300, help_text="Why it is reassigned (kept with the task's history)")

    class Meta:
        model = Task
        fields = ["title", "description", "patient", "care_plan", "assignee_provider", "assignee_role", "priority", "due"]


# Fields that carry clinical content: never shown to a user without clinical access (the front
# desk reads its own queue's tasks, not the plan or protocol they came from).
TASK_CLINICAL_FIELDS = ("care_plan", "protocol_step")


@admin.register(Task)
class TaskAdmin(ServiceAdmin):
    form = TaskAdminForm
    list_display = ["title", "patient", "assignee_provider", "assignee_role", "priority", "status", "due", "source", "escalation_level"]
    list_filter = ["status", "priority", "source", "assignee_role", "escalation_level"]
    list_select_related = ["patient", "assignee_provider"]
    search_fields = ["title", "patient__mrn", "patient__last_name"]
    autocomplete_fields = ["patient", "care_plan", "assignee_provider"]
    add_fields = ["title", "description", "patient", "care_plan", "assignee_provider", "assignee_role", "priority", "due"]
    shown_fields = [
        "title",
        "description",
        "patient",
        "care_plan",
        "appointment",
        "protocol_step",
        "assignee_provider",
        "assignee_role",
        "reason",
        "priority",
        "due",
        "status",
        "status_reason",
        "source",
        "escalation_level",
        "escalated_at",
        "created_at",
        "completed_at",
        "cancelled_at",
    ]
    editable = ("assignee_provider", "assignee_role", "reason")
    clinical_fields = TASK_CLINICAL_FIELDS
    clinical_choice_paths = {"patient": ""}
    inlines = [TaskEventInline]

    def get_queryset(self, request):
        return task_queryset_for_user(user=request.user).select_related("patient", "assignee_provider")

    def _hidden(self, request) -> set[str]:
        return set() if access.may_ever(request.user, Kind.CLINICAL) else set(TASK_CLINICAL_FIELDS)

    def get_fields(self, request, obj=None):
        fields = self.add_fields if obj is None else self.shown_fields
        return [f for f in fields if f not in self._hidden(request)]

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return []
        return [f for f in self.get_fields(request, obj) if f not in self.editable]

    def get_form(self, request, obj=None, change=False, **kwargs):
        kwargs["fields"] = [f for f in self.get_fields(request, obj) if f not in self.get_readonly_fields(request, obj)]
        return super().get_form(request, obj, change, **kwargs)

    def create(self, request, data):
        return task_create(
            title=data["title"],
            description=data.get("description", ""),
            patient=data.get("patient"),
            care_plan=data.get("care_plan"),
            assignee_provider=data.get("assignee_provider"),
            assignee_role=data.get("assignee_role") or "",
            priority=data.get("priority") or Task.Priority.ROUTINE,
            due=data.get("due"),
            source=Task.Source.MANUAL,
            created_by=request.user,
        )

    def change(self, request, obj, data, changed):
        if not {"assignee_provider", "assignee_role"} & set(changed):
            return
        provider = data.get("assignee_provider")
        task_reassign(
            task=obj,
            to_provider=provider,
            to_role="" if provider is not None else data.get("assignee_role") or "",
            by=request.user,
            reason=data.get("reason") or "",
        )


# --- procedures and checklists -----------------------------------------------------------------


class ProcedureRecordForm(ServiceForm):
    complications = forms.TypedMultipleChoiceField(choices=Complication.choices, required=False, widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = ProcedureRecord
        fields = ["appointment", "complications", "note"]


@admin.register(ProcedureRecord)
class ProcedureRecordAdmin(ServiceAdmin):
    form = ProcedureRecordForm
    list_display = ["appointment", "complications", "recorded_at"]
    list_select_related = ["appointment"]
    search_fields = ["appointment__patient__mrn"]
    raw_id_fields = ["appointment"]
    fields = ["appointment", "complications", "note"]
    readonly_fields = ["recorded_by", "recorded_at"]
    editable = ("complications", "note")
    clinical_choice_paths = {"appointment": "patient"}

    def get_fields(self, request, obj=None):
        return self.fields if obj is None else [*self.fields, *self.readonly_fields]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else ["appointment", *self.readonly_fields]

    def create(self, request, data):
        return self._set(request, data["appointment"], data)

    def change(self, request, obj, data, changed):
        if changed:
            self._set(request, obj.appointment, data)

    def _set(self, request, appointment, data):
        # The service announces the record: a new complication adds its follow-up steps.
        return procedure_record_set(
            appointment=appointment, complications=list(data.get("complications") or []), note=data.get("note") or "", by=request.user
        )


@admin.register(ChecklistItem)
class ChecklistItemAdmin(ServiceAdmin):
    """Read-only: items are made by protocols and marked in the workspace (checklist_item_mark)."""

    list_display = ["label", "appointment", "status", "hold_days", "assignee_role", "done_at"]
    list_filter = ["code", "status"]
    list_select_related = ["appointment"]
    search_fields = ["label", "appointment__patient__mrn"]


@admin.register(QuestionnaireRequest)
class QuestionnaireRequestAdmin(ServiceAdmin):
    """Read-only: requests are made by protocols and care-plan activities."""

    list_display = ["questionnaire", "patient", "due_at", "expires_at", "answered_at", "withdrawn_at"]
    list_filter = ["questionnaire"]
    list_select_related = ["patient"]
    search_fields = ["patient__mrn", "patient__last_name"]
    exclude = ["dedupe_key"]


@admin.register(QuestionnaireResponse)
class QuestionnaireResponseAdmin(ServiceAdmin):
    """Read-only: answers are recorded through the API, the workspace or the patient's link,
    which score them and raise the PHQ-9 item 9 alert."""

    list_display = ["questionnaire", "patient", "score", "severity", "answered_at", "source"]
    list_filter = ["questionnaire", "severity", "source"]
    list_select_related = ["patient"]
    search_fields = ["patient__mrn", "patient__last_name"]
