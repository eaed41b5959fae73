from django import forms
from django.contrib import admin

from clinic.models import ConsentEvent, Discipline, Equipment, Location, Patient, Payer, Provider, Room
from clinic.services import patient_set_consent
from core.admin_access import PolicyAdmin

admin.site.site_header = "Pain clinic"
admin.site.site_title = "Pain clinic admin"
admin.site.index_title = "Front desk and clinic administration"


class PatientScopedAdmin(PolicyAdmin):
    """Admin of patient data: rows, choices, filters and search come from the one access policy
    (core.access), like the API's and the workspace's."""


@admin.register(Discipline)
class DisciplineAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "is_procedural", "active"]
    list_filter = ["active", "is_procedural"]
    search_fields = ["name", "code"]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "city", "state", "time_zone", "active"]
    list_filter = ["active", "time_zone"]
    search_fields = ["name", "city"]


@admin.register(Equipment)
class EquipmentAdmin(admin.ModelAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


@admin.register(Room)
class RoomAdmin(admin.ModelAdmin):
    list_display = ["name", "location", "kind", "active"]
    list_filter = ["kind", "location", "active"]
    list_select_related = ["location"]
    search_fields = ["name", "location__name"]
    autocomplete_fields = ["location"]
    filter_horizontal = ["equipment"]


@admin.register(Payer)
class PayerAdmin(admin.ModelAdmin):
    list_display = ["name", "code", "active"]
    list_filter = ["active"]
    search_fields = ["name", "code"]


@admin.register(Provider)
class ProviderAdmin(admin.ModelAdmin):
    list_display = ["__str__", "discipline", "npi", "home_location", "active"]
    list_filter = ["discipline", "active", "home_location"]
    list_select_related = ["discipline", "home_location"]
    search_fields = ["first_name", "last_name", "npi", "user__username"]
    autocomplete_fields = ["user", "discipline", "home_location"]


class ConsentEventInline(admin.TabularInline):
    model = ConsentEvent
    extra = 0
    can_delete = False
    fields = ["channel", "granted", "at", "source", "recorded_by"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False


CLINICAL_FIELDS = ("anticoagulant", "diabetic")


class PatientAdminForm(forms.ModelForm):
    """Carries the consent timestamps as the page showed them: a patient who texts STOP while the
    front desk has the form open must not be re-subscribed by a stale checkbox."""

    sms_consent_seen = forms.CharField(required=False, widget=forms.HiddenInput)
    email_consent_seen = forms.CharField(required=False, widget=forms.HiddenInput)

    class Meta:
        model = Patient
        fields = [
            "first_name",
            "last_name",
            "date_of_birth",
            "language",
            "time_zone",
            "mobility",
            "phone",
            "email",
            "preferred_channel",
            "sms_consent",
            "email_consent",
            "payer",
            "member_id",
            "anticoagulant",
            "diabetic",
        ]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for channel in ("sms", "email"):
            at = getattr(self.instance, f"{channel}_consent_at", None)
            self.fields[f"{channel}_consent_seen"].initial = at.isoformat() if at else ""

    def clean(self):
        data = super().clean()
        if self.instance.pk:
            for channel in ("sms", "email"):
                at = getattr(self.instance, f"{channel}_consent_at", None)
                current = at.isoformat() if at else ""
                if f"{channel}_consent" in self.changed_data and self.data.get(f"{channel}_consent_seen", current) != current:
                    self.add_error(
                        f"{channel}_consent",
                        "Consent changed since this page was opened (for example the patient texted STOP); reload and check with the patient.",
                    )
        return data


@admin.register(Patient)
class PatientAdmin(PolicyAdmin):
    clinical_fields = CLINICAL_FIELDS
    form = PatientAdminForm
    list_display = [
        "mrn",
        "last_name",
        "first_name",
        "date_of_birth",
        "phone",
        "email",
        "preferred_channel",
        "sms_consent",
        "email_consent",
        "language",
    ]
    list_filter = ["preferred_channel", "sms_consent", "email_consent", "language", "mobility", "payer"]
    list_select_related = ["payer"]
    search_fields = ["mrn", "first_name", "last_name", "phone", "email"]
    autocomplete_fields = ["payer"]
    readonly_fields = ["mrn", "sms_consent_at", "email_consent_at", "created_at", "updated_at"]
    inlines = [ConsentEventInline]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payer")

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (None, {"fields": ["mrn", ("first_name", "last_name"), "date_of_birth", "language", "time_zone", "mobility"]}),
            (
                "Contact and consent",
                {
                    "fields": [
                        "phone",
                        "email",
                        "preferred_channel",
                        ("sms_consent", "sms_consent_at"),
                        ("email_consent", "email_consent_at"),
                    ]
                },
            ),
            ("Coverage", {"fields": ["payer", "member_id"]}),
        ]
        if self.sees_clinical(request, obj):
            fieldsets.append(("Clinical", {"fields": list(CLINICAL_FIELDS)}))
        return fieldsets

    def save_model(self, request, obj, form, change):
        # Consent changes go through the service so the history records who and when.
        consent = {f: form.cleaned_data.get(f) for f in ("sms_consent", "email_consent") if f in form.changed_data}
        if change:
            for field in consent:
                setattr(obj, field, form.initial.get(field))
        super().save_model(request, obj, form, change)
        for field, granted in consent.items():
            patient_set_consent(patient=obj, channel=field.split("_")[0], granted=bool(granted), source="front desk", by=request.user)
        obj.refresh_from_db(fields=["mrn"])


@admin.register(ConsentEvent)
class ConsentEventAdmin(PatientScopedAdmin):
    list_display = ["patient", "channel", "granted", "at", "source", "recorded_by"]
    list_filter = ["channel", "granted", "source"]
    list_select_related = ["patient", "recorded_by"]
    search_fields = ["patient__mrn", "patient__last_name", "patient__phone"]
    date_hierarchy = "at"
    show_full_result_count = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
