"""Booking tickets through the API: GET /api/v1/tickets/?patient=&status= with the contract's row
keys, staff open, extend and cancel; someone without the patient sees nothing."""

import datetime

import pytest

from scheduling.models import BookingTicket
from scheduling.tickets import ticket_create
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db
KEYS = {"id", "patient", "visit_type", "discipline", "provider", "earliest", "latest", "visits", "booked", "status", "source", "created_at"}


def _days(n):
    return datetime.date.today() + datetime.timedelta(days=n)


def test_front_desk_opens_lists_extends_and_cancels(api_for, front_desk_user, follow_up):
    client = api_for(front_desk_user)
    patient = PatientFactory()
    payload = {"patient": patient.pk, "visit_type": "follow-up", "earliest": _days(7).isoformat(), "latest": _days(21).isoformat()}
    created = client.post("/api/v1/tickets/", payload, format="json")
    assert created.status_code == 201, created.content
    row = created.json()
    assert set(row) == KEYS and row["status"] == "open" and row["source"] == "staff" and row["visits"] == 1 and row["booked"] == 0
    assert row["discipline"] == follow_up.discipline.code and row["provider"] is None

    listed = client.get("/api/v1/tickets/", {"patient": patient.pk, "status": "open"}).json()["results"]
    assert [r["id"] for r in listed] == [row["id"]]
    assert client.get("/api/v1/tickets/", {"patient": patient.pk, "status": "booked"}).json()["results"] == []

    extended = client.post(f"/api/v1/tickets/{row['id']}/extend/", {"latest": _days(35).isoformat()}, format="json")
    assert extended.status_code == 200 and extended.json()["latest"] == _days(35).isoformat()
    assert client.post(f"/api/v1/tickets/{row['id']}/extend/", {"latest": _days(1).isoformat()}, format="json").status_code == 400
    assert client.post(f"/api/v1/tickets/{row['id']}/cancel/", {}, format="json").status_code == 400
    cancelled = client.post(f"/api/v1/tickets/{row['id']}/cancel/", {"reason": "done elsewhere"}, format="json")
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    assert client.post(f"/api/v1/tickets/{row['id']}/cancel/", {"reason": "again"}, format="json").status_code == 409


def test_bad_input_is_400_with_field_messages(api_for, front_desk_user, follow_up):
    client = api_for(front_desk_user)
    patient = PatientFactory()
    response = client.post(
        "/api/v1/tickets/",
        {"patient": patient.pk, "visit_type": "follow-up", "earliest": _days(9).isoformat(), "latest": _days(2).isoformat()},
        format="json",
    )
    assert response.status_code == 400 and "latest" in response.json()
    assert client.post("/api/v1/tickets/", {"patient": patient.pk, "visit_type": "nope"}, format="json").status_code == 400


def test_the_list_is_scoped_and_its_query_count_is_fixed(
    api_for, front_desk_user, physical_therapist, follow_up, django_assert_max_num_queries
):
    for _ in range(12):
        ticket_create(
            patient=PatientFactory(), visit_type=follow_up, earliest=_days(3), latest=_days(10), source=BookingTicket.Source.STAFF
        )
    desk = api_for(front_desk_user)
    with django_assert_max_num_queries(12):
        rows = desk.get("/api/v1/tickets/").json()["results"]
    assert len(rows) == 12
    # A therapist with none of these patients sees none of their tickets and may not open one.
    pt = api_for(physical_therapist.user)
    assert pt.get("/api/v1/tickets/").json()["results"] == []
    assert (
        pt.post(
            "/api/v1/tickets/",
            {"patient": rows[0]["patient"], "visit_type": "follow-up", "earliest": _days(3).isoformat(), "latest": _days(9).isoformat()},
            format="json",
        ).status_code
        == 404
    )
