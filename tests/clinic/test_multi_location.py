"""A health system's people data: travel times between locations in the admin, visit-type
locations in the catalogue, and a patient's preferred location in the admin, the API and the
service (an unknown or inactive location is refused with a field message, never a 500)."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from clinic.models import TravelTime
from clinic.services import patient_create, patient_update
from core.errors import ValidationFailed
from tests.factories import LocationFactory, PatientFactory, patient_admin_data, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def north(db):
    return LocationFactory(name="Northgate")


@pytest.fixture
def south(db):
    return LocationFactory(name="Southbay")


@pytest.fixture
def closed(db):
    return LocationFactory(name="Eastmoor", active=False)


def _admin(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


# --- travel times -------------------------------------------------------------------------------


def test_clinic_admin_adds_a_travel_time(clinic_admin_user, north, south):
    response = _admin(clinic_admin_user).post(
        reverse("admin:clinic_traveltime_add"), {"origin": north.pk, "destination": south.pk, "minutes": "40"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert TravelTime.objects.get().minutes == 40


def test_a_travel_time_to_the_same_location_is_a_form_error(clinic_admin_user, north):
    response = _admin(clinic_admin_user).post(
        reverse("admin:clinic_traveltime_add"), {"origin": north.pk, "destination": north.pk, "minutes": "10"}
    )
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["destination"] and "other than the origin" in errors["destination"][0]
    assert not TravelTime.objects.exists()


def test_a_second_row_for_one_pair_is_a_form_error_and_the_reverse_pair_is_allowed(clinic_admin_user, north, south):
    TravelTime.objects.create(origin=north, destination=south, minutes=30)
    client = _admin(clinic_admin_user)
    response = client.post(reverse("admin:clinic_traveltime_add"), {"origin": north.pk, "destination": south.pk, "minutes": "45"})
    assert response.status_code == 200
    errors = response.context["adminform"].form.errors
    assert list(errors) == ["destination"] and "already has a travel time" in errors["destination"][0]
    reverse_pair = client.post(reverse("admin:clinic_traveltime_add"), {"origin": south.pk, "destination": north.pk, "minutes": "45"})
    assert reverse_pair.status_code == 302
    assert TravelTime.objects.count() == 2


def test_editing_a_travel_time_keeps_its_own_pair(clinic_admin_user, north, south):
    row = TravelTime.objects.create(origin=north, destination=south, minutes=30)
    response = _admin(clinic_admin_user).post(
        reverse("admin:clinic_traveltime_change", args=[row.pk]), {"origin": north.pk, "destination": south.pk, "minutes": "25"}
    )
    assert response.status_code == 302
    row.refresh_from_db()
    assert row.minutes == 25


def test_the_front_desk_does_not_edit_travel_times(front_desk_user):
    assert _admin(front_desk_user).get(reverse("admin:clinic_traveltime_add")).status_code == 403


def test_the_visit_type_form_offers_locations_side_by_side(clinic_admin_user, north, south):
    page = _admin(clinic_admin_user).get(reverse("admin:scheduling_visittype_add")).content.decode()
    assert 'id="id_locations"' in page and "selectfilter" in page.lower()
    assert "Northgate" in page and "Southbay" in page


# --- preferred location -------------------------------------------------------------------------


def test_the_front_desk_sets_a_preferred_location_in_the_admin(front_desk_user, north, closed):
    patient = PatientFactory()
    client = _admin(front_desk_user)
    url = reverse("admin:clinic_patient_change", args=[patient.pk])
    page = client.get(url).content.decode()
    assert "Northgate" in page and "Eastmoor" not in page  # closed locations are not offered
    response = client.post(url, patient_admin_data(patient, preferred_location=north.pk))
    assert response.status_code == 302, response.content.decode()[:2000]
    patient.refresh_from_db()
    assert patient.preferred_location == north
    refused = client.post(url, patient_admin_data(patient, preferred_location=closed.pk))
    assert refused.status_code == 200 and "preferred_location" in refused.context["adminform"].form.errors
    patient.refresh_from_db()
    assert patient.preferred_location == north


def test_a_patient_whose_location_closed_can_still_be_saved(front_desk_user, closed):
    patient = PatientFactory(preferred_location=closed)
    response = _admin(front_desk_user).post(
        reverse("admin:clinic_patient_change", args=[patient.pk]),
        patient_admin_data(patient, first_name="Renata", preferred_location=closed.pk),
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    patient.refresh_from_db()
    assert patient.first_name == "Renata" and patient.preferred_location == closed


def test_the_service_refuses_an_inactive_preferred_location(front_desk_user, closed, north):
    patient = PatientFactory()
    with pytest.raises(ValidationFailed) as error:
        patient_update(patient=patient, changes={"preferred_location": closed}, by=front_desk_user)
    assert list(error.value.field_errors) == ["preferred_location"]
    with pytest.raises(ValidationFailed):
        patient_create(first_name="Ines", last_name="Quarrington", date_of_birth=datetime.date(1980, 1, 1), preferred_location=closed)
    assert patient_update(patient=patient, changes={"preferred_location": north}, by=front_desk_user).preferred_location == north
    assert patient_update(patient=patient, changes={"preferred_location": None}, by=front_desk_user).preferred_location is None


def test_the_api_reads_and_writes_the_preferred_location(api_for, front_desk_user, north, closed):
    client = api_for(front_desk_user)
    person = {"first_name": "Ines", "last_name": "Quarrington", "date_of_birth": "1970-02-03"}
    created = client.post("/api/v1/patients/", {**person, "preferred_location": north.pk}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["preferred_location"] == north.pk
    detail = client.get(f"/api/v1/patients/{created.json()['id']}/").json()
    assert detail["preferred_location"] == north.pk
    without = client.post("/api/v1/patients/", {**person, "last_name": "Quarringtonne"}, format="json")
    assert without.status_code == 201 and without.json()["preferred_location"] is None
    for bad in (closed.pk, 999_999, "north"):
        response = client.post("/api/v1/patients/", {**person, "preferred_location": bad}, format="json")
        assert response.status_code == 400, (bad, response.content)
        assert "preferred_location" in response.json()
