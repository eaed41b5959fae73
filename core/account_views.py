"""Sign-in's second step: the TOTP code, enrolment of an authenticator app, and the Two-factor
page where staff for whom it is optional may set one up. Sign-in's first step is the admin's own
login page (throttled by django-axes)."""

from __future__ import annotations

import base64

from django import forms
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from core import two_factor
from core.sessions import second_factor_redirect


class CodeForm(forms.Form):
    code = forms.CharField(
        label="Code from your authenticator app",
        max_length=8,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True, "size": 8}),
    )


def _next_url(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return target
    return "/admin/"


@never_cache
@sensitive_post_parameters("code")
@login_required
def two_factor_verify(request):
    if two_factor.session_state(request) != two_factor.PENDING:
        return HttpResponseRedirect(_next_url(request))
    if not any(True for _ in two_factor.devices_for_user(request.user, confirmed=True)):
        return second_factor_redirect(request, next_url=_next_url(request))
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        device = two_factor.code_check(user=request.user, code=form.cleaned_data["code"])
        if device is not None:
            two_factor.session_verified(request, device)
            return HttpResponseRedirect(_next_url(request))
        form.add_error("code", "That code is not right, or it has expired. Enter the code your app shows now.")
    return render(request, "account/two_factor_verify.html", {"form": form, "next": _next_url(request), "title": "Enter your code"})


@never_cache
@sensitive_post_parameters("code")
@login_required
def two_factor_enrol(request):
    state = two_factor.session_state(request)
    has_device = any(True for _ in two_factor.devices_for_user(request.user, confirmed=True))
    if state == two_factor.PENDING and has_device:
        # The password alone must never be enough to add a device: the code from the existing one first.
        return second_factor_redirect(request, next_url=_next_url(request))
    device = two_factor.totp_enrolment_device(user=request.user)
    form = CodeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if two_factor.totp_enrolment_confirm(device=device, code=form.cleaned_data["code"]):
            device.refresh_from_db()
            two_factor.session_verified(request, device)
            return HttpResponseRedirect(_next_url(request))
        form.add_error(
            "code", "That code is not right. Scan the code again, or check the time on your phone, and enter the code it shows now."
        )
    context = {
        "form": form,
        "next": _next_url(request),
        "title": "Set up two-factor sign-in",
        "qr_svg": two_factor.totp_qr_svg(device),
        "secret": _base32(device.bin_key),
        "required": two_factor.second_factor_required(request.user),
    }
    return render(request, "account/two_factor_enrol.html", context)


@never_cache
@login_required
def two_factor_status(request):
    devices = list(two_factor.devices_for_user(request.user, confirmed=True))
    context = {
        "title": "Two-factor sign-in",
        "devices": devices,
        "required": two_factor.second_factor_required(request.user),
        "require_all": settings.REQUIRE_2FA,
    }
    return render(request, "account/two_factor_status.html", context)


def _base32(key: bytes) -> str:
    """The key for typing into an app that cannot scan, in groups of four."""
    text = base64.b32encode(key).decode().rstrip("=")
    return " ".join(text[i : i + 4] for i in range(0, len(text), 4))
