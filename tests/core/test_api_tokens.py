"""API tokens (knox): issued by POST /api/v1/auth/login/ or `manage.py drf_create_token`, shown
once, stored as a digest, expiring after API_TOKEN_TTL_DAYS, revoked by logout. The API sign-in
is throttled like the admin's and asks for the TOTP code where the admin would. Nobody but a
superuser mints a token for someone else."""

from __future__ import annotations

import datetime
import io

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice
from knox.crypto import hash_token
from knox.models import AuthToken
from rest_framework.test import APIClient

from core import tokens
from core.errors import PermissionDenied
from tests.factories import sign_in

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"
LOGIN = "/api/v1/auth/login/"


def _login(client: APIClient, username: str, password: str = PASSWORD, **extra):
    return client.post(LOGIN, {"username": username, "password": password, **extra}, format="json")


def _with_token(token: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    return client


def _code(device: TOTPDevice) -> str:
    generator = TOTP(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift)
    return f"{generator.token():06d}"


def test_sign_in_gives_a_token_once_that_opens_the_api_and_is_stored_only_as_a_digest(front_desk_user):
    response = _login(APIClient(), "desk")

    assert response.status_code == 200
    token = response.json()["token"]
    assert _with_token(token).get("/api/v1/patients/").status_code == 200
    (stored,) = AuthToken.objects.filter(user=front_desk_user)
    assert stored.digest == hash_token(token) and stored.digest != token
    with connection.cursor() as cursor:
        cursor.execute("SELECT digest, token_key FROM knox_authtoken")
        assert all(token not in column for row in cursor.fetchall() for column in row)


def test_a_token_expires_after_api_token_ttl_days(front_desk_user, settings):
    assert settings.API_TOKEN_TTL_DAYS == 90
    start = datetime.datetime(2026, 11, 25, 12, 0, tzinfo=datetime.UTC)
    with time_machine.travel(start, tick=False):
        token = _login(APIClient(), "desk").json()["token"]
    with time_machine.travel(start + datetime.timedelta(days=89), tick=False):
        assert _with_token(token).get("/api/v1/patients/").status_code == 200
    with time_machine.travel(start + datetime.timedelta(days=90, minutes=1), tick=False):
        assert _with_token(token).get("/api/v1/patients/").status_code == 401


def test_logout_revokes_the_token(front_desk_user):
    token = _login(APIClient(), "desk").json()["token"]
    client = _with_token(token)

    assert client.post("/api/v1/auth/logout/").status_code == 204

    assert client.get("/api/v1/patients/").status_code == 401
    assert not AuthToken.objects.filter(user=front_desk_user).exists()


def test_logoutall_revokes_every_token_of_the_caller(front_desk_user):
    first = _login(APIClient(), "desk").json()["token"]
    second = _login(APIClient(), "desk").json()["token"]

    assert _with_token(first).post("/api/v1/auth/logoutall/").status_code == 204

    assert _with_token(second).get("/api/v1/patients/").status_code == 401


def test_wrong_password_is_401_and_five_lock_the_api_sign_in_too(front_desk_user):
    client = APIClient()
    assert _login(client, "desk", "wrong-password-1").status_code == 401
    for _ in range(4):
        _login(client, "desk", "wrong-password-1")

    locked = _login(client, "desk")

    assert locked.status_code == 429
    assert "locked for 15 minutes" in locked.json()["detail"]
    assert not AuthToken.objects.exists()


def test_api_sign_in_of_a_clinic_admin_needs_the_code(clinic_admin_user):
    device = TOTPDevice.objects.create(user=clinic_admin_user, name="Phone", confirmed=True)

    without = _login(APIClient(), "clinicadmin")
    right = _login(APIClient(), "clinicadmin", otp_code=_code(device))
    wrong = _login(APIClient(), "clinicadmin", otp_code=f"{(int(_code(device)) + 1) % 1_000_000:06d}")

    assert without.status_code == 400 and "otp_code" in without.json()
    assert right.status_code == 200
    assert wrong.status_code == 400
    assert AuthToken.objects.filter(user=clinic_admin_user).count() == 1


def test_api_sign_in_of_a_clinic_admin_without_a_device_is_sent_to_enrol(clinic_admin_user):
    response = _login(APIClient(), "clinicadmin")

    assert response.status_code == 403 and "/account/two-factor/enrol/" in response.json()["detail"]
    assert not AuthToken.objects.exists()


def test_a_signed_in_browser_session_gets_its_own_token(front_desk_user):
    client = sign_in(Client(), front_desk_user)

    response = client.post(LOGIN, {}, content_type="application/json")

    assert response.status_code == 200
    assert AuthToken.objects.get().user == front_desk_user


def test_a_clinic_admin_cannot_mint_a_token_for_someone_else(clinic_admin_user, anesthesiologist):
    with pytest.raises(PermissionDenied):
        tokens.api_token_issue(user=anesthesiologist.user, by=clinic_admin_user)
    # Through the API: the sign-in issues a token to the signed-in user only, whatever is asked.
    client = sign_in(Client(), clinic_admin_user)
    client.post(LOGIN, {"username": anesthesiologist.user.username, "user": anesthesiologist.user.pk}, content_type="application/json")
    # Through the admin: no permission to the token admin at all.
    assert client.post("/admin/knox/authtoken/add/", {"user": anesthesiologist.user.pk}).status_code == 403

    assert not AuthToken.objects.filter(user=anesthesiologist.user).exists()
    assert AuthToken.objects.filter(user=clinic_admin_user).count() == 1


def test_the_token_admin_shows_digests_never_tokens(front_desk_user, django_user_model):
    root = django_user_model.objects.create_superuser("root", "root@clinic.example", PASSWORD)
    _, token = tokens.api_token_issue(user=front_desk_user, by=None)
    client = sign_in(Client(), root)

    page = client.get("/admin/knox/authtoken/").content.decode()

    assert hash_token(token)[:16] in page and token not in page and token[:8] not in page


def test_the_command_prints_a_token_once_and_reset_revokes_the_old_ones(front_desk_user):
    out, err = io.StringIO(), io.StringIO()
    call_command("drf_create_token", "desk", stdout=out, stderr=err)
    first = out.getvalue().split()[2]
    assert _with_token(first).get("/api/v1/patients/").status_code == 200

    out = io.StringIO()
    call_command("drf_create_token", "desk", "--reset", stdout=out, stderr=err)
    second = out.getvalue().split()[2]

    assert _with_token(first).get("/api/v1/patients/").status_code == 401
    assert _with_token(second).get("/api/v1/patients/").status_code == 200
    assert out.getvalue() == f"Generated token {second} for user desk\n"
