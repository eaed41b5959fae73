"""Front desk in the admin: appointments with actions that call the services, the day sheet,
and find-and-book (scheduling/admin_views.py)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.shortcuts import render
from django.urls import path
from django.utils.html import format_html

from clinic.admin import PatientScopedAdmin
from core.admin_utils import report_domain_error
from core.errors import DomainError
from scheduling import admin_views, services
from scheduling.admin_views import CancelForm
from scheduling.models import (
    Appointment,
    AppointmentBundle,
    AppointmentEvent,
    AppointmentSeries,
    AvailabilityException,
    AvailabilityTemplate,
    CalendarFeed,
    ClinicClosure,
    FrequencyRule,
    VisitType,
    WaitlistEntry,
)
from scheduling.services.working_time import working_time_exception_saved, working_time_template_saved


@admin.register(VisitType)
class VisitTypeAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "code",
        "discipline",
        "duration_minutes",
        "buffer_before_minutes",
        "buffer_after_minutes",
        "room_kind",
        "is_procedure",
        "telehealth",
        "active",
    ]
    list_filter = ["discipline", "is_procedure", "telehealth", "room_kind", "active"]
    list_select_related = ["discipline"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["discipline"]
    filter_horizontal = ["required_equipment"]


@admin.register(AvailabilityTemplate)
class AvailabilityTemplateAdmin(admin.ModelAdmin):
    list_display = ["provider", "weekday", "start_time", "end_time", "location", "valid_from", "valid_until"]
    list_filter = ["weekday", "location", "provider__discipline"]
    list_select_related = ["provider", "location"]
    search_fields = ["provider__last_name", "provider__first_name"]
    autocomplete_fields = ["provider", "location"]
    filter_horizontal = ["visit_types"]

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # visit types are set by now
        working_time_template_saved(template=form.instance)


@admin.register(AvailabilityException)
class AvailabilityExceptionAdmin(admin.ModelAdmin):
    list_display = ["provider", "kind", "start", "end", "location", "reason"]
    list_filter = ["kind", "location"]
    list_select_related = ["provider", "location"]
    search_fields = ["provider__last_name", "reason"]
    autocomplete_fields = ["provider", "location"]
    date_hierarchy = "start"

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        working_time_exception_saved(exception=obj)


@admin.register(ClinicClosure)
class ClinicClosureAdmin(admin.ModelAdmin):
    list_display = ["date", "location", "reason"]
    list_filter = ["location"]
    list_select_related = ["location"]
    search_fields = ["reason"]
    date_hierarchy = "date"


@admin.register(FrequencyRule)
class FrequencyRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "payer", "max_sessions", "window_days", "min_interval_days", "prerequisite_family", "active"]
    list_filter = ["payer", "active"]
    list_select_related = ["payer"]
    search_fields = ["name", "source"]
    autocomplete_fields = ["payer"]


class AppointmentEventInline(admin.TabularInline):
    model = AppointmentEvent
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "by", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by")


def _run(request, queryset, label: str, fn) -> None:
    done = 0
    for appointment in queryset:
        try:
            fn(appointment)
            done += 1
        except DomainError as error:
            report_domain_error(request, error, prefix=f"Appointment #{appointment.pk}: ")
    if done:
        messages.success(request, f"{label}: {done} appointment(s).")


@admin.register(Appointment)
class AppointmentAdmin(PatientScopedAdmin):
    list_display = ["local_start", "patient_link", "provider", "visit_type", "room", "status_badge"]
    list_filter = ["status", "visit_type__discipline", "provider", "room", "location", ("start", admin.DateFieldListFilter)]
    list_select_related = ["patient", "provider", "visit_type", "room", "location"]
    search_fields = ["patient__mrn", "patient__last_name", "patient__first_name", "patient__phone"]
    date_hierarchy = "start"
    ordering = ["start"]
    actions = ["confirm", "check_in", "mark_no_show", "cancel_with_reason"]
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
        obj.save(update_fields=["notes", "updated_at"])

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
        _run(request, queryset, "Confirmed", lambda a: services.appointment_confirm(appointment=a, by=request.user))

    @admin.action(description="Check in selected patients", permissions=["change"])
    def check_in(self, request, queryset):
        _run(request, queryset, "Checked in", lambda a: services.appointment_check_in(appointment=a, by=request.user))

    @admin.action(description="Mark selected as no-show", permissions=["change"])
    def mark_no_show(self, request, queryset):
        _run(request, queryset, "Marked no-show", lambda a: services.appointment_no_show(appointment=a, by=request.user))

    @admin.action(description="Cancel selected (asks for a reason)", permissions=["change"])
    def cancel_with_reason(self, request, queryset):
        if "apply" in request.POST:
            form = CancelForm(request.POST)
            if form.is_valid():
                reason = form.cleaned_data["reason"]
                _run(request, queryset, "Cancelled", lambda a: services.appointment_cancel(appointment=a, reason=reason, by=request.user))
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
class AppointmentBundleAdmin(PatientScopedAdmin):
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


class WaitlistEntryForm(forms.ModelForm):
    class Meta:
        model = WaitlistEntry
        fields = [
            "patient",
            "visit_type",
            "provider",
            "earliest_date",
            "latest_date",
            "weekdays",
            "earliest_time",
            "latest_time",
            "priority",
            "notes",
        ]

    def clean(self):
        from django.utils import timezone

        from scheduling.waitlist import waitlist_entry_errors

        data = super().clean()
        needed = ("patient", "visit_type", "earliest_date", "latest_date")
        if self.instance.pk is None and all(data.get(f) for f in needed):
            errors = waitlist_entry_errors(
                **{f: data[f] for f in needed},
                provider=data.get("provider"),
                weekdays=data.get("weekdays"),
                earliest_time=data.get("earliest_time"),
                latest_time=data.get("latest_time"),
                now=timezone.now(),
            )
            for field, problems in errors.items():
                self.add_error(field, problems)
        return data


@admin.register(WaitlistEntry)
class WaitlistEntryAdmin(PatientScopedAdmin):
    form = WaitlistEntryForm
    list_display = ["patient", "visit_type", "provider", "earliest_date", "latest_date", "priority", "status", "offer_expires_at"]
    list_filter = ["status", "priority", "visit_type__discipline"]
    list_select_related = ["patient", "visit_type", "provider"]
    search_fields = ["patient__mrn", "patient__last_name"]
    autocomplete_fields = ["patient", "visit_type", "provider"]
    # Status moves only through the waitlist services (offer, claim, expire, remove).
    readonly_fields = ["status", "offered_appointment", "offer_expires_at", "created_by", "created_at"]
    actions = ["claim_offer", "remove_entries"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        from scheduling.waitlist import waitlist_add

        data = {f: form.cleaned_data.get(f) for f in ("provider", "weekdays", "earliest_time", "latest_time", "priority", "notes")}
        entry = waitlist_add(
            patient=form.cleaned_data["patient"],
            visit_type=form.cleaned_data["visit_type"],
            earliest_date=form.cleaned_data["earliest_date"],
            latest_date=form.cleaned_data["latest_date"],
            created_by=request.user,
            **{k: v for k, v in data.items() if v not in (None, "")},
        )
        obj.pk = entry.pk

    @admin.action(description="Remove from the waitlist (releases a held slot)", permissions=["change"])
    def remove_entries(self, request, queryset):
        from scheduling.waitlist import waitlist_remove

        for entry in queryset:
            waitlist_remove(entry_id=entry.pk, by=request.user)
        messages.success(request, "Removed.")

    @admin.action(description="Claim the offered slot for the patient", permissions=["change"])
    def claim_offer(self, request, queryset):
        from scheduling.waitlist import waitlist_claim

        for entry in queryset:
            try:
                waitlist_claim(entry_id=entry.pk)
                messages.success(request, f"Booked the offered slot for waitlist entry #{entry.pk}.")
            except DomainError as error:
                report_domain_error(request, error, prefix=f"Waitlist entry #{entry.pk}: ")


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    list_display = ["provider", "created_at", "revoked_at"]
    list_select_related = ["provider"]
    autocomplete_fields = ["provider"]
    readonly_fields = ["token", "created_at", "revoked_at"]
    fields = ["provider", "token", "created_at", "revoked_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if not change:
            from scheduling.ical import calendar_feed_issue

            issued = calendar_feed_issue(provider=obj.provider)
            obj.pk, obj.token, obj.created_at = issued.pk, issued.token, issued.created_at
            return
        super().save_model(request, obj, form, change)

    @admin.action(description="Revoke selected feeds")
    def revoke(self, request, queryset):
        from scheduling.ical import calendar_feed_revoke

        for feed in queryset:
            calendar_feed_revoke(feed=feed)
        messages.success(request, "Revoked.")
