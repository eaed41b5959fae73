"""Who needs a second factor, and the session's second-factor state.

A TOTP code (django-otp) is required for superusers and clinic admins, for everyone when
REQUIRE_2FA=true, and for anyone who enrolled a device of their own accord. The state is kept in
the session at sign-in (`SESSION_KEY`), so the check on every request costs no query:

- "pending": password accepted, code not yet given; only the verify/enrol pages and sign-out open;
- "verified": a device accepted a code in this session (django_otp.login recorded which);
- "none": this user needs no second factor.
"""

from __future__ import annotations

import segno
from django.conf import settings
from django.db import transaction
from django_otp import devices_for_user, user_has_device
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from core.devices import DevelopmentCodeDevice
from core.roles import CLINIC_ADMIN, user_roles

SESSION_KEY = "second_factor"
PENDING, VERIFIED, NONE = "pending", "verified", "none"


def second_factor_required(user) -> bool:
    """Must this user have a device at all (enrol before anything else)?"""
    return bool(user.is_superuser or settings.REQUIRE_2FA or CLINIC_ADMIN in user_roles(user))


def second_factor_state_at_sign_in(user) -> str:
    return PENDING if second_factor_required(user) or user_has_device(user, confirmed=True) else NONE


def session_state(request) -> str:
    """The session's state, computed and stored once for sessions that predate it."""
    state = request.session.get(SESSION_KEY)
    if state is None:
        state = second_factor_state_at_sign_in(request.user)
        request.session[SESSION_KEY] = state
    return state


def session_verified(request, device) -> None:
    """Record in the session that `device` accepted a code (django-otp's own session key too, so
    request.user.is_verified() holds)."""
    otp_login(request, device)
    request.session[SESSION_KEY] = VERIFIED
    request.session.cycle_key()  # a new session id for the fully signed-in session


def code_check(*, user, code: str):
    """The confirmed device of `user` that accepts `code`, or None. TOTP devices throttle
    repeated failures themselves (django-otp's ThrottlingMixin)."""
    code = (code or "").strip()
    if not code:
        return None
    with transaction.atomic():
        for device in devices_for_user(user, confirmed=True, for_verify=True):
            if device.verify_token(code):
                return device
    return None


def totp_enrolment_device(*, user) -> TOTPDevice:
    """The user's unconfirmed TOTP device (made on first call): its key is shown once as a QR code
    until a code from it confirms it."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    return device or TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


def totp_enrolment_confirm(*, device: TOTPDevice, code: str) -> bool:
    with transaction.atomic():
        device = TOTPDevice.objects.select_for_update().get(pk=device.pk)
        if not device.verify_token((code or "").strip()):
            return False
        device.confirmed = True
        device.save(update_fields=["confirmed"])
    return True


def totp_qr_svg(device: TOTPDevice) -> str:
    """The enrolment URI as an inline SVG (no script, no external request)."""
    return segno.make(device.config_url, error="m").svg_inline(scale=5, dark="#1a1a1a", light="#ffffff")


def development_code_device_ensure(*, user) -> DevelopmentCodeDevice | None:
    """Give `user` the development-only fixed code (seed_demo's `admin`). None in production:
    a fixed code must never exist there."""
    if settings.PRODUCTION:
        return None
    device, _ = DevelopmentCodeDevice.objects.get_or_create(user=user, defaults={"name": "Development-only fixed code", "confirmed": True})
    return device
