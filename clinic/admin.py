from django import forms
from django.contrib import admin
from django.db.models import Q

from clinic import admin_users  # noqa: F401 - registers the user admin
from clinic.medications import medications_current
from clinic.models import (
    AnticoagulantDrug,
    ConsentEvent,
    Discipline,
    Equipment,
    Location,
    Patient,
    PatientMedication,
    Payer,
    Provider,
    Room,
    TravelTime,
)
from clinic.services import (
    CLINICAL_FIELDS,
    CONSENT_FIELDS,
    RELATED_FIELDS,
    UPDATABLE_FIELDS,
    patient_create,
    patient_update,
    patient_update_errors,
)
from core.admin_access import PolicyAdmin, RefusalAsFormErrors
from core.admin_utils import DateHierarchyAdminMixin

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


class TravelTimeForm(forms.ModelForm):
    class Meta:
        model = TravelTime
        fields = ["origin", "destination", "minutes"]

    def clean(self):
        # The database's constraints say the same; these messages come first, on the field (a
        # field with an error is excluded from Django's generic constraint messages).
        data = super().clean()
        origin, destination = data.get("origin"), data.get("destination")
        if origin and destination:
            if origin == destination:
                self.add_error("destination", "Choose a location other than the origin: the same location needs no travel time.")
            elif TravelTime.objects.filter(origin=origin, destination=destination).exclude(pk=self.instance.pk).exists():
                self.add_error("destination", f"{origin} → {destination} already has a travel time; change that one.")
        return data


@admin.register(TravelTime)
class TravelTimeAdmin(admin.ModelAdmin):
    """Minutes kept free for a provider between visits at two locations. One row serves both
    directions unless the reverse has its own; pairs without a row take TRAVEL_DEFAULT_MINUTES."""

    form = TravelTimeForm
    list_display = ["origin", "destination", "minutes"]
    list_filter = ["origin", "destination"]
    list_select_related = ["origin", "destination"]
    search_fields = ["origin__name", "destination__name"]
    autocomplete_fields = ["origin", "destination"]


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

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class PatientAdminForm(forms.ModelForm):
    """Carries the consent timestamps as the page showed them: a patient who texts STOP while the
    front desk has the form open must not be re-subscribed by a stale checkbox."""

    sms_consent_seen = forms.CharField(required=False, widget=forms.HiddenInput)
    email_consent_seen = forms.CharField(required=False, widget=forms.HiddenInput)
    anticoagulants = forms.ModelMultipleChoiceField(
        queryset=AnticoagulantDrug.objects.filter(active=True),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Anticoagulants and antiplatelets",
        help_text="Everything the patient takes now; the pre-procedure checklist holds each one as the procedure's risk requires.",
    )

    class Meta:
        model = Patient
        # What clinic.services.patient_update accepts (the drug list is a relation, added above).
        fields = sorted(UPDATABLE_FIELDS - RELATED_FIELDS)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "preferred_location" in self.fields:
            # Active locations, and the one on file even if it has since closed (so the form
            # still saves); the service refuses a change to an inactive one.
            current = self.instance.preferred_location_id
            self.fields["preferred_location"].queryset = Location.objects.filter(Q(active=True) | Q(pk=current)).order_by("name")
        if self.instance.pk and "anticoagulants" in self.fields:
            self.fields["anticoagulants"].initial = [drug.pk for drug in medications_current(self.instance.pk)]
        for channel in ("sms", "email"):
            at = getattr(self.instance, f"{channel}_consent_at", None)
            self.fields[f"{channel}_consent_seen"].initial = at.isoformat() if at else ""

    def clean(self):
        # The rule lives in the service (patient_update checks it again under the row lock).
        data = super().clean()
        if self.instance.pk:  # the instance still holds the stored values while clean() runs
            errors = patient_update_errors(patient=self.instance, changes=self.patient_changes(), consent_seen=self.consent_seen())
            for field, problems in errors.items():
                self.add_error(field, problems)
        return data

    def patient_changes(self) -> dict:
        return {f: self.cleaned_data[f] for f in self.changed_data if f in self.cleaned_data and f in UPDATABLE_FIELDS}

    def consent_seen(self) -> dict[str, str]:
        return {f: self.data[f"{f}_seen"] for f in CONSENT_FIELDS if f"{f}_seen" in self.data}


class AnticoagulantFilter(admin.SimpleListFilter):
    """Patients taking a drug now (?anticoagulant=<code>, the parameter the single-drug field
    had). Clinical: only listed for users who see clinical data (PatientAdmin.get_list_filter)."""

    title = "anticoagulant"
    parameter_name = "anticoagulant"

    def lookups(self, request, model_admin):
        return list(AnticoagulantDrug.objects.filter(active=True).values_list("code", "name"))

    def queryset(self, request, queryset):
        if self.value():
            current = PatientMedication.objects.filter(drug__code=self.value(), stopped_at__isnull=True)
            return queryset.filter(pk__in=current.values("patient_id"))
        return queryset


@admin.register(Patient)
class PatientAdmin(RefusalAsFormErrors, PolicyAdmin):
    # "anticoagulant" (the filter's parameter) and "medications" are clinical paths too.
    clinical_fields = (*CLINICAL_FIELDS, "anticoagulant", "medications")
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
    list_filter = ["preferred_channel", "sms_consent", "email_consent", "language", "mobility", "payer", "preferred_location"]
    list_select_related = ["payer"]
    search_fields = ["mrn", "first_name", "last_name", "phone", "email"]
    autocomplete_fields = ["payer"]
    readonly_fields = ["mrn", "sms_consent_at", "email_consent_at", "created_at", "updated_at"]
    inlines = [ConsentEventInline]
    show_full_result_count = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("payer")

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if self.sees_clinical(request, obj):
            return form
        # A declared form field is part of the form whatever the fieldsets say: drop it, so a
        # posted drug list from someone without clinical access is ignored like any unknown field.
        without_drugs = type(form.__name__, (form,), {})
        without_drugs.base_fields.pop("anticoagulants", None)
        return without_drugs

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        return [*filters, AnticoagulantFilter] if self.sees_clinical(request) else filters

    def get_fieldsets(self, request, obj=None):
        fieldsets = [
            (
                None,
                {
                    "fields": [
                        "mrn",
                        ("first_name", "last_name"),
                        "date_of_birth",
                        "language",
                        "time_zone",
                        "mobility",
                        "preferred_location",
                    ]
                },
            ),
            (
                "Contact and consent",
                {
                    "fields": [
                        "phone",
                        "email",
                        "preferred_channel",
                        ("sms_consent", "sms_consent_at"),
                        ("email_consent", "email_consent_at"),
                        # Hidden: the consent times this page showed (the stale-consent check).
                        "sms_consent_seen",
                        "email_consent_seen",
                    ]
                },
            ),
            ("Coverage", {"fields": ["payer", "member_id"]}),
        ]
        if self.sees_clinical(request, obj):
            fieldsets.append(("Clinical", {"fields": list(CLINICAL_FIELDS)}))
        return fieldsets

    def save_model(self, request, obj, form, change):
        # The admin is a client of the services: registration and updates (consent history,
        # the stale-consent check, clinical access) happen there.
        if not change:
            fields = {f: form.cleaned_data[f] for f in form.cleaned_data if f in UPDATABLE_FIELDS}
            created = patient_create(created_by=request.user, **fields)
            obj.pk = created.pk
            obj.refresh_from_db()
            return
        # A refusal (e.g. a STOP that raced the form's own check) comes back as form errors.
        patient_update(patient=obj, changes=form.patient_changes(), by=request.user, consent_seen=form.consent_seen())
        obj.refresh_from_db()

    def has_delete_permission(self, request, obj=None) -> bool:
        # No service deletes a patient (their history is kept); nobody deletes one raw.
        return False


@admin.register(ConsentEvent)
class ConsentEventAdmin(DateHierarchyAdminMixin, PatientScopedAdmin):
    list_display = ["patient", "channel", "granted", "at", "source", "recorded_by"]
    list_filter = ["channel", "granted", "source"]
    list_select_related = ["patient", "recorded_by"]
    search_fields = ["patient__mrn", "patient__last_name", "patient__phone"]
    date_hierarchy = "at"
    show_full_result_count = False

    # The history is written only by clinic.services.patient_set_consent (with the consent it
    # records); a raw row could contradict the patient's consent. Read-only for everyone.
    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(AnticoagulantDrug)
class AnticoagulantDrugAdmin(admin.ModelAdmin):
    """Reference data the clinic admin keeps: hold hours per procedure-risk tier (ASRA 2018
    defaults). Retire a drug (active off) rather than delete it: patients' history names it."""

    list_display = ["name", "drug_class", "low", "intermediate", "high", "restart", "active"]
    list_filter = ["drug_class", "active"]
    search_fields = ["name", "code"]

    @staticmethod
    def _hours(value: int | None) -> str:
        return "no hold" if value is None else f"{value} h"

    @admin.display(description="Hold: low risk", ordering="hold_hours_low")
    def low(self, obj):
        return self._hours(obj.hold_hours_low)

    @admin.display(description="Hold: intermediate", ordering="hold_hours_intermediate")
    def intermediate(self, obj):
        return self._hours(obj.hold_hours_intermediate)

    @admin.display(description="Hold: high risk", ordering="hold_hours_high")
    def high(self, obj):
        return self._hours(obj.hold_hours_high)

    @admin.display(description="Restart after", ordering="restart_hours")
    def restart(self, obj):
        return "—" if obj.restart_hours is None else f"{obj.restart_hours} h"

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
