"""Booking tickets in the admin: opened through ticket_create; extended and cancelled only through
the actions (ticket_extend, ticket_cancel). The patient's own link books them (messaging)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin

from clinic.admin import PatientScopedAdmin
from core.admin_utils import run_action
from scheduling.models import BookingTicket
from scheduling.tickets import ticket_cancel, ticket_create, ticket_extend

EXTEND_DAYS = 14


class BookingTicketForm(forms.ModelForm):
    class Meta:
        model = BookingTicket
        fields = ["patient", "visit_type", "provider", "earliest", "latest", "visits", "per_week"]

    def clean(self):
        data = super().clean()
        earliest, latest = data.get("earliest"), data.get("latest")
        if earliest and latest and latest < earliest:
            self.add_error("latest", "The last day must be on or after the first day.")
        return data


@admin.register(BookingTicket)
class BookingTicketAdmin(PatientScopedAdmin):
    form = BookingTicketForm
    list_display = ["patient", "visit_type", "provider", "earliest", "latest", "visits", "booked", "status", "source", "created_at"]
    list_filter = ["status", "source", "visit_type__discipline"]
    list_select_related = ["patient", "visit_type", "provider"]
    search_fields = ["patient__mrn", "patient__last_name"]
    autocomplete_fields = ["patient", "visit_type", "provider"]
    readonly_fields = [
        "booked",
        "status",
        "source",
        "source_label",
        "appointments",
        "created_by",
        "created_at",
        "reminded_at",
        "escalated_at",
    ]
    actions = ["extend_tickets", "cancel_tickets"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:  # opened through ticket_create; after that only the actions change it
            return [*BookingTicketForm.Meta.fields, *self.readonly_fields, "cancel_reason"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        return False  # cancel instead: the ticket stays as the record of what was ordered

    def save_model(self, request, obj, form, change):
        if change:
            return
        data = form.cleaned_data
        ticket = ticket_create(
            patient=data["patient"],
            visit_type=data["visit_type"],
            provider=data.get("provider"),
            earliest=data["earliest"],
            latest=data["latest"],
            visits=data.get("visits") or 1,
            per_week=data.get("per_week") or 1,
            source=BookingTicket.Source.STAFF,
            created_by=request.user,
        )
        obj.pk = ticket.pk

    @admin.action(description=f"Extend by {EXTEND_DAYS} days", permissions=["change"])
    def extend_tickets(self, request, queryset):
        run_action(
            request,
            queryset,
            f"Extended by {EXTEND_DAYS} days",
            lambda t: ticket_extend(ticket=t, latest=t.latest + timedelta(days=EXTEND_DAYS), by=request.user),
            noun="ticket(s)",
            name=lambda t: f"Ticket #{t.pk}",
        )

    @admin.action(description="Cancel (no longer needed)", permissions=["change"])
    def cancel_tickets(self, request, queryset):
        run_action(
            request,
            queryset,
            "Cancelled",
            lambda t: ticket_cancel(ticket=t, reason="no longer needed (front desk)", by=request.user),
            noun="ticket(s)",
            name=lambda t: f"Ticket #{t.pk}",
        )
