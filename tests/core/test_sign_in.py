"""Signing in: five wrong passwords lock a username on one address for 15 minutes (a page says
so; the clinic admin can unlock), and a TOTP code is the second step for superusers, clinic admins,
anyone who enrolled, and everyone with REQUIRE_2FA=true. Until it is given the session opens
nothing but the code, enrolment and sign-out pages."""

from __future__ import annotations

import datetime
import re

import pytest
import time_machine
from axes.models import AccessAttempt
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client, override_settings
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic import demo
from clinic.demo_logins import DEMO_OTP_CODE, DEMO_PASSWORD
from core import two_factor
from core.devices import DevelopmentCodeDevice
from tests.factories import sign_in

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"


def _password_step(client: Client, username: str, password: str = PASSWORD, *, ip: str = "10.1.1.1", next_url: str = "/admin/"):
    return client.post(f"/admin/login/?next={next_url}", {"username": username, "password": password, "next": next_url}, REMOTE_ADDR=ip)


def _code(device: TOTPDevice, at: datetime.datetime | None = None) -> str:
    """The code the user's app shows at `at` (now by default), computed as an app computes it."""
    generator = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    generator.time = (at or datetime.datetime.now(tz=datetime.UTC)).timestamp()
    return f"{generator.token():06d}"


@pytest.fixture
def admin_with_app(clinic_admin_user):
    return TOTPDevice.objects.create(user=clinic_admin_user, name="Phone", confirmed=True)


# --- throttling ---------------------------------------------------------------------------------


def test_five_wrong_passwords_lock_that_username_on_that_address_even_for_the_right_password(front_desk_user):
    client = Client()
    for _ in range(4):
        assert _password_step(client, "desk", "wrong-password-1").status_code == 200
    assert _password_step(client, "desk", "wrong-password-1").status_code == 429  # the fifth locks at once

    locked = _password_step(client, "desk")

    assert locked.status_code == 429
    body = locked.content.decode()
    assert "Sign-in locked for 15 minutes" in body and "ask your clinic admin to unlock" in body
    assert "_auth_user_id" not in client.session


def test_the_lock_holds_only_that_username_and_address_pair(front_desk_user, coordinator_user):
    client = Client()
    for _ in range(5):
        _password_step(client, "desk", "wrong-password-1")

    assert _password_step(Client(), "desk", ip="10.2.2.2").status_code == 302  # same user, another computer
    assert _password_step(Client(), "coord").status_code == 302  # same computer, another user


def test_four_wrong_passwords_do_not_lock(front_desk_user):
    client = Client()
    for _ in range(4):
        _password_step(client, "desk", "wrong-password-1")

    assert _password_step(client, "desk").status_code == 302


def test_the_lock_ends_after_15_minutes(front_desk_user):
    start = datetime.datetime(2026, 11, 25, 15, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        for _ in range(5):
            _password_step(Client(), "desk", "wrong-password-1")
    with time_machine.travel(start + datetime.timedelta(minutes=14), tick=False):
        assert _password_step(Client(), "desk").status_code == 429
    with time_machine.travel(start + datetime.timedelta(minutes=31), tick=False):
        assert _password_step(Client(), "desk").status_code == 302


def test_the_clinic_admin_unlocks_a_locked_out_colleague(front_desk_user, clinic_admin_user):
    for _ in range(5):
        _password_step(Client(), "desk", "wrong-password-1")
    attempt = AccessAttempt.objects.get(username="desk")
    admin = sign_in(Client(), clinic_admin_user)

    assert "desk" in admin.get("/admin/axes/accessattempt/").content.decode()
    assert admin.post(f"/admin/axes/accessattempt/{attempt.pk}/delete/", {"post": "yes"}).status_code == 302

    assert _password_step(Client(), "desk").status_code == 302


# --- the second factor ---------------------------------------------------------------------------


def test_a_clinic_admin_with_only_a_password_opens_neither_admin_nor_workspace(clinic_admin_user):
    client = Client()
    response = _password_step(client, "clinicadmin")
    assert response.status_code == 302  # the password is right...

    for url in ("/admin/", "/workspace/", "/admin/auth/user/", "/account/two-factor/"):
        refused = client.get(url)
        assert refused.status_code == 302 and refused["Location"].startswith("/account/two-factor/enrol/"), url
    assert client.get("/api/v1/patients/").status_code == 401  # ...but the session is not signed in for the API either


def test_the_code_step_accepts_a_real_totp_code(clinic_admin_user, admin_with_app):
    client = Client()
    response = _password_step(client, "clinicadmin", next_url="/admin/")
    assert client.get("/admin/")["Location"] == "/account/two-factor/verify/?next=%2Fadmin%2F"

    page = client.get("/account/two-factor/verify/?next=/admin/")
    assert page.status_code == 200 and "Enter your code" in page.content.decode()
    verified = client.post("/account/two-factor/verify/", {"code": _code(admin_with_app), "next": "/admin/"})

    assert response.status_code == 302
    assert verified.status_code == 302 and verified["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
    assert client.get("/workspace/").status_code == 403  # past the code step; refused only because the clinic admin is no clinician


def test_a_wrong_code_is_refused_and_the_session_stays_closed(clinic_admin_user, admin_with_app):
    client = Client()
    _password_step(client, "clinicadmin")
    right = _code(admin_with_app)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = client.post("/account/two-factor/verify/", {"code": wrong, "next": "/admin/"})

    assert response.status_code == 200
    assert "That code is not right" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_a_code_from_another_time_window_is_refused(clinic_admin_user, admin_with_app):
    client = Client()
    _password_step(client, "clinicadmin")
    stale = _code(admin_with_app, at=datetime.datetime.now(tz=datetime.UTC) - datetime.timedelta(minutes=10))

    assert client.post("/account/two-factor/verify/", {"code": stale}).status_code == 200
    assert client.get("/admin/").status_code == 302


def test_enrolment_shows_a_qr_code_and_a_code_from_it_signs_in(clinic_admin_user):
    client = Client()
    _password_step(client, "clinicadmin")

    page = client.get("/account/two-factor/enrol/?next=/admin/")
    body = page.content.decode()
    assert page.status_code == 200 and '<svg width="' in body
    assert not re.search(r"<script(?![^>]*\bsrc=)", body)  # no inline script: the page holds under the CSP
    device = TOTPDevice.objects.get(user=clinic_admin_user, confirmed=False)
    assert client.post("/account/two-factor/enrol/", {"code": _code(device), "next": "/admin/"})["Location"] == "/admin/"

    device.refresh_from_db()
    assert device.confirmed
    assert client.get("/admin/").status_code == 200


def test_the_password_alone_cannot_add_a_second_device(clinic_admin_user, admin_with_app):
    client = Client()
    _password_step(client, "clinicadmin")

    response = client.get("/account/two-factor/enrol/")

    assert response["Location"].startswith("/account/two-factor/verify/")
    assert not TOTPDevice.objects.filter(user=clinic_admin_user, confirmed=False).exists()


def test_a_superuser_needs_the_code_too(django_user_model):
    django_user_model.objects.create_superuser("root", "root@clinic.example", PASSWORD)
    client = Client()
    _password_step(client, "root")

    assert client.get("/admin/")["Location"].startswith("/account/two-factor/enrol/")


def test_front_desk_signs_in_with_the_password_alone_by_default(front_desk_user):
    client = Client()
    _password_step(client, "desk")

    assert client.get("/admin/").status_code == 200


def test_front_desk_may_enrol_and_then_needs_the_code(front_desk_user):
    client = sign_in(Client(), front_desk_user)
    assert "is <strong>off</strong>" in client.get("/account/two-factor/").content.decode()
    client.get("/account/two-factor/enrol/")
    device = TOTPDevice.objects.get(user=front_desk_user)
    client.post("/account/two-factor/enrol/", {"code": _code(device)})
    assert "is <strong>on</strong>" in client.get("/account/two-factor/").content.decode()

    again = Client()
    _password_step(again, "desk")
    assert again.get("/admin/")["Location"].startswith("/account/two-factor/verify/")


@override_settings(REQUIRE_2FA=True)
def test_require_2fa_makes_it_required_for_everyone(front_desk_user):
    client = Client()
    _password_step(client, "desk")

    assert client.get("/admin/")["Location"].startswith("/account/two-factor/enrol/")


def test_sign_in_helper_gives_tests_a_fully_verified_session(clinic_admin_user):
    client = sign_in(Client(), clinic_admin_user)

    assert client.get("/admin/").status_code == 200
    assert client.session[two_factor.SESSION_KEY] == two_factor.VERIFIED


# --- the development-only code --------------------------------------------------------------------


def test_the_development_code_signs_the_demo_admin_in(clinic_admin_user):
    assert two_factor.development_code_device_ensure(user=clinic_admin_user) is not None
    client = Client()
    _password_step(client, "clinicadmin")

    client.post("/account/two-factor/verify/", {"code": DEMO_OTP_CODE})

    assert client.get("/admin/").status_code == 200


@override_settings(PRODUCTION=True)
def test_no_development_code_is_made_in_production_and_none_works_there(clinic_admin_user, front_desk_user):
    assert two_factor.development_code_device_ensure(user=clinic_admin_user) is None
    assert not DevelopmentCodeDevice.objects.exists()
    # Even a device left from a development database does not accept the code in production.
    leftover = DevelopmentCodeDevice.objects.create(user=front_desk_user, name="left over", confirmed=True)
    assert not leftover.verify_token(DEMO_OTP_CODE)


@override_settings(PRODUCTION=True)
def test_seeding_the_demo_in_production_gives_the_admin_no_fixed_code():
    demo.seed(out=lambda *_: None)

    assert not DevelopmentCodeDevice.objects.exists()


# --- passwords ------------------------------------------------------------------------------------


def test_passwords_shorter_than_12_characters_are_refused():
    with pytest.raises(ValidationError, match="at least 12 characters"):
        validate_password("kx9-Lp2-qw")
    validate_password(DEMO_PASSWORD)  # the demo password still passes
    validate_password(PASSWORD)  # and the factories' one
