"""`manage.py app_role_grant`: the role web, worker and beat connect as reads and writes rows and
nothing more: no DDL, no TRUNCATE, audit and field history read and append only. Roles are
created inside the test's transaction, so they vanish with it."""

from __future__ import annotations

import io
import os

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction

pytestmark = pytest.mark.django_db
ROLE = f"clinic_app_grant_test_{os.getpid()}"


@pytest.fixture
def app_url(settings):
    settings.APP_DATABASE = {"USER": ROLE, "PASSWORD": "app-role-pass-word"}


def _privilege(table: str, privilege: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT has_table_privilege(%s, %s, %s)", [ROLE, table, privilege])
        return cursor.fetchone()[0]


def _as_app_role(sql: str) -> str | None:
    """Run `sql` as the application role; the error message when PostgreSQL refuses it."""
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {ROLE}")
            cursor.execute(sql)
    except DatabaseError as error:
        return str(error)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
    return None


def test_the_role_is_created_with_rows_to_read_and_write_and_nothing_to_own(app_url):
    call_command("app_role_grant")

    with connection.cursor() as cursor:
        cursor.execute("SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole FROM pg_roles WHERE rolname = %s", [ROLE])
        assert cursor.fetchone() == (True, False, False, False)
    for privilege in ("SELECT", "INSERT", "UPDATE", "DELETE"):
        assert _privilege("scheduling_appointment", privilege), privilege
    for privilege in ("TRUNCATE", "REFERENCES", "TRIGGER"):
        assert not _privilege("scheduling_appointment", privilege), privilege
    assert "must be owner" in _as_app_role("ALTER TABLE scheduling_appointment ADD COLUMN note text")
    assert "must be owner" in _as_app_role("DROP TABLE scheduling_appointment")
    assert "permission denied for schema public" in _as_app_role("CREATE TABLE app_made (id int)")
    assert _as_app_role("SELECT count(*) FROM clinic_patient") is None


def test_audit_and_field_history_are_read_and_append_only_for_the_role(app_url):
    call_command("app_role_grant")

    for table in ("core_auditevent", "history_patienthistory"):
        assert _privilege(table, "SELECT") and _privilege(table, "INSERT"), table
        assert not _privilege(table, "UPDATE") and not _privilege(table, "DELETE"), table
    assert _privilege("pghistory_context", "UPDATE") and not _privilege("pghistory_context", "DELETE")
    assert "permission denied" in _as_app_role("DELETE FROM core_auditevent")
    insert = (
        "INSERT INTO core_auditevent (at, action, object_type, object_id, patients, reason, user_agent, request_id) "
        "VALUES (now(), 'view', '', '', '{}', '', '', '')"
    )
    assert _as_app_role(insert) is None


def test_tables_the_owner_creates_later_are_granted_too_and_a_second_run_changes_nothing(app_url):
    call_command("app_role_grant")
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE clinic_later_table (id serial PRIMARY KEY)")

    assert _privilege("clinic_later_table", "INSERT") and not _privilege("clinic_later_table", "TRUNCATE")
    assert _as_app_role("INSERT INTO clinic_later_table DEFAULT VALUES") is None  # its sequence too

    call_command("app_role_grant")
    assert not _privilege("core_auditevent", "UPDATE") and _privilege("scheduling_appointment", "DELETE")


def test_the_owner_itself_or_a_role_that_can_act_as_the_owner_is_refused(settings):
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_user")
        owner = cursor.fetchone()[0]
        cursor.execute(f"CREATE ROLE {ROLE} NOLOGIN IN ROLE {owner}")
    settings.APP_DATABASE = None

    with pytest.raises(CommandError, match="the tables' owner"):
        call_command("app_role_grant", "--role", owner)
    with pytest.raises(CommandError, match="not least privilege"):
        call_command("app_role_grant", "--role", ROLE)


def test_a_missing_role_without_a_password_or_a_strange_name_is_refused(settings):
    settings.APP_DATABASE = None
    with pytest.raises(CommandError, match="Set APP_DATABASE_URL"):
        call_command("app_role_grant")
    with pytest.raises(CommandError, match="does not exist"):
        call_command("app_role_grant", "--role", ROLE)
    with pytest.raises(CommandError, match="not a plain role name"):
        call_command("app_role_grant", "--role", 'app"; DROP TABLE x; --')


def _preflight_warnings() -> str:
    err = io.StringIO()
    call_command("preflight", stdout=io.StringIO(), stderr=err)
    return err.getvalue()


def test_preflight_in_production_warns_when_the_process_could_alter_the_tables(settings, app_url):
    settings.PRODUCTION = True
    assert "connects as a superuser or the owner of the tables" in _preflight_warnings()  # the test runs as the owner

    call_command("app_role_grant")
    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(f"SET LOCAL ROLE {ROLE}")
            assert _preflight_warnings() == ""
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")


def test_preflight_in_development_says_nothing_about_the_owner(settings):
    settings.PRODUCTION = False
    assert _preflight_warnings() == ""
