"""Prior authorization API: list/create, read, one endpoint per transition, the evidence pack,
and the override of the check-in/start gate. Views validate input, call one service and shape
the answer; domain errors become 400/403/404/409 in core.api."""

from __future__ import annotations

from django.http import HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import renderers, serializers
from rest_framework.generics import ListAPIView
from rest_framework.response import Response
from rest_framework.views import APIView

from authorizations import evidence, services
from authorizations.models import AuthorizationStatus, PlaceOfService, ReferenceKind, Urgency
from authorizations.policy import require_evidence_access
from authorizations.selectors import authorization_get_for_user, authorization_list
from clinic.models import Location, Provider
from clinic.selectors import patient_get_for_user
from scheduling.api.common import AppointmentOutput, ServiceChoiceField, require_perm
from scheduling.models import ProcedureFamily, SpinalRegion
from scheduling.selectors import appointment_get_for_user


class LineOutput(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()
    procedure_family = serializers.CharField()
    modifiers = serializers.ListField(child=serializers.CharField())
    region = serializers.CharField()
    levels = serializers.CharField()
    requested_units = serializers.IntegerField()
    approved_units = serializers.IntegerField(allow_null=True)
    units_used = serializers.IntegerField(source="used", help_text="Taken by appointments booked or completed (never typed)")


class AuthorizationOutput(serializers.Serializer):
    id = serializers.IntegerField()
    patient = serializers.IntegerField(source="patient_id")
    payer = serializers.CharField(source="payer.code")
    payer_name = serializers.CharField(source="payer.name")
    member_id = serializers.CharField()
    reference_kind = serializers.ChoiceField(choices=ReferenceKind.choices)
    number = serializers.CharField()
    status = serializers.ChoiceField(choices=AuthorizationStatus.choices)
    urgency = serializers.ChoiceField(choices=Urgency.choices)
    requested_at = serializers.DateTimeField(allow_null=True)
    decision_due_at = serializers.DateTimeField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    valid_from = serializers.DateField(allow_null=True)
    valid_to = serializers.DateField(allow_null=True)
    ordering_provider = serializers.IntegerField(source="ordering_provider_id", allow_null=True)
    rendering_location = serializers.IntegerField(source="rendering_location_id", allow_null=True)
    place_of_service = serializers.CharField()
    notes = serializers.CharField()
    status_reason = serializers.CharField()
    lines = LineOutput(many=True)


class LineInput(serializers.Serializer):
    code = serializers.CharField(max_length=5)
    procedure_family = ServiceChoiceField(choices=ProcedureFamily.choices, required=False, allow_blank=True, default="")
    modifiers = serializers.ListField(child=serializers.CharField(max_length=2), required=False, default=list)
    region = ServiceChoiceField(choices=SpinalRegion.choices, required=False, allow_blank=True, default="")
    levels = serializers.CharField(required=False, allow_blank=True, default="", max_length=60)
    requested_units = serializers.IntegerField(required=False, default=1)


class AuthorizationInput(serializers.Serializer):
    patient = serializers.IntegerField()
    member_id = serializers.CharField(required=False, allow_blank=True, max_length=40)
    reference_kind = serializers.ChoiceField(choices=ReferenceKind.choices, required=False)
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False, default=Urgency.STANDARD)
    ordering_provider = serializers.PrimaryKeyRelatedField(queryset=Provider.objects.all(), required=False, allow_null=True)
    rendering_location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.all(), required=False, allow_null=True)
    place_of_service = serializers.ChoiceField(choices=PlaceOfService.choices, required=False, default=PlaceOfService.OFFICE)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    lines = LineInput(many=True)


class AuthorizationQuery(serializers.Serializer):
    patient = serializers.IntegerField(required=False)
    status = serializers.ChoiceField(choices=AuthorizationStatus.choices, required=False)


class AuthorizationListCreateApi(ListAPIView):
    serializer_class = AuthorizationOutput

    @extend_schema(parameters=[AuthorizationQuery], responses={200: AuthorizationOutput(many=True)})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        require_perm(self.request.user, "authorizations.view_authorization", "You may not see authorizations.")
        query = AuthorizationQuery(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        q = query.validated_data
        return authorization_list(user=self.request.user, patient_id=q.get("patient"), status=q.get("status"))

    @extend_schema(request=AuthorizationInput, responses={201: AuthorizationOutput})
    def post(self, request):
        require_perm(request.user, "authorizations.add_authorization", "Authorizations are worked by authorization coordinators.")
        data = AuthorizationInput(data=request.data)
        data.is_valid(raise_exception=True)
        d = data.validated_data
        patient = patient_get_for_user(user=request.user, pk=d["patient"])
        authorization = services.authorization_create(
            patient=patient,
            member_id=d.get("member_id"),
            reference_kind=d.get("reference_kind"),
            urgency=d["urgency"],
            ordering_provider=d.get("ordering_provider"),
            rendering_location=d.get("rendering_location"),
            place_of_service=d["place_of_service"],
            notes=d["notes"],
            lines=[dict(line) for line in d["lines"]],
            by=request.user,
        )
        return Response(AuthorizationOutput(authorization_get_for_user(user=request.user, pk=authorization.pk)).data, status=201)


class AuthorizationDetailApi(APIView):
    @extend_schema(responses={200: AuthorizationOutput})
    def get(self, request, pk: int):
        require_perm(request.user, "authorizations.view_authorization", "You may not see authorizations.")
        return Response(AuthorizationOutput(authorization_get_for_user(user=request.user, pk=pk)).data)


class SubmitInput(serializers.Serializer):
    urgency = serializers.ChoiceField(choices=Urgency.choices, required=False)


class ReasonInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, required=False, default="", trim_whitespace=False)


class ApprovedLineInput(serializers.Serializer):
    id = serializers.IntegerField()
    approved_units = serializers.IntegerField()


class ApproveInput(serializers.Serializer):
    number = serializers.CharField(allow_blank=True, help_text="The payer's number; for Medicare the 14-character UTN")
    valid_from = serializers.DateField()
    valid_to = serializers.DateField()
    lines = ApprovedLineInput(many=True, required=False, default=list, help_text="Lines not named get the units requested")


class AuthorizationActionApi(APIView):
    """POST /api/v1/authorizations/<id>/<action>/ → 200 with the new state; illegal → 409."""

    action = ""
    input_serializer: type[serializers.Serializer] | None = None

    def post(self, request, pk: int):
        require_perm(request.user, "authorizations.change_authorization", "Authorizations are worked by authorization coordinators.")
        authorization = authorization_get_for_user(user=request.user, pk=pk)
        data = {}
        if self.input_serializer is not None:
            parsed = self.input_serializer(data=request.data)
            parsed.is_valid(raise_exception=True)
            data = dict(parsed.validated_data)
        self.perform(authorization, request.user, data)
        return Response(AuthorizationOutput(authorization_get_for_user(user=request.user, pk=pk)).data)

    def perform(self, authorization, user, data):
        raise NotImplementedError


def _action(name: str, fn, input_serializer=None, adapt=None):
    def perform(self, authorization, user, data):
        if adapt is not None:
            data = adapt(data)
        return fn(authorization=authorization, by=user, **data)

    return type(
        f"Authorization{name.title()}Api",
        (AuthorizationActionApi,),
        {
            "action": name,
            "input_serializer": input_serializer,
            "perform": perform,
            "post": extend_schema(request=input_serializer, responses={200: AuthorizationOutput})(AuthorizationActionApi.post),
        },
    )


ACTIONS = {
    "submit": _action("submit", services.authorization_submit, SubmitInput),
    "pend": _action("pend", services.authorization_pend, ReasonInput),
    "approve": _action(
        "approve", services.authorization_approve, ApproveInput, adapt=lambda d: {**d, "lines": [dict(x) for x in d.get("lines", [])]}
    ),
    "deny": _action("deny", services.authorization_deny, ReasonInput),
    "appeal": _action("appeal", services.authorization_appeal, ReasonInput),
    "void": _action("void", services.authorization_void, ReasonInput),
}


class PdfRenderer(renderers.BaseRenderer):
    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        if isinstance(data, bytes | bytearray):
            return bytes(data)
        return renderers.JSONRenderer().render(data)  # an error, as JSON


class EvidenceApi(APIView):
    """The evidence pack as a printable HTML page, or a PDF with ?format=pdf. Its access is the
    evidence policy's (clinicians with a grant; authorization coordinators for authorizations in
    their queue); every look is recorded in the audit trail."""

    renderer_classes = [renderers.StaticHTMLRenderer, PdfRenderer]

    @extend_schema(
        parameters=[OpenApiParameter("format", str, enum=["html", "pdf"], required=False, description="pdf for a PDF file")],
        responses={
            (200, "text/html"): OpenApiResponse(OpenApiTypes.STR, description="The evidence pack"),
            (200, "application/pdf"): OpenApiResponse(OpenApiTypes.BINARY, description="The evidence pack as PDF"),
        },
    )
    def get(self, request, pk: int):
        require_perm(request.user, "authorizations.view_authorization", "You may not see authorizations.")
        authorization = authorization_get_for_user(user=request.user, pk=pk)
        require_evidence_access(request.user, authorization=authorization, what="evidence pack")
        pack = evidence.evidence_pack(authorization=authorization)
        if request.accepted_renderer.format == "pdf":
            response = HttpResponse(evidence.render_pdf(pack), content_type="application/pdf")
            response["Content-Disposition"] = f'inline; filename="authorization-{authorization.pk}-evidence.pdf"'
            response["Cache-Control"] = "no-store"
            return response
        response = Response(evidence.render_html(pack, request=request))
        response["Cache-Control"] = "no-store"
        return response


class OverrideInput(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, trim_whitespace=False, help_text="At least 10 non-blank characters")


class AppointmentAuthorizationOverrideApi(APIView):
    """Let a procedure be checked in and started without an approved authorization: providers and
    clinic admins, with a reason (audited)."""

    @extend_schema(request=OverrideInput, responses={200: AppointmentOutput})
    def post(self, request, pk: int):
        appointment = appointment_get_for_user(user=request.user, pk=pk)
        data = OverrideInput(data=request.data)
        data.is_valid(raise_exception=True)
        services.appointment_authorization_override(appointment=appointment, reason=data.validated_data["reason"], by=request.user)
        return Response(AppointmentOutput(appointment_get_for_user(user=request.user, pk=pk)).data)
