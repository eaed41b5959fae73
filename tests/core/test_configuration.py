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


PRODUCTION_SERVERS = {"DATABASE_URL": "postgres://postgres@127.0.0.1:1/x", "REDIS_URL": "redis://127.0.0.1:1/0"}
STRONG_KEY = "kq3V9-pZr1mXb7TtY2wLc8HnD4sJfG0eUaQoRiW6vKxE5yNjBgMhPlCdSz_A"


@pytest.mark.parametrize(
    "key",
    [
        "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef",  # the settings' development fallback
        "change-me-in-production-please-0123456789abcdefghijklmnop",  # the old docker-compose fallback
        "django-insecure-" + "a1b2c3d4e5" * 5,
        "short-but-varied-key-0123456789",
        "a" * 60,
    ],
)
def test_check_deploy_refuses_a_published_or_weak_secret_key_in_production(key):
    result = run_manage("check", "--deploy", APP_ENV="production", SECRET_KEY=key, **PRODUCTION_SERVERS)
    assert result.returncode == 1
    assert "core.E001" in result.stderr
    assert key not in result.stderr + result.stdout, "the message must not repeat the key"


def test_check_deploy_passes_cleanly_with_a_strong_secret_key():
    result = run_manage("check", "--deploy", "--fail-level", "WARNING", APP_ENV="production", SECRET_KEY=STRONG_KEY, **PRODUCTION_SERVERS)
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_plain_check_also_refuses_the_development_key_in_production():
    """migrate and runserver run the same checks, so a production start with the key stops."""
    result = run_manage(
        "check", APP_ENV="production", SECRET_KEY="dev-only-insecure-key-do-not-use-in-production-0123456789abcdef", **PRODUCTION_SERVERS
    )
    assert result.returncode == 1 and "core.E001" in result.stderr


def test_the_development_key_is_fine_in_development():
    result = run_manage("check", SECRET_KEY="dev-only-insecure-key-do-not-use-in-production-0123456789abcdef", **PRODUCTION_SERVERS)
    assert result.returncode == 0, result.stderr


def test_wsgi_application_refuses_to_load_with_the_development_key_in_production():
    """gunicorn runs no system checks; importing the WSGI application must fail instead."""
    environment = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "REDIS_URL", "SECRET_KEY"}}
    environment.update(APP_ENV="production", SECRET_KEY="change-me-in-production-please-0123456789abcdefghijklmnop", **PRODUCTION_SERVERS)
    result = subprocess.run(
        [sys.executable, "-c", "import config.wsgi"], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0 and "core.E001" in result.stderr


def test_secret_key_can_come_from_a_file_with_its_trailing_newline_dropped(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text(STRONG_KEY + "\n")
    code = "from django.conf import settings; import django; django.setup(); print(repr(settings.SECRET_KEY))"
    environment = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "APP_ENV"}}
    environment.update(SECRET_KEY_FILE=str(secret), DJANGO_SETTINGS_MODULE="config.settings", **PRODUCTION_SERVERS)
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == repr(STRONG_KEY), result.stderr


def test_database_url_can_come_from_a_file(tmp_path):
    url_file = tmp_path / "database_url"
    url_file.write_text("postgres://clinic@db.internal:5433/clinic\n")
    result = run_manage("preflight", DATABASE_URL_FILE=str(url_file), REDIS_URL="redis://127.0.0.1:1/0")
    assert "Traceback" not in result.stderr
    assert result.returncode != 0 and "database unreachable" in result.stderr


def test_a_variable_and_its_file_together_are_refused(tmp_path):
    secret = tmp_path / "secret_key"
    secret.write_text(STRONG_KEY)
    result = run_manage("check", SECRET_KEY=STRONG_KEY, SECRET_KEY_FILE=str(secret), **PRODUCTION_SERVERS)
    assert result.returncode == 2
    assert result.stderr.strip() == "configuration error: SECRET_KEY and SECRET_KEY_FILE are both set; set one of them"


def test_an_unreadable_secret_file_names_the_variable_not_the_content(tmp_path):
    missing = tmp_path / "nowhere" / "secret_key"
    result = run_manage("check", SECRET_KEY_FILE=str(missing), **PRODUCTION_SERVERS)
    assert result.returncode == 2
    assert result.stderr.strip() == "configuration error: SECRET_KEY_FILE names a file that cannot be read (No such file or directory)"
    binary = tmp_path / "binary"
    binary.write_bytes(b"\xff\xfe" + STRONG_KEY.encode())
    result = run_manage("check", SECRET_KEY_FILE=str(binary), **PRODUCTION_SERVERS)
    assert result.returncode == 2 and "SECRET_KEY_FILE" in result.stderr and STRONG_KEY not in result.stderr


def test_seed_demo_refuses_to_run_in_production():
    result = run_manage("seed_demo", APP_ENV="production", SECRET_KEY=STRONG_KEY, **PRODUCTION_SERVERS)
    assert result.returncode == 1
    assert "refuses to run when APP_ENV=production" in result.stderr
    assert "Traceback" not in result.stderr
