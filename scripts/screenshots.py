"""Regenerate docs/screenshots/*.png: the front desk's and the workspace's main pages, as a user
sees them, from a freshly seeded database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/mydb REDIS_URL=redis://127.0.0.1:6379/6 \\
        python scripts/screenshots.py [name ...]

It (re)creates the database `<name of DATABASE_URL's database>_screens` on the same server, runs
migrate and seed_demo there, starts `runserver` on a free port, signs in with the demo logins in
chromium (Playwright) and writes one PNG per entry of PAGES. Adding a page is one entry: a name,
the demo login, the path (a string, or a function of the seeded world returning one) and the
viewport. Without arguments every page is taken; with names, only those; `--reuse` keeps the
database the last run seeded.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
CHROMIUM = os.environ.get("CHROMIUM", "/usr/bin/chromium")
PASSWORD = "clinic-demo-2026"  # seed_demo's published demo password (refused in production)
DEMO_OTP = "246810"


@dataclass(frozen=True)
class Shot:
    name: str  # docs/screenshots/<name>.png
    login: str | None  # a demo username, or None for a patient's page (no sign-in)
    path: str | Callable[[dict], str]  # or a function of the world (see seeded_world)
    width: int = 1440
    height: int = 900
    full_page: bool = False


PAGES: list[Shot] = [
    Shot("day-sheet", "frontdesk", lambda w: f"/admin/scheduling/appointment/day-sheet/?location={w['location']}&date={w['busiest_day']}"),
    Shot(
        "find-and-book",
        "frontdesk",
        lambda w: (
            f"/admin/scheduling/appointment/find-and-book/?patient={w['patient']}&visit_type={w['visit_type']}&date_from={w['tomorrow']}"
        ),
    ),
    Shot("workspace-patient", "provider", lambda w: f"/workspace/patients/{w['patient']}/", full_page=True),
    # A booking ticket's page as the patient opens it from the text message, on a phone.
    Shot("ticket-phone", None, lambda w: w["ticket_path"], width=390, height=844),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _screens_database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if not url:
        raise SystemExit("Set DATABASE_URL (a PostgreSQL server this script may create a database on).")
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=parts.path.rstrip("/") + "_screens"))


def _recreate_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin_url = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _manage(env: dict, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def seeded_world(env: dict) -> dict:
    """Ids the pages need, read from the seeded database: the location, its busiest day, a patient
    on the demo provider's care team and a visit type they can book."""
    code = r"""
import json, datetime
from django.db.models import Count
from django.db.models.functions import TruncDate
from careplans.models import CareTeamMember
from clinic.models import Location
from django.urls import reverse
from messaging.models import PatientLink
from messaging.services.links import link_token
from scheduling.models import Appointment, VisitType
link = PatientLink.objects.filter(purpose="ticket", patient__language="en").order_by("pk").first()
location = Location.objects.filter(active=True).order_by("pk").first()
days = (Appointment.objects.filter(location=location).annotate(day=TruncDate("start", tzinfo=location.zone))
        .values("day").annotate(n=Count("id")).order_by("-n", "day"))
member = CareTeamMember.objects.filter(provider__user__username="provider").select_related("care_plan").order_by("pk").first()
visit = VisitType.objects.filter(active=True, is_procedure=False).order_by("pk").first()
print(json.dumps({"location": location.pk, "busiest_day": str(days[0]["day"]), "patient": member.care_plan.patient_id,
                  "visit_type": visit.pk, "tomorrow": str(datetime.date.today() + datetime.timedelta(days=1)),
                  "ticket_path": reverse("messaging-link", args=[link_token(link)])}))
"""
    out = subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    import json

    return json.loads(out.stdout.strip().splitlines()[-1])


def _wait(url: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=3):
                return
        except Exception:  # noqa: BLE001 - not up yet
            time.sleep(0.5)
    raise SystemExit(f"runserver did not answer at {url}")


def _sign_in(page, base: str, username: str) -> None:
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    if page.locator("#id_otp_token").count():
        page.fill("#id_otp_token", DEMO_OTP)
    page.click("input[type=submit]")
    page.wait_for_selector("#user-tools")


def take(shots: list[Shot], base: str, world: dict) -> list[Path]:
    from playwright.sync_api import sync_playwright

    OUT.mkdir(parents=True, exist_ok=True)
    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--headless=new", "--no-sandbox", "--disable-gpu"], headless=True)
        for shot in shots:
            context = browser.new_context(
                viewport={"width": shot.width, "height": shot.height}, locale="en-US", timezone_id="America/New_York"
            )
            page = context.new_page()
            if shot.login:
                _sign_in(page, base, shot.login)
            path = shot.path(world) if callable(shot.path) else shot.path
            page.goto(base + path)
            page.wait_for_load_state("networkidle")
            target = OUT / f"{shot.name}.png"
            page.screenshot(path=str(target), full_page=shot.full_page)
            written.append(target)
            context.close()
        browser.close()
    return written


def main(names: list[str]) -> None:
    reuse = "--reuse" in names  # keep the last run's seeded database (quicker; not "fresh")
    names = [n for n in names if n != "--reuse"]
    shots = [s for s in PAGES if not names or s.name in names]
    if names and len(shots) != len(set(names)):
        raise SystemExit(f"Unknown page; choose from {', '.join(s.name for s in PAGES)}")
    url = _screens_database_url()
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "true", "APP_ENV": "development"}
    if not reuse:
        _recreate_database(url)
        _manage(env, "migrate", "--no-input")
        _manage(env, "seed_demo")
    world = seeded_world(env)
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload", "--insecure"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        base = f"http://127.0.0.1:{port}"
        _wait(f"{base}/admin/login/")
        for target in take(shots, base, world):
            print(target.relative_to(ROOT))
    finally:
        server.terminate()
        server.wait(timeout=20)


if __name__ == "__main__":
    main(sys.argv[1:])
