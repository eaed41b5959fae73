"""State of the parts the clinic needs: database, Redis and a Celery worker."""

from __future__ import annotations

import time

from celery import current_app as app  # the project's app (config.celery), without importing the top layer
from django.conf import settings
from django.db import connection

HEARTBEAT_KEY = "health:worker-heartbeat"
HEARTBEAT_MAX_AGE = 60.0


def _redis():
    import redis

    return redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2)


def record_worker_heartbeat(now: float | None = None) -> None:
    _redis().set(HEARTBEAT_KEY, str(now if now is not None else time.time()), ex=int(HEARTBEAT_MAX_AGE * 5))


def check_database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True, "ok"
    except Exception as exc:  # noqa: BLE001 - any failure means "down"
        return False, exc.__class__.__name__


def database_role_can_alter_tables() -> bool:
    """Whether the role the process connects as is a superuser or owns the tables (directly or as
    a member of the owner): it could then change the schema, disable the append-only triggers and
    erase the audit trail. In production only migrations and audit_prune need that."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT rolsuper OR pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = 'core_auditevent'::regclass), 'MEMBER') "
            "FROM pg_roles WHERE rolname = current_user"
        )
        return cursor.fetchone()[0]


def check_redis() -> tuple[bool, str]:
    try:
        _redis().ping()
        return True, "ok"
    except Exception as exc:  # noqa: BLE001
        return False, exc.__class__.__name__


def check_worker() -> tuple[bool, str]:
    """A worker is up when it answered within the last minute: either the beat heartbeat
    task ran, or it answers a broadcast ping now (which we then remember)."""
    try:
        raw = _redis().get(HEARTBEAT_KEY)
    except Exception as exc:  # noqa: BLE001
        return False, exc.__class__.__name__
    if raw and time.time() - float(raw) <= HEARTBEAT_MAX_AGE:
        return True, "ok"
    try:
        replies = app.control.ping(timeout=1.0)
    except Exception as exc:  # noqa: BLE001
        return False, exc.__class__.__name__
    if replies:
        record_worker_heartbeat()
        return True, "ok"
    return False, "no worker answered a ping in the last minute"


def health() -> dict:
    checks = {"database": check_database(), "redis": check_redis()}
    checks["worker"] = check_worker() if checks["redis"][0] else (False, "redis down")
    return {name: {"ok": ok, "detail": detail} for name, (ok, detail) in checks.items()}
