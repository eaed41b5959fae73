"""Bad configuration ends in one plain line and a non-zero exit, never a traceback."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    environment = {
        k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "APP_ENV", "SECRET_KEY", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    }
    environment.update(env)
    return subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)


def test_unreachable_database_url_is_one_line():
    result = run_manage("preflight", DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere", REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "database unreachable" in lines[0]


def test_migrate_against_unreachable_database_is_one_line():
    result = run_manage("migrate", DATABASE_URL="postgres://postgres@127.0.0.1:1/nowhere", REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().startswith("database unreachable")


@pytest.mark.parametrize("url", ["http://localhost:6379", "redis://:notaport/0", "redis:///0", "redis://host:6379/db"])
def test_malformed_redis_url_is_one_line(url):
    result = run_manage("check", DATABASE_URL="postgres://postgres@127.0.0.1:1/x", REDIS_URL=url)
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines() == [result.stderr.strip()]
    assert "REDIS_URL" in result.stderr


def test_production_without_secret_key_is_one_line():
    result = run_manage("check", APP_ENV="production", DATABASE_URL="postgres://postgres@127.0.0.1:1/x", REDIS_URL="redis://127.0.0.1:1/0")
    assert result.returncode == 2
    assert result.stderr.strip() == "configuration error: SECRET_KEY must be set when APP_ENV=production"


def test_production_mode_passes_check_deploy():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        APP_ENV="production",
        SECRET_KEY="x" * 30 + "-production-secret-key-abcdefghij",
        DATABASE_URL="postgres://postgres@127.0.0.1:1/x",
        REDIS_URL="redis://127.0.0.1:1/0",
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout
