"""The client's address behind our proxies (TRUSTED_PROXY_COUNT): one answer for the sign-in
lock-out, the audit trail and DRF's throttles, and a forwarded-for header the client wrote itself
changes none of them."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client, RequestFactory
from django.urls import reverse
from rest_framework.settings import api_settings
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from core.client_address import client_ip
from core.models import AuditEvent
from tests.core.test_configuration import PRODUCTION_SERVERS, run_manage

PASSWORD = "pass-word-123"
PROXY = "10.0.0.5"  # the address gunicorn sees: our reverse proxy


def _sign_in(username: str, password: str = PASSWORD, *, forwarded_for: str | None = None, peer: str = PROXY):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    return Client().post(reverse("admin:login"), {"username": username, "password": password}, REMOTE_ADDR=peer, **headers)


def _lock_out(username: str, **where) -> None:
    for _ in range(4):
        assert _sign_in(username, "wrong-password-1", **where).status_code == 200
    assert _sign_in(username, "wrong-password-1", **where).status_code == 429


# --- resolution ----------------------------------------------------------------------------------


def _request(*, peer: str = PROXY, forwarded_for: str | None = None):
    headers = {"HTTP_X_FORWARDED_FOR": forwarded_for} if forwarded_for is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=peer, **headers)


def test_with_no_trusted_proxy_the_forwarded_header_is_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(_request(forwarded_for="198.51.100.7")) == PROXY


def test_with_one_proxy_only_the_right_most_address_counts(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(forwarded_for="192.0.2.66, 198.51.100.7")) == "198.51.100.7"


def test_with_two_proxies_the_second_address_from_the_right_is_the_client(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    # spoofed by the client, the client (added by the outer proxy), the outer proxy (added by the inner)
    assert client_ip(_request(forwarded_for="192.0.2.66, 198.51.100.7, 10.0.0.9")) == "198.51.100.7"


def test_a_request_that_bypassed_a_proxy_is_known_by_its_peer(settings):
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(_request(peer="203.0.113.4", forwarded_for="198.51.100.7")) == "203.0.113.4"
    assert client_ip(_request(peer="203.0.113.4")) == "203.0.113.4"


def test_ports_added_by_a_balancer_are_dropped_and_ipv6_is_canonical(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(forwarded_for="198.51.100.7:51234")) == "198.51.100.7"
    assert client_ip(_request(forwarded_for="[2001:DB8::0:1]:51234")) == "2001:db8::1"
    assert client_ip(_request(forwarded_for="2001:db8:0::1")) == "2001:db8::1"


def test_a_malformed_trusted_entry_falls_back_to_the_peer(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(_request(forwarded_for="198.51.100.7, not-an-address")) == PROXY
    assert client_ip(_request(peer="garbage")) is None


# --- the sign-in lock-out ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_locked_out_client_does_not_lock_out_another_behind_the_same_proxy(settings, front_desk_user):
    settings.TRUSTED_PROXY_COUNT = 1
    _lock_out("desk", forwarded_for="198.51.100.7")

    assert _sign_in("desk", forwarded_for="198.51.100.7").status_code == 429
    assert _sign_in("desk", forwarded_for="198.51.100.8").status_code == 302  # a colleague at another computer


@pytest.mark.django_db
def test_with_no_trusted_proxy_a_forged_header_does_not_evade_the_lock_out(settings, front_desk_user):
    settings.TRUSTED_PROXY_COUNT = 0
    for n in range(5):
        _sign_in("desk", "wrong-password-1", forwarded_for=f"192.0.2.{n}", peer="203.0.113.4")

    assert _sign_in("desk", forwarded_for="192.0.2.200", peer="203.0.113.4").status_code == 429


@pytest.mark.django_db
def test_behind_a_proxy_addresses_the_client_prepends_do_not_evade_the_lock_out(settings, front_desk_user):
    settings.TRUSTED_PROXY_COUNT = 1
    for n in range(5):
        _sign_in("desk", "wrong-password-1", forwarded_for=f"192.0.2.{n}, 198.51.100.7")

    assert _sign_in("desk", forwarded_for="192.0.2.200, 198.51.100.7").status_code == 429


@pytest.mark.django_db
def test_the_api_sign_in_locks_out_the_forwarded_client_not_the_proxy(settings, front_desk_user):
    settings.TRUSTED_PROXY_COUNT = 1
    api = APIClient(REMOTE_ADDR=PROXY)

    def login(password: str, client_address: str):
        body = {"username": "desk", "password": password}
        return api.post("/api/v1/auth/login/", body, format="json", HTTP_X_FORWARDED_FOR=client_address)

    for _ in range(5):
        login("wrong-password-1", "198.51.100.7")

    assert login(PASSWORD, "198.51.100.7").status_code == 429
    assert login(PASSWORD, "198.51.100.8").status_code == 200


def test_a_negative_proxy_count_stops_the_start_with_one_line():
    result = run_manage("check", TRUSTED_PROXY_COUNT="-1", **PRODUCTION_SERVERS)
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [
        "configuration error: TRUSTED_PROXY_COUNT must be 0 (no proxy) or the number of proxies in front of the web processes"
    ]


# --- the audit trail and throttles ---------------------------------------------------------------


@pytest.mark.django_db
def test_the_audit_trail_records_the_client_behind_the_proxy_not_the_proxy(settings, front_desk_user):
    settings.TRUSTED_PROXY_COUNT = 1
    _sign_in("desk", "wrong-password-1", forwarded_for="192.0.2.66, 198.51.100.7")
    _sign_in("desk", forwarded_for="198.51.100.8")

    rows = list(AuditEvent.objects.order_by("id").values_list("action", "ip"))
    assert rows == [("login-failed", "198.51.100.7"), ("login", "198.51.100.8")]


@pytest.mark.django_db
def test_the_audit_trail_records_the_peer_when_no_proxy_is_trusted(settings, front_desk_user):
    settings.TRUSTED_PROXY_COUNT = 0
    _sign_in("desk", "wrong-password-1", forwarded_for="192.0.2.66", peer="203.0.113.4")

    assert list(AuditEvent.objects.values_list("action", "ip")) == [("login-failed", "203.0.113.4")]


class _Throttle(SimpleRateThrottle):
    rate = "1/min"


def test_drf_throttles_trust_the_same_number_of_proxies():
    assert api_settings.NUM_PROXIES == django_settings.TRUSTED_PROXY_COUNT == 0
    # NUM_PROXIES unset would key the throttle on the whole header, which the client varies at will.
    assert _Throttle().get_ident(_request(forwarded_for="192.0.2.1")) == PROXY
