"""Which database reads go to with DATABASE_REPLICA_URL set (core/replica.py). The replica alias is
the test database's mirror here (a second connection to it); tests/scheduling/test_replica_streaming.py
runs the same code against a real streaming replica."""

from __future__ import annotations

import time

import pytest
from django.core.cache import cache
from django.db import connections, transaction
from django.test import RequestFactory
from django.test.utils import CaptureQueriesContext

from core import replica
from scheduling.models import Appointment
from tests.factories import PatientFactory, UserFactory
from tests.scheduling.test_api_appointments import book_payload

# Transactional: the replica connection sees only what is committed, as a real replica would.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


@pytest.fixture
def replica_on(settings):
    settings.REPLICA_READS = True
    settings.REPLICA_STICKY_SECONDS = 2
    yield settings
    cache.clear()


def queries_on(alias: str, calls) -> list[str]:
    with CaptureQueriesContext(connections[alias]) as captured:
        calls()
    return [q["sql"] for q in captured.captured_queries]


def in_request(method: str, user, inside):
    """Run `inside` within ReplicaReadsMiddleware for a request of `user`; return its result."""
    request = getattr(RequestFactory(), method.lower())("/api/v1/appointments/")
    request.user = user
    result = {}

    def view(request):
        result["value"] = inside()
        return None

    replica.ReplicaReadsMiddleware(view)(request)
    return result["value"]


def test_a_staff_list_request_reads_the_replica_and_a_booking_then_reads_the_primary(
    replica_on, api_for, front_desk_user, working_anesthesiologist, follow_up
):
    from tests.scheduling.conftest import next_weekday_at

    client = api_for(front_desk_user)
    patient = PatientFactory()
    on_replica = queries_on("replica", lambda: client.get("/api/v1/appointments/"))
    assert any('FROM "scheduling_appointment"' in sql for sql in on_replica)

    # Booking is a POST: every read and write on the primary, none on the replica.
    def book():
        response = client.post("/api/v1/appointments/", book_payload(patient, working_anesthesiologist, next_weekday_at(9)), format="json")
        assert response.status_code == 201, response.content

    assert queries_on("replica", book) == []

    # The same user's next reads go to the primary for REPLICA_STICKY_SECONDS, then the replica.
    on_replica = queries_on("replica", lambda: client.get("/api/v1/appointments/"))
    assert on_replica == []
    time.sleep(replica_on.REPLICA_STICKY_SECONDS + 0.1)
    assert queries_on("replica", lambda: client.get("/api/v1/appointments/")) != []


def test_another_user_is_not_held_to_the_primary_by_someone_elses_write(replica_on, front_desk_user):
    other = UserFactory(username="other-desk")
    replica.note_write(front_desk_user.pk)
    assert in_request("GET", front_desk_user, replica.read_alias) == "default"
    assert in_request("GET", other, replica.read_alias) == "replica"


def test_unsafe_requests_anonymous_requests_and_code_outside_requests_read_the_primary(replica_on, front_desk_user):
    from django.contrib.auth.models import AnonymousUser

    assert replica.read_alias() == "default"  # a Celery task, a management command
    assert in_request("POST", front_desk_user, replica.read_alias) == "default"
    assert in_request("GET", AnonymousUser(), replica.read_alias) == "default"
    assert in_request("GET", front_desk_user, replica.read_alias) == "default"  # sticky after the POST above
    cache.clear()
    assert in_request("GET", front_desk_user, replica.read_alias) == "replica"


def test_inside_a_safe_request_a_write_a_transaction_or_using_primary_reads_the_primary(replica_on, front_desk_user, location):
    def inside():
        seen = [replica.read_alias()]
        with replica.using_primary():
            seen.append(replica.read_alias())
        with transaction.atomic():
            seen.append(replica.read_alias())
        seen.append(replica.read_alias())
        PatientFactory()  # a write: the rest of the request reads what it wrote
        seen.append(replica.read_alias())
        return seen

    assert in_request("GET", front_desk_user, inside) == ["replica", "default", "default", "replica", "default"]

    def locking():
        # A row lock is a write's first step: on the primary, and so is the rest of the request.
        return [Appointment.objects.select_for_update().filter(pk=0).db, replica.read_alias()]

    assert in_request("GET", front_desk_user, locking) == ["default", "default"]


def test_without_a_replica_configured_everything_reads_the_primary(settings, front_desk_user):
    settings.REPLICA_READS = False
    assert in_request("GET", front_desk_user, replica.read_alias) == "default"


def test_migrations_run_on_the_primary_only():
    router = replica.ReplicaRouter()
    assert router.allow_migrate("default", "scheduling") and not router.allow_migrate("replica", "scheduling")
