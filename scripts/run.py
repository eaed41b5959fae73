"""`make run`: start everything the clinic needs in the foreground; Ctrl-C stops it all.

Without DATABASE_URL / REDIS_URL it starts the private PostgreSQL and Redis (config/embedded.py)
and stops them again on exit. Then: preflight check, migrate, collectstatic, seed_demo, and the
web server (gunicorn + whitenoise), a Celery worker and Celery beat.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent
PORT = os.environ.get("PORT", "8000")
HOST = os.environ.get("HOST", "127.0.0.1")
STOP = threading.Event()  # set by Ctrl-C / SIGTERM


def manage(*args: str) -> None:
    result = subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT)
    if result.returncode != 0:
        raise SystemExit(result.returncode)


def wait_healthy(timeout: float = 60.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not STOP.is_set():
        try:
            with urllib.request.urlopen(f"http://{HOST}:{PORT}/healthz", timeout=3) as response:
                if response.status == 200:
                    return True
        except Exception:  # noqa: BLE001 - not up yet
            pass
        time.sleep(1)
    return False


def main() -> int:
    from config import embedded

    started = []
    if not os.environ.get("DATABASE_URL"):
        if not embedded.postgres_running():
            started.append(embedded.stop_postgres)
        embedded.ensure_postgres()
        print("database: private PostgreSQL in .local/pgdata")
    if not os.environ.get("REDIS_URL"):
        if not (embedded.REDIS_DIR / "redis.pid").exists() or embedded._redis_pid() is None:
            started.append(embedded.stop_redis)
        print(f"redis: private Redis at {embedded.ensure_redis()}")

    processes: list[subprocess.Popen] = []
    try:
        manage("preflight")
        manage("migrate", "--noinput", "-v", "0")
        manage("collectstatic", "--noinput", "-v", "0")
        if os.environ.get("APP_ENV") != "production":  # seed_demo refuses production: published passwords
            manage("seed_demo")
        commands = {
            "web": [
                str(BIN / "gunicorn"),
                "--config",
                "config/gunicorn.py",  # access log through the PHI filter: no tokens or query strings
                "config.wsgi:application",
                "--bind",
                f"{HOST}:{PORT}",
                "--workers",
                "2",
                "--threads",
                "4",
            ],
            "worker": [
                str(BIN / "celery"),
                "-A",
                "config",
                "worker",
                "-l",
                "INFO",
                "-c",
                "2",
                "-Q",
                os.environ.get("CELERY_QUEUE", "clinic"),
            ],
            "beat": [str(BIN / "celery"), "-A", "config", "beat", "-l", "INFO", "--pidfile="],
        }
        for command in commands.values():
            processes.append(subprocess.Popen(command, cwd=ROOT))
        if wait_healthy():
            from clinic.demo_logins import DEMO_OTP_CODE, DEMO_PASSWORD, DEMO_USERS

            print("\n" + "=" * 64)
            print(f"Clinic running at http://{HOST}:{PORT}/admin/  (API docs: /api/docs/, workspace: /workspace/)")
            print("Demo logins (username / password):")
            for username, role in DEMO_USERS.items():
                print(f"  {username:<12} / {DEMO_PASSWORD}   ({role})")
            if os.environ.get("APP_ENV", "development") != "production":
                print(f"Two-factor code for `admin` (development only; none exists in production): {DEMO_OTP_CODE}")
            print("Press Ctrl-C to stop everything.")
            print("=" * 64 + "\n", flush=True)
        else:
            print("warning: /healthz did not report healthy within 60 s; see the logs above", flush=True)
        while not STOP.is_set():
            if any(p.poll() is not None for p in processes):
                # Ctrl-C reaches the children too; only an exit we did not ask for is a failure.
                if STOP.wait(1.0):
                    break
                print("a process exited; stopping the others", flush=True)
                return 1
            STOP.wait(0.5)
        print("\nstopping...", flush=True)
        return 0
    finally:
        # Ctrl-C in a terminal already reached every child; give them a moment to finish on
        # their own before a second signal turns a warm shutdown into a noisy one.
        grace = time.monotonic() + 5
        while STOP.is_set() and time.monotonic() < grace and any(p.poll() is None for p in processes):
            time.sleep(0.2)
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for process in processes:
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                process.kill()
        for stop in started:
            stop()
        print("stopped.", flush=True)


if __name__ == "__main__":
    signal.signal(signal.SIGINT, lambda *_: STOP.set())
    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    sys.exit(main())
