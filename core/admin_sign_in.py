"""Sign-in credentials in the admin: API tokens and authenticator devices.

API tokens: listed by digest, never by the token (knox stores only the digest);
deleting one revokes it. A superuser may issue one for an account: the token is shown once, on
the page that answers the form, and kept nowhere. Nobody else has the permissions (clinic.roles
gives the clinic admin none: a token minted for a provider is a way to read charts as them).

Authenticator (TOTP) devices: listed and deleted (a lost phone: the user enrols again at the next
sign-in), never shown: django-otp's own admin shows the secret key and its QR code, which would
let whoever sees it produce that user's codes. Superusers only (no role holds the permissions)."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.template.response import TemplateResponse
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.models import AuthToken

from core import tokens

admin.site.unregister(AuthToken)
admin.site.unregister(TOTPDevice)


class TokenIssueForm(forms.ModelForm):
    class Meta:
        model = AuthToken
        fields = ["user"]


@admin.register(AuthToken)
class AuthTokenAdmin(admin.ModelAdmin):
    list_display = ["short_digest", "user", "created", "expiry"]
    list_select_related = ["user"]
    search_fields = ["user__" + get_user_model().USERNAME_FIELD]
    raw_id_fields = ["user"]
    fields = ["short_digest", "user", "created", "expiry"]
    readonly_fields = fields

    @admin.display(description="digest")
    def short_digest(self, obj) -> str:
        return f"{obj.digest[:16]}…"

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = TokenIssueForm
            kwargs["fields"] = ["user"]
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fields(self, request, obj=None):
        return ["user"] if obj is None else self.fields

    def get_readonly_fields(self, request, obj=None):
        return [] if obj is None else self.readonly_fields

    def has_add_permission(self, request) -> bool:
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj, form, change):
        instance, token = tokens.api_token_issue(user=form.cleaned_data["user"], by=request.user)
        obj.pk = instance.pk
        request._issued_token = token  # for response_add only; never stored

    def save_related(self, request, form, formsets, change):
        pass

    def response_add(self, request, obj, post_url_continue=None):
        instance = AuthToken.objects.select_related("user").get(pk=obj.pk)
        context = {
            **self.admin_site.each_context(request),
            "title": "API token issued",
            "token": request._issued_token,
            "instance": instance,
            "opts": self.opts,
        }
        return TemplateResponse(request, "admin/knox/authtoken/issued.html", context)


@admin.register(TOTPDevice)
class TOTPDeviceAdmin(admin.ModelAdmin):
    list_display = ["name", "user", "confirmed", "last_used_at"]
    list_select_related = ["user"]
    search_fields = ["user__" + get_user_model().USERNAME_FIELD]
    fields = ["name", "user", "confirmed", "created_at", "last_used_at"]
    readonly_fields = fields

    def has_add_permission(self, request) -> bool:
        return False  # enrolment is the user's own, at /account/two-factor/enrol/

    def has_change_permission(self, request, obj=None) -> bool:
        return False
