"""Typed readers for environment variables that fail loudly with one plain line.

Every setting the product reads from the environment goes through these helpers, so a bad
value stops the process at start-up with a message naming the variable, never a traceback
from somewhere deep in a request.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from core.errors import ConfigError  # noqa: F401 - settings raise it from here


def env_str(name: str, default: str | None = None) -> str | None:
    """`NAME`, or the content of the file named by `NAME_FILE` (Docker and Kubernetes mount
    secrets as files, so a secret never has to sit in the process environment)."""
    value = os.environ.get(name)
    file_name = os.environ.get(f"{name}_FILE")
    if file_name:
        if value:
            raise ConfigError(f"{name} and {name}_FILE are both set; set one of them")
        value = _read_secret_file(name, file_name)
    if value is None or value == "":
        return default
    return value


def _read_secret_file(name: str, file_name: str) -> str:
    # The message names the variable and the reason, never the file's content.
    try:
        content = Path(file_name).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = error.strerror if isinstance(error, OSError) and error.strerror else "not readable UTF-8 text"
        raise ConfigError(f"{name}_FILE names a file that cannot be read ({reason})") from None
    # Editors and `echo` add a final newline that is not part of the secret.
    return content.rstrip("\r\n")


def env_bool(name: str, default: bool = False) -> bool:
    raw = env_str(name)
    if raw is None:
        return default
    lowered = raw.strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off"}:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = env_str(name)
    if raw is None:
        return default
    try:
        return int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be an integer, got {raw!r}") from None


def env_list(name: str, default: list[str]) -> list[str]:
    raw = env_str(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def parse_database_url(url: str, *, name: str = "DATABASE_URL") -> dict:
    """Parse a postgres:// URL into Django's DATABASES entry, refusing anything else."""
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise ConfigError(f"{name} must start with postgres://, got scheme {parts.scheme!r}")
    try:
        port = parts.port
    except ValueError:
        raise ConfigError(f"{name} has a port that is not a number") from None
    database = parts.path.lstrip("/") or "postgres"
    # postgres://user@/db?host=/path/to/socket-dir reaches a server on a Unix socket.
    query = parse_qs(parts.query)
    socket_dir = query.get("host", [""])[0]
    if port is None and query.get("port", [""])[0].isdigit():
        port = int(query["port"][0])  # libpq's ?port= (a Unix socket's file name carries it)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": database,
        "USER": parts.username or "postgres",
        "PASSWORD": parts.password or "",
        "HOST": socket_dir or parts.hostname or "",
        "PORT": str(port or ""),
        "CONN_MAX_AGE": 60,
        "CONN_HEALTH_CHECKS": True,
        "OPTIONS": {"connect_timeout": 5},
    }


def check_redis_url(url: str) -> str:
    """Return the URL when it is a usable redis:// URL; raise ConfigError otherwise."""
    parts = urlsplit(url)
    if parts.scheme not in {"redis", "rediss", "unix"}:
        raise ConfigError(f"REDIS_URL must start with redis://, rediss:// or unix://, got {url!r}")
    if parts.scheme != "unix":
        if not parts.hostname:
            raise ConfigError(f"REDIS_URL has no host: {url!r}")
        try:
            parts.port  # noqa: B018 - raises on a malformed port
        except ValueError:
            raise ConfigError(f"REDIS_URL has a port that is not a number: {url!r}") from None
        db = parts.path.lstrip("/")
        if db and not db.isdigit():
            raise ConfigError(f"REDIS_URL database must be a number, got {db!r}")
    return url
