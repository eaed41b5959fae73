"""Personas and shared fixtures. Every suite has someone who must be refused."""

from __future__ import annotations

import logging
import os
import shutil

import pytest
from rest_framework.test import APIClient

from clinic.roles import CARE_COORDINATOR, CLINIC_ADMIN, FRONT_DESK
from tests.factories import DisciplineFactory, ProviderFactory, UserFactory


@pytest.fixture(autouse=True, scope="session")
def _fast_password_hashing():
    """Test users' passwords use a fast hasher: PBKDF2's deliberate cost (hundreds of milliseconds
    per user on these cores) was most of the suite's time. The product keeps Django's default
    hashers; override_settings also clears the cached hasher list."""
    from django.test.utils import override_settings

    fast = override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"])
    fast.enable()
    yield
    fast.disable()


@pytest.fixture(autouse=True, scope="session")
def _cache_of_its_own():
    """Each xdist worker keeps its cache keys (throttles, replica stickiness, sessions) under a
    prefix of its own on the shared Redis, and `cache.clear()` deletes only those: Django's Redis
    cache clears with FLUSHDB, which wiped the other worker's throttle counts (and any Celery
    messages queued in the same database) in the middle of its tests."""
    from django.conf import settings
    from django.core.cache.backends.redis import RedisCache
    from django.test.utils import override_settings

    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    caches = {name: {**config, "KEY_PREFIX": f"{config.get('KEY_PREFIX', '')}-test-{worker}"} for name, config in settings.CACHES.items()}

    def clear_own_keys(self):
        client = self._cache.get_client(None, write=True)
        keys = list(client.scan_iter(match=f"{self.key_prefix}:*", count=1000))
        if keys:
            client.delete(*keys)

    original = RedisCache.clear
    RedisCache.clear = clear_own_keys
    own = override_settings(CACHES=caches)
    own.enable()
    yield
    own.disable()
    RedisCache.clear = original


@pytest.fixture
def eager_celery():
    """Run the real Celery tasks in-process, errors raised, when the test's captured on_commit
    callbacks fire (protocol assembly, waitlist offers, tickets following a cancellation)."""
    from config.celery import app

    before = (app.conf.task_always_eager, app.conf.task_eager_propagates)
    app.conf.task_always_eager = True
    app.conf.task_eager_propagates = True
    yield app
    app.conf.task_always_eager, app.conf.task_eager_propagates = before


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


def pytest_collection_modifyitems(config, items):
    """Transactional tests flush every table afterwards, which would also wipe rows that data
    migrations ship (roles, default protocols, payer rules, reminder plans) for the tests after
    them; serialized rollback restores them."""
    for item in items:
        marker = item.get_closest_marker("django_db")
        transactional = (marker is not None and marker.kwargs.get("transaction")) or {"transactional_db", "live_server"} & set(
            item.fixturenames
        )
        if transactional:
            databases = {"databases": marker.kwargs["databases"]} if marker is not None and "databases" in marker.kwargs else {}
            item.add_marker(pytest.mark.django_db(transaction=True, serialized_rollback=True, **databases), append=False)


@pytest.fixture
def celery_worker(celery_session_app, transactional_db):
    """A real Celery worker (threads pool) consuming from real Redis, for this test only.

    Started per test on purpose: tasks that other tests enqueue after commit must not run in the
    background while a later test flushes the database. Leftovers in the queue are purged before
    the worker starts. Tests using it see committed data only, hence transactional_db."""
    import celery.contrib.testing.tasks  # noqa: F401 - registers the ping task start_worker uses
    from celery.contrib.testing.worker import start_worker
    from celery.signals import task_postrun
    from django.db import connection

    # The worker thread's own database connection is closed after each task, so the test
    # database can be flushed and dropped.
    task_postrun.connect(_close_worker_connection, weak=False, dispatch_uid="tests.close_worker_connection")
    with celery_session_app.connection_for_write() as conn:
        conn.default_channel.queue_purge(celery_session_app.conf.task_default_queue)
    with start_worker(
        celery_session_app,
        pool="threads",
        concurrency=2,
        queues=[celery_session_app.conf.task_default_queue],
        perform_ping_check=False,
        shutdown_timeout=10,
    ) as worker:
        yield worker
    connection.close()


def _close_worker_connection(**_):
    from django.db import connection

    connection.close()


# --- Browser: Playwright driving Debian's chromium (never a downloaded browser) -----------------
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture
def page(chromium_executable):
    """A fresh chromium per test. Function-scoped on purpose: while Playwright's sync API runs, its
    event loop makes Django hand this thread context-local database connections, so a browser left
    open across tests would give later tests a connection without the serialized-rollback data."""
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Playwright's loop also trips Django's async-safety check on the test's own (synchronous,
    # safe) ORM calls; allowed only while the browser runs.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=chromium_executable, args=CHROMIUM_ARGS, headless=True)
            context = browser.new_context(locale="en-US", timezone_id="America/New_York")
            page = context.new_page()
            page.set_default_timeout(15_000)
            yield page
            context.close()
            browser.close()
            connections.close_all()  # the context-local connections opened while the loop ran
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


# --- No PHI in any log record (tests/log_guard.py) --------------------------------------------
_log_guard_installed = False


def _install_log_guard() -> None:
    """Connect once Django's apps are ready: every saved patient, link and feed feeds the list
    of values no log may contain."""
    global _log_guard_installed
    if _log_guard_installed:
        return
    from django.db.models.signals import post_save

    from tests import log_guard

    def remember_patient(sender, instance, **kwargs):
        log_guard.SENSITIVE.add_person(
            first_name=instance.first_name, last_name=instance.last_name, phone=str(instance.phone or ""), email=instance.email or ""
        )

    def remember_link(sender, instance, **kwargs):
        from messaging.services import links

        token_for = getattr(links, "link_token", None)
        if token_for is not None:
            log_guard.SENSITIVE.add_secret(token_for(instance))

    def remember_feed(sender, instance, **kwargs):
        log_guard.SENSITIVE.add_secret(getattr(instance, "issued_token", "") or "")

    post_save.connect(remember_patient, sender="clinic.Patient", weak=False, dispatch_uid="log_guard.patient")
    post_save.connect(remember_link, sender="messaging.PatientLink", weak=False, dispatch_uid="log_guard.link")
    post_save.connect(remember_feed, sender="scheduling.CalendarFeed", weak=False, dispatch_uid="log_guard.feed")
    _log_guard_installed = True


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item):
    from tests import log_guard

    _install_log_guard()
    log_guard.HANDLER.take()  # records from before this test belong to no test
    root = logging.getLogger()
    if log_guard.HANDLER not in root.handlers:  # a dictConfig() in an earlier test removes it
        root.addHandler(log_guard.HANDLER)
    log_guard.HANDLER.watch_non_propagating_loggers()


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Fails the test whose setup, body or teardown logged a patient's details or a token."""
    outcome = yield
    report = outcome.get_result()
    if call.when != "teardown":
        return
    from tests import log_guard

    leaks = log_guard.HANDLER.take()
    if leaks:
        report.outcome = "failed"
        report.longrepr = "PHI or a secret reached a log record:\n" + "\n".join(str(leak) for leak in leaks[:5])
