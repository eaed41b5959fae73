"""Front desk in the admin: appointments with actions that call the services, and the pages of
scheduling/admin_views.py (day sheet, find-and-book, bundles, series, cancel with a reason).
Series and bundles are read here; they are booked through find-and-book."""

from __future__ import annotations

from django.contrib import admin
from django.shortcuts import render
from django.urls import path
from django.utils.html import format_html

from clinic.admin import PatientScopedAdmin
from core.admin_utils import DateHierarchyAdminMixin, run_action
from scheduling import admin_views, services
from scheduling.admin_views import CancelForm
from scheduling.models import (
    Appointment,
    AppointmentBundle,
    AppointmentEvent,
    AppointmentSeries,
)


class AppointmentEventInline(admin.TabularInline):
    model = AppointmentEvent
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "by", "reason", "payer_rules_overridden"]
    readonly_fields = fields

    @admin.display(description="Payer rules overridden")
    def payer_rules_overridden(self, event: AppointmentEvent) -> str:
        return "; ".join(_overridden(seen) for seen in (event.detail or {}).get("payer_rules_overridden", [])) or "—"

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


def _overridden(seen: dict) -> str:
    """One overridden rule with what it counted (scheduling facts only; see rules.Violation.seen)."""
    check = seen.get("check")
    if check == "max_sessions":
        saw = f"{seen.get('counted')} of {seen.get('max_sessions')} in {seen.get('window_months')} months already counted"
    elif check == "min_interval_days":
        saw = f"{seen.get('too_close')} session(s) within {seen.get('min_interval_days')} days"
    elif check == "repeat_relief":
        saw = f"previous session {seen.get('previous_date')} did not meet the relief required"
    elif check == "prerequisite":
        saw = f"{seen.get('required')} qualifying prerequisite session(s) required"
    else:
        saw = ""
    return f"{seen.get('rule', '')} ({saw})" if saw else str(seen.get("rule", ""))


def run_on_appointments(request, queryset, label: str, fn) -> int:
    return run_action(request, queryset, label, fn, noun="appointment(s)", name=lambda a: f"Appointment #{a.pk}")


@admin.register(Appointment)
class AppointmentAdmin(DateHierarchyAdminMixin, PatientScopedAdmin):
    clinical_fields = ("relief_percent",)  # % relief is clinical: hidden, unfilterable for the front desk
    list_display = ["local_start", "patient_link", "provider", "visit_type", "room", "status_badge"]
    list_filter = ["status", "visit_type__discipline", "provider", "room", "location", ("start", admin.DateFieldListFilter)]
    list_select_related = ["patient", "provider", "visit_type", "room", "location"]
    search_fields = ["patient__mrn", "patient__last_name", "patient__first_name", "patient__phone"]
    date_hierarchy = "start"
    ordering = ["start"]
    actions = ["confirm", "check_in", "start_visit", "complete_visit", "mark_no_show", "cancel_with_reason"]
    inlines = [AppointmentEventInline]
    # Apps above scheduling add their own inlines here (messaging: the appointment's messages),
    # so scheduling does not import them.
    extra_inlines: list = []

    def get_inlines(self, request, obj):
        return [*self.inlines, *self.extra_inlines]

    show_full_result_count = False
    readonly_fields = [
        "patient",
        "provider",
        "visit_type",
        "location",
        "room",
        "start",
        "end",
        "room_start",
        "room_end",
        "status",
        "hold_expires_at",
        "region",
        "laterality",
        "relief_percent",
        "video_url",
        "series",
        "bundle",
        "rescheduled_from",
        "override_reason",
        "overridden_by",
        "authorization_status",
        "authorization_ref",
        "booked_by",
        "cancelled_by",
        "cancel_reason",
        "created_at",
        "confirmed_at",
        "checked_in_at",
        "started_at",
        "completed_at",
        "cancelled_at",
        "no_show_at",
    ]
    fields = ["notes", *readonly_fields]

    def has_add_permission(self, request) -> bool:
        # New appointments are made through find-and-book, which runs every check.
        return False

    def save_model(self, request, obj, form, change):
        # Only the scheduling note is editable here; writing the whole row could undo a
        # concurrent check-in or cancellation made through the services.
        services.appointment_notes_set(appointment=obj, notes=form.cleaned_data["notes"], by=request.user)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # clinical records are cancelled, never deleted

    @admin.display(description="Start (local)", ordering="start")
    def local_start(self, obj):
        return obj.start.astimezone(obj.location.zone).strftime("%a %d %b %Y %H:%M")

    @admin.display(description="Patient", ordering="patient__last_name")
    def patient_link(self, obj):
        return f"{obj.patient.last_name}, {obj.patient.first_name} ({obj.patient.mrn})"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return format_html('<span class="appt-status appt-{}">{}</span>', obj.status, obj.get_status_display())

    @admin.action(description="Confirm selected appointments", permissions=["change"])
    def confirm(self, request, queryset):
        run_on_appointments(request, queryset, "Confirmed", lambda a: services.appointment_confirm(appointment=a, by=request.user))

    @admin.action(description="Check in selected patients", permissions=["change"])
    def check_in(self, request, queryset):
        run_on_appointments(request, queryset, "Checked in", lambda a: services.appointment_check_in(appointment=a, by=request.user))

    # Starting and completing a procedure are clinical: the service refuses them to the front desk.
    @admin.action(description="Start selected visits", permissions=["change"])
    def start_visit(self, request, queryset):
        run_on_appointments(request, queryset, "Started", lambda a: services.appointment_start(appointment=a, by=request.user))

    @admin.action(description="Complete selected visits", permissions=["change"])
    def complete_visit(self, request, queryset):
        run_on_appointments(request, queryset, "Completed", lambda a: services.appointment_complete(appointment=a, by=request.user))

    @admin.action(description="Mark selected as no-show", permissions=["change"])
    def mark_no_show(self, request, queryset):
        run_on_appointments(request, queryset, "Marked no-show", lambda a: services.appointment_no_show(appointment=a, by=request.user))

    @admin.action(description="Cancel selected (asks for a reason)", permissions=["change"])
    def cancel_with_reason(self, request, queryset):
        if "apply" in request.POST:
            form = CancelForm(request.POST)
            if form.is_valid():
                reason = form.cleaned_data["reason"]
                run_on_appointments(
                    request, queryset, "Cancelled", lambda a: services.appointment_cancel(appointment=a, reason=reason, by=request.user)
                )
                return None
        else:
            form = CancelForm()
        return render(
            request,
            "admin/scheduling/appointment/cancel_selected.html",
            {
                **self.admin_site.each_context(request),
                "title": "Cancel appointments",
                "form": form,
                "appointments": queryset,
                "opts": self.model._meta,
                "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            },
        )

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("day-sheet/", wrap(admin_views.day_sheet), name="scheduling_day_sheet"),
            path("find-and-book/", wrap(admin_views.find_and_book), name="scheduling_find_and_book"),
            path("find-and-book/bundle/", wrap(admin_views.bundle_book_view), name="scheduling_bundle_book"),
            path("find-and-book/series/", wrap(admin_views.series_book_view), name="scheduling_series_book"),
            path("<int:pk>/cancel/", wrap(admin_views.cancel_appointment), name="scheduling_cancel_appointment"),
            *super().get_urls(),
        ]


@admin.register(AppointmentSeries)
class AppointmentSeriesAdmin(PatientScopedAdmin):
    list_display = ["__str__", "patient", "provider", "start_date", "created_at"]
    list_select_related = ["patient", "provider", "visit_type"]
    search_fields = ["patient__mrn", "patient__last_name"]
    autocomplete_fields = ["patient", "provider", "visit_type"]

    # Series and bundles are booked through find-and-book (all their checks); here they are read.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AppointmentBundle)
class AppointmentBundleAdmin(DateHierarchyAdminMixin, PatientScopedAdmin):
    list_display = ["__str__", "patient", "date", "max_gap_minutes"]
    list_select_related = ["patient"]
    search_fields = ["patient__mrn", "patient__last_name"]
    autocomplete_fields = ["patient"]
    date_hierarchy = "date"

    # Series and bundles are booked through find-and-book (all their checks); here they are read.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
