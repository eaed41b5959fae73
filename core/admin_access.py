"""The admin as a client of the access policy (core.access): rows, foreign-key choices,
autocomplete, list filters, lookups in the URL, search and inlines are all scoped by it.

Autocomplete widgets ask the related model's admin for its queryset, so scoping each admin's
get_queryset scopes every autocomplete that points at it.
"""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet

from core import access
from core.access import Kind


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
        if obj is not None and access.patient_of(obj) is not None:
            return access.can(request.user, access.Action.VIEW, patient=access.patient_of(obj), kind=Kind.CLINICAL)
        return access.may_ever(request.user, Kind.CLINICAL)

    def _is_clinical_path(self, path: str) -> bool:
        return path.split("__")[0] in self.clinical_fields


class PolicyAdmin(PolicyScopedMixin, admin.ModelAdmin):
    show_full_result_count = False

    def lookup_allowed(self, lookup, value, request=None):
        # A URL lookup on a clinical field (?diabetic__exact=1) would let a user without clinical
        # access learn it by filtering; Django answers a refused lookup with 400.
        if self._is_clinical_path(lookup) and (request is None or not access.may_ever(request.user, Kind.CLINICAL)):
            return False
        return super().lookup_allowed(lookup, value, request)

    def get_list_filter(self, request):
        filters = super().get_list_filter(request)
        if access.may_ever(request.user, Kind.CLINICAL):
            return filters
        return [f for f in filters if not (isinstance(f, str) and self._is_clinical_path(f))]

    def get_search_fields(self, request):
        fields = super().get_search_fields(request)
        if access.may_ever(request.user, Kind.CLINICAL):
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
        if access.may_ever(request.user, Kind.CLINICAL):
            return shown
        return [f for f in shown if not (isinstance(f, str) and self._is_clinical_path(f))]


class PolicyInline(PolicyScopedMixin):
    """Mix into TabularInline / StackedInline of protected models."""
