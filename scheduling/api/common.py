"""Shared by the scheduling endpoints: permission check, local times, visit-type references and
the appointment shape every endpoint answers with."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from core.errors import PermissionDenied
from core.inputs import NUL_MESSAGE
from scheduling.models import AuthorizationStatus, VisitType


def require_perm(user, perm: str, message: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(message)


def local_iso(value: datetime | None, zone_name: str) -> str | None:
    """ISO 8601 with the location's UTC offset, e.g. 2026-03-09T08:00:00-04:00."""
    return value.astimezone(zoneinfo.ZoneInfo(zone_name)).isoformat() if value else None


@extend_schema_field(OpenApiTypes.STR)
class VisitTypeRef(serializers.Field):
    """A visit type by code (preferred) or id."""

    default_error_messages = {
        "unknown": "Unknown or inactive visit type {value!r}.",
        "invalid": "Send a visit type's code or id.",
        "null_characters": NUL_MESSAGE,
    }

    def to_internal_value(self, data):
        if isinstance(data, bool) or not isinstance(data, str | int):
            self.fail("invalid")
        text = str(data).strip()
        if "\x00" in text:
            self.fail("null_characters")
        lookup = {"pk": int(text)} if text.isascii() and text.isdigit() and len(text) <= 18 else {"code": text[:40]}
        try:
            return VisitType.objects.select_related("discipline").get(active=True, **lookup)
        except VisitType.DoesNotExist:
            self.fail("unknown", value=data)

    def to_representation(self, value):
        return value.code


class AppointmentAuthorizationOutput(serializers.Serializer):
    required = serializers.BooleanField()
    status = serializers.ChoiceField(choices=AuthorizationStatus.choices)
    authorization = serializers.IntegerField(allow_null=True, help_text="The prior authorization's id")


class AppointmentOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()
    start = serializers.SerializerMethodField()
    end = serializers.SerializerMethodField()
    patient = serializers.IntegerField(source="patient_id")
    patient_name = serializers.CharField(source="patient.full_name")
    provider = serializers.IntegerField(source="provider_id")
    provider_name = serializers.CharField(source="provider.display_name")
    visit_type = serializers.CharField(source="visit_type.code")
    visit_type_name = serializers.CharField(source="visit_type.name")
    room = serializers.IntegerField(source="room_id", allow_null=True)
    room_name = serializers.CharField(source="room.name", default=None, allow_null=True)
    location = serializers.IntegerField(source="location_id")
    region = serializers.CharField()
    laterality = serializers.CharField()
    video_url = serializers.CharField()
    rescheduled_from = serializers.IntegerField(source="rescheduled_from_id", allow_null=True)
    override_reason = serializers.CharField()
    authorization = serializers.SerializerMethodField()

    @extend_schema_field(AppointmentAuthorizationOutput)
    def get_authorization(self, obj) -> dict:
        """The payer's prior authorization for this visit: an attribute, not a status."""
        status = obj.authorization_status
        return {"required": status != AuthorizationStatus.NOT_REQUIRED, "status": status, "authorization": obj.authorization_ref}

    def get_start(self, obj) -> str:
        return local_iso(obj.start, obj.location.time_zone)

    def get_end(self, obj) -> str:
        return local_iso(obj.end, obj.location.time_zone)


def appointment_output_rows(rows: list[dict]) -> list[dict]:
    """AppointmentOutput's shape, key for key and type for type, from selectors.appointment_rows'
    plain values (tests/scheduling/test_api_appointments.py compares the two): for the list,
    where DRF's per-field machinery over a hundred rows cost more than the query."""
    zones: dict[str, zoneinfo.ZoneInfo] = {}
    out = []
    for row in rows:
        name = row["location__time_zone"]
        zone = zones.get(name) or zones.setdefault(name, zoneinfo.ZoneInfo(name))
        start, end = row["start"], row["end"]
        out.append(
            {
                "id": row["id"],
                "status": row["status"],
                "start": start.astimezone(zone).isoformat() if start else None,
                "end": end.astimezone(zone).isoformat() if end else None,
                "patient": row["patient_id"],
                "patient_name": f"{row['patient__first_name']} {row['patient__last_name']}",
                "provider": row["provider_id"],
                "provider_name": f"{row['provider__first_name']} {row['provider__last_name']}, {row['provider__credentials']}",
                "visit_type": row["visit_type__code"],
                "visit_type_name": row["visit_type__name"],
                "room": row["room_id"],
                "room_name": row["room__name"],
                "location": row["location_id"],
                "region": row["region"],
                "laterality": row["laterality"],
                "video_url": row["video_url"],
                "rescheduled_from": row["rescheduled_from_id"],
                "override_reason": row["override_reason"],
                "authorization": {
                    "required": row["authorization_status"] != AuthorizationStatus.NOT_REQUIRED,
                    "status": row["authorization_status"],
                    "authorization": row["authorization_ref"],
                },
            }
        )
    return out


class ServiceChoiceField(serializers.ChoiceField):
    """Documented (OpenAPI) as its choices, but passed to the service as sent: the service
    normalises case and refuses anything else, with the same message the admin shows."""

    def to_internal_value(self, data):
        if not isinstance(data, str):
            self.fail("invalid_choice", input=data)
        return data
