"""`make run`: start everything the clinic needs in the foreground; Ctrl-C stops it all.

Without DATABASE_URL / REDIS_URL it starts the private PostgreSQL and Redis (config/embedded.py)
and stops them again on exit. Then: preflight check, migrate, collectstatic, seed_demo, and the
web server (gunicorn + whitenoise), a Celery worker and Celery beat.

The terminal shows the banner (address, logins, where the logs are) and then only warnings and
errors; every line of every process goes to its file under .local/logs/ (web.log has the access
log). Each process runs in a process group of its own, so stopping is this script's job, in a
fixed order and time: SIGTERM (graceful), SIGQUIT after STOP_GRACE seconds (gunicorn's quick and
Celery's cold shutdown, which hands unfinished tasks back to Redis), SIGKILL to whatever is left
of a group after STOP_HARD, then the private PostgreSQL and Redis. A browser's idle keep-alive
and pre-connected sockets cannot hold it up: gunicorn gets a short graceful timeout here.
"""

from __future__ import annotations

import json
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
STOP_GRACE = 4.0  # seconds of graceful shutdown before SIGQUIT
STOP_HARD = 6.5  # seconds after which any process left in a group is SIGKILLed
SHOWN_LEVELS = {"WARNING", "ERROR", "CRITICAL"}
_print_lock = threading.Lock()


def say(text: str) -> None:
    with _print_lock:
        print(text, flush=True)


def terminal_line(name: str, raw: str) -> str | None:
    """What the terminal shows of one line a process wrote: a JSON log record at WARNING or
    above, shortened; any other text (a traceback before logging is set up) as it is."""
    line = raw.rstrip("\n")
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except ValueError:
        return f"[{name}] {line}"
    if not isinstance(record, dict):
        return f"[{name}] {line}"
    level = str(record.get("level", "")).upper()
    if level not in SHOWN_LEVELS:
        return None
    text = f"[{name}] {level} {record.get('logger', '')}: {record.get('msg', '')}"
    if record.get("exc"):
        text += f" (traceback in .local/logs/{name}.log)"
    return text


def pump(name: str, stream, log_path: Path) -> None:
    with log_path.open("a", encoding="utf-8", errors="replace") as log:
        for raw in iter(stream.readline, ""):
            log.write(raw)
            log.flush()
            shown = terminal_line(name, raw)
            if shown:
                say(shown)


def start(name: str, command: list[str], log_dir: Path) -> subprocess.Popen:
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
        start_new_session=True,  # its own group: Ctrl-C reaches this script only, which stops it in order
    )
    threading.Thread(target=pump, args=(name, process.stdout, log_dir / f"{name}.log"), daemon=True).start()
    return process


def manage(log_dir: Path, *args: str) -> None:
    process = start("setup", [sys.executable, "manage.py", *args], log_dir)
    while process.poll() is None:
        if STOP.wait(0.2):  # Ctrl-C during migrate or the demo data: stop it too
            stop_processes([process])
            raise SystemExit(130)
    if process.returncode != 0:
        say(f"`manage.py {' '.join(args)}` failed; see .local/logs/setup.log")
        raise SystemExit(process.returncode or 1)


def wait_healthy(timeout: float = 90.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not STOP.is_set():
        try:
            with urllib.request.urlopen(f"http://{HOST}:{PORT}/healthz", timeout=3) as response:
                if response.status == 200:
                    return True
        except Exception:  # noqa: BLE001 - not up yet
            pass
        STOP.wait(1)
    return False


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)  # the group's leader may be gone while its children are not
    except (ProcessLookupError, PermissionError):
        pass


def _group_alive(process: subprocess.Popen) -> bool:
    try:
        os.killpg(process.pid, 0)
        return True
    except (ProcessLookupError, PermissionError):
        return False


def stop_processes(processes: list[subprocess.Popen]) -> None:
    started = time.monotonic()
    for process in processes:
        _signal_group(process, signal.SIGTERM)
    quit_sent = False
    while any(_group_alive(p) for p in processes):
        for process in processes:
            process.poll()  # reap the leader so its group can empty
        elapsed = time.monotonic() - started
        if elapsed > STOP_HARD:
            for process in processes:
                _signal_group(process, signal.SIGKILL)
            break
        if elapsed > STOP_GRACE and not quit_sent:
            for process in processes:
                _signal_group(process, signal.SIGQUIT)
            quit_sent = True
        time.sleep(0.1)
    for process in processes:
        try:
            process.wait(2)
        except subprocess.TimeoutExpired:
            pass


def banner(log_dir: Path) -> None:
    from clinic.demo_logins import DEMO_OTP_CODE, DEMO_PASSWORD, DEMO_USERS

    lines = ["", "=" * 64, f"Clinic running at http://{HOST}:{PORT}/admin/  (API docs: /api/docs/, workspace: /workspace/)"]
    lines.append("Demo logins (username / password):")
    lines += [f"  {username:<12} / {DEMO_PASSWORD}   ({role})" for username, role in DEMO_USERS.items()]
    if os.environ.get("APP_ENV", "development") != "production":
        lines.append(f"Two-factor code for `admin` (development only; none exists in production): {DEMO_OTP_CODE}")
    relative = log_dir.relative_to(ROOT) if log_dir.is_relative_to(ROOT) else log_dir
    lines.append(f"Full logs: {relative}/web.log (requests), worker.log, beat.log, setup.log")
    lines.append("This terminal shows warnings and errors only. Press Ctrl-C to stop everything.")
    lines += ["=" * 64, ""]
    say("\n".join(lines))


def main() -> int:
    from config import embedded

    log_dir = embedded.LOCAL_DIR / "logs"
    log_dir.mkdir(parents=True, exist_ok=True)
    started = []
    if not os.environ.get("DATABASE_URL"):
        if not embedded.postgres_running():
            started.append(embedded.stop_postgres)
        embedded.ensure_postgres()
        say("database: private PostgreSQL in .local/pgdata")
    if not os.environ.get("REDIS_URL"):
        if embedded._redis_pid() is None:
            started.append(embedded.stop_redis)
        say(f"redis: private Redis at {embedded.ensure_redis()}")

    processes: list[subprocess.Popen] = []
    try:
        say("preparing the database (migrations, demo data)...")
        manage(log_dir, "preflight")
        manage(log_dir, "migrate", "--noinput", "-v", "0")
        manage(log_dir, "collectstatic", "--noinput", "-v", "0")
        # seed_demo refuses production (published passwords); RUN_SEED_DEMO=false skips it on a
        # database that has its data already.
        if os.environ.get("APP_ENV") != "production" and os.environ.get("RUN_SEED_DEMO", "true").lower() not in {"0", "false", "no"}:
            manage(log_dir, "seed_demo")
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
                # A browser keeps idle and pre-opened connections; gunicorn's 30 s default would
                # wait for them at every stop.
                "--graceful-timeout",
                "3",
                "--keep-alive",
                "2",
            ],
            "worker": [
                str(BIN / "celery"),
                "-A",
                "config",
                "--quiet",
                "worker",
                "-l",
                "INFO",
                "-c",
                "2",
                "-Q",
                os.environ.get("CELERY_QUEUE", "clinic"),
            ],
            "beat": [str(BIN / "celery"), "-A", "config", "--quiet", "beat", "-l", "INFO", "--pidfile="],
        }
        for name, command in commands.items():
            processes.append(start(name, command, log_dir))
        if wait_healthy():
            banner(log_dir)
        elif not STOP.is_set():
            say("warning: /healthz did not report healthy within 90 s; see .local/logs/")
        while not STOP.is_set():
            if any(p.poll() is not None for p in processes):
                say("a process exited; stopping the others (see .local/logs/)")
                return 1
            STOP.wait(0.5)
        say("\nstopping...")
        return 0
    finally:
        stop_processes(processes)
        for stop in started:
            try:
                stop()
            except Exception as error:  # noqa: BLE001 - the next one must still be stopped
                say(f"warning: {stop.__name__} failed: {error}")
        say("stopped.")


if __name__ == "__main__":
    signal.signal(signal.SIGINT, lambda *_: STOP.set())
    signal.signal(signal.SIGTERM, lambda *_: STOP.set())
    sys.exit(main())
