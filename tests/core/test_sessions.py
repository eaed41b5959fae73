"""A staff session ends after SESSION_IDLE_SECONDS (15 minutes) without a request and
SESSION_MAX_AGE_SECONDS (12 hours) after signing in, however busy; the sign-in page says why."""

from __future__ import annotations

import datetime

import pytest
import time_machine
from django.conf import settings
from django.test import Client

from tests.factories import sign_in

pytestmark = pytest.mark.django_db

START = datetime.datetime(2026, 11, 25, 14, 0, tzinfo=datetime.UTC)


def _at(minutes: float):
    return time_machine.travel(START + datetime.timedelta(minutes=minutes), tick=False)


def test_the_defaults_are_15_minutes_idle_and_12_hours_in_all():
    assert settings.SESSION_IDLE_SECONDS == 900
    assert settings.SESSION_MAX_AGE_SECONDS == 43200
    assert settings.SESSION_COOKIE_AGE == settings.SESSION_MAX_AGE_SECONDS


def test_fifteen_idle_minutes_sign_the_user_out_with_a_message(front_desk_user):
    with _at(0):
        client = sign_in(Client(), front_desk_user)
        assert client.get("/admin/").status_code == 200
    with _at(14):
        assert client.get("/admin/").status_code == 200  # 14 minutes: still signed in (and the clock restarts)
    with _at(14 + 15):
        response = client.get("/admin/")
        assert response.status_code == 302 and response["Location"].startswith("/admin/login/")
        login_page = client.get(response["Location"]).content.decode()
    assert "signed out after 15 minutes without activity" in login_page
    assert "_auth_user_id" not in client.session


def test_the_workspace_sends_an_idle_provider_to_sign_in(anesthesiologist):
    with _at(0):
        client = sign_in(Client(), anesthesiologist.user)
        assert client.get("/workspace/").status_code == 200
    with _at(16):
        assert client.get("/workspace/")["Location"].startswith("/admin/login/?next=/workspace/")


def test_an_idle_session_cannot_use_the_api_either(front_desk_user):
    with _at(0):
        client = sign_in(Client(), front_desk_user)
        assert client.get("/api/v1/patients/").status_code == 200
    with _at(16):
        assert client.get("/api/v1/patients/").status_code == 401


def test_a_busy_session_still_ends_12_hours_after_sign_in(front_desk_user):
    with _at(0):
        client = sign_in(Client(), front_desk_user)
    minute = 10
    while minute < 12 * 60:
        with _at(minute):
            assert client.get("/admin/").status_code == 200, f"signed out early, at minute {minute}"
        minute += 10
    with _at(12 * 60):
        response = client.get("/admin/")
        assert response.status_code == 302
        assert "signed out 12 hours after signing in" in client.get(response["Location"]).content.decode()
