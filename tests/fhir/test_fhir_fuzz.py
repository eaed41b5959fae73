"""Hypothesis against every FHIR route: generated searches, ids, bodies and Parameters. However
odd the input, no 5xx, and every error is an OperationOutcome with diagnostics. Derandomized and
bounded by example counts (80 per test; about 25 s in all on a quiet machine), not by a clock:
speed is measured in benchmarks, not asserted by tests."""

from __future__ import annotations

import json
from urllib.parse import urlencode

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fhir.registry import RESOURCES
from tests.fhir.conftest import validate

FUZZ = settings(
    derandomize=True,
    max_examples=80,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
TYPES = [*RESOURCES, "Nonsense", "appointment"]
NAMES = sorted({p.name for rt in RESOURCES.values() for p in rt.params} | {"_count", "_offset", "_include", "_format", "colour"})
AWKWARD = st.sampled_from(
    [
        "",
        "\x00",
        "²",
        "9999-12-31",
        "ge9999-01-01",
        "lt1900-01-01",
        "2026-02-30",
        "2026-03-08T02:30:00-05:00",
        "2026-03-08T02:30",
        "Patient/1",
        "Patient/",
        "Practitioner/x",
        "Schedule/room-1",
        "Schedule/provider-99999999999999",
        "Location/site-1",
        "free,busy",
        "booked",
        "-1",
        "1e9",
        "99999999999999999999",
        "ne2026-01-01",
        "Appointment:actor",
        "|",
        "a|b|c",
        " ",
        "Ｐatient/１",
    ]
)
VALUES = st.one_of(AWKWARD, st.text(max_size=20))
JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**70), 2**70) | st.floats(allow_nan=False) | st.text(max_size=12) | AWKWARD,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "resourceType",
                    "id",
                    "status",
                    "slot",
                    "participant",
                    "reference",
                    "name",
                    "valueString",
                    "resource",
                    "parameter",
                    "actor",
                    "item",
                    "linkId",
                    "answer",
                    "cancelationReason",
                    "text",
                    "x",
                ]
            ),
            inner,
            max_size=5,
        )
    ),
    max_leaves=12,
)


def _check(response) -> None:
    assert response.status_code < 500, response.content[:500]
    if response.status_code >= 400:
        body = response.json()
        assert body["resourceType"] == "OperationOutcome", body
        assert body["issue"][0]["diagnostics"].strip()
        validate(body)


def test_fuzz_search_and_read(clinic):

    @FUZZ
    @given(
        kind=st.sampled_from(TYPES),
        params=st.lists(st.tuples(st.sampled_from(NAMES), VALUES), max_size=4),
        ident=st.none() | VALUES,
        strict=st.booleans(),
    )
    def run(kind, params, ident, strict):
        headers = {"HTTP_PREFER": "handling=strict"} if strict else {}
        if ident is None:
            response = clinic.desk.get(f"/fhir/R4/{kind}?{urlencode(params)}", **headers)
        else:
            response = clinic.doctor.get(f"/fhir/R4/{kind}/{urlencode({'': ident})[1:] or 'x'}", **headers)
        _check(response)

    run()


def test_fuzz_writes_and_operations(clinic):
    targets = st.sampled_from(
        [
            ("POST", "Appointment"),
            ("POST", "QuestionnaireResponse"),
            ("POST", "Appointment/$find"),
            ("POST", "Appointment/$hold"),
            ("POST", "Appointment/$book"),
            ("POST", "Appointment/$nope"),
            ("PUT", "Appointment/1"),
            ("PATCH", "Appointment/1"),
            ("POST", "Patient"),
            ("PUT", "Patient/1"),
            ("POST", "Slot/x"),
        ]
    )
    bodies = st.one_of(
        JSON,
        st.builds(
            lambda p: {"resourceType": "Parameters", "parameter": p},
            st.lists(
                st.fixed_dictionaries(
                    {
                        "name": st.sampled_from(
                            [
                                "start",
                                "end",
                                "specialty",
                                "appointment-type",
                                "visit-type",
                                "practitioner",
                                "location",
                                "patient",
                                "_count",
                                "appointment",
                            ]
                        ),
                        "valueString": VALUES,
                    }
                ),
                max_size=5,
            ),
        ),
        st.builds(
            lambda s, p: {
                "resourceType": "Appointment",
                "status": s,
                "slot": [{"reference": p}],
                "participant": [{"actor": {"reference": f"Patient/{clinic.patient.pk}"}}],
            },
            st.sampled_from(["booked", "cancelled", "proposed", "x"]),
            VALUES,
        ),
    )

    @FUZZ
    @given(target=targets, body=bodies, client=st.sampled_from(["desk", "doctor"]), raw=st.none() | st.binary(max_size=20))
    def run(target, body, client, raw):
        method, path = target
        content_type = "application/json-patch+json" if method == "PATCH" else "application/fhir+json"
        data = raw if raw is not None else json.dumps(body)
        _check(getattr(clinic, client).generic(method, f"/fhir/R4/{path}", data, content_type=content_type))

    run()
