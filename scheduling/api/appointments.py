"""Appointments: list, book, read, and one endpoint per transition (ACTIONS)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.models import Provider, Room
from clinic.selectors import patient_get_for_user
from core.api import AwareDateTimeField, RowPages
from scheduling import services
from scheduling.api.common import AppointmentOutput, ServiceChoiceField, VisitTypeRef, appointment_output_rows, require_perm
from scheduling.models import AppointmentStatus, Laterality, SpinalRegion
from scheduling.selectors import appointment_get_for_user, appointment_list, appointment_rows

OVERRIDE_HELP = (
    "Only when a payer rule refuses the booking (409 rule_violation, which names the rules): why it is justified, "
    "at least 10 non-blank characters, at most 500. Providers and clinic admins only (403 otherwise)."
)


class AppointmentInput(serializers.Serializer):
    patient = serializers.IntegerField()
    provider = serializers.PrimaryKeyRelatedField(queryset=Provider.objects.select_related("discipline"))
    visit_type = VisitTypeRef()
    start = AwareDateTimeField()
    room = serializers.PrimaryKeyRelatedField(queryset=Room.objects.all(), required=False, allow_null=True)
    # Vocabulary (case-normalised), NUL characters, blank reasons and lengths are the service's
    # rules (scheduling.inputs), so the admin and the API refuse alike.
    region = ServiceChoiceField(choices=SpinalRegion.choices, required=False, allow_blank=True, default="")
    laterality = ServiceChoiceField(choices=Laterality.choices, required=False, allow_blank=True, default="")
    override_reason = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False, help_text=OVERRIDE_HELP)


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

    def list(self, request, *args, **kwargs):
        """Rows read as values and shaped by appointment_output_rows (the same fields as
        AppointmentOutput, which documents them): see core.api.RowPages."""
        page = self.paginate_queryset(RowPages(self.get_queryset(), rows=appointment_rows))
        return self.get_paginated_response(appointment_output_rows(page))

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


class CancelInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True)  # blank, long or NUL: the service refuses


class RescheduleInput(serializers.Serializer):
    start = AwareDateTimeField()
    provider = serializers.PrimaryKeyRelatedField(queryset=Provider.objects.select_related("discipline"), required=False)
    override_reason = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False, help_text=OVERRIDE_HELP)


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
