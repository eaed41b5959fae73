"""The report pages in a real browser, as each persona meets them: the clinic admin (the admin's
Reports section: operations, suppressed outcomes, an audited CSV download), the front desk
(operations only, outcomes refused) and a provider (the workspace's Reports page, the patient rows
the policy allows). Filters go through the form; the server-rendered SVG charts are drawn.
Screenshots go to $REPORT_SCREENSHOTS when it is set (to look at, never to compare)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from clinic.roles import CLINIC_ADMIN, FRONT_DESK
from core.models import AuditEvent
from tests.factories import UserFactory
from tests.reports.test_outcomes import registry  # noqa: F401 - the shared hand-built registry

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture(autouse=True)
def shipped_windows(db):
    """The follow-up windows the first migration ships (a transactional test's flush can leave the
    table empty when the test database was reused without its serialized copy)."""
    from importlib import import_module

    from reports.models import OutcomeWindow

    for key, label, target, lo, hi in import_module("reports.migrations.0001_initial").DEFAULT_WINDOWS:
        OutcomeWindow.objects.get_or_create(key=key, defaults={"label": label, "target_days": target, "from_days": lo, "to_days": hi})


def _sign_in(page, live_server, user) -> None:
    """The admin's sign-in, then the authenticator code where the role needs a second factor (a
    confirmed TOTP device made here; the code is the one the app would show now)."""
    from django_otp.oath import totp
    from django_otp.plugins.otp_totp.models import TOTPDevice

    user.set_password("pass-word-123")
    user.save(update_fields=["password"])
    device = TOTPDevice.objects.create(user=user, name="Browser test authenticator", confirmed=True)
    page.goto(f"{live_server.url}/admin/login/")
    page.fill("#id_username", user.username)
    page.fill("#id_password", "pass-word-123")
    page.click("input[type=submit]")
    page.wait_for_load_state()
    if "/two-factor/verify/" in page.url:
        page.fill("#id_code", f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):0{device.digits}d}")
        page.click("form:not(.account-signout) [type=submit]")
    page.wait_for_selector("#user-tools")


def _shot(page, name: str) -> None:
    folder = os.environ.get("REPORT_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _filter(page, *, start: str, end: str, **selects: str) -> None:
    page.fill("#id_start", start)
    page.fill("#id_end", end)
    for name, value in selects.items():
        page.select_option(f"#id_{name}", value)
    page.click("form.report-filters button[type=submit]")
    page.wait_for_load_state()


def _charts_drawn(page, minimum: int) -> None:
    charts = page.locator("svg.chart")
    assert charts.count() >= minimum
    box = charts.first.bounding_box()
    assert box and box["width"] > 100 and box["height"] > 20  # drawn, not an empty element
    assert charts.first.locator("rect").count() > 0


def test_clinic_admin_reads_operations_and_suppressed_outcomes_and_downloads_csv(page, live_server, registry):  # noqa: F811
    _sign_in(page, live_server, UserFactory(username="boss", role=CLINIC_ADMIN))
    page.goto(f"{live_server.url}/admin/")
    page.click("a[href='/admin/reports/']")
    assert page.locator("#content a[href='/admin/reports/operationsreport/']").count() >= 1
    assert page.locator("#content a[href='/admin/reports/outcomereport/']").count() >= 1
    _shot(page, "admin-reports-index")

    page.click("#content a[href='/admin/reports/operationsreport/']")
    _filter(page, start="2026-03-01", end="2026-03-31")
    assert "start=2026-03-01" in page.url and "end=2026-03-31" in page.url
    _charts_drawn(page, 3)
    assert page.get_by_text("Third-next-available appointment (as of now)").is_visible()
    _shot(page, "admin-operations")

    page.goto(f"{live_server.url}/admin/reports/outcomereport/")
    _filter(page, start="2026-03-01", end="2026-03-31", procedure="esi", instrument="nrs")
    assert "procedure=esi" in page.url
    _charts_drawn(page, 2)
    body = page.content()
    # ESI: 6 treated, 5 with a baseline (shown); 6 weeks: 1 of 5 answered -> "<5".
    assert "&lt;5" in body or "<5" in page.inner_text("body")
    a = registry["a"]
    assert a.last_name not in body  # never a patient-level row for the clinic admin
    _shot(page, "admin-outcomes")

    with page.expect_download() as download_info:
        page.click("text=Download CSV")
    download = download_info.value
    assert download.suggested_filename.endswith(".csv")
    text = Path(download.path()).read_text()
    assert "<5" in text and a.last_name not in text
    assert AuditEvent.objects.filter(action="export", user__username="boss").count() == 1


def test_front_desk_reads_operations_and_is_refused_outcomes(page, live_server, registry):  # noqa: F811
    _sign_in(page, live_server, UserFactory(username="desk", role=FRONT_DESK))
    page.goto(f"{live_server.url}/admin/reports/operationsreport/")
    _filter(page, start="2026-03-01", end="2026-03-31")
    _charts_drawn(page, 3)
    _shot(page, "front-desk-operations")
    response = page.goto(f"{live_server.url}/admin/reports/outcomereport/?start=2026-03-01&end=2026-03-31")
    assert response.status == 403
    response = page.goto(f"{live_server.url}/workspace/reports/")
    assert response.status == 403
    _shot(page, "front-desk-outcomes-refused")


def test_provider_reads_the_workspace_page_with_the_rows_they_may_see(page, live_server, registry):  # noqa: F811
    _sign_in(page, live_server, registry["colleague"].user)
    page.goto(f"{live_server.url}/workspace/reports/")
    _filter(page, start="2026-03-01", end="2026-03-31", procedure="esi", instrument="nrs")
    _shot(page, "provider-workspace-reports")
    _charts_drawn(page, 2)
    text = page.inner_text("body")
    a, b = registry["a"], registry["b"]
    assert a.last_name in text and b.last_name not in text  # A's care team only
    assert "4 / 5" in text  # 2 weeks: answered / due, unsuppressed for a clinician
    _shot(page, "provider-workspace-reports")
