"""The service-client base of the care-plan admin: add through a service, change through
transition services or not at all, never delete; a refusal comes back as a form error."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.forms.models import construct_instance

from clinic.admin import PatientScopedAdmin
from core import access
from core.access import Action, Kind
from core.admin_access import PolicyInline, RefusalAsFormErrors

# --- the service-client base -------------------------------------------------------------------


def _adopt(obj, saved) -> None:
    """Make the admin's unsaved instance the row the service saved (for the log and redirect)."""
    obj.__dict__.update({k: v for k, v in saved.__dict__.items() if k != "_state"})
    obj._state.adding = False
    obj._state.db = saved._state.db


class ServiceForm(forms.ModelForm):
    """The admin's form for a service: it shapes input; the service checks the rules (the model's
    constraints included), so the messages are the service's."""

    def _post_clean(self):
        # Build the instance from the cleaned data, without the model's own validation.
        opts = self._meta
        try:
            self.instance = construct_instance(self, self.instance, opts.fields, opts.exclude)
        except forms.ValidationError as error:
            self._update_errors(error)


class ServiceAdmin(RefusalAsFormErrors, PatientScopedAdmin):
    """A clinical record's admin: adds through `create` (a service), changes through `change`
    (transition services) or not at all, never deletes. Fields named in `editable` are the only
    ones a change form offers; everything else is read-only once the row exists."""

    form = ServiceForm
    editable: tuple[str, ...] = ()
    # Fields set only after the row exists (through a transition service), not on the add form.
    change_only: tuple[str, ...] = ()
    # Foreign keys to rows of a patient: their choices are the patients whose clinical record
    # the user may change (path from the related model to its patient).
    clinical_choice_paths: dict[str, str] = {}

    def create(self, request, data: dict):  # pragma: no cover - each admin that allows adding defines it
        raise NotImplementedError

    def change(self, request, obj, data: dict, changed: list[str]) -> None:
        """Apply the changed `editable` fields through services."""

    def has_add_permission(self, request) -> bool:
        return type(self).create is not ServiceAdmin.create and super().has_add_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return bool(self.editable) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_fields(self, request, obj=None):
        fields = super().get_fields(request, obj)
        return [f for f in fields if f not in self.change_only] if obj is None else fields

    def get_inlines(self, request, obj):
        return super().get_inlines(request, obj) if obj is not None else []

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return list(super().get_readonly_fields(request, obj))
        form_fields = self.fields or [f.name for f in self.model._meta.fields if f.editable and not f.primary_key]
        return [f for f in form_fields if f not in self.editable] + [
            f for f in super().get_readonly_fields(request, obj) if f not in form_fields
        ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        path = self.clinical_choice_paths.get(db_field.name)
        if formfield is not None and path is not None:
            allowed = access.patients(request.user, Kind.CLINICAL, action=Action.CHANGE).values("pk")
            formfield.queryset = formfield.queryset.filter(**{f"{path}__in" if path else "pk__in": allowed})
        return formfield

    def save_model(self, request, obj, form, change):
        if change:
            self.change(request, obj, form.cleaned_data, [f for f in form.changed_data if f in self.editable])
        else:
            _adopt(obj, self.create(request, form.cleaned_data))

    def save_related(self, request, form, formsets, change):
        """Nothing is saved raw: services have saved what there was to save."""


class ReadOnlyInline(PolicyInline, admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
