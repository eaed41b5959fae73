"""Messaging API: what was (or will be) sent for an appointment."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from messaging.models import Message
from messaging.selectors import appointment_messages_for_user


class AppointmentMessageOutput(serializers.ModelSerializer):
    class Meta:
        model = Message
        fields = ["channel", "purpose", "due_at", "status", "sent_at"]


class AppointmentMessagesApi(APIView):
    Output = AppointmentMessageOutput

    @extend_schema(responses=AppointmentMessageOutput(many=True))
    def get(self, request, pk: int):
        messages = appointment_messages_for_user(user=request.user, appointment_id=pk)
        return Response(self.Output(messages, many=True).data)
