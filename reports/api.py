"""GET /api/v1/reports/operations/ and /api/v1/reports/outcomes/ (issue 13). Thin: check who
asks, validate the query (400 with field messages), call one selector."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from reports import access
from reports.filters import FAMILY_CHOICES, INSTRUMENTS, OutcomeFilterForm, ReportFilterForm, bind, filters_or_400
from reports.selectors import operations_report, outcome_report


# --- query parameters (schema; the forms in reports.filters validate) ------------------------
class OperationsQuery(serializers.Serializer):
    start = serializers.DateField(help_text="First day (YYYY-MM-DD), in each appointment's location zone")
    end = serializers.DateField(help_text="Last day, inclusive")
    location = serializers.IntegerField(required=False, help_text="Location id")
    discipline = serializers.CharField(required=False, help_text="Discipline code, e.g. physical-therapy")
    provider = serializers.IntegerField(required=False, help_text="Provider id")


class OutcomesQuery(OperationsQuery):
    procedure = serializers.ChoiceField(choices=FAMILY_CHOICES, required=False, help_text="Procedure family; default every registry family")
    instrument = serializers.ChoiceField(choices=list(INSTRUMENTS), required=False, help_text="Default nrs")


# --- responses (schema) -------------------------------------------------------------------------
@extend_schema_field({"oneOf": [{"type": "integer"}, {"type": "string", "enum": [access.SUPPRESSED]}]})
class CountOrSuppressed(serializers.Field):
    """A count of patients; "<5" for counts under 5 when the caller sees no patient-level data."""


def _utilisation_row(name):
    return inline_serializer(
        name,
        {
            "id": serializers.IntegerField(),
            "name": serializers.CharField(),
            "booked_minutes": serializers.IntegerField(),
            "template_minutes": serializers.IntegerField(),
            "rate": serializers.FloatField(allow_null=True),
        },
        many=True,
    )


_breakdown_row = inline_serializer(
    "AttendanceBreakdownRow",
    {
        "key": serializers.CharField(),
        "label": serializers.CharField(),
        "appointments": serializers.IntegerField(),
        "no_shows": serializers.IntegerField(),
        "late_cancellations": serializers.IntegerField(),
        "no_show_rate": serializers.FloatField(allow_null=True),
        "late_cancel_rate": serializers.FloatField(allow_null=True),
    },
    many=True,
)

OperationsOutput = inline_serializer(
    "OperationsReport",
    {
        "appointments": serializers.IntegerField(),
        "no_show_rate": serializers.FloatField(allow_null=True, help_text="0–1; null when nothing was due"),
        "late_cancel_rate": serializers.FloatField(allow_null=True),
        "utilisation": inline_serializer(
            "Utilisation", {"providers": _utilisation_row("ProviderUtilisation"), "rooms": _utilisation_row("RoomUtilisation")}
        ),
        "waitlist": inline_serializer(
            "WaitlistFigures",
            {
                "offers": serializers.IntegerField(),
                "accepted": serializers.IntegerField(),
                "freed_minutes": serializers.IntegerField(),
                "refilled_minutes": serializers.IntegerField(),
                "refill_rate": serializers.FloatField(allow_null=True),
            },
        ),
        "reminders": inline_serializer(
            "ReminderFigures",
            {
                "sent": serializers.IntegerField(),
                "delivered": serializers.IntegerField(),
                "confirmed": serializers.IntegerField(),
                "opted_out": serializers.IntegerField(),
            },
        ),
        "tasks": inline_serializer(
            "TaskFigures",
            {
                "open": serializers.IntegerField(),
                "overdue_rate": serializers.FloatField(allow_null=True),
                "escalations": serializers.IntegerField(),
                "median_hours_to_complete": serializers.DictField(child=serializers.FloatField(), help_text="By queue"),
            },
        ),
        "third_next_available_days": serializers.DictField(
            child=serializers.IntegerField(allow_null=True), help_text="By discipline code, as of now; null: not within 60 days"
        ),
        "breakdown": inline_serializer(
            "AttendanceBreakdown",
            {"visit_type": _breakdown_row, "discipline": _breakdown_row, "weekday": _breakdown_row, "lead_time": _breakdown_row},
        ),
    },
)

_window = inline_serializer(
    "FollowupWindow",
    {
        "answered": CountOrSuppressed(),
        "improved": CountOrSuppressed(),
        "worse": CountOrSuppressed(),
        "median_change": serializers.FloatField(allow_null=True, help_text="Follow-up minus baseline; negative is better"),
        "due": CountOrSuppressed(help_text="Episodes with a baseline whose window has closed (the figures count those only)"),
        "completeness": serializers.FloatField(allow_null=True, help_text="answered ÷ due"),
    },
)
_cell_fields = {
    "treated": CountOrSuppressed(),
    "with_baseline": CountOrSuppressed(),
    "followup": serializers.DictField(child=_window, help_text="Keyed by the configured windows, e.g. 2w, 6w, 3m, 6m"),
}
OutcomesOutput = inline_serializer(
    "OutcomesReport",
    {**_cell_fields, "families": serializers.DictField(child=inline_serializer("FamilyOutcomes", _cell_fields))},
)

_error = inline_serializer("ReportError", {"detail": serializers.CharField(), "code": serializers.CharField()})
_field_errors = OpenApiResponse(
    response=OpenApiTypes.OBJECT, description='{"detail", "code", "<parameter>": ["message", …]} for each bad parameter'
)


class OperationsReportApi(APIView):
    @extend_schema(
        parameters=[OperationsQuery],
        responses={200: OperationsOutput, 400: _field_errors, 401: _error, 403: _error},
        summary="Operational report: attendance, utilisation, access, waitlist, reminders, tasks",
    )
    def get(self, request):
        access.require_operations(request.user)
        filters = filters_or_400(bind(ReportFilterForm, request.query_params))
        return Response(operations_report(filters=filters))


class OutcomesReportApi(APIView):
    @extend_schema(
        parameters=[OutcomesQuery],
        responses={200: OutcomesOutput, 400: _field_errors, 401: _error, 403: _error},
        summary="Outcome registry: baseline and follow-up scores around procedures",
    )
    def get(self, request):
        access.require_outcomes(request.user)
        filters = filters_or_400(bind(OutcomeFilterForm, request.query_params))
        report = outcome_report(filters=filters)
        if access.outcomes_suppressed(request.user):
            report = access.suppress_outcomes(report)
        return Response(report)
