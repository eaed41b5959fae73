"""Waitlist endpoints: add, list, claim an offered slot, remove (releasing a held slot)."""

import datetime

import pytest

from scheduling.models import Appointment
from scheduling.services import appointment_book, appointment_cancel
from scheduling.waitlist import waitlist_offer_freed_time
from tests.factories import PatientFactory
from tests.scheduling.conftest import next_weekday_at

pytestmark = pytest.mark.django_db


def _entry_payload(patient, start):
    return {
        "patient": patient.pk,
        "visit_type": "follow-up",
        "earliest_date": (start.date() - datetime.timedelta(days=1)).isoformat(),
        "latest_date": (start.date() + datetime.timedelta(days=3)).isoformat(),
    }


def _offer(provider, visit_type, start):
    taken = appointment_book(patient=PatientFactory(), provider=provider, visit_type=visit_type, start=start)
    appointment_cancel(appointment=taken, reason="patient request")
    return waitlist_offer_freed_time(appointment_id=taken.pk)


def test_front_desk_adds_lists_and_claims_an_offer(api_for, front_desk_user, working_anesthesiologist, follow_up):
    client = api_for(front_desk_user)
    start = next_weekday_at(9)
    patient = PatientFactory()
    created = client.post("/api/v1/waitlist/", _entry_payload(patient, start), format="json")
    assert created.status_code == 201, created.content
    assert created.json()["status"] == "waiting"
    assert [e["id"] for e in client.get("/api/v1/waitlist/", {"status": "waiting"}).json()["results"]] == [created.json()["id"]]

    entry = _offer(working_anesthesiologist, follow_up, start)
    assert entry.pk == created.json()["id"] and entry.status == "offered"
    claimed = client.post(f"/api/v1/waitlist/{entry.pk}/claim/")
    assert claimed.status_code == 200, claimed.content
    assert claimed.json()["status"] == "booked" and claimed.json()["patient"] == patient.pk
    assert client.post(f"/api/v1/waitlist/{entry.pk}/claim/").status_code == 409


def test_removing_an_offered_entry_releases_the_held_slot(api_for, front_desk_user, working_anesthesiologist, follow_up):
    client = api_for(front_desk_user)
    start = next_weekday_at(10)
    client.post("/api/v1/waitlist/", _entry_payload(PatientFactory(), start), format="json")
    entry = _offer(working_anesthesiologist, follow_up, start)
    held = entry.offered_appointment
    removed = client.post(f"/api/v1/waitlist/{entry.pk}/remove/")
    assert removed.status_code == 200 and removed.json()["status"] == "removed"
    assert Appointment.objects.get(pk=held.pk).status == "cancelled"


def test_bad_waitlist_input_is_400_and_outsider_is_refused(api_for, front_desk_user, outsider_user, follow_up):
    start = next_weekday_at(9)
    bad = _entry_payload(PatientFactory(), start) | {"latest_date": "2000-01-01", "weekdays": [9]}
    response = api_for(front_desk_user).post("/api/v1/waitlist/", bad, format="json")
    assert response.status_code == 400 and "weekdays" in response.json()
    outsider = api_for(outsider_user)
    assert outsider.post("/api/v1/waitlist/", _entry_payload(PatientFactory(), start), format="json").status_code == 403
    assert outsider.get("/api/v1/waitlist/").json()["results"] == []
