"""Protocols and their steps: configuration, the clinic admin's to edit."""

from __future__ import annotations

from django.contrib import admin

from careplans.models import (
    Protocol,
    ProtocolStep,
)

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
