"""The persona walk: every URL of the product, as every persona the seeded patient's clinical
record is refused to, must answer without a canary (and without a 5xx); the on-team clinician
must see the canaries where they belong; and no URL may exist without a row in the table."""

from __future__ import annotations

import copy
import json
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from django.db import transaction

from tests.persona_walk import registry as r

pytestmark = pytest.mark.django_db


@dataclass
class Sent:
    url: str
    response: object
    followed: object  # the page a POST redirected to, or None
    changed: bool  # the row's `unchanged` snapshot differed after the request


def _send(client, row: r.Row, world) -> Sent:
    url = row.resolve_url(world)
    data = row.resolve_data(world)
    cookies = copy.deepcopy(client.cookies)  # a walked logout, or queued messages, must not outlive the row
    with transaction.atomic():  # every request's writes are undone: personas never see each other's
        before = row.unchanged(world) if row.unchanged else None
        if row.method == "GET":
            response = client.get(url)
        elif row.json:
            response = client.generic(row.method, url, json.dumps(data or {}), content_type="application/json")
        else:
            response = client.generic(row.method, url, _form(data), content_type="application/x-www-form-urlencoded")
        followed = _follow(client, response, row.method)
        changed = bool(row.unchanged) and row.unchanged(world) != before
        transaction.set_rollback(True)
    client.cookies = cookies
    return Sent(url, response, followed, changed)


def _follow(client, response, method: str):
    """The page a redirect after a POST lands on (once; not the login page): messages queued by
    the refused action are rendered there. (A GET's redirect is checked by its Location.)"""
    location = response.headers.get("Location", "") if method != "GET" and 300 <= response.status_code < 400 else ""
    if not location.startswith("/") or location.startswith("/admin/login/"):
        return None
    return client.get(location)


def _form(data) -> str:
    return urlencode(data or {}, doseq=True)


def _body(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    headers = "\n".join(f"{k}: {v}" for k, v in response.headers.items())
    return headers + "\n" + content.decode("utf-8", "replace")


@pytest.mark.parametrize("row", r.rows())
def test_refused_personas_get_no_canary(row, world):
    failures = []
    for persona in r.REFUSED:
        sent = _send(world.clients[persona], row, world)
        response, followed = sent.response, sent.followed
        where = f"{row.method} {sent.url} as {persona} -> {response.status_code}"
        if response.status_code >= 500:
            failures.append(f"{where}: server error")
            continue
        body = _body(response)
        if row.lists_patients and persona in r.NOT_GRANTED_DEMOGRAPHICS and r.PATIENT_NAME in body:
            failures.append(f"{where}: lists the canary patient")
        if leaked := r.canaries_in(body) + [text for text in row.forbid if text in body]:
            failures.append(f"{where}: leaked {', '.join(leaked)}")
        if followed is not None and followed.status_code >= 500:
            failures.append(f"{where} -> {response.headers['Location']}: server error")
        if followed is not None and (leaked := r.canaries_in(_body(followed))):
            failures.append(f"{where} -> {response.headers['Location']} ({followed.status_code}): leaked {', '.join(leaked)}")
        if persona in row.expect and response.status_code != row.expect[persona]:
            failures.append(f"{where}: expected {row.expect[persona]}")
        if sent.changed:
            failures.append(f"{where}: changed the patient's record")
    if row.shows or row.forbid or row.unchanged or row.lists_patients:
        sent = _send(world.clients[r.ON_TEAM], row, world)
        body = _body(sent.response)
        shown = r.canaries_in(body)
        missing = [key for key in row.shows if key not in shown] + [text for text in row.forbid if text not in body]
        missing += [r.PATIENT_NAME] if row.lists_patients and r.PATIENT_NAME not in body else []
        if (row.shows or row.forbid or row.lists_patients) and (sent.response.status_code != 200 or missing):
            failures.append(f"{row.method} {sent.url} as {r.ON_TEAM} -> {sent.response.status_code}: control does not show {missing}")
        if row.unchanged and not sent.changed:
            failures.append(f"{row.method} {sent.url} as {r.ON_TEAM} -> {sent.response.status_code}: control did not change the record")
    assert not failures, "\n".join(failures)


def test_every_url_pattern_has_a_row():
    covered = {row.route for row in r.plain_rows()}
    missing = [route for route in r.url_routes() if route not in covered]
    assert not missing, "URL patterns without a persona-walk row (add one in tests/<app>/persona_rows.py):\n" + "\n".join(missing)


def test_every_openapi_operation_has_a_row():
    covered = {row.operation for row in r.plain_rows() if row.operation}
    missing = [op for op in r.openapi_operations() if op not in covered]
    assert not missing, "OpenAPI operations without a persona-walk row:\n" + "\n".join(missing)


def test_every_admin_autocomplete_field_has_a_row():
    covered = {row.autocomplete for row in r.plain_rows() if row.autocomplete}
    missing = [f"{a}.{m}.{f}" for a, m, f in r.autocomplete_fields() if (a, m, f) not in covered]
    assert not missing, "Admin autocomplete fields without a persona-walk row:\n" + "\n".join(missing)


def test_rows_name_patterns_that_exist():
    """A row for a URL that is gone is a row that walks nothing."""
    routes = set(r.url_routes())
    operations = set(r.openapi_operations())
    stale = [row.id for row in r.plain_rows() if row.route not in routes or (row.operation and row.operation not in operations)]
    assert not stale, "Rows for URL patterns or operations that no longer exist:\n" + "\n".join(stale)
