"""GET /api/v1/audit-events/: the clinic admin reads the trail, filtered by patient, user,
action and time; everyone else is refused (issue 9)."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from core.audit import audit_record
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/audit-events/"
FIELDS = {"id", "at", "user", "action", "object_type", "object_id", "patients", "ip", "user_agent", "reason", "request_id"}


@pytest.fixture
def trail(anesthesiologist, front_desk_user):
    first, second = PatientFactory(), PatientFactory()
    now = timezone.now()
    return {
        "list": audit_record(user=front_desk_user, action="view", patient_ids=[first.pk, second.pk], now=now - datetime.timedelta(days=3)),
        "glass": audit_record(
            user=anesthesiologist.user, action="break-glass", obj=second, patient_ids=[second.pk], reason="crash", now=now
        ),
        "first": first,
        "second": second,
    }


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [row["id"] for row in response.json()["results"]]


def test_the_clinic_admin_reads_every_row_with_the_contract_fields(clinic_admin_user, api_for, trail):
    body = api_for(clinic_admin_user).get(URL).json()
    assert [row["id"] for row in body["results"]] == [trail["glass"].pk, trail["list"].pk]
    row = body["results"][0]
    assert set(row) == FIELDS
    assert (row["action"], row["object_type"], row["patients"], row["reason"]) == (
        "break-glass",
        "clinic.patient",
        [trail["second"].pk],
        "crash",
    )


def test_filters_match_rows_naming_several_patients_and_combine(clinic_admin_user, anesthesiologist, front_desk_user, api_for, trail):
    client = api_for(clinic_admin_user)
    assert ids(client.get(URL, {"patient": trail["first"].pk})) == [trail["list"].pk]
    assert ids(client.get(URL, {"patient": trail["second"].pk})) == [trail["glass"].pk, trail["list"].pk]
    assert ids(client.get(URL, {"user": anesthesiologist.user.pk})) == [trail["glass"].pk]
    assert ids(client.get(URL, {"action": "break-glass"})) == [trail["glass"].pk]
    yesterday = timezone.now() - datetime.timedelta(days=1)
    assert ids(client.get(URL, {"since": yesterday.isoformat()})) == [trail["glass"].pk]
    assert ids(client.get(URL, {"until": yesterday.isoformat()})) == [trail["list"].pk]
    assert ids(client.get(URL, {"since": (timezone.localdate() - datetime.timedelta(days=3)).isoformat(), "user": front_desk_user.pk})) == [
        trail["list"].pk
    ]
    assert ids(client.get(URL, {"patient": trail["first"].pk, "action": "break-glass"})) == []


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"since": "last tuesday"}, "since"),
        ({"until": "2026-02-30"}, "until"),
        ({"action": "peek"}, "action"),
        ({"patient": "abc"}, "patient"),
        ({"user": "-1"}, "user"),
        ({"since": "2026-11-20", "until": "2026-11-10"}, "until"),
    ],
)
def test_bad_filters_are_400_with_field_messages(clinic_admin_user, api_for, query, field):
    response = api_for(clinic_admin_user).get(URL, query)
    assert response.status_code == 400 and field in response.json()


@pytest.mark.parametrize("persona", ["front_desk_user", "coordinator_user", "outsider_user"])
def test_other_staff_are_refused(request, api_for, persona, trail):
    assert api_for(request.getfixturevalue(persona)).get(URL).status_code == 403


def test_providers_are_refused_and_anonymous_must_sign_in(anesthesiologist, api_for, client, trail):
    assert api_for(anesthesiologist.user).get(URL).status_code == 403
    assert client.get(URL).status_code == 401


def test_a_superuser_reads_the_trail(django_user_model, api_for, trail):
    root = django_user_model.objects.create_superuser("root", "root@clinic.example", "pass-word-123")
    assert ids(api_for(root).get(URL, {"action": "break-glass"})) == [trail["glass"].pk]


def test_the_page_costs_the_same_few_queries_whatever_its_size(clinic_admin_user, api_for, django_assert_max_num_queries):
    patient = PatientFactory()
    for _ in range(60):
        audit_record(user=clinic_admin_user, action="view", patient_ids=[patient.pk])
    with django_assert_max_num_queries(4):
        assert len(ids(api_for(clinic_admin_user).get(URL, {"patient": patient.pk}))) == 50
