"""The appointment API contract: exact paths and fields, 201/400/403/404/409, never 500."""

import datetime

import pytest
import time_machine

from scheduling.models import Appointment
from tests.factories import PatientFactory, sign_in
from tests.scheduling.conftest import next_weekday_at

pytestmark = pytest.mark.django_db


def book_payload(patient, provider, start, visit_type="follow-up"):
    return {"patient": patient.pk, "provider": provider.pk, "visit_type": visit_type, "start": start.isoformat()}


def test_visit_types_list_has_contract_fields(api_for, front_desk_user, follow_up):
    body = api_for(front_desk_user).get("/api/v1/visit-types/").json()
    assert {"code": "follow-up", "name": follow_up.name, "discipline": "interventional-pain", "duration_minutes": 30}.items() <= body[
        0
    ].items()


def test_providers_filter_by_discipline(api_for, front_desk_user, anesthesiologist, physical_therapist):
    body = api_for(front_desk_user).get("/api/v1/providers/", {"discipline": "physical-therapy"}).json()
    assert [p["id"] for p in body] == [physical_therapist.pk]
    assert set(body[0]) >= {"id", "name", "discipline"}


def test_booking_returns_201_with_contract_fields(api_for, front_desk_user, working_anesthesiologist, follow_up):
    response = api_for(front_desk_user).post(
        "/api/v1/appointments/", book_payload(PatientFactory(), working_anesthesiologist, next_weekday_at(9)), format="json"
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["status"] == "booked" and body["room"] is not None
    assert body["start"].endswith(("-05:00", "-04:00")) and body["end"] > body["start"]


def test_double_booking_is_409_naming_what_is_taken(api_for, front_desk_user, working_anesthesiologist, follow_up):
    client = api_for(front_desk_user)
    start = next_weekday_at(9)
    assert (
        client.post("/api/v1/appointments/", book_payload(PatientFactory(), working_anesthesiologist, start), format="json").status_code
        == 201
    )
    response = client.post("/api/v1/appointments/", book_payload(PatientFactory(), working_anesthesiologist, start), format="json")
    assert response.status_code == 409
    assert "provider" in response.json()["detail"]


@pytest.mark.parametrize(
    "payload,fields",
    [
        ({}, {"patient", "provider", "visit_type", "start"}),
        ({"patient": "x", "provider": 999999, "visit_type": "nope", "start": "tomorrow"}, {"patient", "provider", "visit_type", "start"}),
    ],
)
def test_invalid_input_is_400_with_field_errors(api_for, front_desk_user, payload, fields):
    response = api_for(front_desk_user).post("/api/v1/appointments/", payload, format="json")
    assert response.status_code == 400
    assert fields <= set(response.json())


def test_naive_start_is_400(api_for, front_desk_user, working_anesthesiologist, follow_up):
    payload = book_payload(PatientFactory(), working_anesthesiologist, next_weekday_at(9))
    payload["start"] = payload["start"][:19]
    response = api_for(front_desk_user).post("/api/v1/appointments/", payload, format="json")
    assert response.status_code == 400
    assert "offset" in response.json()["start"][0]


def test_transitions_and_illegal_transition_is_409(api_for, front_desk_user, working_anesthesiologist, follow_up):
    client = api_for(front_desk_user)
    appointment_id = client.post(
        "/api/v1/appointments/", book_payload(PatientFactory(), working_anesthesiologist, next_weekday_at(9)), format="json"
    ).json()["id"]
    assert client.post(f"/api/v1/appointments/{appointment_id}/confirm/").json()["status"] == "confirmed"
    start = Appointment.objects.get(pk=appointment_id).start
    with time_machine.travel(start - datetime.timedelta(minutes=20)):  # check-in opens 120 minutes before the start
        assert client.post(f"/api/v1/appointments/{appointment_id}/check-in/").json()["status"] == "checked-in"
        response = client.post(f"/api/v1/appointments/{appointment_id}/confirm/")
        assert response.status_code == 409
        # A follow-up is not a procedure: the front desk starts it; relief is an outcome, the provider's.
        assert client.post(f"/api/v1/appointments/{appointment_id}/start/").json()["status"] == "in-progress"
        assert client.post(f"/api/v1/appointments/{appointment_id}/complete/", {"relief_percent": 70}, format="json").status_code == 403
        done = api_for(working_anesthesiologist.user).post(
            f"/api/v1/appointments/{appointment_id}/complete/", {"relief_percent": 70}, format="json"
        )
    assert done.status_code == 200 and done.json()["status"] == "completed"
    assert Appointment.objects.get(pk=appointment_id).relief_percent == 70


def test_cancel_requires_reason_and_reschedule_links(api_for, front_desk_user, working_anesthesiologist, follow_up):
    client = api_for(front_desk_user)
    first = client.post(
        "/api/v1/appointments/", book_payload(PatientFactory(), working_anesthesiologist, next_weekday_at(9)), format="json"
    ).json()["id"]
    assert client.post(f"/api/v1/appointments/{first}/cancel/", {}, format="json").status_code == 400
    moved = client.post(f"/api/v1/appointments/{first}/reschedule/", {"start": next_weekday_at(11).isoformat()}, format="json")
    assert moved.status_code == 200, moved.content
    assert moved.json()["rescheduled_from"] == first and moved.json()["status"] == "booked"
    assert client.get(f"/api/v1/appointments/{first}/").json()["status"] == "cancelled"
    second = moved.json()["id"]
    cancelled = client.post(f"/api/v1/appointments/{second}/cancel/", {"reason": "feeling better"}, format="json")
    assert cancelled.json()["status"] == "cancelled"


def test_list_filters_and_query_count_independent_of_page_size(
    api_for, front_desk_user, working_anesthesiologist, follow_up, django_assert_max_num_queries
):
    from datetime import timedelta

    from scheduling.services import appointment_book

    start = next_weekday_at(8)
    for i in range(12):
        appointment_book(
            patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=start + timedelta(minutes=30 * i)
        )
    client = api_for(front_desk_user)
    with django_assert_max_num_queries(10):
        small = client.get("/api/v1/appointments/", {"page_size": 2, "provider": working_anesthesiologist.pk})
    with django_assert_max_num_queries(10):
        big = client.get("/api/v1/appointments/", {"page_size": 100, "provider": working_anesthesiologist.pk, "status": "booked"})
    assert len(small.json()["results"]) == 2 and big.json()["count"] == 12
    window = client.get(
        "/api/v1/appointments/", {"start": (start + timedelta(hours=1)).isoformat(), "end": (start + timedelta(hours=2)).isoformat()}
    ).json()
    assert window["count"] == 2


def test_outsider_is_refused(api_for, outsider_user, working_anesthesiologist, follow_up):
    from scheduling.services import appointment_book

    appointment = appointment_book(
        patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(9)
    )
    client = api_for(outsider_user)
    assert client.get("/api/v1/appointments/").json()["results"] == []
    assert client.get(f"/api/v1/appointments/{appointment.pk}/").status_code == 404
    assert client.post(f"/api/v1/appointments/{appointment.pk}/cancel/", {"reason": "x"}, format="json").status_code == 403
    assert (
        client.post(
            "/api/v1/appointments/", book_payload(PatientFactory(), working_anesthesiologist, next_weekday_at(10)), format="json"
        ).status_code
        == 403
    )
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"


def test_openapi_schema_is_served(api_for, front_desk_user, client):
    schema = api_for(front_desk_user).get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/appointments/{id}/reschedule/" in schema.content
    sign_in(client, front_desk_user)  # the Swagger UI page is for signed-in staff; it loads /api/schema/ with their session
    docs = client.get("/api/docs/")
    start_up = client.get("/api/docs/?script=")  # its start-up script, a file of its own (CSP: no inline script)
    assert docs.status_code == 200 and b'src="/api/docs/?script="' in docs.content
    assert start_up.status_code == 200 and b"/api/schema/" in start_up.content


@pytest.mark.parametrize("start", ["2027-02-30T09:00:00-05:00", "2027-03-01T09:00:00+99:00", "9999-12-31T23:30:00Z", "²"])
def test_impossible_or_far_dates_are_400_not_500(api_for, front_desk_user, working_anesthesiologist, follow_up, start):
    client = api_for(front_desk_user)
    payload = book_payload(PatientFactory(), working_anesthesiologist, next_weekday_at(9)) | {"start": start}
    response = client.post("/api/v1/appointments/", payload, format="json")
    assert response.status_code == 400 and "start" in response.json()
    slots = client.get("/api/v1/slots/", {"visit_type": "²", "start": start, "end": start})
    assert slots.status_code == 400


def test_a_held_waitlist_slot_cannot_be_confirmed_by_staff(api_for, front_desk_user, working_anesthesiologist, follow_up):
    from scheduling.services import appointment_book

    held = appointment_book(
        patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(9), hold_minutes=30
    )
    response = api_for(front_desk_user).post(f"/api/v1/appointments/{held.pk}/confirm/")
    assert response.status_code == 409 and "waitlist" in response.json()["detail"]
    assert Appointment.objects.get(pk=held.pk).status == "held"
