"""GET /api/v1/audit-events/: the audit trail for the clinic admin (and superusers).

?patient=<id>&user=<id>&action=<view|create|change|delete|export|break-glass|login|login-failed>
&since=<iso>&until=<iso>; `patient` matches rows that name several patients too. Each row:
{id, at, user, action, object_type, object_id, patients, ip, user_agent, reason, request_id}.
Reading the trail is not itself recorded (it would add a row per page naming every patient on it);
exporting it is (core/admin.py)."""

from __future__ import annotations

from datetime import datetime, time

from django.utils import timezone
from django.utils.dateparse import parse_date
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.permissions import BasePermission

from core.access import is_active_user
from core.audit import ACTIONS
from core.errors import ValidationFailed
from core.models import AuditEvent
from core.roles import CLINIC_ADMIN, user_roles


class ReadsAuditTrail(BasePermission):
    message = "The audit trail is for the clinic admin."

    def has_permission(self, request, view) -> bool:
        user = request.user
        return is_active_user(user) and (user.is_superuser or CLINIC_ADMIN in user_roles(user))


class InstantField(serializers.DateTimeField):
    """An ISO 8601 date and time (without an offset, read in the clinic's zone) or a date: the
    start of that day for `since`, its end for `until` (both ends are included)."""

    def __init__(self, *, end_of_day: bool = False, **kwargs):
        self.end_of_day = end_of_day
        super().__init__(**kwargs)

    def to_internal_value(self, value):
        try:
            day = parse_date(value.strip()) if isinstance(value, str) else None
        except ValueError:  # well formed, not a real day (2026-02-30)
            self.fail("invalid", format="YYYY-MM-DD or YYYY-MM-DDThh:mm[:ss][+HH:MM]")
        if day is not None:
            return timezone.make_aware(datetime.combine(day, time.max if self.end_of_day else time.min))
        return super().to_internal_value(value)


class AuditQuery(serializers.Serializer):
    patient = serializers.IntegerField(required=False, min_value=1, max_value=2**63 - 1)
    user = serializers.IntegerField(required=False, min_value=1, max_value=2**31 - 1)
    action = serializers.ChoiceField(choices=ACTIONS, required=False)
    since = InstantField(required=False)
    until = InstantField(required=False, end_of_day=True)

    def validate(self, data):
        if "since" in data and "until" in data and data["since"] > data["until"]:
            raise serializers.ValidationError({"until": ["Must not be before since."]})
        return data


class AuditEventOutput(serializers.ModelSerializer):
    user = serializers.IntegerField(source="user_id", allow_null=True)

    class Meta:
        model = AuditEvent
        fields = ["id", "at", "user", "action", "object_type", "object_id", "patients", "ip", "user_agent", "reason", "request_id"]


class AuditEventListApi(ListAPIView):
    serializer_class = AuditEventOutput
    permission_classes = [ReadsAuditTrail]

    def get_queryset(self):
        query = AuditQuery(data=self.request.query_params)
        if not query.is_valid():
            raise ValidationFailed("Check the filters.", field_errors={k: [str(m) for m in v] for k, v in query.errors.items()})
        filters = query.validated_data
        rows = AuditEvent.objects.order_by("-at", "-id")
        if "patient" in filters:
            rows = rows.filter(patients__contains=[filters["patient"]])
        if "user" in filters:
            rows = rows.filter(user_id=filters["user"])
        if "action" in filters:
            rows = rows.filter(action=filters["action"])
        if "since" in filters:
            rows = rows.filter(at__gte=filters["since"])
        if "until" in filters:
            rows = rows.filter(at__lte=filters["until"])
        return rows
