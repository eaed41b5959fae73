"""Docker's engine does not run on our machines, so the compose file is checked as data."""

from pathlib import Path

import yaml

COMPOSE = yaml.safe_load((Path(__file__).resolve().parents[2] / "docker-compose.yml").read_text())


def test_compose_has_every_service_of_the_product():
    assert set(COMPOSE["services"]) == {"postgres", "redis", "migrate", "web", "worker", "beat", "mailpit"}


def test_backing_services_use_official_images():
    services = COMPOSE["services"]
    assert services["postgres"]["image"].startswith("postgres:")
    assert services["redis"]["image"].startswith("redis:")
    assert services["mailpit"]["image"].startswith("axllent/mailpit")


def test_app_services_get_production_configuration_pointing_at_the_compose_servers():
    for name in ("web", "worker", "beat"):
        env = COMPOSE["services"][name]["environment"]
        assert env["APP_ENV"] == "production"
        assert env["DATABASE_URL"].startswith("postgres://clinic_app:") and "@postgres:5432/clinic" in env["DATABASE_URL"]
        assert env["REDIS_URL"] == "redis://redis:6379/0"
        assert env["EMAIL_URL"] == "smtp://mailpit:1025"
        assert env["SECRET_KEY"].startswith("${SECRET_KEY:?"), "SECRET_KEY must be required, never defaulted"
        assert COMPOSE["services"][name]["depends_on"] == {
            "postgres": {"condition": "service_healthy"},
            "redis": {"condition": "service_healthy"},
            "migrate": {"condition": "service_completed_successfully"},
        }


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


def test_the_application_never_connects_as_the_owner_of_the_tables():
    """Only the one-shot migrate service is the owner (POSTGRES_USER); it migrates, then grants the
    application's role rows to read and write (manage.py app_role_grant), before anything starts."""
    services = COMPOSE["services"]
    owner = services["postgres"]["environment"]["POSTGRES_USER"]
    app_url = services["web"]["environment"]["DATABASE_URL"]
    migrate = services["migrate"]
    assert migrate["environment"]["DATABASE_URL"].startswith(f"postgres://{owner}:")
    assert migrate["environment"]["APP_DATABASE_URL"] == app_url
    assert migrate["command"] == 'sh -c "python manage.py migrate --noinput && python manage.py app_role_grant"'
    for name in ("web", "worker", "beat"):
        assert not services[name]["environment"]["DATABASE_URL"].startswith(f"postgres://{owner}:"), name
        assert "migrate" not in services[name]["command"], name
    assert "${APP_DATABASE_PASSWORD:?" in app_url, "the application role's password must be required, never defaulted"


def test_scale_settings_reach_every_application_process():
    services = COMPOSE["services"]
    for name in ("web", "worker", "beat"):
        env = services[name]["environment"]
        assert env["TRUSTED_PROXY_COUNT"] == "${TRUSTED_PROXY_COUNT:-0}", "direct by default: no forwarded header trusted"
        assert env["DATABASE_REPLICA_URL"] == "${DATABASE_REPLICA_URL:-}"
    assert services["worker"]["deploy"]["replicas"] == "${WORKER_REPLICAS:-1}"
    assert services["beat"]["deploy"]["replicas"] == 1
