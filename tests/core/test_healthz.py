import time

import pytest

from core import health
from core.tasks import heartbeat

pytestmark = pytest.mark.django_db(transaction=True)


def _clear_heartbeat():
    health._redis().delete(health.HEARTBEAT_KEY)


def test_healthz_is_503_when_redis_is_unreachable(client, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503 and body["status"] == "degraded"
    assert body["checks"]["database"]["ok"] is True
    assert body["checks"]["redis"]["ok"] is False and body["checks"]["worker"]["ok"] is False


@pytest.mark.celery_worker
def test_healthz_is_200_with_a_real_worker(client, celery_worker):
    _clear_heartbeat()
    response = client.get("/healthz")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == "ok"


@pytest.mark.celery_worker
def test_heartbeat_task_runs_on_the_worker(celery_worker):
    _clear_heartbeat()
    heartbeat.delay()
    deadline = time.time() + 10
    while time.time() < deadline and not health._redis().get(health.HEARTBEAT_KEY):
        time.sleep(0.1)
    assert health._redis().get(health.HEARTBEAT_KEY)
