"""The audit trail in the admin: read by the clinic admin (and superusers), written by nobody here.
Rows come only from core.audit.audit_record."""

from __future__ import annotations

from django.contrib import admin

from core.models import AuditEvent
from core.roles import CLINIC_ADMIN, user_roles


def _reads_the_audit_trail(user) -> bool:
    if not (getattr(user, "is_authenticated", False) and user.is_active and user.is_staff):
        return False
    return user.is_superuser or CLINIC_ADMIN in user_roles(user)


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ["at", "user", "action", "object_type", "object_id", "patients", "reason"]
    list_filter = ["action", ("at", admin.DateFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    date_hierarchy = "at"
    show_full_result_count = False
    fields = ["at", "user", "action", "object_type", "object_id", "patients", "reason", "ip", "user_agent", "request_id"]
    readonly_fields = fields

    def has_module_permission(self, request) -> bool:
        return _reads_the_audit_trail(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return _reads_the_audit_trail(request.user)

    # Append-only, for superusers too: a trail anyone can edit proves nothing.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


from core import admin_sign_in  # noqa: E402, F401 - registers the API token and TOTP device admins
