"""An appointment as an iCalendar file."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework.views import APIView

from scheduling.ical import appointment_ics
from scheduling.selectors import appointment_get_for_user


class AppointmentIcsApi(APIView):
    @extend_schema(responses={(200, "text/calendar"): OpenApiTypes.BINARY})
    def get(self, request, pk: int):
        appointment = appointment_get_for_user(user=request.user, pk=pk)
        response = HttpResponse(
            appointment_ics(appointment=appointment, language=appointment.patient.language), content_type="text/calendar; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="appointment-{appointment.pk}.ics"'
        return response
