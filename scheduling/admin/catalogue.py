"""Configuration in the admin: the visit-type catalogue, working time, closures, payer rules and
providers' calendar feeds. Saving working time tells the waitlist (working_time_*_saved)."""

from __future__ import annotations

from django.contrib import admin, messages
from django.utils.html import format_html

from core.admin_utils import DateHierarchyAdminMixin
from scheduling.models import (
    AvailabilityException,
    AvailabilityTemplate,
    BillingRegion,
    CalendarFeed,
    ClinicClosure,
    FrequencyRule,
    VisitType,
)
from scheduling.services.feeds import calendar_feed_issue, calendar_feed_revoke, calendar_feed_rotate, calendar_feed_url
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
        "procedure_risk",
        "telehealth",
        "active",
    ]
    list_filter = ["discipline", "is_procedure", "telehealth", "room_kind", "locations", "active"]
    list_select_related = ["discipline"]
    search_fields = ["name", "code"]
    autocomplete_fields = ["discipline"]
    # Locations: none chosen = offered at every location (booking refuses it elsewhere).
    filter_horizontal = ["required_equipment", "locations"]


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
class AvailabilityExceptionAdmin(DateHierarchyAdminMixin, admin.ModelAdmin):
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
class ClinicClosureAdmin(DateHierarchyAdminMixin, admin.ModelAdmin):
    list_display = ["date", "location", "reason"]
    list_filter = ["location"]
    list_select_related = ["location"]
    search_fields = ["reason"]
    date_hierarchy = "date"


@admin.register(FrequencyRule)
class FrequencyRuleAdmin(admin.ModelAdmin):
    list_display = [
        "name",
        "payer",
        "max_sessions",
        "window_months",
        "min_interval_days",
        "repeat_min_relief_percent",
        "repeat_min_relief_weeks",
        "prerequisite_family",
        "active",
    ]
    list_filter = ["payer", "active"]
    list_select_related = ["payer"]
    search_fields = ["name", "source"]
    autocomplete_fields = ["payer"]
    fieldsets = [
        (None, {"fields": ["name", "payer", "procedure_families", "source", "active"]}),
        (
            "Limits (dates of service in the location's time zone, per billing region)",
            {"fields": ["max_sessions", "window_months", "min_interval_days"]},
        ),
        (
            "Relief before a repeat session (from the previous session in the billing region)",
            {"fields": ["repeat_min_relief_percent", "repeat_min_relief_weeks", "repeat_accepts_functional_improvement"]},
        ),
        (
            "Prerequisite before the first session in the billing region",
            {"fields": ["prerequisite_family", "prerequisite_count", "prerequisite_min_relief_percent"]},
        ),
    ]


@admin.register(BillingRegion)
class BillingRegionAdmin(admin.ModelAdmin):
    """Which spinal levels payer limits count together; the appointment keeps the finer level."""

    list_display = ["name", "code", "spinal_regions", "source"]
    search_fields = ["name", "code"]


@admin.register(CalendarFeed)
class CalendarFeedAdmin(admin.ModelAdmin):
    """Feeds are issued, rotated and revoked through scheduling.services.feeds. The URL is shown
    once, in the message after issuing; the database keeps only a hash, so no screen can show
    it again (rotate to get a new one)."""

    list_display = ["provider", "token_prefix", "show_details", "created_at", "expires_at", "revoked_at"]
    list_filter = ["show_details"]
    list_select_related = ["provider"]
    autocomplete_fields = ["provider"]
    actions = ["rotate", "revoke"]

    def get_fields(self, request, obj=None):
        if obj is None:
            return ["provider", "show_details"]
        return ["provider", "token_prefix", "show_details", "created_at", "expires_at", "revoked_at"]

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.get_fields(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return  # nothing is editable after issue; the form is read-only
        issued = calendar_feed_issue(provider=obj.provider, show_details=obj.show_details, by=request.user)
        obj.pk, obj.token_hash, obj.token_prefix, obj.created_at, obj.expires_at = (
            issued.pk,
            issued.token_hash,
            issued.token_prefix,
            issued.created_at,
            issued.expires_at,
        )
        self._show_url_once(request, issued)

    def _show_url_once(self, request, feed: CalendarFeed) -> None:
        messages.warning(
            request,
            format_html(
                "Calendar feed URL for {} — copy it now, it will not be shown again: <code>{}</code> (expires {}).",
                feed.provider,
                calendar_feed_url(feed.issued_token),
                f"{feed.expires_at:%Y-%m-%d}",
            ),
        )

    @admin.action(description="Rotate selected feeds (new URL, old one stops working)")
    def rotate(self, request, queryset):
        for feed in queryset.filter(revoked_at__isnull=True).select_related("provider"):
            self._show_url_once(request, calendar_feed_rotate(feed=feed, by=request.user))

    @admin.action(description="Revoke selected feeds")
    def revoke(self, request, queryset):
        for feed in queryset:
            calendar_feed_revoke(feed=feed, by=request.user)
        messages.success(request, "Revoked.")
