"""Slot search across locations: restricting to some, visit types offered at chosen ones, the
travel buffer between two places a provider works at on one day, and the preferred-location order."""

import datetime as dt
import zoneinfo

import pytest

from clinic.models import TravelTime
from core.errors import ValidationFailed
from scheduling.models import Appointment
from scheduling.services import appointment_book
from scheduling.slots import SlotSearch, find_slots
from tests.factories import (
    AvailabilityTemplateFactory,
    DisciplineFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    RoomFactory,
    VisitTypeFactory,
)

pytestmark = pytest.mark.django_db

NY = zoneinfo.ZoneInfo("America/New_York")
MONDAY = dt.date(2027, 1, 11)  # EST, far from any DST change
NOW = dt.datetime(2027, 1, 4, 12, 0, tzinfo=dt.UTC)


def at(hour, minute=0):
    return dt.datetime.combine(MONDAY, dt.time(hour, minute), tzinfo=NY)


def block(provider, location, start, end):
    AvailabilityTemplateFactory(provider=provider, location=location, weekday=MONDAY.weekday(), start_time=start, end_time=end)


@pytest.fixture
def two_sites(db):
    """Downtown and Uptown, a consult room each, one visit type of 30 minutes."""
    downtown = LocationFactory(name="Downtown Pain Center")
    uptown = LocationFactory(name="Uptown Pain Center")
    RoomFactory(location=downtown, name="Downtown 1")
    RoomFactory(location=uptown, name="Uptown 1")
    pain = DisciplineFactory(code="interventional-pain")
    visit = VisitTypeFactory(code="follow-up", discipline=pain, duration_minutes=30)
    return {"downtown": downtown, "uptown": uptown, "discipline": pain, "visit": visit}


def search(two_sites, **kwargs):
    return find_slots(visit_type=two_sites["visit"], start=at(0), end=at(23, 59), limit=200, now=NOW, **kwargs)


def test_a_search_restricted_to_one_location_offers_only_that_location(two_sites):
    downtown_doctor = ProviderFactory(discipline=two_sites["discipline"], home_location=two_sites["downtown"])
    uptown_doctor = ProviderFactory(discipline=two_sites["discipline"], home_location=two_sites["uptown"])
    block(downtown_doctor, two_sites["downtown"], dt.time(8), dt.time(10))
    block(uptown_doctor, two_sites["uptown"], dt.time(8), dt.time(10))
    slots = search(two_sites, locations=[two_sites["uptown"].pk])
    assert slots and {(s.location_id, s.provider_id) for s in slots} == {(two_sites["uptown"].pk, uptown_doctor.pk)}


def test_a_search_within_one_location_does_not_load_the_other_locations_rooms_or_providers(two_sites):
    downtown_doctor = ProviderFactory(discipline=two_sites["discipline"], home_location=two_sites["downtown"])
    uptown_doctor = ProviderFactory(discipline=two_sites["discipline"], home_location=two_sites["uptown"])
    block(downtown_doctor, two_sites["downtown"], dt.time(8), dt.time(10))
    block(uptown_doctor, two_sites["uptown"], dt.time(8), dt.time(10))
    loaded = SlotSearch(visit_types=[two_sites["visit"]], start=at(0), end=at(23), now=NOW, location_ids=[two_sites["downtown"].pk])
    assert loaded.providers_by_discipline == {two_sites["discipline"].pk: [downtown_doctor.pk]}
    assert set(loaded.rooms) == {(two_sites["visit"].pk, two_sites["downtown"].pk)}


def test_a_visit_type_offered_at_chosen_locations_uses_no_room_elsewhere(two_sites):
    doctor = ProviderFactory(discipline=two_sites["discipline"], home_location=two_sites["downtown"])
    block(doctor, two_sites["downtown"], dt.time(8), dt.time(10))
    block(doctor, two_sites["uptown"], dt.time(12), dt.time(14))
    two_sites["visit"].locations.set([two_sites["uptown"]])
    slots = search(two_sites)
    assert slots and {s.location_id for s in slots} == {two_sites["uptown"].pk}


@pytest.fixture
def commuter(two_sites):
    """Uptown 06:00-08:00, Downtown 08:00-12:00, Uptown 12:00-16:00; Uptown→Downtown takes 40
    minutes, Downtown→Uptown 20 (a row each way)."""
    doctor = ProviderFactory(discipline=two_sites["discipline"], home_location=two_sites["downtown"])
    block(doctor, two_sites["uptown"], dt.time(6), dt.time(8))
    block(doctor, two_sites["downtown"], dt.time(8), dt.time(12))
    block(doctor, two_sites["uptown"], dt.time(12), dt.time(16))
    TravelTime.objects.create(origin=two_sites["uptown"], destination=two_sites["downtown"], minutes=40)
    TravelTime.objects.create(origin=two_sites["downtown"], destination=two_sites["uptown"], minutes=20)
    return doctor


def uptown_starts(two_sites):
    slots = search(two_sites, locations=[two_sites["uptown"].pk], step_minutes=5)
    return [s.start for s in slots]


def test_a_visit_elsewhere_blocks_the_travel_time_before_it(two_sites, commuter):
    appointment_book(patient=PatientFactory(), provider=commuter, visit_type=two_sites["visit"], start=at(8), now=NOW)
    starts = uptown_starts(two_sites)
    # The 08:00 Downtown visit needs leaving Uptown by 07:20 (40 minutes Uptown→Downtown).
    assert at(6, 50) in starts and at(6, 55) not in starts
    assert max(s for s in starts if s < at(12)) == at(6, 50)


def test_a_visit_elsewhere_blocks_the_travel_time_after_it(two_sites, commuter):
    appointment_book(patient=PatientFactory(), provider=commuter, visit_type=two_sites["visit"], start=at(11, 30), now=NOW)
    starts = uptown_starts(two_sites)
    # The Downtown visit ends at 12:00; Downtown→Uptown takes 20 minutes.
    assert min(s for s in starts if s >= at(12)) == at(12, 20)


def test_a_pair_without_a_travel_row_takes_the_default(two_sites, settings):
    settings.TRAVEL_DEFAULT_MINUTES = 15
    doctor = ProviderFactory(discipline=two_sites["discipline"], home_location=two_sites["downtown"])
    block(doctor, two_sites["downtown"], dt.time(8), dt.time(12))
    block(doctor, two_sites["uptown"], dt.time(12), dt.time(16))
    appointment_book(patient=PatientFactory(), provider=doctor, visit_type=two_sites["visit"], start=at(11, 30), now=NOW)
    assert min(uptown_starts(two_sites)) == at(12, 15)


def test_a_visit_at_the_same_location_needs_no_travel(two_sites, commuter):
    appointment_book(patient=PatientFactory(), provider=commuter, visit_type=two_sites["visit"], start=at(11, 30), now=NOW)
    downtown = search(two_sites, locations=[two_sites["downtown"].pk], step_minutes=5)
    assert at(11) in [s.start for s in downtown] and Appointment.objects.filter(location=two_sites["downtown"]).count() == 1


@pytest.fixture
def preferred_uptown(two_sites):
    early = ProviderFactory(discipline=two_sites["discipline"], home_location=two_sites["downtown"])
    late = ProviderFactory(discipline=two_sites["discipline"], home_location=two_sites["uptown"])
    block(early, two_sites["downtown"], dt.time(8), dt.time(10))
    block(late, two_sites["uptown"], dt.time(14), dt.time(15))
    return PatientFactory(preferred_location=two_sites["uptown"])


def test_preferred_order_puts_the_preferred_location_first_then_the_rest_by_time(two_sites, preferred_uptown):
    slots = search(two_sites, patient=preferred_uptown, order="preferred")
    uptown, downtown = two_sites["uptown"].pk, two_sites["downtown"].pk
    assert [(s.location_id, s.start) for s in slots[:4]] == [
        (uptown, at(14)),
        (uptown, at(14, 30)),
        (downtown, at(8)),
        (downtown, at(8, 30)),
    ]


def test_preferred_order_without_a_preferred_location_is_time_order(two_sites, preferred_uptown):
    preferred_uptown.preferred_location = None
    preferred_uptown.save()
    assert search(two_sites, patient=preferred_uptown, order="preferred") == search(two_sites, patient=preferred_uptown)


def test_an_unknown_order_is_refused_with_a_field_message(two_sites):
    with pytest.raises(ValidationFailed) as refused:
        search(two_sites, order="nearest")
    assert "order" in refused.value.field_errors


# --- GET /api/v1/slots/ ------------------------------------------------------------------------
def slots_query(two_sites, **params):
    return {"visit_type": "follow-up", "start": at(0).isoformat(), "end": at(23).isoformat(), "limit": 50, **params}


def test_the_api_takes_repeated_locations_and_names_each_slots_location(api_for, front_desk_user, two_sites):
    for site in ("downtown", "uptown"):
        doctor = ProviderFactory(discipline=two_sites["discipline"], home_location=two_sites[site])
        block(doctor, two_sites[site], dt.time(8), dt.time(9))
    client = api_for(front_desk_user)
    both = client.get("/api/v1/slots/", slots_query(two_sites, location=[two_sites["downtown"].pk, two_sites["uptown"].pk]))
    one = client.get("/api/v1/slots/", slots_query(two_sites, location=[two_sites["uptown"].pk]))
    assert both.status_code == 200 and one.status_code == 200
    assert {s["location"] for s in both.json()} == {two_sites["downtown"].pk, two_sites["uptown"].pk}
    assert {s["location"] for s in one.json()} == {two_sites["uptown"].pk}
    assert set(one.json()[0]) == {"start", "end", "provider", "room", "location"}


def test_the_api_refuses_an_unknown_location_with_a_field_message(api_for, front_desk_user, two_sites):
    response = api_for(front_desk_user).get("/api/v1/slots/", slots_query(two_sites, location=[10**8]))
    assert response.status_code == 400 and "location" in response.json()


def test_the_api_refuses_an_unknown_order_with_a_field_message(api_for, front_desk_user, two_sites):
    response = api_for(front_desk_user).get("/api/v1/slots/", slots_query(two_sites, order="nearest"))
    assert response.status_code == 400 and "order" in response.json()
