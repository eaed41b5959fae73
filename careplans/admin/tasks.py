"""Tasks: added through task_create, reassigned through task_reassign (audited), never edited raw."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from careplans.admin.base import ReadOnlyInline, ServiceAdmin, ServiceForm
from careplans.models import (
    Task,
    TaskEvent,
)
from careplans.selectors import task_queryset_for_user
from careplans.services import (
    task_create,
    task_reassign,
)

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
    # Clinical content: hidden by PolicyAdmin from a user who may not see the task's patient
    # clinically (the front desk reads its own queue's tasks, not the plan or protocol behind them).
    clinical_fields = ("care_plan", "protocol_step")
    clinical_choice_paths = {"patient": ""}
    inlines = [TaskEventInline]

    def get_queryset(self, request):
        return task_queryset_for_user(user=request.user).select_related("patient", "assignee_provider")

    def get_fields(self, request, obj=None):
        return self._without_clinical(self.add_fields if obj is None else self.shown_fields, request, obj)

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
