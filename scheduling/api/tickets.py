"""Booking tickets: list (?patient=&status=), open, extend, cancel. The patient books from their
own link (messaging); staff book a ticket's visit through the usual booking endpoints or the admin."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from clinic.models import Provider
from clinic.selectors import patient_get_for_user
from scheduling.api.common import VisitTypeRef, require_perm
from scheduling.models import BookingTicket
from scheduling.selectors import ticket_get_for_user, ticket_queryset_for_user
from scheduling.tickets import ticket_cancel, ticket_create, ticket_extend


class TicketOutput(serializers.Serializer):
    id = serializers.IntegerField()
    patient = serializers.IntegerField(source="patient_id")
    visit_type = serializers.CharField(source="visit_type.code")
    discipline = serializers.CharField(source="discipline.code", default=None)
    provider = serializers.IntegerField(source="provider_id", allow_null=True)
    earliest = serializers.DateField()
    latest = serializers.DateField()
    visits = serializers.IntegerField()
    booked = serializers.IntegerField()
    status = serializers.CharField()
    source = serializers.CharField()
    created_at = serializers.DateTimeField()


class TicketInput(serializers.Serializer):
    patient = serializers.IntegerField()
    visit_type = VisitTypeRef()
    provider = serializers.PrimaryKeyRelatedField(queryset=Provider.objects.filter(active=True), required=False, allow_null=True)
    earliest = serializers.DateField()
    latest = serializers.DateField()
    visits = serializers.IntegerField(min_value=1, max_value=60, required=False, default=1)
    per_week = serializers.IntegerField(min_value=1, max_value=7, required=False, default=1)


class TicketExtendInput(serializers.Serializer):
    latest = serializers.DateField()


class TicketCancelInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class TicketListCreateApi(ListAPIView):
    """GET ?patient=<id>&status=<open|booked|expired|cancelled>; POST opens a ticket (staff)."""

    serializer_class = TicketOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("patient", int, required=False),
            OpenApiParameter("status", str, required=False, enum=BookingTicket.Status.values),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = ticket_queryset_for_user(user=self.request.user)
        params = self.request.query_params
        if (status := params.get("status")) in BookingTicket.Status.values:
            qs = qs.filter(status=status)
        elif status:
            qs = qs.none()
        if (patient := params.get("patient", "")).isdigit():
            qs = qs.filter(patient_id=int(patient))
        elif patient:
            qs = qs.none()
        return qs.order_by("latest", "id")

    @extend_schema(request=TicketInput, responses={201: TicketOutput})
    def post(self, request):
        require_perm(request.user, "scheduling.add_bookingticket", "You may not open booking tickets.")
        data = TicketInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = dict(data.validated_data)
        patient = patient_get_for_user(user=request.user, pk=d.pop("patient"))
        ticket = ticket_create(patient=patient, source=BookingTicket.Source.STAFF, created_by=request.user, **d)
        return Response(TicketOutput(ticket).data, status=201)


class TicketExtendApi(APIView):
    @extend_schema(request=TicketExtendInput, responses=TicketOutput)
    def post(self, request, pk: int):
        require_perm(request.user, "scheduling.change_bookingticket", "You may not change booking tickets.")
        ticket = ticket_get_for_user(user=request.user, pk=pk)
        data = TicketExtendInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(TicketOutput(ticket_extend(ticket=ticket, latest=data.validated_data["latest"], by=request.user)).data)


class TicketCancelApi(APIView):
    @extend_schema(request=TicketCancelInput, responses=TicketOutput)
    def post(self, request, pk: int):
        require_perm(request.user, "scheduling.change_bookingticket", "You may not change booking tickets.")
        ticket = ticket_get_for_user(user=request.user, pk=pk)
        data = TicketCancelInput(data=request.data)
        data.is_valid(raise_exception=True)
        return Response(TicketOutput(ticket_cancel(ticket=ticket, reason=data.validated_data["reason"], by=request.user)).data)
