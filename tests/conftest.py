"""Personas and shared fixtures. Every suite has someone who must be refused."""

from __future__ import annotations

import shutil

import pytest
from rest_framework.test import APIClient

from clinic.roles import CARE_COORDINATOR, CLINIC_ADMIN, FRONT_DESK
from tests.factories import DisciplineFactory, ProviderFactory, UserFactory


@pytest.fixture
def front_desk_user(db):
    return UserFactory(username="desk", role=FRONT_DESK)


@pytest.fixture
def coordinator_user(db):
    return UserFactory(username="coord", role=CARE_COORDINATOR)


@pytest.fixture
def clinic_admin_user(db):
    return UserFactory(username="clinicadmin", role=CLINIC_ADMIN)


@pytest.fixture
def outsider_user(db):
    """Logged in, but holds no role: must be refused patient data."""
    return UserFactory(username="outsider", is_staff=False)


@pytest.fixture
def anesthesiologist(db):
    return ProviderFactory(discipline=DisciplineFactory(code="interventional-pain"), credentials="MD")


@pytest.fixture
def physical_therapist(db):
    return ProviderFactory(discipline=DisciplineFactory(code="physical-therapy"), credentials="DPT")


@pytest.fixture
def psychologist(db):
    return ProviderFactory(discipline=DisciplineFactory(code="psychology"), credentials="PhD")


@pytest.fixture
def dietitian(db):
    return ProviderFactory(discipline=DisciplineFactory(code="nutrition"), credentials="RD")


def api_client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user=user)
    return client


@pytest.fixture
def api_for():
    return api_client_for


@pytest.fixture(scope="session")
def chromium_executable():
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.skip("chromium is not installed (apt-get install -y chromium)")
    return path


@pytest.fixture(scope="session")
def celery_session_app():
    """The real Celery app on the real Redis, with a queue of its own so a `make run` worker
    on the same Redis never takes our tasks."""
    import os

    from config.celery import app

    queue = f"test-{os.getpid()}"
    app.conf.task_default_queue = queue
    app.conf.task_always_eager = False
    return app


@pytest.fixture(scope="session")
def celery_session_worker(celery_session_app):
    import celery.contrib.testing.tasks  # noqa: F401 - registers the ping task start_worker uses
    from celery.contrib.testing.worker import start_worker

    with start_worker(
        celery_session_app,
        pool="threads",
        concurrency=2,
        queues=[celery_session_app.conf.task_default_queue],
        perform_ping_check=False,
        shutdown_timeout=10,
    ) as worker:
        yield worker


@pytest.fixture
def celery_worker(celery_session_worker, transactional_db):
    """A real worker thread consuming from real Redis. Tests using it see committed data only,
    hence transactional_db."""
    return celery_session_worker
