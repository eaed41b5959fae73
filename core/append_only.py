"""SQL that makes tables append-only in PostgreSQL itself, shared by the migrations that install
it (core 0002 on the audit trail; history on the field-history tables and on the clinical records
nobody deletes) and by `manage.py audit_prune`, the one way rows leave.

UPDATE is always refused; DELETE only for the table's owner, inside the retention command
(which sets clinic.audit_retention for its transaction), and only for rows older than the
retention; TRUNCATE only for the owner (the test database flushes as the owner). In production
the application connects as a role that does not own the tables, so it can neither delete nor
disable the triggers."""

from __future__ import annotations

FUNCTION = r"""
CREATE OR REPLACE FUNCTION clinic_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    is_owner boolean := pg_has_role(current_user, (SELECT relowner FROM pg_class WHERE oid = TG_RELID), 'MEMBER');
    days integer;
BEGIN
    IF TG_OP = 'UPDATE' THEN
        RAISE EXCEPTION 'clinic: % is append-only; rows are never changed', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    IF TG_OP = 'TRUNCATE' THEN
        IF is_owner THEN
            RETURN NULL;
        END IF;
        RAISE EXCEPTION 'clinic: only the owner of % may truncate it', TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- DELETE: only the retention command, as the owner, for rows past the retention period.
    -- TG_ARGV[0] names the row's time column; tables without one refuse every delete.
    IF TG_NARGS > 0 AND is_owner AND current_setting('clinic.audit_retention', true) = 'on' THEN
        days := current_setting('clinic.audit_retention_days')::integer;
        IF (to_jsonb(OLD) ->> TG_ARGV[0])::timestamptz < now() - make_interval(days => days) THEN
            RETURN OLD;
        END IF;
    END IF;
    RAISE EXCEPTION 'clinic: rows of % are never deleted (records end as cancelled or entered-in-error; audit rows leave only by retention)', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$;
"""


def protect_sql(table: str, time_column: str | None, *, refuse_updates: bool = True) -> str:
    """Triggers on `table`: DELETE refused (allowed to audit_prune past the retention, counted on
    `time_column`, when one is given), TRUNCATE for the owner only, and UPDATE refused when
    `refuse_updates` (records that change status, like tasks, pass False)."""
    argument = f"'{time_column}'" if time_column else ""
    sql = []
    if refuse_updates:
        sql.append(f"CREATE TRIGGER clinic_no_update BEFORE UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION clinic_append_only();")
    sql.append(f"CREATE TRIGGER clinic_no_delete BEFORE DELETE ON {table} FOR EACH ROW EXECUTE FUNCTION clinic_append_only({argument});")
    sql.append(f"CREATE TRIGGER clinic_no_truncate BEFORE TRUNCATE ON {table} FOR EACH STATEMENT EXECUTE FUNCTION clinic_append_only();")
    return "\n".join(sql)


def unprotect_sql(table: str) -> str:
    return "\n".join(
        f"DROP TRIGGER IF EXISTS {name} ON {table};" for name in ("clinic_no_update", "clinic_no_delete", "clinic_no_truncate")
    )


def allow_retention_deletes(cursor, *, days: int) -> None:
    """For the current transaction only: let the owner delete rows older than `days`."""
    cursor.execute(
        "SELECT set_config('clinic.audit_retention', 'on', true), set_config('clinic.audit_retention_days', %s, true)", [str(int(days))]
    )


# Tables audit_prune trims, as (app_label.Model, time field). Apps above core register theirs
# in AppConfig.ready() (history: the field-history tables).
RETAINED: dict[str, str] = {"core.AuditEvent": "at"}


def retain(model_label: str, *, time_field: str) -> None:
    RETAINED[model_label] = time_field
