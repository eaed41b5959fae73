"""The waitlist in the admin: entries are added through waitlist_add and move only through the
actions (claim, remove); each change shows in its event trail."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.utils import timezone

from clinic.admin import PatientScopedAdmin
from core.admin_utils import run_action
from scheduling.models import (
    WAITLIST_OPEN,
    WaitlistEntry,
    WaitlistEvent,
)
from scheduling.waitlist import waitlist_add, waitlist_claim, waitlist_entry_errors, waitlist_remove


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
        # The service's own checks (waitlist_add applies the same), shown as form errors.
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


class WaitlistEventInline(admin.TabularInline):
    model = WaitlistEvent
    extra = 0
    can_delete = False
    fields = ["at", "from_status", "to_status", "by", "appointment", "reason"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.has_perm("scheduling.view_waitlistentry")  # the trail goes with the entry

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("by", "appointment")


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
    inlines = [WaitlistEventInline]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # made through waitlist_add; after that only the actions change it
            return [*WaitlistEntryForm.Meta.fields, *self.readonly_fields]
        return self.readonly_fields

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # "Remove from the waitlist" records why and releases a held slot

    def save_model(self, request, obj, form, change):
        if change:
            return  # an entry's fields are read-only once made; its status moves through the actions
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
        # Booked, expired or already removed entries are left as they are, and said so.
        closed = queryset.exclude(status__in=WAITLIST_OPEN).count()
        run_action(
            request,
            queryset.filter(status__in=WAITLIST_OPEN),
            "Removed from the waitlist",
            lambda entry: waitlist_remove(entry_id=entry.pk, by=request.user),
            noun="entr(y/ies)",
            name=lambda entry: f"Waitlist entry #{entry.pk}",
        )
        if closed:
            messages.warning(request, f"{closed} selected entr(y/ies) were no longer waiting or offered and were left as they are.")

    @admin.action(description="Claim the offered slot for the patient", permissions=["change"])
    def claim_offer(self, request, queryset):
        run_action(
            request,
            queryset,
            "Booked the offered slot",
            lambda entry: waitlist_claim(entry_id=entry.pk, by=request.user),
            noun="entr(y/ies)",
            name=lambda entry: f"Waitlist entry #{entry.pk}",
        )
