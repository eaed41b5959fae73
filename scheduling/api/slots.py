"""Finding time: the visit-type catalogue, free slots, same-day bundles and series."""

from __future__ import annotations

from django.db import transaction
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.models import Discipline, Location, Provider
from clinic.selectors import patient_get_for_user
from core.api import AwareDateTimeField
from scheduling.api.common import AppointmentOutput, VisitTypeRef, local_iso, require_perm
from scheduling.bundles import bundle_book
from scheduling.models import VisitType
from scheduling.selectors import appointment_list
from scheduling.series import series_book
from scheduling.slots import ORDERS, find_slots


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
    location = serializers.ListField(
        child=serializers.PrimaryKeyRelatedField(queryset=Location.objects.all()),
        required=False,
        help_text="Repeatable: search these locations only (absent: every location).",
    )
    order = serializers.ChoiceField(
        choices=ORDERS,
        default="time",
        help_text="time: earliest first; preferred: the patient's preferred location first, then the others by time.",
    )
    # The range itself (order, at most 92 days) is find_slots' rule: it refuses with field messages.


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
                "location": serializers.IntegerField(),
            },
            many=True,
        ),
    )
    def get(self, request):
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
            locations=[loc.pk for loc in data["location"]] if data.get("location") else None,
            order=data["order"],
        )
        zones = dict(_location_zones({s.location_id for s in slots}))
        return Response(
            [
                {
                    "start": local_iso(s.start, zones[s.location_id]),
                    "end": local_iso(s.end, zones[s.location_id]),
                    "provider": s.provider_id,
                    "room": s.room_id,
                    "location": s.location_id,
                }
                for s in slots
            ]
        )


def _location_zones(ids: set[int]):
    return Location.objects.filter(id__in=ids).values_list("id", "time_zone")


# --- Bundles, series, waitlist --------------------------------------------------------------
class BundleInput(serializers.Serializer):
    patient = serializers.IntegerField()
    visit_types = serializers.ListField(child=VisitTypeRef(), min_length=2, max_length=5)
    date = serializers.DateField()
    max_gap_minutes = serializers.IntegerField(min_value=0, max_value=240, default=30)


class BundleApi(APIView):
    @extend_schema(request=BundleInput, responses={201: AppointmentOutput(many=True)})
    def post(self, request):
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
