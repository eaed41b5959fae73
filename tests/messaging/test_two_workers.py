"""Two real Celery worker processes (prefork, as deployed) share one queue on real Redis; one is
SIGKILLed mid-run. The outbox's lease brings its claimed messages back: nothing lost, nothing
sent twice. The benchmark (benchmarks/bench_reminders.py) runs the same code on 10,000."""

from __future__ import annotations

import pytest
from django.db import connection

from benchmarks import bench_reminders

pytestmark = pytest.mark.celery_worker


def database_url() -> str:
    db = connection.settings_dict
    if db["HOST"].startswith("/"):  # the embedded server's Unix socket
        return f"postgres://{db['USER']}@/{db['NAME']}?host={db['HOST']}&port={db['PORT']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{db['HOST']}:{db['PORT'] or 5432}/{db['NAME']}"


def test_two_workers_one_killed_mid_run_nothing_lost_nothing_duplicated(transactional_db, messaging_settings, celery_session_app, tmp_path):
    lease = 4  # seconds before the dead worker's claimed messages are claimed again (production: 300)
    messaging_settings.MESSAGING_LEASE_SECONDS = lease
    messaging_settings.QUIET_HOURS_START = messaging_settings.QUIET_HOURS_END = "00:00"
    # Small chunks (the dispatcher runs in this process), so that 400 messages make 16 tasks and
    # the kill lands while some are still queued or running (chunks of 100 could all finish
    # between two looks at the count).
    messaging_settings.MESSAGING_SEND_CHUNK = 25
    env = {
        "DATABASE_URL": database_url(),
        "REDIS_URL": messaging_settings.REDIS_URL,
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": str(tmp_path / "sms"),
        "CELERY_QUEUE": celery_session_app.conf.task_default_queue,
        "MESSAGING_LEASE_SECONDS": str(lease),
        "QUIET_HOURS_START": "00:00",
        "QUIET_HOURS_END": "00:00",
        "LOG_LEVEL": "ERROR",
    }
    result = bench_reminders.run(env, 400, 2, kill_at=0.3, workers=2, tick=0.5)
    assert result["statuses"] == {"sent": 400}
    assert result["killed_after_sent"] is not None and result["killed_after_sent"] < 400
    assert result["lost"] == 0 and result["duplicates"] == 0 and result["gateway_lines"] == 400
    # The killed worker held claimed messages (prefetch 1 × 2 processes, 25 ids a task): the
    # survivor sent them after their lease, on a second attempt.
    assert result["recovered"] >= 1
