"""Schedule, Slot, Appointment and the IHE ITI operations over HTTP with the REST API's token."""

from __future__ import annotations

import datetime
import json

import pytest

from scheduling.models import Appointment, AppointmentStatus
from tests.fhir.conftest import tomorrow_utc, validate

FHIR = "application/fhir+json"


def post(client, path, body, **extra):
    return client.generic("POST", f"/fhir/R4/{path}", json.dumps(body), content_type=FHIR, **extra)


def free_slots(client, **params):
    query = "&".join(f"{k}={v}" for k, v in {"service-type": "pain-consult", "_count": 5, **params}.items())
    response = client.get(f"/fhir/R4/Slot?{query}")
    assert response.status_code == 200, response.content
    validate(response.json())
    return [e["resource"] for e in response.json().get("entry", [])]


def book_body(slot_id: str, patient_id: int) -> dict:
    return {
        "resourceType": "Appointment",
        "status": "booked",
        "slot": [{"reference": f"Slot/{slot_id}"}],
        "participant": [{"actor": {"reference": f"Patient/{patient_id}"}, "status": "accepted"}],
    }


def params(**values) -> dict:
    out = []
    for name, value in values.items():
        name = name.replace("_", "-") if not name.startswith("_") else name
        if isinstance(value, dict):
            out.append({"name": name, "resource": value})
        elif isinstance(value, int):
            out.append({"name": name, "valueInteger": value})
        else:
            out.append({"name": name, "valueString": value})
    return {"resourceType": "Parameters", "parameter": out}


def outcome(response, status: int) -> str:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(FHIR)
    body = response.json()
    validate(body)
    assert body["resourceType"] == "OperationOutcome"
    assert body["issue"][0]["diagnostics"]
    return body["issue"][0]["diagnostics"]


def test_slot_ids_name_schedule_visit_type_and_utc_start(clinic):
    slots = free_slots(clinic.desk, start=f"ge{tomorrow_utc():%Y-%m-%d}")
    first = slots[0]
    assert first["status"] == "free"
    assert first["schedule"]["reference"] == f"Schedule/provider-{clinic.provider.pk}"
    start = datetime.datetime.fromisoformat(first["start"]).astimezone(datetime.UTC)
    assert first["id"] == f"provider-{clinic.provider.pk}.pain-consult.{start:%Y%m%dT%H%MZ}"
    # A read re-derives the slot from its id.
    read = clinic.desk.get(f"/fhir/R4/Slot/{first['id']}")
    assert read.status_code == 200
    assert read.json() == first


def test_slot_search_by_room_schedule_and_window(clinic):
    day = tomorrow_utc() + datetime.timedelta(days=1)
    slots = free_slots(
        clinic.desk,
        schedule=f"Schedule/room-{clinic.suite.pk}",
        **{"service-type": "nerve-block", "start": f"ge{day:%Y-%m-%d}", "status": "free"},
    )
    assert slots and all(s["schedule"]["reference"] == f"Schedule/room-{clinic.suite.pk}" for s in slots)
    busy = clinic.desk.get(f"/fhir/R4/Slot?schedule=Schedule/room-{clinic.suite.pk}&status=busy")
    assert busy.json()["total"] == 0
    # lt bounds the window: nothing starts at or after it
    bounded = free_slots(clinic.desk, start=[f"ge{day:%Y-%m-%d}"][0] + f"&start=lt{day:%Y-%m-%d}T14:00:00Z", _count=100)
    assert bounded and all(datetime.datetime.fromisoformat(s["start"]) < day.replace(hour=14) for s in bounded)


def test_schedules_are_computed_per_provider_and_room(clinic):
    response = clinic.desk.get(
        f"/fhir/R4/Schedule?actor=Practitioner/{clinic.provider.pk}&active=true&service-type=pain-consult&date={tomorrow_utc():%Y-%m-%d}"
    )
    body = response.json()
    validate(body)
    assert [e["resource"]["id"] for e in body["entry"]] == [f"provider-{clinic.provider.pk}"]
    rooms = clinic.desk.get(f"/fhir/R4/Schedule?actor=Location/room-{clinic.suite.pk}&service-type=nerve-block").json()
    assert [e["resource"]["id"] for e in rooms["entry"]] == [f"room-{clinic.suite.pk}"]
    assert clinic.desk.get("/fhir/R4/Schedule?date=2199-01-01").json()["total"] == 0
    assert (
        clinic.desk.get(f"/fhir/R4/Schedule/room-{clinic.consult_room.pk}").json()["actor"][0]["reference"]
        == f"Location/room-{clinic.consult_room.pk}"
    )


def test_find_proposes_appointments_with_room_and_equipment_then_hold_and_book(clinic):
    day = tomorrow_utc() + datetime.timedelta(days=2)
    found = post(
        clinic.desk,
        "Appointment/$find",
        params(
            start=f"{day:%Y-%m-%d}",
            end=f"{day + datetime.timedelta(days=1):%Y-%m-%d}",
            specialty="interventional-pain",
            **{"appointment-type": "nerve-block"},
            practitioner=f"Practitioner/{clinic.provider.pk}",
            location=f"Location/site-{clinic.location.pk}",
            patient=f"Patient/{clinic.patient.pk}",
            _count=3,
        ),
    )
    assert found.status_code == 200, found.content
    bundle = found.json()
    validate(bundle)
    proposed = [e["resource"] for e in bundle["entry"]]
    assert len(proposed) == 3 and all(p["status"] == "proposed" for p in proposed)
    actors = [p["actor"]["reference"] for p in proposed[0]["participant"]]
    assert f"Location/room-{clinic.suite.pk}" in actors  # the server chose the fluoroscopy suite
    assert f"Device/{clinic.fluoroscopy.pk}" in actors
    assert f"Patient/{clinic.patient.pk}" in actors

    held = post(clinic.desk, "Appointment/$hold", params(appointment=proposed[0]))
    assert held.status_code == 200, held.content
    validate(held.json())
    appointment = held.json()["entry"][0]["resource"]
    assert appointment["status"] == "pending"
    assert appointment["extension"][0]["url"] == "urn:pain-clinic:fhir:hold-expires"
    stored = Appointment.objects.get(pk=appointment["id"])
    assert stored.status == AppointmentStatus.HELD and stored.hold_expires_at is not None

    booked = post(clinic.desk, "Appointment/$book", params(appointment={**appointment, "status": "booked"}))
    assert booked.status_code == 200, booked.content
    assert booked.json()["entry"][0]["resource"]["status"] == "booked"
    stored.refresh_from_db()
    assert stored.status == AppointmentStatus.BOOKED and stored.booked_by.username == "fhir-desk"

    # $book with an id and another slot moves it (reschedule), with the old one cancelled
    moved = post(clinic.desk, "Appointment/$book", params(appointment={**appointment, "slot": proposed[1]["slot"], "status": "booked"}))
    assert moved.status_code == 200, moved.content
    new = moved.json()["entry"][0]["resource"]
    assert new["id"] != appointment["id"] and new["start"] == proposed[1]["start"]
    stored.refresh_from_db()
    assert stored.status == AppointmentStatus.CANCELLED

    # $book with status cancelled and no reason: 400; with one: cancelled
    outcome(post(clinic.desk, "Appointment/$book", params(appointment={**new, "status": "cancelled"})), 400)
    cancelled = post(
        clinic.desk, "Appointment/$book", params(appointment={**new, "status": "cancelled", "cancelationReason": {"text": "patient asked"}})
    )
    assert cancelled.json()["entry"][0]["resource"]["cancelationReason"]["text"] == "patient asked"


def test_create_into_a_free_slot_then_the_same_slot_again_is_409(clinic):
    slot = free_slots(clinic.desk, start=f"ge{tomorrow_utc():%Y-%m-%d}")[0]
    created = post(clinic.desk, "Appointment", book_body(slot["id"], clinic.patient.pk))
    assert created.status_code == 201, created.content
    validate(created.json())
    assert created["Location"].endswith(f"/fhir/R4/Appointment/{created.json()['id']}")
    assert created.json()["status"] == "booked"
    other = clinic.patient.__class__.objects.create(first_name="Other", last_name="Person", date_of_birth=datetime.date(1980, 1, 1))
    again = post(clinic.desk, "Appointment", book_body(slot["id"], other.pk))
    assert "no longer free" in outcome(again, 409)


def test_exclusion_constraint_arbitrates_when_the_slot_check_passed(clinic, monkeypatch):
    """Two bookings that both saw the slot free: the database refuses the second (409)."""
    slot = free_slots(clinic.desk, start=f"ge{tomorrow_utc():%Y-%m-%d}")[0]
    from fhir import appointments, schedule

    real = schedule.slot_rederive
    seen = real(slot["id"])
    monkeypatch.setattr(appointments, "slot_rederive", lambda *a, **k: seen)
    assert post(clinic.desk, "Appointment", book_body(slot["id"], clinic.patient.pk)).status_code == 201
    other = clinic.patient.__class__.objects.create(first_name="Other", last_name="Person", date_of_birth=datetime.date(1980, 1, 1))
    outcome(post(clinic.desk, "Appointment", book_body(slot["id"], other.pk)), 409)


def test_cancel_by_put_needs_a_reason_and_json_patch_cancels(clinic):
    slots = free_slots(clinic.desk, start=f"ge{tomorrow_utc():%Y-%m-%d}")
    first = post(clinic.desk, "Appointment", book_body(slots[0]["id"], clinic.patient.pk)).json()
    put = clinic.desk.generic("PUT", f"/fhir/R4/Appointment/{first['id']}", json.dumps({**first, "status": "cancelled"}), content_type=FHIR)
    assert "cancelationReason" in outcome(put, 400)
    put = clinic.desk.generic(
        "PUT",
        f"/fhir/R4/Appointment/{first['id']}",
        json.dumps({**first, "status": "cancelled", "cancelationReason": {"text": "clinic closed"}}),
        content_type=FHIR,
    )
    assert put.status_code == 200 and put.json()["status"] == "cancelled"
    assert Appointment.objects.get(pk=first["id"]).cancel_reason == "clinic closed"

    second = post(clinic.desk, "Appointment", book_body(slots[1]["id"], clinic.patient.pk)).json()
    patch = [{"op": "replace", "path": "/status", "value": "cancelled"}]
    response = clinic.desk.generic(
        "PATCH", f"/fhir/R4/Appointment/{second['id']}", json.dumps(patch), content_type="application/json-patch+json"
    )
    outcome(response, 400)
    patch.append({"op": "add", "path": "/cancelationReason", "value": {"text": "patient unwell"}})
    response = clinic.desk.generic(
        "PATCH", f"/fhir/R4/Appointment/{second['id']}", json.dumps(patch), content_type="application/json-patch+json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "cancelled"
    # Other changes are refused with a reason, not ignored
    response = clinic.desk.generic(
        "PUT", f"/fhir/R4/Appointment/{second['id']}", json.dumps({**second, "status": "arrived"}), content_type=FHIR
    )
    outcome(response, 422)


def test_booked_slot_leaves_the_free_list(clinic):
    slots = free_slots(clinic.desk, start=f"ge{tomorrow_utc():%Y-%m-%d}")
    post(clinic.desk, "Appointment", book_body(slots[0]["id"], clinic.patient.pk))
    assert slots[0]["id"] not in [s["id"] for s in free_slots(clinic.desk, start=f"ge{tomorrow_utc():%Y-%m-%d}")]
    assert clinic.desk.get(f"/fhir/R4/Slot/{slots[0]['id']}").status_code == 404


@pytest.fixture
def booked(clinic):
    """Twelve appointments across the next days, booked through FHIR."""
    ids = []
    for day in range(1, 7):
        start = tomorrow_utc() + datetime.timedelta(days=day)
        for slot in free_slots(clinic.desk, start=f"ge{start:%Y-%m-%d}", _count=2):
            ids.append(post(clinic.desk, "Appointment", book_body(slot["id"], clinic.patient.pk)).json()["id"])
    return ids


def test_appointment_search_parameters_includes_and_total(clinic, booked):
    base = f"/fhir/R4/Appointment?patient=Patient/{clinic.patient.pk}&practitioner=Practitioner/{clinic.provider.pk}"
    body = clinic.desk.get(
        f"{base}&location=Location/site-{clinic.location.pk}&status=booked&_count=5&_include=Appointment:patient&_include=Appointment:practitioner&_include=Appointment:location"
    ).json()
    validate(body)
    assert body["total"] == 12
    matches = [e for e in body["entry"] if e["search"]["mode"] == "match"]
    includes = {e["resource"]["resourceType"] for e in body["entry"] if e["search"]["mode"] == "include"}
    assert len(matches) == 5 and includes == {"Patient", "Practitioner", "Location"}
    links = {link["relation"]: link["url"] for link in body["link"]}
    assert set(links) == {"self", "next"}
    page2 = clinic.desk.get(links["next"].replace("http://testserver", "")).json()
    assert {link["relation"] for link in page2["link"]} == {"self", "next", "previous"}
    day = tomorrow_utc() + datetime.timedelta(days=2)
    on_day = clinic.desk.get(f"{base}&date=ge{day:%Y-%m-%d}&date=lt{day + datetime.timedelta(days=1):%Y-%m-%d}").json()
    assert on_day["total"] == 2
    assert clinic.desk.get(f"{base}&location=Location/room-{clinic.consult_room.pk}").json()["total"] == 12
    assert clinic.desk.get(f"{base}&status=cancelled").json()["total"] == 0
    assert clinic.desk.get("/fhir/R4/Appointment?_include=Appointment:actor&_count=1").json()["entry"][1]["search"]["mode"] == "include"


@pytest.mark.parametrize("path", ["Appointment?_include=Appointment:actor", "Slot?service-type=pain-consult", "Patient", "Schedule"])
def test_query_count_does_not_depend_on_page_size(clinic, booked, django_assert_max_num_queries, path):
    counts = []
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    for size in (2, 10):
        with CaptureQueriesContext(connection) as ctx:
            response = clinic.desk.get(f"/fhir/R4/{path}{'&' if '?' in path else '?'}_count={size}")
        assert response.status_code == 200
        counts.append(len(ctx))
    assert counts[0] == counts[1], counts
    with django_assert_max_num_queries(counts[1]):
        clinic.desk.get(f"/fhir/R4/{path}{'&' if '?' in path else '?'}_count=10")


def test_unknown_parameters_are_reported_or_refused_when_strict(clinic):
    lenient = clinic.desk.get("/fhir/R4/Patient?colour=blue").json()
    validate(lenient)
    assert lenient["entry"][-1]["search"]["mode"] == "outcome"
    assert "colour" in lenient["entry"][-1]["resource"]["issue"][0]["diagnostics"]
    assert "colour" in outcome(clinic.desk.get("/fhir/R4/Patient?colour=blue", HTTP_PREFER="handling=strict"), 400)


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("Appointment?date=9999-01-01", 400),
        ("Appointment?date=2026-13-45", 400),
        ("Appointment?date=2026-03-02T09:00", 400),
        ("Appointment?patient=Patient/%00", 400),
        ("Appointment?patient=%C2%B2", 400),
        ("Appointment/%00", 400),
        ("Appointment/abc", 404),
        ("Appointment/99999999999999999999", 404),
        ("Slot/provider-1.nope.20260101T0000Z", 404),
        ("Slot?service-type=pain-consult&start=ge9999-01-01", 400),
        ("Slot?service-type=pain-consult&start=ge2026-01-01&start=lt2027-06-01", 400),
        ("Slot", 400),
        ("Appointment?_count=1000", 400),
        ("Appointment?status=nonsense", 400),
        ("Nonsense", 404),
        ("Appointment?date=ne2026-01-01", 400),
    ],
)
def test_bad_input_is_an_operation_outcome_never_a_500(clinic, path, status):
    outcome(clinic.desk.get(f"/fhir/R4/{path}"), status)


def test_anonymous_gets_401_operation_outcome_and_metadata_is_public(client, db):
    from rest_framework.test import APIClient

    anonymous = APIClient()
    assert outcome(anonymous.get("/fhir/R4/Patient"), 401)
    assert anonymous.get("/fhir/R4/metadata").status_code == 200
    smart = anonymous.get("/.well-known/smart-configuration")
    assert smart.status_code == 200 and smart.json()["capabilities"] == [] and smart.json()["token_endpoint"] is None


def test_an_expired_hold_cannot_be_booked(clinic):
    slot = free_slots(clinic.desk, start=f"ge{tomorrow_utc():%Y-%m-%d}")[0]
    held = post(clinic.desk, "Appointment/$hold", params(appointment=book_body(slot["id"], clinic.patient.pk)))
    appointment = held.json()["entry"][0]["resource"]
    past = datetime.datetime.now(datetime.UTC) - datetime.timedelta(minutes=1)
    Appointment.objects.filter(pk=appointment["id"]).update(hold_expires_at=past)
    assert "expired" in outcome(post(clinic.desk, "Appointment/$book", params(appointment={**appointment, "status": "booked"})), 409)


def test_a_waitlist_offer_is_not_booked_through_hold_book(clinic):
    from scheduling.models import WaitlistEntry

    slot = free_slots(clinic.desk, start=f"ge{tomorrow_utc():%Y-%m-%d}")[0]
    appointment = post(clinic.desk, "Appointment/$hold", params(appointment=book_body(slot["id"], clinic.patient.pk))).json()["entry"][0][
        "resource"
    ]
    today = datetime.date.today()
    WaitlistEntry.objects.create(
        patient=clinic.patient,
        visit_type=clinic.consult,
        earliest_date=today,
        latest_date=today + datetime.timedelta(days=30),
        status=WaitlistEntry.Status.OFFERED,
        offered_appointment_id=appointment["id"],
    )
    assert "waitlist" in outcome(post(clinic.desk, "Appointment/$book", params(appointment={**appointment, "status": "booked"})), 409)
