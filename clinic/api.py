"""People API: thin views over clinic selectors and services."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from phonenumber_field.serializerfields import PhoneNumberField
from rest_framework import serializers
from rest_framework.generics import ListAPIView, RetrieveAPIView
from rest_framework.response import Response

from clinic.models import Location, Mobility, Patient, PreferredChannel, Provider, language_choices
from clinic.selectors import patient_get_for_user, patient_search
from clinic.services import patient_create
from core import access
from core.access import Kind
from core.errors import PermissionDenied


class ProviderOutput(serializers.ModelSerializer):
    name = serializers.CharField(source="display_name")
    discipline = serializers.CharField(source="discipline.code")

    class Meta:
        model = Provider
        fields = ["id", "name", "discipline", "credentials", "color"]


class ProviderListApi(ListAPIView):
    serializer_class = ProviderOutput
    pagination_class = None

    @extend_schema(parameters=[OpenApiParameter("discipline", str, description="A discipline's code.")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        qs = Provider.objects.filter(active=True).select_related("discipline")
        if discipline := self.request.query_params.get("discipline"):
            qs = qs.filter(discipline__code=discipline)
        return qs


class PatientOutput(serializers.ModelSerializer):
    phone = serializers.CharField(source="phone.as_e164", default="", read_only=True)

    class Meta:
        model = Patient
        fields = [
            "id",
            "mrn",
            "first_name",
            "last_name",
            "date_of_birth",
            "phone",
            "email",
            "preferred_channel",
            "sms_consent",
            "email_consent",
            "time_zone",
            "language",
            "mobility",
            "payer",
            "member_id",
            "preferred_location",
        ]


class PatientInput(serializers.Serializer):
    first_name = serializers.CharField(max_length=100)
    last_name = serializers.CharField(max_length=100)
    date_of_birth = serializers.DateField()
    phone = PhoneNumberField(required=False, allow_blank=True)
    email = serializers.EmailField(required=False, allow_blank=True)
    preferred_channel = serializers.ChoiceField(choices=PreferredChannel.choices, required=False)
    sms_consent = serializers.BooleanField(required=False, default=False)
    email_consent = serializers.BooleanField(required=False, default=False)
    time_zone = serializers.CharField(required=False)
    language = serializers.ChoiceField(choices=language_choices(), required=False)
    mobility = serializers.ChoiceField(choices=Mobility.choices, required=False)
    member_id = serializers.CharField(required=False, allow_blank=True)
    # A location's id; unknown or inactive ones are refused (400). Slot search can list it first.
    preferred_location = serializers.PrimaryKeyRelatedField(queryset=Location.objects.filter(active=True), required=False, allow_null=True)


class PatientListCreateApi(ListAPIView):
    serializer_class = PatientOutput

    @extend_schema(parameters=[OpenApiParameter("search", str, description="Part of a name, a phone number or a date of birth.")])
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    def get_queryset(self):
        return patient_search(user=self.request.user, text=self.request.query_params.get("search", ""))

    @extend_schema(request=PatientInput, responses={201: PatientOutput})
    def post(self, request):
        if not request.user.has_perm("clinic.add_patient"):
            raise PermissionDenied("You may not register patients.")
        data = PatientInput(data=request.data)
        data.is_valid(raise_exception=True)
        patient = patient_create(created_by=request.user, **data.validated_data)
        return Response(PatientOutput(patient).data, status=201)


class PatientDetailApi(RetrieveAPIView):
    serializer_class = PatientOutput

    def get_object(self):
        patient = patient_get_for_user(user=self.request.user, pk=self.kwargs["pk"])
        # A look only a recorded grant allows (an open urgent task, a break-glass) is audited here
        # as in the workspace and the admin.
        access.record_if_only_granted_by_alert(self.request.user, patient=patient, kind=Kind.DEMOGRAPHICS, obj=patient)
        return patient
