"""Scheduling API: thin views that validate input, call one service or selector, shape output.

Domain errors become 400/403/404/409 in core.api.exception_handler; nothing here decides a rule."""

from __future__ import annotations

import zoneinfo
from datetime import datetime

from django.db import transaction
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.models import Discipline, Provider, Room
from clinic.selectors import patient_get_for_user
from core.api import AwareDateTimeField
from core.errors import PermissionDenied
from scheduling import services
from scheduling.models import AppointmentStatus, Laterality, SpinalRegion, VisitType, WaitlistEntry
from scheduling.selectors import appointment_get_for_user, appointment_list, waitlist_entry_get_for_user, waitlist_queryset_for_user


def require_perm(user, perm: str, message: str) -> None:
    if not user.has_perm(perm):
        raise PermissionDenied(message)


def local_iso(value: datetime | None, zone_name: str) -> str | None:
    """ISO 8601 with the location's UTC offset, e.g. 2026-03-09T08:00:00-04:00."""
    return value.astimezone(zoneinfo.ZoneInfo(zone_name)).isoformat() if value else None


@extend_schema_field(OpenApiTypes.STR)
class VisitTypeRef(serializers.Field):
    """A visit type by code (preferred) or id."""

    default_error_messages = {"unknown": "Unknown or inactive visit type {value!r}."}

    def to_internal_value(self, data):
        text = str(data).strip()
        lookup = {"pk": int(text)} if text.isascii() and text.isdigit() else {"code": text[:40]}
        try:
            return VisitType.objects.select_related("discipline").get(active=True, **lookup)
        except VisitType.DoesNotExist:
            self.fail("unknown", value=data)

    def to_representation(self, value):
        return value.code


# --- Catalogue --------------------------------------------------------------------------------
class VisitTypeOutput(serializers.ModelSerializer):
    discipline = serializers.CharField(source="discipline.code")

    class Meta:
        model = VisitType
        fields = ["id", "code", "name", "discipline", "duration_minutes", "is_procedure", "telehealth", "room_kind"]


class VisitTypeListApi(ListAPIView):
    serializer_class = VisitTypeOutput
    pagination_class = None

    def get_queryset(self):
        qs = VisitType.objects.filter(active=True).select_related("discipline").order_by("discipline__name", "name")
        if discipline := self.request.query_params.get("discipline"):
            qs = qs.filter(discipline__code=discipline)
        return qs


# --- Slots ----------------------------------------------------------------------------------
class SlotQuery(serializers.Serializer):
    visit_type = VisitTypeRef()
    start = AwareDateTimeField()
    end = AwareDateTimeField()
    provider = serializers.PrimaryKeyRelatedField(queryset=Provider.objects.filter(active=True), required=False)
    discipline = serializers.SlugRelatedField(slug_field="code", queryset=Discipline.objects.all(), required=False)
    patient = serializers.IntegerField(required=False)
    limit = serializers.IntegerField(required=False, min_value=1, max_value=200, default=10)

    def validate(self, attrs):
        if attrs["end"] <= attrs["start"]:
            raise serializers.ValidationError({"end": ["end must be after start."]})
        if (attrs["end"] - attrs["start"]).days > 92:
            raise serializers.ValidationError({"end": ["Search at most 92 days at a time."]})
        return attrs


class SlotsApi(APIView):
    @extend_schema(
        parameters=[SlotQuery],
        responses=inline_serializer(
            "Slot",
            {
                "start": serializers.CharField(),
                "end": serializers.CharField(),
                "provider": serializers.IntegerField(),
                "room": serializers.IntegerField(),
            },
            many=True,
        ),
    )
    def get(self, request):
        from scheduling.slots import find_slots

        query = SlotQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        data = query.validated_data
        patient = patient_get_for_user(user=request.user, pk=data["patient"]) if data.get("patient") else None
        slots = find_slots(
            visit_type=data["visit_type"],
            start=data["start"],
            end=data["end"],
            provider=data.get("provider"),
            discipline=data.get("discipline"),
            patient=patient,
            limit=data["limit"],
        )
        zones = dict(_location_zones({s.location_id for s in slots}))
        return Response(
            [
                {
                    "start": local_iso(s.start, zones[s.location_id]),
                    "end": local_iso(s.end, zones[s.location_id]),
                    "provider": s.provider_id,
                    "room": s.room_id,
                }
                for s in slots
            ]
        )


def _location_zones(ids: set[int]):
    from clinic.models import Location

    return Location.objects.filter(id__in=ids).values_list("id", "time_zone")


# --- Appointments ---------------------------------------------------------------------------
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
    room_name = serializers.CharField(source="room.name", default=None)
    location = serializers.IntegerField(source="location_id")
    region = serializers.CharField()
    laterality = serializers.CharField()
    video_url = serializers.CharField()
    rescheduled_from = serializers.IntegerField(source="rescheduled_from_id", allow_null=True)
    override_reason = serializers.CharField()

    def get_start(self, obj) -> str:
        return local_iso(obj.start, obj.location.time_zone)

    def get_end(self, obj) -> str:
        return local_iso(obj.end, obj.location.time_zone)


class AppointmentInput(serializers.Serializer):
    patient = serializers.IntegerField()
    provider = serializers.PrimaryKeyRelatedField(queryset=Provider.objects.select_related("discipline"))
    visit_type = VisitTypeRef()
    start = AwareDateTimeField()
    room = serializers.PrimaryKeyRelatedField(queryset=Room.objects.all(), required=False, allow_null=True)
    region = serializers.ChoiceField(choices=SpinalRegion.choices, required=False, allow_blank=True, default="")
    laterality = serializers.ChoiceField(choices=Laterality.choices, required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class AppointmentQuery(serializers.Serializer):
    start = AwareDateTimeField(required=False)
    end = AwareDateTimeField(required=False)
    provider = serializers.IntegerField(required=False)
    patient = serializers.IntegerField(required=False)
    status = serializers.MultipleChoiceField(choices=AppointmentStatus.choices, required=False)
    location = serializers.IntegerField(required=False)


class AppointmentListCreateApi(ListAPIView):
    serializer_class = AppointmentOutput

    @extend_schema(parameters=[AppointmentQuery])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        params = self.request.query_params.copy()
        if "status" in params:
            params.setlist("status", [s for v in params.getlist("status") for s in v.split(",") if s])
        query = AppointmentQuery(data=params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        return appointment_list(
            user=self.request.user,
            start=q.get("start"),
            end=q.get("end"),
            provider_id=q.get("provider"),
            patient_id=q.get("patient"),
            status=sorted(q.get("status", [])) or None,
            location_id=q.get("location"),
        )

    @extend_schema(request=AppointmentInput, responses={201: AppointmentOutput})
    def post(self, request):
        require_perm(request.user, "scheduling.add_appointment", "You may not book appointments.")
        data = AppointmentInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        patient = patient_get_for_user(user=request.user, pk=d["patient"])
        appointment = services.appointment_book(
            patient=patient,
            provider=d["provider"],
            visit_type=d["visit_type"],
            start=d["start"],
            room=d.get("room"),
            region=d["region"],
            laterality=d["laterality"],
            override_reason=d["override_reason"],
            booked_by=request.user,
        )
        return Response(AppointmentOutput(appointment_get_for_user(user=request.user, pk=appointment.pk)).data, status=201)


class AppointmentDetailApi(APIView):
    @extend_schema(responses=AppointmentOutput)
    def get(self, request, pk: int):
        return Response(AppointmentOutput(appointment_get_for_user(user=request.user, pk=pk)).data)


class AppointmentIcsApi(APIView):
    @extend_schema(responses={(200, "text/calendar"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        from django.http import HttpResponse

        from scheduling.ical import appointment_ics

        appointment = appointment_get_for_user(user=request.user, pk=pk)
        response = HttpResponse(
            appointment_ics(appointment=appointment, language=appointment.patient.language), content_type="text/calendar; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="appointment-{appointment.pk}.ics"'
        return response


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500)


class RescheduleInput(serializers.Serializer):
    start = AwareDateTimeField()
    provider = serializers.PrimaryKeyRelatedField(queryset=Provider.objects.select_related("discipline"), required=False)
    override_reason = serializers.CharField(required=False, allow_blank=True, default="", max_length=500)


class CompleteInput(serializers.Serializer):
    relief_percent = serializers.IntegerField(required=False, min_value=0, max_value=100)


class AppointmentActionApi(APIView):
    """POST /api/v1/appointments/<id>/<action>/ → 200 with the new state; illegal → 409."""

    action = ""
    input_serializer: type[serializers.Serializer] | None = None

    def post(self, request, pk: int):
        require_perm(request.user, "scheduling.change_appointment", "You may not change appointments.")
        appointment = appointment_get_for_user(user=request.user, pk=pk)
        data = {}
        if self.input_serializer is not None:
            parsed = self.input_serializer(data=request.data)
            parsed.is_valid(raise_exception=True)
            data = parsed.validated_data
        result = self.perform(appointment, request.user, data)
        return Response(AppointmentOutput(appointment_get_for_user(user=request.user, pk=result.pk)).data)

    def perform(self, appointment, user, data):
        raise NotImplementedError


def _action(name: str, fn, input_serializer=None):
    def perform(self, appointment, user, data):
        return fn(appointment=appointment, by=user, **data)

    return type(
        f"Appointment{name.title().replace('-', '')}Api",
        (AppointmentActionApi,),
        {
            "action": name,
            "input_serializer": input_serializer,
            "perform": perform,
            "post": extend_schema(request=input_serializer, responses=AppointmentOutput)(AppointmentActionApi.post),
        },
    )


ACTIONS = {
    "confirm": _action("confirm", services.appointment_confirm),
    "check-in": _action("check-in", services.appointment_check_in),
    "start": _action("start", services.appointment_start),
    "complete": _action("complete", services.appointment_complete, CompleteInput),
    "cancel": _action("cancel", services.appointment_cancel, CancelInput),
    "no-show": _action("no-show", services.appointment_no_show),
    "reschedule": _action("reschedule", services.appointment_reschedule, RescheduleInput),
}


# --- Bundles, series, waitlist --------------------------------------------------------------
class BundleInput(serializers.Serializer):
    patient = serializers.IntegerField()
    visit_types = serializers.ListField(child=VisitTypeRef(), min_length=2, max_length=5)
    date = serializers.DateField()
    max_gap_minutes = serializers.IntegerField(min_value=0, max_value=240, default=30)


class BundleApi(APIView):
    @extend_schema(request=BundleInput, responses={201: AppointmentOutput(many=True)})
    def post(self, request):
        from scheduling.bundles import bundle_book

        require_perm(request.user, "scheduling.add_appointment", "You may not book appointments.")
        data = BundleInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        patient = patient_get_for_user(user=request.user, pk=d["patient"])
        with transaction.atomic():
            bundle = bundle_book(
                patient=patient, visit_types=d["visit_types"], date=d["date"], max_gap_minutes=d["max_gap_minutes"], booked_by=request.user
            )
        appointments = appointment_list(user=request.user, patient_id=patient.pk).filter(bundle=bundle)
        return Response({"id": bundle.pk, "appointments": AppointmentOutput(appointments, many=True).data}, status=201)


class SeriesInput(serializers.Serializer):
    patient = serializers.IntegerField()
    visit_type = VisitTypeRef()
    per_week = serializers.IntegerField(min_value=1, max_value=7)
    weeks = serializers.IntegerField(min_value=1, max_value=52)
    start_date = serializers.DateField()
    provider = serializers.PrimaryKeyRelatedField(queryset=Provider.objects.select_related("discipline"), required=False)
    preferred_weekdays = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6), required=False)
    preferred_time = serializers.TimeField(required=False)


class SeriesApi(APIView):
    @extend_schema(request=SeriesInput, responses={201: inline_serializer("SeriesResult", {"id": serializers.IntegerField()})})
    def post(self, request):
        from scheduling.series import series_book

        require_perm(request.user, "scheduling.add_appointment", "You may not book appointments.")
        data = SeriesInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        patient = patient_get_for_user(user=request.user, pk=d.pop("patient"))
        result = series_book(patient=patient, booked_by=request.user, **d)
        appointments = appointment_list(user=request.user, patient_id=patient.pk).filter(series=result.series)
        return Response(
            {
                "id": result.series.pk,
                "appointments": AppointmentOutput(appointments, many=True).data,
                "unplaced": [_unplaced(u) for u in result.unplaced],
            },
            status=201,
        )


def _unplaced(item) -> dict:
    """Shape one occurrence the series could not place, with its nearest alternatives."""
    wanted = getattr(item, "wanted", None) or getattr(item, "wanted_date", None)
    alternatives = getattr(item, "alternatives", [])
    return {
        "wanted": wanted.isoformat() if hasattr(wanted, "isoformat") else str(wanted),
        "alternatives": [
            {"start": a.start.isoformat(), "end": a.end.isoformat(), "provider": a.provider_id, "room": a.room_id} for a in alternatives
        ],
    }


# --- Waitlist -------------------------------------------------------------------------------
class WaitlistOutput(serializers.Serializer):
    id = serializers.IntegerField()
    patient = serializers.IntegerField(source="patient_id")
    visit_type = serializers.CharField(source="visit_type.code")
    provider = serializers.IntegerField(source="provider_id", allow_null=True)
    earliest_date = serializers.DateField()
    latest_date = serializers.DateField()
    weekdays = serializers.ListField(child=serializers.IntegerField())
    earliest_time = serializers.TimeField(allow_null=True)
    latest_time = serializers.TimeField(allow_null=True)
    priority = serializers.IntegerField()
    status = serializers.CharField()
    offered_appointment = serializers.IntegerField(source="offered_appointment_id", allow_null=True)
    offer_expires_at = serializers.DateTimeField(allow_null=True)


class WaitlistInput(serializers.Serializer):
    patient = serializers.IntegerField()
    visit_type = VisitTypeRef()
    provider = serializers.PrimaryKeyRelatedField(queryset=Provider.objects.filter(active=True), required=False, allow_null=True)
    earliest_date = serializers.DateField()
    latest_date = serializers.DateField()
    weekdays = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6), required=False)
    earliest_time = serializers.TimeField(required=False, allow_null=True)
    latest_time = serializers.TimeField(required=False, allow_null=True)
    priority = serializers.ChoiceField(choices=WaitlistEntry.Priority.choices, required=False, default=WaitlistEntry.Priority.ROUTINE)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=300, default="")


class WaitlistListCreateApi(ListAPIView):
    """GET ?status=&patient=&visit_type= and POST a new entry."""

    serializer_class = WaitlistOutput

    def get_queryset(self):
        qs = waitlist_queryset_for_user(user=self.request.user)
        params = self.request.query_params
        if status := params.get("status"):
            qs = qs.filter(status=status)
        if (patient := params.get("patient", "")).isdigit():
            qs = qs.filter(patient_id=int(patient))
        if visit_type := params.get("visit_type"):
            qs = qs.filter(visit_type__code=visit_type)
        return qs.order_by("-priority", "created_at", "id")

    @extend_schema(request=WaitlistInput, responses={201: WaitlistOutput})
    def post(self, request):
        from scheduling.waitlist import waitlist_add

        require_perm(request.user, "scheduling.add_waitlistentry", "You may not add waitlist entries.")
        data = WaitlistInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        patient = patient_get_for_user(user=request.user, pk=d.pop("patient"))
        entry = waitlist_add(patient=patient, created_by=request.user, **d)
        return Response(WaitlistOutput(entry).data, status=201)


class WaitlistClaimApi(APIView):
    """The front desk claims an offered, held slot for the patient (the patient's own link does
    the same through messaging)."""

    @extend_schema(request=None, responses=AppointmentOutput)
    def post(self, request, pk: int):
        from scheduling.waitlist import waitlist_claim

        require_perm(request.user, "scheduling.change_waitlistentry", "You may not work the waitlist.")
        entry = waitlist_entry_get_for_user(user=request.user, pk=pk)
        appointment = waitlist_claim(entry_id=entry.pk, by=request.user)
        return Response(AppointmentOutput(appointment_get_for_user(user=request.user, pk=appointment.pk)).data)


class WaitlistRemoveApi(APIView):
    @extend_schema(request=None, responses=WaitlistOutput)
    def post(self, request, pk: int):
        from scheduling.waitlist import waitlist_remove

        require_perm(request.user, "scheduling.change_waitlistentry", "You may not work the waitlist.")
        entry = waitlist_entry_get_for_user(user=request.user, pk=pk)
        return Response(WaitlistOutput(waitlist_remove(entry_id=entry.pk, by=request.user)).data)
