"""The authorization queue in the admin (front desk, authorization coordinators, clinic admin):
filters by status, decision due and approvals expiring; the lines and documents inline; one
action per transition. Every write goes through authorizations.services: the admin is a client.

Plain front desk sees the queue and statuses; the evidence pack and documents open through
authorizations.policy (coordinators for authorizations in their queue, clinicians with a grant)."""

from __future__ import annotations

from datetime import timedelta

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.http import FileResponse, HttpResponse
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html

from authorizations import evidence, services
from authorizations.models import (
    AWAITING,
    GRANTING,
    Authorization,
    AuthorizationDocument,
    AuthorizationEvent,
    AuthorizationLine,
    PayerAuthorizationTerms,
    RequirementRule,
)
from authorizations.policy import require_evidence_access
from authorizations.selectors import authorization_get_for_user, lines_with_use
from clinic.admin import PatientScopedAdmin
from core.admin_utils import report_domain_error, run_action
from core.errors import DomainError, NotFound
from scheduling.selectors import appointment_get_for_user


class DueFilter(admin.SimpleListFilter):
    title = "decision due"
    parameter_name = "due"

    def lookups(self, request, model_admin):
        return [("overdue", "Overdue"), ("48h", "Due within 48 hours"), ("week", "Due within 7 days")]

    def queryset(self, request, queryset):
        now = timezone.now()
        limits = {"overdue": now, "48h": now + timedelta(hours=48), "week": now + timedelta(days=7)}
        if self.value() in limits:
            return queryset.filter(status__in=AWAITING, decision_due_at__lt=limits[self.value()])
        return queryset


class ExpiringFilter(admin.SimpleListFilter):
    title = "approval ends"
    parameter_name = "expiring"

    def lookups(self, request, model_admin):
        return [("14", "Within 14 days"), ("30", "Within 30 days"), ("past", "Already ended")]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() in ("14", "30"):
            return queryset.filter(status__in=GRANTING, valid_to__gte=today, valid_to__lte=today + timedelta(days=int(self.value())))
        if self.value() == "past":
            return queryset.filter(status__in=GRANTING, valid_to__lt=today)
        return queryset


class LineInline(admin.TabularInline):
    """Lines are given when the request is made (add page); afterwards they are read here and
    their approved units set by the approve step."""

    model = AuthorizationLine
    extra = 1
    fields = ["code", "procedure_family", "modifiers", "region", "levels", "requested_units", "approved_units", "units_used"]
    readonly_fields = ["approved_units", "units_used"]

    def get_queryset(self, request):
        return lines_with_use()

    @admin.display(description="Units used")
    def units_used(self, line):
        return getattr(line, "used", None) if line.pk else "—"

    def get_readonly_fields(self, request, obj=None):
        return self.fields if obj is not None else self.readonly_fields

    def has_change_permission(self, request, obj=None):
        return obj is None and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return False

    def get_extra(self, request, obj=None, **kwargs):
        return 0 if obj is not None else 1

    def has_add_permission(self, request, obj=None):
        return obj is None and super().has_add_permission(request, obj)


class DocumentInline(admin.TabularInline):
    model = AuthorizationDocument
    extra = 0
    fields = ["kind", "title", "file", "open_link", "uploaded_at"]
    readonly_fields = ["open_link", "uploaded_at"]

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_fields(self, request, obj=None):
        return self.fields

    @admin.display(description="Open")
    def open_link(self, document):
        if not document.pk:
            return "—"
        url = reverse("admin:authorizations_document", args=[document.authorization_id, document.pk])
        return format_html('<a href="{}">Open (recorded)</a>', url)


class EventInline(admin.TabularInline):
    model = AuthorizationEvent
    extra = 0
    fields = ["at", "from_status", "to_status", "by", "reason"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class ReasonActionForm(helpers.ActionForm):
    reason = forms.CharField(required=False, max_length=500, help_text="Needed to deny, appeal or void")


class ApproveForm(forms.Form):
    number = forms.CharField(max_length=40, help_text="The payer's number (Medicare: the 14-character UTN)")
    valid_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    valid_to = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, lines=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.lines = list(lines)
        for line in self.lines:
            self.fields[f"units_{line.pk}"] = forms.IntegerField(
                min_value=0, initial=line.requested_units, label=f"Units approved for {line} ({line.requested_units} requested)"
            )


class OverrideForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}), help_text="At least 10 non-blank characters; recorded in the audit trail"
    )


@admin.register(Authorization)
class AuthorizationAdmin(PatientScopedAdmin):
    list_display = ["__str__", "patient_name", "payer", "status_badge", "urgency", "decision_due_at", "valid_to", "number"]
    list_filter = ["status", DueFilter, ExpiringFilter, "urgency", "payer"]
    list_select_related = ["patient", "payer"]
    search_fields = ["number", "patient__mrn", "patient__last_name"]
    ordering = ["decision_due_at", "-created_at"]
    autocomplete_fields = ["patient"]
    inlines = [LineInline, DocumentInline, EventInline]
    action_form = ReasonActionForm
    actions = ["submit", "pend", "deny", "appeal", "void"]
    show_full_result_count = False
    add_fields = [
        "patient",
        "payer",
        "member_id",
        "reference_kind",
        "urgency",
        "ordering_provider",
        "rendering_location",
        "place_of_service",
        "notes",
    ]
    readonly_fields = [
        "patient", "payer", "member_id", "reference_kind", "number", "status", "urgency", "requested_at", "decision_due_at",
        "decided_at", "valid_from", "valid_to", "ordering_provider", "rendering_location", "place_of_service", "notes",
        "status_reason", "created_by", "created_at", "evidence_link",
    ]  # fmt: skip

    def get_fields(self, request, obj=None):
        return self.add_fields if obj is None else self.readonly_fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # voided, never deleted

    @admin.display(description="Patient", ordering="patient__last_name")
    def patient_name(self, obj):
        return f"{obj.patient.last_name}, {obj.patient.first_name} ({obj.patient.mrn})"

    @admin.display(description="Status", ordering="status")
    def status_badge(self, obj):
        return format_html('<span class="auth-status auth-{}">{}</span>', obj.status, obj.get_status_display())

    @admin.display(description="Evidence")
    def evidence_link(self, obj):
        url = reverse("admin:authorizations_evidence", args=[obj.pk])
        return format_html('<a href="{}">Evidence pack</a> · <a href="{}?format=pdf">PDF</a> (each look is recorded)', url, url)

    # --- writes through the services ------------------------------------------------------------

    def save_model(self, request, obj, form, change):
        pass  # the request is created with its lines in save_related (one service call)

    def save_related(self, request, form, formsets, change):
        if change:
            for formset in formsets:
                if formset.model is AuthorizationDocument:
                    self._add_documents(request, form.instance, formset)
            return
        lines = []
        for formset in formsets:
            if formset.model is AuthorizationLine:
                for line_form in formset.forms:
                    data = getattr(line_form, "cleaned_data", None)
                    if data and not data.get("DELETE") and data.get("code"):
                        lines.append(
                            {k: data.get(k) for k in ("code", "procedure_family", "modifiers", "region", "levels", "requested_units")}
                        )
        d = form.cleaned_data
        created = services.authorization_create(
            patient=d["patient"], payer=d.get("payer"), member_id=d.get("member_id"), reference_kind=d.get("reference_kind"),
            urgency=d.get("urgency"), ordering_provider=d.get("ordering_provider"), rendering_location=d.get("rendering_location"),
            place_of_service=d.get("place_of_service"), notes=d.get("notes", ""), lines=lines, by=request.user,
        )  # fmt: skip
        form.instance = created
        form.instance._state.adding = False

    def _add_documents(self, request, authorization, formset):
        for doc_form in formset.extra_forms:
            data = getattr(doc_form, "cleaned_data", None)
            if data and data.get("file"):
                services.authorization_document_add(
                    authorization=authorization, upload=data["file"], title=data.get("title", ""), kind=data.get("kind"), by=request.user
                )

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            report_domain_error(request, error)
            return redirect(request.get_full_path())

    def _run(self, request, queryset, label, fn):
        run_action(request, queryset, label, fn, noun="authorization(s)", name=lambda a: f"Authorization #{a.pk}")

    def _reason(self, request) -> str:
        return request.POST.get("reason", "")

    @admin.action(description="Submit to the payer", permissions=["change"])
    def submit(self, request, queryset):
        self._run(request, queryset, "Submitted", lambda a: services.authorization_submit(authorization=a, by=request.user))

    @admin.action(description="Pended by the payer (reason)", permissions=["change"])
    def pend(self, request, queryset):
        reason = self._reason(request)
        self._run(request, queryset, "Pended", lambda a: services.authorization_pend(authorization=a, reason=reason, by=request.user))

    @admin.action(description="Denied by the payer (reason)", permissions=["change"])
    def deny(self, request, queryset):
        reason = self._reason(request)
        self._run(request, queryset, "Denied", lambda a: services.authorization_deny(authorization=a, reason=reason, by=request.user))

    @admin.action(description="Appeal (reason)", permissions=["change"])
    def appeal(self, request, queryset):
        reason = self._reason(request)
        self._run(request, queryset, "Appealed", lambda a: services.authorization_appeal(authorization=a, reason=reason, by=request.user))

    @admin.action(description="Void (reason)", permissions=["change"])
    def void(self, request, queryset):
        reason = self._reason(request)
        self._run(request, queryset, "Voided", lambda a: services.authorization_void(authorization=a, reason=reason, by=request.user))

    # --- pages ----------------------------------------------------------------------------------

    def get_urls(self):
        wrap = self.admin_site.admin_view
        return [
            path("<int:pk>/approve/", wrap(self.approve_view), name="authorizations_approve"),
            path("<int:pk>/evidence/", wrap(self.evidence_view), name="authorizations_evidence"),
            path("<int:pk>/documents/<int:document_id>/", wrap(self.document_view), name="authorizations_document"),
            path("override/<int:appointment_id>/", wrap(self.override_view), name="authorizations_override"),
            *super().get_urls(),
        ]

    def _get(self, request, pk):
        return authorization_get_for_user(user=request.user, pk=pk)

    def approve_view(self, request, pk: int):
        """The payer's approval: number, dates and units per line (fewer than requested makes it
        partially approved)."""
        try:
            authorization = self._get(request, pk)
            services.require_worker(request.user)
        except DomainError as error:
            return _refused(request, error)
        lines = list(authorization.lines.all())
        form = ApproveForm(request.POST or None, lines=lines)
        if request.method == "POST" and form.is_valid():
            d = form.cleaned_data
            try:
                services.authorization_approve(
                    authorization=authorization, number=d["number"], valid_from=d["valid_from"], valid_to=d["valid_to"],
                    lines=[{"id": line.pk, "approved_units": d[f"units_{line.pk}"]} for line in lines], by=request.user,
                )  # fmt: skip
            except DomainError as error:
                report_domain_error(request, error)
            else:
                messages.success(request, f"Authorization #{authorization.pk} approved.")
                return redirect("admin:authorizations_authorization_change", authorization.pk)
        context = {**self.admin_site.each_context(request), "title": f"Approve authorization #{authorization.pk}", "form": form,
                   "authorization": authorization, "opts": self.model._meta}  # fmt: skip
        return render(request, "admin/authorizations/authorization/approve.html", context)

    def evidence_view(self, request, pk: int):
        try:
            authorization = self._get(request, pk)
            require_evidence_access(request.user, authorization=authorization, what="evidence pack")
        except DomainError as error:
            return _refused(request, error)
        pack = evidence.evidence_pack(authorization=authorization)
        if request.GET.get("format") == "pdf":
            response = HttpResponse(evidence.render_pdf(pack), content_type="application/pdf")
            response["Content-Disposition"] = f'inline; filename="authorization-{authorization.pk}-evidence.pdf"'
        else:
            response = HttpResponse(evidence.render_html(pack, request=request))
        response["Cache-Control"] = "no-store"
        return response

    def document_view(self, request, pk: int, document_id: int):
        """Streams a private attachment to staff who may open the evidence (each look recorded)."""
        try:
            authorization = self._get(request, pk)
            document = authorization.documents.filter(pk=document_id).first()
            if document is None:
                raise NotFound("No such document.")
            require_evidence_access(request.user, authorization=authorization, what=f"document #{document.pk}")
        except DomainError as error:
            return _refused(request, error)
        response = FileResponse(document.file.open("rb"), content_type=document.content_type or "application/octet-stream")
        response["Content-Disposition"] = f'inline; filename="authorization-{authorization.pk}-document-{document.pk}"'
        response["Cache-Control"] = "no-store"
        response["X-Content-Type-Options"] = "nosniff"
        return response

    def override_view(self, request, appointment_id: int):
        """Let a procedure be checked in and started without an approved authorization."""
        try:
            appointment = appointment_get_for_user(user=request.user, pk=appointment_id)
        except DomainError as error:
            return _refused(request, error)
        form = OverrideForm(request.POST or None)
        if request.method == "POST" and form.is_valid():
            try:
                services.appointment_authorization_override(appointment=appointment, reason=form.cleaned_data["reason"], by=request.user)
            except DomainError as error:
                report_domain_error(request, error)
            else:
                messages.success(request, f"Appointment #{appointment.pk} may go ahead without authorization (recorded).")
                return redirect("admin:scheduling_appointment_change", appointment.pk)
        context = {**self.admin_site.each_context(request), "title": f"Authorization override for appointment #{appointment.pk}",
                   "form": form, "appointment": appointment, "opts": self.model._meta}  # fmt: skip
        return render(request, "admin/authorizations/authorization/override.html", context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        extra_context = {**(extra_context or {}), "approve_url": reverse("admin:authorizations_approve", args=[object_id])}
        return super().change_view(request, object_id, form_url, extra_context)


def _refused(request, error: DomainError):
    return render(request, "admin/authorizations/authorization/refused.html", {"message": error.message}, status=error.http_status)


@admin.register(RequirementRule)
class RequirementRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "payer", "visit_type", "procedure_family", "code", "states", "place_of_service", "required", "active"]
    list_filter = ["active", "required", "payer", "procedure_family"]
    list_select_related = ["payer", "visit_type"]
    search_fields = ["name", "code"]


@admin.register(PayerAuthorizationTerms)
class PayerAuthorizationTermsAdmin(admin.ModelAdmin):
    list_display = ["payer", "standard_days", "expedited_hours", "reference_kind", "validity_days"]
    list_select_related = ["payer"]
