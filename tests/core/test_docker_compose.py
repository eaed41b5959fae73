"""Docker's engine does not run on our machines, so the compose file is checked as data."""

from pathlib import Path

import yaml

COMPOSE = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())


def test_compose_has_every_service_of_the_product():
    assert set(COMPOSE["services"]) == {"postgres", "redis", "web", "worker", "beat", "mailpit"}


def test_backing_services_use_official_images():
    services = COMPOSE["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["mailpit"]["image"].startswith("axllent/mailpit")


def test_app_services_get_production_configuration_pointing_at_the_compose_servers():
    for name in ("web", "worker", "beat"):
        env = COMPOSE["services"][name]["environment"]
        assert env["APP_ENV"] == "production"
        assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["EMAIL_URL"] == "smtp://mailpit:1025"
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), "SECRET_KEY must be required, never defaulted"
        assert set(COMPOSE["services"][name]["depends_on"]) == {"postgres", "redis"}


def test_processes_are_gunicorn_and_celery_not_runserver():
    services = COMPOSE["services"]
    assert "gunicorn --config config/gunicorn.py config.wsgi:application" in services["web"]["command"]
    assert "runserver" not in services["web"]["command"]
    assert services["worker"]["command"].startswith("celery -A config worker")
    assert services["beat"]["command"].startswith("celery -A config beat")


def test_no_secret_has_a_fallback_value_in_the_compose_file():
    """A fallback written in the compose file is public: a production key must come from outside."""
    text = (Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text()
    assert "change-me-in-production" not in text
    assert "${SECRET_KEY:-" not in text and "${SECRET_KEY-" not in text


def test_every_gunicorn_start_uses_the_config_that_filters_the_access_log():
    """Without config/gunicorn.py, gunicorn's own access log writes link tokens and searches."""
    root = Path(__file__).resolve().parents[2]
    assert '"gunicorn", "--config", "config/gunicorn.py"' in (root / "Dockerfile").read_text()
    run_script = (root / "scripts" / "run.py").read_text()
    assert '"--config",\n                "config/gunicorn.py"' in run_script and "--access-logfile" not in run_script
