"""The waitlist: list, add, claim an offered slot, remove."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.models import Provider
from clinic.selectors import patient_get_for_user
from scheduling.api.common import AppointmentOutput, VisitTypeRef, require_perm
from scheduling.models import WaitlistEntry
from scheduling.selectors import appointment_get_for_user, waitlist_entry_get_for_user, waitlist_queryset_for_user
from scheduling.waitlist import waitlist_add, waitlist_claim, waitlist_remove


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
    notes = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False, help_text="At most 300 characters.")


class WaitlistQuery(serializers.Serializer):
    status = serializers.ChoiceField(choices=WaitlistEntry.Status.choices, required=False)
    patient = serializers.IntegerField(required=False, min_value=1)
    visit_type = serializers.CharField(required=False, max_length=40)


class WaitlistListCreateApi(ListAPIView):
    """GET ?status=&patient=&visit_type= and POST a new entry."""

    serializer_class = WaitlistOutput

    @extend_schema(parameters=[WaitlistQuery])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        query = WaitlistQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)  # ?patient=² is a 400, not a 500
        q = query.validated_data
        qs = waitlist_queryset_for_user(user=self.request.user)
        if status := q.get("status"):
            qs = qs.filter(status=status)
        if patient := q.get("patient"):
            qs = qs.filter(patient_id=patient)
        if visit_type := q.get("visit_type"):
            qs = qs.filter(visit_type__code=visit_type)
        return qs.order_by("-priority", "created_at", "id")

    @extend_schema(request=WaitlistInput, responses={201: WaitlistOutput})
    def post(self, request):
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
        require_perm(request.user, "scheduling.change_waitlistentry", "You may not work the waitlist.")
        entry = waitlist_entry_get_for_user(user=request.user, pk=pk)
        appointment = waitlist_claim(entry_id=entry.pk, by=request.user)
        return Response(AppointmentOutput(appointment_get_for_user(user=request.user, pk=appointment.pk)).data)


class WaitlistRemoveApi(APIView):
    @extend_schema(request=None, responses=WaitlistOutput)
    def post(self, request, pk: int):
        require_perm(request.user, "scheduling.change_waitlistentry", "You may not work the waitlist.")
        entry = waitlist_entry_get_for_user(user=request.user, pk=pk)
        return Response(WaitlistOutput(waitlist_remove(entry_id=entry.pk, by=request.user)).data)
