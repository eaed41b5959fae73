"""The REST schema tells the truth: Schemathesis generates requests from the OpenAPI document
(/api/schema/, built here by the same generator) and every answer must be a declared status
with a body that matches the declared schema, and never a 500 (its not_a_server_error,
status_code_conformance and response_schema_conformance checks).

Requests go into the WSGI application inside the test's transaction, as front desk and as a care
coordinator, on the persona walk's seeded clinic, so half the generated ids in paths and bodies
are rows that exist (not only 404s). Derandomized (a fixed seed: the same requests every run)
and bounded: EXAMPLES_PER_OPERATION examples per operation, positive and negative, shared by the
two personas; no shrinking, and every operation's first failure is reported together. Budget:
90 s of the suite (README, "API schema"); it prints what it took.
"""

from __future__ import annotations

import time

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from drf_spectacular.generators import SchemaGenerator
from hypothesis import HealthCheck, Phase, given, seed, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.generation import GenerationMode
from schemathesis.specs.openapi.checks import response_schema_conformance, status_code_conformance

from careplans.models import Task
from clinic.models import Patient, Provider, Room
from config.wsgi import application
from core import tokens
from scheduling.models import Appointment, VisitType, WaitlistEntry
from tests.persona_walk import registry
from tests.persona_walk.conftest import build_world

pytestmark = pytest.mark.django_db(transaction=False)

EXAMPLES_PER_OPERATION = 20  # split between the two personas
PERSONAS = (registry.FRONT_DESK, registry.OTHER_COORDINATOR)
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance]
# Operations whose side effects would end the run rather than test the API: logging out revokes
# the persona's own token (it is fuzzed, but after every other operation).
LAST = ("/api/v1/auth/logout/", "/api/v1/auth/logoutall/")


def _schema():
    document = SchemaGenerator().get_schema(request=None, public=True)
    schema = schemathesis.openapi.from_dict(document)
    schema.app = application
    return schema


def _real_values():
    """Ids (and codes) that exist in the seeded clinic, so generated requests reach real rows."""
    return {
        "patient": list(Patient.objects.order_by("pk").values_list("pk", flat=True)[:8]),
        "provider": list(Provider.objects.order_by("pk").values_list("pk", flat=True)[:6]),
        "room": list(Room.objects.order_by("pk").values_list("pk", flat=True)[:4]),
        "visit_type": list(VisitType.objects.filter(active=True).order_by("pk").values_list("code", flat=True)[:6]),
        "appointment": list(Appointment.objects.order_by("-start").values_list("pk", flat=True)[:10]),
        "waitlist": list(WaitlistEntry.objects.order_by("pk").values_list("pk", flat=True)[:6]),
        "task": list(Task.objects.order_by("pk").values_list("pk", flat=True)[:6]),
    }


PATH_POOLS = (
    ("/api/v1/appointments/", "appointment"),
    ("/api/v1/waitlist/", "waitlist"),
    ("/api/v1/patients/", "patient"),
    ("/api/v1/tasks/", "task"),
)


def _strategy(operation, real):
    """Schemathesis' positive and negative cases, half of them with path ids and body/query
    references that exist."""
    path_keys = [p.name for p in operation.path_parameters]
    id_pool = next((real[pool] for prefix, pool in PATH_POOLS if operation.path.startswith(prefix)), [])
    plain = st.sampled_from([GenerationMode.POSITIVE, GenerationMode.NEGATIVE]).flatmap(
        lambda mode: operation.as_strategy(generation_mode=mode)
    )
    if path_keys and id_pool:
        with_ids = st.sampled_from(id_pool).flatmap(
            lambda pk: operation.as_strategy(generation_mode=GenerationMode.POSITIVE, path_parameters=dict.fromkeys(path_keys, pk))
        )
        cases = st.one_of(plain, with_ids)
    else:
        cases = plain

    @st.composite
    def real_refs(draw):
        case = draw(cases)
        for container in (case.body, case.query):
            if not isinstance(container, dict):
                continue
            for key, pool in real.items():
                if key in container and pool and draw(st.booleans()):
                    container[key] = draw(st.sampled_from(pool))
        return case

    return real_refs()


def _fuzz(operation, real, headers, failures):
    @seed(20261125)
    @settings(
        max_examples=EXAMPLES_PER_OPERATION // len(PERSONAS),
        derandomize=True,
        database=None,
        deadline=None,
        phases=[Phase.explicit, Phase.generate],  # report the first failure as found, no shrinking
        suppress_health_check=list(HealthCheck),
    )
    @given(case=_strategy(operation, real))
    def run(case):
        case.call_and_validate(headers=headers, checks=CHECKS)

    try:
        run()
    except (Exception, BaseExceptionGroup) as exc:  # noqa: BLE001 - every operation's first failure, reported together
        failures.append(f"{operation.label}: {exc}")


@pytest.fixture
def wsgi_calls_keep_the_test_connection():
    """Requests go straight into the WSGI application, inside this test's transaction: the
    end-of-request hook must not close the connection under it (as Django's test client does)."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.usefixtures("wsgi_calls_keep_the_test_connection")
def test_rest_api_answers_as_its_schema_says():
    started = time.monotonic()
    world = build_world()
    real = _real_values()
    schema = _schema()
    operations = sorted((op.ok() for op in schema.get_all_operations()), key=lambda op: (op.path in LAST, op.path, op.method))
    failures: list[str] = []
    for persona in PERSONAS:
        user = world.users[persona]
        _row, token = tokens.api_token_issue(user=user, by=user)
        headers = {"Authorization": f"Token {token}"}
        for operation in operations:
            _fuzz(operation, real, headers, failures)
    assert not failures, "\n\n".join(failures)
    print(f"schema fuzz: {len(operations)} operations x {len(PERSONAS)} personas in {time.monotonic() - started:.0f}s")
