"""Procedure records (through procedure_record_set, so complications run their steps), and the
read-only checklist items and questionnaires."""

from __future__ import annotations

from django import forms
from django.contrib import admin

from careplans.admin.base import ServiceAdmin, ServiceForm
from careplans.models import (
    ChecklistItem,
    Complication,
    ProcedureRecord,
    QuestionnaireRequest,
    QuestionnaireResponse,
)
from careplans.services import (
    procedure_record_set,
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
    list_display = ["appointment", "version", "source", "complications", "recorded_at"]
    list_select_related = ["appointment"]
    search_fields = ["appointment__patient__mrn"]
    raw_id_fields = ["appointment"]
    fields = ["appointment", "complications", "note"]
    # Saving an existing record stores a new version (records are never overwritten).
    readonly_fields = ["version", "source", "relief_percent", "relief_weeks", "functional_improvement", "recorded_by", "recorded_at"]
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

    list_display = ["questionnaire", "patient", "score", "severity", "answered_at", "source", "entered_by"]
    list_filter = ["questionnaire", "severity", "source"]
    list_select_related = ["patient", "entered_by"]
    search_fields = ["patient__mrn", "patient__last_name"]
