"""The reports API: who may ask, what a bad query gets, and the contract's shape."""

from __future__ import annotations

import pytest

from tests.factories import DisciplineFactory, LocationFactory, ProviderFactory

pytestmark = pytest.mark.django_db

OPERATIONS = "/api/v1/reports/operations/"
OUTCOMES = "/api/v1/reports/outcomes/"
RANGE = {"start": "2026-03-02", "end": "2026-03-08"}


@pytest.fixture
def provider_user(db):
    return ProviderFactory(discipline=DisciplineFactory(code="interventional-pain")).user


def test_front_desk_gets_operations_but_not_outcomes(api_for, front_desk_user):
    client = api_for(front_desk_user)
    response = client.get(OPERATIONS, RANGE)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= {
        "appointments",
        "no_show_rate",
        "late_cancel_rate",
        "utilisation",
        "waitlist",
        "reminders",
        "tasks",
        "third_next_available_days",
    }
    assert set(body["utilisation"]) == {"providers", "rooms"}
    assert set(body["waitlist"]) == {"offers", "accepted", "freed_minutes", "refilled_minutes", "refill_rate"}
    assert set(body["reminders"]) == {"sent", "delivered", "confirmed", "opted_out"}
    assert set(body["tasks"]) == {"open", "overdue_rate", "escalations", "median_hours_to_complete"}
    assert client.get(OUTCOMES, RANGE).status_code == 403


def test_clinic_admin_gets_both(api_for, clinic_admin_user):
    client = api_for(clinic_admin_user)
    assert client.get(OPERATIONS, RANGE).status_code == 200
    response = client.get(OUTCOMES, {**RANGE, "procedure": "esi", "instrument": "peg"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) >= {"treated", "with_baseline", "followup"}
    assert list(body["followup"]) == ["2w", "6w", "3m", "6m"]
    assert set(body["followup"]["6w"]) >= {"answered", "improved", "worse", "median_change"}
    assert body["treated"] == "<5"  # nobody treated: under 5, suppressed for the clinic admin


def test_provider_gets_outcomes_unsuppressed_and_no_operations(api_for, provider_user):
    client = api_for(provider_user)
    response = client.get(OUTCOMES, RANGE)
    assert response.status_code == 200 and response.json()["treated"] == 0
    assert client.get(OPERATIONS, RANGE).status_code == 403


def test_outsider_and_anonymous_are_refused(api_for, outsider_user):
    from rest_framework.test import APIClient

    assert api_for(outsider_user).get(OPERATIONS, RANGE).status_code == 403
    assert APIClient().get(OUTCOMES, RANGE).status_code == 401


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"end": "2026-03-08"}, "start"),
        ({"start": "2026-03-09", "end": "2026-03-08"}, "end"),
        ({"start": "2026-02-30", "end": "2026-03-08"}, "start"),
        ({"start": "2024-01-01", "end": "2026-03-08"}, "end"),
        ({**RANGE, "location": "999999"}, "location"),
        ({**RANGE, "location": "abc"}, "location"),
        ({**RANGE, "discipline": "astrology"}, "discipline"),
    ],
)
def test_bad_parameters_get_400_with_the_field_named(api_for, clinic_admin_user, params, field):
    LocationFactory()
    for url in (OPERATIONS, OUTCOMES):
        response = api_for(clinic_admin_user).get(url, params)
        assert response.status_code == 400, response.content
        assert field in response.json(), response.json()


@pytest.mark.parametrize(("params", "field"), [({"instrument": "vas"}, "instrument"), ({"procedure": "tonsillectomy"}, "procedure")])
def test_bad_outcome_parameters_get_400(api_for, clinic_admin_user, params, field):
    response = api_for(clinic_admin_user).get(OUTCOMES, {**RANGE, **params})
    assert response.status_code == 400 and field in response.json()


def test_front_desk_is_refused_outcomes_before_its_query_is_read(api_for, front_desk_user):
    assert api_for(front_desk_user).get(OUTCOMES, {"start": "nonsense"}).status_code == 403


def test_schema_documents_both_reports_with_error_responses(api_for, clinic_admin_user):
    from drf_spectacular.generators import SchemaGenerator

    schema = SchemaGenerator().get_schema(request=None, public=True)
    for path in (OPERATIONS, OUTCOMES):
        responses = schema["paths"][path]["get"]["responses"]
        assert {"200", "400", "403"} <= set(responses)
    parameters = {p["name"] for p in schema["paths"][OUTCOMES]["get"]["parameters"]}
    assert {"start", "end", "location", "procedure", "instrument"} <= parameters
