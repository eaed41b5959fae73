"""Care-plan API: thin views over careplans selectors and services."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from careplans.models import Activity, CarePlan, CareTeamMember, Complication, Goal, Problem, ProcedureRecord, QuestionnaireResponse, Task
from careplans.scoring import QUESTIONNAIRE_CODES
from careplans.selectors import (
    careplans_for_user,
    clinical_patient_get_for_user,
    procedure_appointment_get_for_user,
    require_clinical,
    task_get_for_user,
    tasks_for_user,
)
from careplans.services import (
    break_glass_open,
    careplan_create,
    procedure_record_add,
    procedure_record_latest,
    questionnaire_response_create,
    task_accept,
    task_cancel,
    task_complete,
)
from core.access import Action
from core.errors import NotFound, PermissionDenied, ValidationFailed


def _int_param(request, name: str) -> int | None:
    raw = request.query_params.get(name)
    if raw in (None, ""):
        return None
    try:
        return int(raw)
    except ValueError:
        raise ValidationFailed(f"{name} must be an id.", field_errors={name: ["Must be an integer id."]}) from None


class ProblemOutput(serializers.ModelSerializer):
    class Meta:
        model = Problem
        fields = ["id", "code", "text", "onset"]


class GoalOutput(serializers.ModelSerializer):
    class Meta:
        model = Goal
        fields = ["id", "description", "measure", "target_comparator", "target_value", "target_text", "target_date", "achievement_status"]


class TeamMemberOutput(serializers.ModelSerializer):
    name = serializers.SerializerMethodField()

    class Meta:
        model = CareTeamMember
        fields = ["id", "role", "provider", "user", "name"]

    def get_name(self, member) -> str:
        if member.provider_id:
            return member.provider.display_name
        return member.user.get_full_name() or member.user.get_username() if member.user_id else ""


class ActivityOutput(serializers.ModelSerializer):
    discipline = serializers.CharField(source="discipline.code")
    visit_type = serializers.CharField(source="visit_type.code", default=None, allow_null=True)
    done = serializers.IntegerField()
    planned = serializers.IntegerField(source="planned_count")

    class Meta:
        model = Activity
        fields = ["id", "title", "discipline", "kind", "visit_type", "questionnaire", "per_week", "weeks", "status", "done", "planned"]


class CarePlanOutput(serializers.ModelSerializer):
    problems = ProblemOutput(many=True)
    goals = GoalOutput(many=True)
    team = TeamMemberOutput(many=True)
    activities = ActivityOutput(many=True)

    class Meta:
        model = CarePlan
        fields = ["id", "patient", "title", "status", "intent", "period_start", "period_end", "problems", "goals", "team", "activities"]


class CarePlanInput(serializers.Serializer):
    patient = serializers.IntegerField()
    title = serializers.CharField(max_length=200)
    period_start = serializers.DateField(required=False)
    period_end = serializers.DateField(required=False, allow_null=True)
    description = serializers.CharField(required=False, allow_blank=True)
    activate = serializers.BooleanField(required=False, default=False)


class CarePlanListCreateApi(ListAPIView):
    """GET ?patient=<id>: care plans with problems, goals, team and activities (with progress).
    The page's looks (with the reason of a break-glass or an alert) are audited by core.api.Pagination."""

    serializer_class = CarePlanOutput

    @extend_schema(parameters=[OpenApiParameter("patient", int)])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return careplans_for_user(user=self.request.user, patient_id=_int_param(self.request, "patient"))

    @extend_schema(request=CarePlanInput, responses={201: CarePlanOutput})
    def post(self, request):
        if not request.user.has_perm("careplans.add_careplan"):
            raise PermissionDenied("You may not create care plans.")
        data = CarePlanInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = dict(data.validated_data)
        patient = clinical_patient_get_for_user(user=request.user, pk=fields.pop("patient"))
        plan = careplan_create(patient=patient, created_by=request.user, **fields)
        plan = careplans_for_user(user=request.user).get(pk=plan.pk)
        return Response(CarePlanOutput(plan).data, status=201)


class TaskOutput(serializers.ModelSerializer):
    assignee = serializers.IntegerField(source="assignee_provider_id", allow_null=True)

    class Meta:
        model = Task
        fields = ["id", "title", "status", "priority", "due", "patient", "source", "assignee", "assignee_role"]


class TaskListApi(ListAPIView):
    """GET ?patient=<id>&assignee=<provider id>&status=<status|open>."""

    serializer_class = TaskOutput

    @extend_schema(
        parameters=[
            OpenApiParameter("patient", int),
            OpenApiParameter("assignee", int, description="A provider's id."),
            OpenApiParameter("status", str, enum=["open", *Task.Status.values]),
        ]
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        status = self.request.query_params.get("status", "")
        if status and status != "open" and status not in Task.Status.values:
            raise ValidationFailed("Unknown status.", field_errors={"status": [f"Choose open or one of {', '.join(Task.Status.values)}."]})
        return tasks_for_user(
            user=self.request.user,
            patient_id=_int_param(self.request, "patient"),
            assignee_id=_int_param(self.request, "assignee"),
            status=status,
        ).order_by("due", "id")


class TaskActionInput(serializers.Serializer):
    note = serializers.CharField(required=False, allow_blank=True, max_length=300, help_text="complete: what was done")
    reason = serializers.CharField(required=False, allow_blank=True, max_length=300, help_text="cancel: why")


class TaskActionApi(APIView):
    action_name = ""

    @extend_schema(request=TaskActionInput, responses=TaskOutput)
    def post(self, request, pk: int):
        if not request.user.has_perm("careplans.change_task"):
            raise PermissionDenied("You may not change tasks.")
        task = task_get_for_user(user=request.user, pk=pk)
        if not isinstance(request.data, dict):
            raise ValidationFailed("The body must be a JSON object.", field_errors={"body": ['Send a JSON object, e.g. {"note": "…"}.']})
        body = TaskActionInput(data=request.data)
        body.is_valid(raise_exception=True)
        if self.action_name == "accept":
            task = task_accept(task=task, by=request.user)
        elif self.action_name == "complete":
            task = task_complete(task=task, by=request.user, note=body.validated_data.get("note", ""))
        else:
            task = task_cancel(task=task, by=request.user, reason=body.validated_data.get("reason", ""))
        return Response(TaskOutput(task).data)


class AnswersField(serializers.ListField):
    """Integers in item order; ODI sections may be null (skipped). Ranges are checked by scoring."""

    child = serializers.IntegerField(allow_null=True)


class QuestionnaireResponseInput(serializers.Serializer):
    patient = serializers.IntegerField()
    questionnaire = serializers.ChoiceField(choices=QUESTIONNAIRE_CODES)
    answers = AnswersField(allow_empty=False)
    relief_percent = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)


class QuestionnaireResponseOutput(serializers.Serializer):
    id = serializers.IntegerField()
    patient = serializers.IntegerField()
    questionnaire = serializers.CharField()
    answers = serializers.ListField(child=serializers.IntegerField(allow_null=True))
    score = serializers.FloatField()
    severity = serializers.CharField(allow_null=True)
    answered_at = serializers.DateTimeField()


class QuestionnaireResponseCreateApi(APIView):
    @extend_schema(request=QuestionnaireResponseInput, responses={201: QuestionnaireResponseOutput})
    def post(self, request):
        require_clinical(request.user)
        if not request.user.has_perm("careplans.add_questionnaireresponse"):
            raise PermissionDenied("You may not record questionnaires.")
        data = QuestionnaireResponseInput(data=request.data)
        data.is_valid(raise_exception=True)
        fields = data.validated_data
        patient = clinical_patient_get_for_user(user=request.user, pk=fields["patient"])
        response = questionnaire_response_create(
            patient=patient,
            questionnaire=fields["questionnaire"],
            answers=fields["answers"],
            relief_percent=fields.get("relief_percent"),
            entered_by=request.user,
            source=QuestionnaireResponse.Source.API,
        )
        return Response(
            {
                "id": response.pk,
                "patient": patient.pk,
                "questionnaire": response.questionnaire,
                "answers": response.answers,
                "score": float(response.score),
                "severity": response.severity or None,
                "answered_at": response.answered_at,
            },
            status=201,
        )


class BreakGlassInput(serializers.Serializer):
    reason = serializers.CharField(help_text="Why you need this record now (at least 15 characters); the clinic admin reviews it")


class BreakGlassOutput(serializers.Serializer):
    id = serializers.IntegerField()
    patient = serializers.IntegerField(source="patient_id")
    expires_at = serializers.DateTimeField()


class BreakGlassApi(APIView):
    """Open a patient's record that no grant gives you, for BREAK_GLASS_MINUTES: 201 when opened,
    200 with the open one on a repeat; 403 for a role that may not, 404 for an unknown patient,
    400 for a reason under 15 characters, 409 when you already see the record. Every look is
    audited and the clinic admin notified."""

    @extend_schema(request=BreakGlassInput, responses={201: BreakGlassOutput, 200: BreakGlassOutput})
    def post(self, request, pk: int):
        if not isinstance(request.data, dict):
            raise ValidationFailed("The body must be a JSON object.", field_errors={"body": ['Send {"reason": "…"}.']})
        # The service checks the role (403), then the patient (404), then the reason (400): the
        # serializer only shapes the input, so a front-desk caller is refused whatever the body.
        reason = request.data.get("reason")
        glass, created = break_glass_open(patient_id=pk, by=request.user, reason=reason if isinstance(reason, str) else "")
        return Response(BreakGlassOutput(glass).data, status=201 if created else 200)


class ProcedureRecordInput(serializers.Serializer):
    relief_percent = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=100)
    relief_weeks = serializers.IntegerField(required=False, allow_null=True, min_value=0, max_value=520)
    functional_improvement = serializers.BooleanField(required=False, allow_null=True, default=None)
    complications = serializers.ListField(
        child=serializers.ChoiceField(choices=Complication.choices),
        required=False,
        allow_null=True,
        default=None,
        help_text="Replaces the previous version's list; leave out to keep it",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", trim_whitespace=False)


class ProcedureRecordOutput(serializers.ModelSerializer):
    recorded_by = serializers.IntegerField(source="recorded_by_id", allow_null=True)
    recorded_by_name = serializers.SerializerMethodField()
    effective = serializers.SerializerMethodField(help_text="The appointment's outcome the payer rules read (a provider's entry wins)")

    class Meta:
        model = ProcedureRecord
        fields = [
            "id",
            "appointment",
            "version",
            "source",
            "recorded_by",
            "recorded_by_name",
            "recorded_at",
            "relief_percent",
            "relief_weeks",
            "functional_improvement",
            "complications",
            "note",
            "effective",
        ]

    def get_recorded_by_name(self, record) -> str:
        user = record.recorded_by
        return (user.get_full_name() or user.get_username()) if user else ""

    def get_effective(self, record) -> dict:
        a = record.appointment
        return {"relief_percent": a.relief_percent, "relief_weeks": a.relief_weeks, "functional_improvement": a.functional_improvement}


class ProcedureRecordApi(APIView):
    """GET: the latest version of the appointment's procedure record (404 before the first).
    POST: store a new version (201). Clinical: front desk and clinic admin 403, a provider
    without a grant for the patient 404."""

    @extend_schema(responses=ProcedureRecordOutput)
    def get(self, request, pk: int):
        appointment = procedure_appointment_get_for_user(user=request.user, pk=pk)
        record = procedure_record_latest(appointment=appointment)
        if record is None:
            raise NotFound("Nothing has been recorded for this appointment yet.")
        record.appointment = appointment
        return Response(ProcedureRecordOutput(record).data)

    @extend_schema(request=ProcedureRecordInput, responses={201: ProcedureRecordOutput})
    def post(self, request, pk: int):
        appointment = procedure_appointment_get_for_user(user=request.user, pk=pk, action=Action.CHANGE)
        if not isinstance(request.data, dict):
            raise ValidationFailed(
                "The body must be a JSON object.", field_errors={"body": ['Send a JSON object, e.g. {"relief_percent": 80}.']}
            )
        body = ProcedureRecordInput(data=request.data)
        body.is_valid(raise_exception=True)
        record = procedure_record_add(appointment=appointment, **body.validated_data, by=request.user)
        record.appointment.refresh_from_db(fields=["relief_percent", "relief_weeks", "functional_improvement"])
        return Response(ProcedureRecordOutput(record).data, status=201)
