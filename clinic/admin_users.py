"""The admin of staff accounts (django.contrib.auth's User), closed against privilege escalation.

The clinic admin manages users (clinic.roles gives the role auth.user add/change/delete) but is
not a clinician: core.access keeps clinical content from them. Django's stock UserAdmin would let
them walk around that policy, so for anyone who is not a superuser this admin:

- shows `is_superuser` and `user_permissions` read-only: superuser status and raw permissions are
  granted by a superuser only;
- refuses (a form error) changing one's OWN groups, staff or active status;
- refuses adding or removing a clinical role group (Provider, Care coordinator) for anyone;
  the On-call rota is not one: they put clinicians on call and take them off (a member who is
  not a clinician is refused for everyone, superusers included);
- refuses setting another user's password (403): a password set by the clinic admin is a password
  the clinic admin can sign in with, e.g. as a provider;
- does not let them change or delete a superuser's account (view only).

Superusers are unrestricted. The clinic admin still creates accounts and puts them in the
non-clinical roles (Front desk, Clinic admin): that is their job.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import unquote
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.core.exceptions import PermissionDenied, ValidationError

from core.access import CLINICAL_ROLES
from core.roles import ON_CALL

User = get_user_model()

# Fields only a superuser may grant; read-only for everyone else.
SUPERUSER_ONLY_FIELDS = ("is_superuser", "user_permissions")
# One's own account: changing these would be granting oneself access (or locking oneself out).
SELF_LOCKED_FIELDS = ("groups", "is_staff", "is_active")


def _group_names(groups) -> set[str]:
    return {group.name for group in groups}


class ClinicUserAdmin(UserAdmin):
    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += [name for name in SUPERUSER_ONLY_FIELDS if name not in readonly]
        return readonly

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        if obj is None:
            # The add form only asks for a username and a password; groups are set on the change page.
            return form
        acting_user = request.user

        class GuardedUserChangeForm(form):
            def clean(self):
                cleaned = super().clean()
                if not acting_user.is_superuser:
                    _refuse_escalation(self, acting_user, obj)
                _on_call_only_for_clinicians(self)
                return cleaned

        return GuardedUserChangeForm

    def has_change_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_delete_permission(request, obj)

    def user_change_password(self, request, id, form_url=""):
        if not request.user.is_superuser and unquote(id) != str(request.user.pk):
            raise PermissionDenied("Only a superuser may set another user's password.")
        return super().user_change_password(request, id, form_url)


def _refuse_escalation(form, acting_user, target) -> None:
    """Form errors for the changes a non-superuser may not make to `target`'s account."""
    if target.pk == acting_user.pk:
        for name in SELF_LOCKED_FIELDS:
            if name in form.changed_data and name in form.fields:
                form.add_error(name, "You cannot change this on your own account; ask a superuser.")
    if "groups" in form.cleaned_data:
        before = _group_names(target.groups.all())
        after = _group_names(form.cleaned_data["groups"])
        # Clinical roles open patients' clinical records (core.access), so granting or removing
        # one is a superuser act: otherwise the clinic admin, who may not read clinical content,
        # could make themselves or a colleague a provider and read it through them.
        if touched := sorted((before ^ after) & CLINICAL_ROLES):
            form.add_error(
                "groups",
                ValidationError(
                    "Only a superuser may add or remove the clinical role(s): %(roles)s.",
                    params={"roles": ", ".join(touched)},
                ),
            )


def _on_call_only_for_clinicians(form) -> None:
    """The On-call rota alerts its members of crisis answers and lets them open crisis tasks;
    only a clinician (Provider or Care coordinator) can act on one, so only they may be in it.
    Putting an existing clinician on call opens no record their role does not already open, which
    is why the clinic admin may do it (and superusers are held to the same rule)."""
    if "groups" not in form.cleaned_data:
        return
    after = _group_names(form.cleaned_data["groups"])
    if ON_CALL in after and not after & CLINICAL_ROLES:
        form.add_error(
            "groups",
            ValidationError(
                "Only a clinician (%(roles)s) can be on call: the rota receives crisis alerts that need one.",
                params={"roles": ", ".join(sorted(CLINICAL_ROLES))},
            ),
        )


admin.site.unregister(User)
admin.site.register(User, ClinicUserAdmin)
