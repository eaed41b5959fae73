"""The break-glass report: every emergency opening of a record, for the clinic admin's review
(who, which patient by id, why, until when, how many looks were recorded under it). Read-only
for everyone: rows come only from careplans.services.break_glass_open."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import CharField, Count, IntegerField, OuterRef, Subquery, Value
from django.db.models.functions import Cast, Coalesce, Concat
from django.template.defaultfilters import truncatechars
from django.utils import timezone

from careplans.models import BreakGlass
from core.admin_utils import DateHierarchyAdminMixin
from core.models import AuditEvent
from core.roles import CLINIC_ADMIN, user_roles


def _reviews_break_glass(user) -> bool:
    if not (getattr(user, "is_authenticated", False) and user.is_active and user.is_staff):
        return False
    return user.is_superuser or CLINIC_ADMIN in user_roles(user)


def _looks():
    """Audit rows of looks made under a break-glass: their reason starts "break-glass #<id>:"."""
    prefix = Concat(Value("break-glass #"), Cast(OuterRef("pk"), CharField()), Value(":"))
    rows = AuditEvent.objects.filter(action="view", reason__startswith=prefix).order_by().values("action")
    return Coalesce(Subquery(rows.annotate(n=Count("id")).values("n")[:1], output_field=IntegerField()), Value(0))


@admin.register(BreakGlass)
class BreakGlassAdmin(DateHierarchyAdminMixin, admin.ModelAdmin):
    list_display = ["id", "opened_at", "user", "patient_ref", "short_reason", "expires_at", "live", "looks", "notified_at"]
    list_display_links = ["id", "opened_at"]
    list_filter = [("opened_at", admin.DateFieldListFilter), ("user", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["user"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "=patient__id"]
    date_hierarchy = "opened_at"
    show_full_result_count = False
    fields = ["id", "user", "patient_ref", "reason", "opened_at", "expires_at", "live", "looks", "notified_at"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(look_count=_looks())

    @admin.display(description="patient", ordering="patient_id")
    def patient_ref(self, obj) -> str:
        # Minimum necessary: the id the clinic admin looks the patient up by, not the name.
        return f"#{obj.patient_id}"

    @admin.display(description="reason")
    def short_reason(self, obj) -> str:
        return truncatechars(obj.reason, 80)

    @admin.display(description="open now", boolean=True)
    def live(self, obj) -> bool:
        return obj.expires_at > timezone.now()

    @admin.display(description="looks recorded", ordering="look_count")
    def looks(self, obj) -> int:
        return obj.look_count

    def has_module_permission(self, request) -> bool:
        return _reviews_break_glass(request.user)

    def has_view_permission(self, request, obj=None) -> bool:
        return _reviews_break_glass(request.user)

    # A record of who opened what in an emergency proves something only if nobody can edit it.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
