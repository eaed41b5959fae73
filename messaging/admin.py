from django.contrib import admin, messages
from django.core.paginator import Paginator
from django.utils.functional import cached_property

from clinic.admin import PatientScopedAdmin
from core import access
from core.access import Kind
from core.admin_access import PolicyInline
from core.admin_utils import DateHierarchyAdminMixin
from messaging.models import FailedMessage, InboundSms, Message, MessageStatus, Purpose, ReminderRule
from messaging.redaction import mask_links, message_text
from messaging.services.transitions import message_resend
from scheduling.admin import AppointmentAdmin

READ_ONLY = [
    "patient",
    "appointment",
    "waitlist_entry",
    "channel",
    "purpose",
    "offset_minutes",
    "due_at",
    "status",
    "status_reason",
    "urgent",
    "attempts",
    "shown_last_error",
    "provider_message_id",
    "idempotency_key",
    "shown_subject",
    "shown_body",
    "attach_ics",
    "claimed_at",
    "lease_expires_at",
    "send_started_at",
    "sent_at",
    "delivered_at",
    "created_at",
    "updated_at",
]


class CappedCountPaginator(Paginator):
    """The outbox grows without end; counting it on every changelist page is the slow part."""

    @cached_property
    def count(self) -> int:
        return self.object_list.values("pk")[:10_000].count()


@admin.action(description="Resend the selected failed messages", permissions=["resend"])
def resend(modeladmin, request, queryset):
    # The only write the messaging admin makes, through the service (failed → pending).
    done = sum(message_resend(message_id=pk, by=request.user) for pk in queryset.values_list("pk", flat=True))
    modeladmin.message_user(request, f"{done} message(s) queued again.", messages.SUCCESS if done else messages.WARNING)


class HeldBackFilter(admin.SimpleListFilter):
    """Why a message is still waiting, in the words the dispatcher writes into status_reason."""

    title = "held back by"
    parameter_name = "held_back"
    REASONS = {"sms_limit": ("SMS limit (1 a day, 3 a week)", "SMS limit"), "quiet": ("Quiet hours", "quiet hours"),
               "retry": ("Mail or SMS server, retrying", "retrying:")}  # fmt: skip

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _) in self.REASONS.items()]

    def queryset(self, request, queryset):
        if self.value() in self.REASONS:
            return queryset.filter(status=MessageStatus.PENDING, status_reason__startswith=self.REASONS[self.value()][1])
        return queryset


class _MessageAdminBase(DateHierarchyAdminMixin, PatientScopedAdmin):
    """The outbox, read-only: rows are written by the planner and the dispatcher, and staff
    change one only through the resend action (message_resend). Scoped to the patients whose
    messages the user may see (core.access, Kind.MESSAGES)."""

    kind = Kind.MESSAGES
    list_display = ["id", "patient", "purpose", "channel", "status", "why", "due_at", "sent_at", "attempts", "appointment_id"]
    list_filter = ["status", HeldBackFilter, "channel", "purpose", "urgent"]
    list_select_related = ["patient"]
    search_fields = ["=id", "=patient__mrn", "=provider_message_id", "=idempotency_key"]
    date_hierarchy = "due_at"
    readonly_fields = READ_ONLY
    fields = READ_ONLY
    paginator = CappedCountPaginator
    show_full_result_count = False
    actions = [resend]

    def get_queryset(self, request):
        # That an urgent alert went to clinicians about a patient is a clinical fact (a crisis
        # answer, a red flag): the front desk and the clinic admin do not see those rows at all.
        qs = super().get_queryset(request)
        if not access.may_ever(request.user, Kind.CLINICAL):
            qs = qs.exclude(purpose=Purpose.STAFF_ALERT)
        return qs

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def has_resend_permission(self, request) -> bool:
        return request.user.has_perm("messaging.change_message")

    def get_object(self, request, object_id, from_field=None):
        # The text is shaped for the person looking (messaging.redaction): remember who that is.
        obj = super().get_object(request, object_id, from_field)
        if obj is not None:
            obj.shown_to = request.user
        return obj

    @admin.display(description="Subject")
    def shown_subject(self, obj) -> str:
        return message_text(getattr(obj, "shown_to", None), obj, "subject")

    @admin.display(description="Body")
    def shown_body(self, obj) -> str:
        return message_text(getattr(obj, "shown_to", None), obj, "body")

    @admin.display(description="Last error")
    def shown_last_error(self, obj) -> str:
        return mask_links(obj.last_error)

    @admin.display(description="Why (waiting, not sent or failed)", ordering="status_reason")
    def why(self, obj) -> str:
        return mask_links(obj.status_reason)


@admin.register(Message)
class MessageAdmin(_MessageAdminBase):
    pass


@admin.register(FailedMessage)
class FailedMessageAdmin(_MessageAdminBase):
    """Failed and undeliverable messages, oldest problem first, with the resend action."""

    list_display = ["id", "patient", "appointment_id", "channel", "purpose", "due_at", "attempts", "shown_last_error"]
    list_filter = ["channel", "purpose"]

    def get_queryset(self, request):
        return super().get_queryset(request).filter(status=MessageStatus.FAILED).order_by("-updated_at")


@admin.register(ReminderRule)
class ReminderRuleAdmin(admin.ModelAdmin):
    list_display = ["__str__", "visit_type", "channel", "purpose", "offset_minutes", "send_at_local_time", "active"]
    list_filter = ["active", "channel", "purpose", ("visit_type", admin.EmptyFieldListFilter)]
    list_select_related = ["visit_type"]
    list_editable = ["active"]
    autocomplete_fields = ["visit_type"]


@admin.register(InboundSms)
class InboundSmsAdmin(PatientScopedAdmin):
    """Texts patients sent, as received: read-only (the inbound service wrote them and acted)."""

    kind = Kind.MESSAGES
    list_display = ["received_at", "patient", "action", "body"]
    list_filter = ["action"]
    list_select_related = ["patient"]
    search_fields = ["=patient__mrn", "=provider_message_id"]
    readonly_fields = ["provider_message_id", "from_number", "patient", "body", "action", "reply", "received_at"]
    paginator = CappedCountPaginator
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class MessageInline(PolicyInline, admin.TabularInline):
    """The appointment's messages and their states, read-only (for the Appointment admin)."""

    model = Message
    extra = 0
    can_delete = False
    fields = ["channel", "purpose", "due_at", "status", "status_reason", "sent_at", "delivered_at", "attempts", "shown_last_error"]
    readonly_fields = fields
    ordering = ["due_at", "id"]
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description="Last error")
    def shown_last_error(self, obj) -> str:
        return mask_links(obj.last_error)


# The appointment page shows its messages; scheduling's admin does not import messaging.
AppointmentAdmin.extra_inlines = [*AppointmentAdmin.extra_inlines, MessageInline]
