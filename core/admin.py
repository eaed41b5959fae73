"""The audit trail in the admin: read by the clinic admin (and superusers), written by nobody here.
Rows come only from core.audit. Filters: user, patient (any row naming them, also rows naming
several), action, date. The CSV export is itself audited."""

from __future__ import annotations

import csv

from django.contrib import admin
from django.http import StreamingHttpResponse

from core.admin_utils import DateHierarchyAdminMixin
from core.audit import ACTIONS, audit_record
from core.models import AuditEvent
from core.roles import CLINIC_ADMIN, user_roles

EXPORT_CHUNK = 2000


def reads_the_audit_trail(user) -> bool:
    if not (getattr(user, "is_authenticated", False) and user.is_active and user.is_staff):
        return False
    return user.is_superuser or CLINIC_ADMIN in user_roles(user)


class PatientIdFilter(admin.SimpleListFilter):
    """A patient id typed in (a choice list of every patient would be the patient list)."""

    title = "patient id"
    parameter_name = "patient"
    template = "admin/core/input_filter.html"

    def lookups(self, request, model_admin):
        return [("", "")]  # the filter is shown; the value is typed

    def has_output(self) -> bool:
        return True

    def choices(self, changelist):
        # The template reads the other parameters to keep them in its form.
        self.kept_params = [(k, v) for k, v in changelist.params.items() if k != self.parameter_name]
        return [{"selected": False, "query_string": "", "display": ""}]

    def queryset(self, request, queryset):
        value = (self.value() or "").strip()
        if not value:
            return queryset
        if not value.isdigit():
            return queryset.none()
        return queryset.filter(patients__contains=[int(value)])


class StaffFilter(admin.RelatedFieldListFilter):
    """Staff accounts as choices (a DISTINCT over the trail would read all of it)."""

    def field_choices(self, field, request, model_admin):
        return field.get_choices(include_blank=False, ordering=("username",), limit_choices_to={"is_staff": True})


class DateFilter(admin.DateFieldListFilter):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "date"


class ActionFilter(admin.SimpleListFilter):
    """The known actions, without a DISTINCT over the whole trail."""

    title = "action"
    parameter_name = "action"

    def lookups(self, request, model_admin):
        return [(action, action) for action in ACTIONS]

    def queryset(self, request, queryset):
        return queryset.filter(action=self.value()) if self.value() else queryset


def _rows_csv(rows):
    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())
    yield writer.writerow(
        ["id", "at", "user", "action", "object_type", "object_id", "patients", "ip", "user_agent", "reason", "request_id"]
    )
    for row in rows:
        yield writer.writerow(
            [
                row.pk,
                row.at.isoformat(),
                row.user.get_username() if row.user else "",
                row.action,
                row.object_type,
                row.object_id,
                " ".join(str(p) for p in row.patients),
                row.ip or "",
                row.user_agent,
                row.reason,
                row.request_id,
            ]
        )


@admin.register(AuditEvent)
class AuditEventAdmin(DateHierarchyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "user", "action", "object_type", "object_id", "patients", "ip", "reason", "request_id"]
    list_filter = [("user", StaffFilter), PatientIdFilter, ActionFilter, ("at", DateFilter)]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "=request_id"]
    date_hierarchy = "at"
    show_full_result_count = False
    fields = ["at", "user", "action", "object_type", "object_id", "patients", "reason", "ip", "user_agent", "request_id"]
    readonly_fields = fields
    actions = ["export_csv"]

    def has_module_permission(self, request) -> bool:
        return reads_the_audit_trail(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return reads_the_audit_trail(request.user)

    # Append-only, for superusers too: a trail anyone can edit proves nothing.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description="Export selected rows as CSV", permissions=["view"])
    def export_csv(self, request, queryset):
        """The export is a look at every patient it names: it writes its own "export" row first."""
        rows = queryset.select_related("user").order_by("at", "id")
        patients = set()
        for ids in rows.values_list("patients", flat=True).iterator(chunk_size=EXPORT_CHUNK):
            patients.update(ids)
        audit_record(user=request.user, action="export", patient_ids=patients, reason=f"audit trail CSV export ({rows.count()} rows)")
        response = StreamingHttpResponse(_rows_csv(rows.iterator(chunk_size=EXPORT_CHUNK)), content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="audit-trail.csv"'
        return response


from core import admin_sign_in  # noqa: E402, F401 - registers the API token and TOTP device admins
