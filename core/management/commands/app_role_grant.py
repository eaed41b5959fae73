"""Give the application its own database role: rows to read and write, nothing to own.

Run as the role that OWNS the tables (the one `DATABASE_URL` names when it runs `migrate`), after
every `migrate`: it grants on the tables that exist now and, through default privileges, on the
tables the owner creates later. Web, worker and beat then connect as the application role, which
cannot alter or drop a table, disable the append-only triggers, truncate, or change or delete
audit and field-history rows (a stolen application password cannot erase the trail).

The role comes from `APP_DATABASE_URL` (its user and password: created when missing, its password
set when present) or `--role` for a role an administrator created. Safe to run any number of times.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

_ROLE_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
DML = "SELECT, INSERT, UPDATE, DELETE"


class Command(BaseCommand):
    help = "Create or update the application's non-owner database role and grant it DML only (run as the table owner, after migrate)."

    def add_arguments(self, parser):
        parser.add_argument("--role", default=None, help="an existing role to grant to (default: APP_DATABASE_URL's user)")

    def handle(self, *args, role=None, **options):
        app = settings.APP_DATABASE
        password = app["PASSWORD"] if app and (role is None or role == app["USER"]) else ""
        role = role or (app["USER"] if app else None)
        if not role:
            raise CommandError("Set APP_DATABASE_URL (the URL web, worker and beat use) or pass --role.")
        if not _ROLE_NAME.match(role):
            raise CommandError(f"{role!r} is not a plain role name (lower-case letters, digits, underscore).")
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SELECT current_user, quote_ident(current_user), quote_ident(current_database())")
            owner_name, owner, database = cursor.fetchone()
            if role == owner_name:
                raise CommandError(f"{role} is the role running this command, the tables' owner: the application needs a role of its own.")
            cursor.execute("SELECT rolsuper OR pg_has_role(rolname, %s, 'MEMBER') FROM pg_roles WHERE rolname = %s", [owner_name, role])
            found = cursor.fetchone()
            if found is None and not password:
                raise CommandError(f"Role {role} does not exist: create it, or set APP_DATABASE_URL with its password.")
            if found is None:
                cursor.execute(f"CREATE ROLE {role} LOGIN PASSWORD %s", [password])
                self.stdout.write(f"created role {role}")
            elif found[0]:
                raise CommandError(f"Role {role} is a superuser or can act as {owner}, the owner: that is not least privilege.")
            elif password:
                cursor.execute(f"ALTER ROLE {role} LOGIN PASSWORD %s", [password])
            for statement in _grants(role=role, owner=owner, database=database, cursor=cursor):
                cursor.execute(statement)
            cursor.execute("SELECT has_schema_privilege(%s, 'public', 'CREATE')", [role])
            creates = cursor.fetchone()[0]
        if creates:
            # PostgreSQL 14 and older let every role create tables in `public`; revoking that from
            # PUBLIC is the administrator's call (the owner may depend on it to migrate).
            self.stderr.write(
                f"warning: {role} may still create tables in schema public (PostgreSQL 14 or older): "
                "REVOKE CREATE ON SCHEMA public FROM PUBLIC once the owner owns the schema."
            )
        self.stdout.write(f"{role}: {DML} on the tables of {database}, owned by {owner}; audit and field history read and append only")


def _grants(*, role: str, owner: str, database: str, cursor) -> list[str]:
    cursor.execute(
        "SELECT quote_ident(tablename) FROM pg_tables WHERE schemaname = 'public' "
        "AND (tablename = 'core_auditevent' OR tablename LIKE 'history\\_%') ORDER BY tablename"
    )
    append_only = [name for (name,) in cursor.fetchall()]
    statements = [
        f"GRANT CONNECT ON DATABASE {database} TO {role}",
        f"GRANT USAGE ON SCHEMA public TO {role}",
        # A role granted ALL before keeps nothing beyond rows: no TRUNCATE, REFERENCES, TRIGGER.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA public FROM {role}",
        f"GRANT {DML} ON ALL TABLES IN SCHEMA public TO {role}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role}",
        # pghistory updates its context rows during a request, and never deletes them.
        f"REVOKE DELETE ON pghistory_context FROM {role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT {DML} ON TABLES TO {role}",
        f"ALTER DEFAULT PRIVILEGES FOR ROLE {owner} IN SCHEMA public GRANT USAGE, SELECT ON SEQUENCES TO {role}",
    ]
    statements += [f"REVOKE UPDATE, DELETE ON {table} FROM {role}" for table in append_only]
    return statements
