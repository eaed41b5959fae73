"""The admin as a client of the access policy (core.access): rows, foreign-key choices,
autocomplete, list filters, lookups in the URL, search and inlines are all scoped by it.

Autocomplete widgets ask the related model's admin for its queryset, so scoping each admin's
get_queryset scopes every autocomplete that points at it.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpResponseRedirect
from django.urls import reverse

from core import access, audit
from core.access import Kind
from core.admin_utils import report_domain_error
from core.errors import DomainError


def scope_choices(formfield, db_field, request):
    """Limit a relation's choices to the rows the user may see (protected models only)."""
    if formfield is None or not hasattr(formfield, "queryset"):
        return formfield
    related = db_field.related_model
    if related is not None and access.protected(related) is not None:
        formfield.queryset = access.scope(formfield.queryset, request.user)
    return formfield


class PolicyScopedMixin:
    """For ModelAdmin and InlineModelAdmin of protected models. `kind` defaults to the model's
    registered kind; `clinical_fields` names fields of a non-clinical model that are clinical
    (shown, filtered and searched only for users who may see clinical data)."""

    kind: Kind | None = None
    clinical_fields: tuple[str, ...] = ()

    def get_queryset(self, request) -> QuerySet:
        qs = super().get_queryset(request)
        if access.protected(qs.model) is None:
            return qs
        return access.scope(qs, request.user, self.kind)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        return scope_choices(super().formfield_for_foreignkey(db_field, request, **kwargs), db_field, request)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        return scope_choices(super().formfield_for_manytomany(db_field, request, **kwargs), db_field, request)

    def sees_clinical(self, request, obj=None) -> bool:
        """For one row: may the user see its patient's clinical data. For a list (obj=None): may
        clinical fields be shown, filtered and searched over every row the list can hold? Not
        when the list covers the whole clinic (front desk, clinic admin) and the clinical grants
        only some of it, as for a clinic admin who also sees patients as a provider."""
        if obj is not None and access.patient_of(obj) is not None:
            # Memoized per request and row: get_fields, get_readonly_fields and the fieldsets ask.
            cache = request.__dict__.setdefault("_sees_clinical", {})
            key = (obj._meta.label_lower, obj.pk)
            if key not in cache:
                cache[key] = access.can(request.user, access.Action.VIEW, patient=access.patient_of(obj), kind=Kind.CLINICAL)
            return cache[key]
        user = request.user
        if not access.may_ever(user, Kind.CLINICAL):
            return False
        rule = access.protected(self.model)
        list_kind = self.kind or (rule.kind if rule else Kind.CLINICAL)
        return user.is_superuser or list_kind == Kind.CLINICAL or not access.sees_whole_clinic(user, list_kind)

    def get_object(self, request, object_id, from_field=None):
        """A row opened on its own page: a look that only an open urgent task allows is written
        to the audit trail, as in the API and the workspace."""
        obj = super().get_object(request, object_id, from_field)
        if obj is not None and (patient := access.patient_of(obj)) is not None and request.method == "GET":
            access.record_if_only_granted_by_alert(request.user, patient=patient, kind=Kind.CLINICAL, obj=obj)
            audit.looked_at([patient], user=request.user, obj=obj)
        return obj

    def _is_clinical_path(self, path: str) -> bool:
        return path.split("__")[0] in self.clinical_fields


class PolicyAdmin(PolicyScopedMixin, admin.ModelAdmin):
    show_full_result_count = False

    def lookup_allowed(self, lookup, value, request=None):
        # A URL lookup on a clinical field (?diabetic__exact=1) would let a user without clinical
        # access learn it by filtering; Django answers a refused lookup with 400.
        if self._is_clinical_path(lookup) and (request is None or not self.sees_clinical(request)):
            return False
        return super().lookup_allowed(lookup, value, request)

    def changelist_view(self, request, extra_context=None):
        """A list page is a look at every patient on it: one audit note naming them all, and
        those the user sees only through an open urgent task named again with that reason
        (at most two queries, whatever the page size; one audit INSERT for the request)."""
        response = super().changelist_view(request, extra_context)
        changelist = (getattr(response, "context_data", None) or {}).get("cl")
        if changelist is not None and access.protected(self.model) is not None:
            patient_ids = access.patients_of(changelist.result_list)
            audit.looked_at(patient_ids, user=request.user, model=self.model)
            if access.may_ever(request.user, Kind.CLINICAL):
                access.record_alert_looks(request.user, patient_ids=patient_ids, kind=Kind.CLINICAL)
        return response

    def construct_change_message(self, request, form, formsets, add=False):
        """The object's history page is read by everyone who may see the row; "Changed
        Diabetic" would tell the front desk what the form hides. Clinical fields are left out
        of the logged message (their history is kept with the clinical record)."""
        message = super().construct_change_message(request, form, formsets, add)
        hidden = {str(form.fields[name].label or name) for name in self.clinical_fields if name in form.fields}
        if not hidden:
            return message
        for part in message:
            changed = part.get("changed")
            if changed and "fields" in changed:
                changed["fields"] = [label for label in changed["fields"] if label not in hidden]
        return [part for part in message if not ("changed" in part and "name" not in part["changed"] and not part["changed"]["fields"])]

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if self.sees_clinical(request):
            return filters
        return [f for f in filters if not (isinstance(f, str) and self._is_clinical_path(f))]

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if self.sees_clinical(request):
            return fields
        return [f for f in fields if not self._is_clinical_path(f.lstrip("^=@"))]

    def _without_clinical(self, names, request, obj):
        if not self.clinical_fields or self.sees_clinical(request, obj):
            return names
        kept = []
        for name in names:
            if isinstance(name, list | tuple):
                group = [n for n in name if not self._is_clinical_path(n)]
                if group:
                    kept.append(tuple(group))
            elif not (isinstance(name, str) and self._is_clinical_path(name)):
                kept.append(name)
        return kept

    def get_fields(self, request, obj=None):
        return self._without_clinical(super().get_fields(request, obj), request, obj)

    def get_readonly_fields(self, request, obj=None):
        return self._without_clinical(super().get_readonly_fields(request, obj), request, obj)

    def get_list_display(self, request):
        shown = super().get_list_display(request)
        if self.sees_clinical(request):
            return shown
        return [f for f in shown if not (isinstance(f, str) and self._is_clinical_path(f))]


class PolicyInline(PolicyScopedMixin):
    """Mix into TabularInline / StackedInline of protected models."""


def refusing_form(form_class, error: DomainError):
    """The same form, failing validation with the service's refusal (field messages on their
    fields where the form has them, the rest at the top)."""

    class Refused(form_class):
        def clean(self):
            data = super().clean()
            self.add_error(None, error.message)
            for name, problems in error.field_errors.items():
                if name in self.fields:
                    self.add_error(name, problems)
                else:
                    self.add_error(None, [f"{name}: {problem}" for problem in problems])
            return data

    Refused.__name__ = form_class.__name__
    return Refused


class RefusalAsFormErrors:
    """For admins whose save_model calls a service: a DomainError the service raises (after the
    form validated, e.g. a change that raced the page) rolls back the view's transaction and
    comes back as errors on the same form, with the user's input kept, instead of a 500 or a
    "changed successfully" over a change that did not happen."""

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except DomainError as error:
            if request.method != "POST":
                report_domain_error(request, error)
                return HttpResponseRedirect(reverse("admin:index"))
            # The write was rolled back with the view's transaction; show the same form again
            # with the refusal as its errors and the user's input kept.
            request._service_refusal = error
            return super().changeform_view(request, object_id, form_url, extra_context)

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change, **kwargs)
        error = getattr(request, "_service_refusal", None)
        return refusing_form(form, error) if error is not None else form
