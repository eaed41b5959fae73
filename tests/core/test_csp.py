"""Content-Security-Policy: scripts and style sheets only from our own origin, no inline script
anywhere, no framing; the Swagger page served from the installed sidecar package, to staff.
The browser test loads the workspace, a patient's page, a patient's questionnaire link and the
Swagger page in chromium and requires zero CSP violations and no request to another host."""

from __future__ import annotations

import datetime
import re
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from careplans.models import CareTeamMember, QuestionnaireRequest
from careplans.services import questionnaire_link_for
from tests.factories import CarePlanFactory, CareTeamMemberFactory, PatientFactory, sign_in

ROOT = Path(__file__).resolve().parents[2]
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
INLINE_STYLE_ELEMENT = re.compile(r"<style\b", re.I)
EVENT_HANDLER_ATTRIBUTE = re.compile(r"\son[a-z]+\s*=", re.I)


def _policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {name: values for name, *values in (part.split() for part in header.split(";") if part.strip())}


@pytest.mark.django_db
def test_workspace_pages_carry_a_policy_without_inline_script(anesthesiologist):
    client = sign_in(Client(), anesthesiologist.user)

    policy = _policy(client.get("/workspace/"))

    assert policy["script-src"] == ["'self'"] and policy["style-src"] == ["'self'"]
    assert policy["default-src"] == ["'self'"] and policy["object-src"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"] and policy["base-uri"] == ["'none'"] and policy["form-action"] == ["'self'"]
    assert policy["img-src"] == ["'self'", "data:"]


@pytest.mark.django_db
def test_patient_pages_carry_the_policy_too(anesthesiologist):
    plan = CarePlanFactory(patient=PatientFactory())
    request = QuestionnaireRequest.objects.create(
        patient=plan.patient,
        questionnaire="NRS",
        due_at=timezone.now(),
        expires_at=timezone.now() + datetime.timedelta(days=7),
        dedupe_key="csp",
    )

    response = Client().get(questionnaire_link_for(request))

    assert response.status_code == 200
    assert _policy(response)["script-src"] == ["'self'"]


@pytest.mark.parametrize("app", ["templates", "core", "clinic", "scheduling", "messaging", "careplans"])
def test_no_template_served_to_a_browser_has_inline_script_or_style_elements(app):
    pages = [p for p in (ROOT / app).rglob("*.html") if "email" not in p.parts]  # emails are not under a CSP
    offenders = [
        f"{page.relative_to(ROOT)}: {what}"
        for page in pages
        for what, pattern in (
            ("inline <script>", INLINE_SCRIPT),
            ("<style>", INLINE_STYLE_ELEMENT),
            ("on…= handler", EVENT_HANDLER_ATTRIBUTE),
        )
        if pattern.search(page.read_text())
    ]
    assert not offenders, "\n".join(offenders)


@pytest.mark.django_db
def test_swagger_page_is_for_signed_in_staff_and_loads_no_cdn(front_desk_user, outsider_user):
    assert Client().get("/api/docs/")["Location"].startswith("/admin/login/?next=/api/docs/")
    assert Client().get("/api/schema/").status_code == 401
    assert sign_in(Client(), outsider_user).get("/api/schema/").status_code == 403

    page = sign_in(Client(), front_desk_user).get("/api/docs/")

    body = page.content.decode()
    assert page.status_code == 200
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in body
    assert "cdn" not in body.lower() and "https://" not in body
    assert not INLINE_SCRIPT.search(body) and not INLINE_STYLE_ELEMENT.search(body)


# --- in a real browser ------------------------------------------------------------------------


@pytest.mark.browser
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_workspace_patient_pages_and_swagger_run_without_a_csp_violation_or_a_foreign_request(live_server, page, anesthesiologist):
    user = anesthesiologist.user
    user.set_password("pass-word-123")
    user.save()
    plan = CarePlanFactory(patient=PatientFactory())
    CareTeamMemberFactory(care_plan=plan, provider=anesthesiologist, role=CareTeamMember.Role.LEAD_PHYSICIAN)
    request = QuestionnaireRequest.objects.create(
        patient=plan.patient,
        questionnaire="PEG",
        due_at=timezone.now(),
        expires_at=timezone.now() + datetime.timedelta(days=7),
        dedupe_key="csp",
    )
    violations: list[str] = []
    foreign: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if "Content Security Policy" in message.text else None)
    page.on(
        "request",
        lambda req: (
            foreign.append(req.url)
            if urlsplit(req.url).hostname not in {"127.0.0.1", "localhost"} and not req.url.startswith("data:")
            else None
        ),
    )

    page.goto(f"{live_server.url}/admin/login/?next=/workspace/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/workspace/")
    page.goto(f"{live_server.url}/workspace/patients/{plan.patient_id}/")
    page.wait_for_selector("h1")
    page.goto(f"{live_server.url}/api/docs/")
    page.wait_for_selector(".swagger-ui .info .title")
    page.wait_for_load_state("networkidle")
    assert page.locator(".opblock").count() > 10  # the schema loaded and rendered

    page.context.clear_cookies()  # the patient's own phone: not signed in
    page.goto(f"{live_server.url}{questionnaire_link_for(request)}")
    page.wait_for_selector("form")

    assert violations == []
    assert foreign == []
