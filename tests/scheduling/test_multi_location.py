"""A health system: visit types offered at chosen locations, and a provider's travel time between
locations kept free on both sides of a visit, through the service, the API and the admin, and
under concurrent bookings from separate connections."""

import datetime
import threading

import pytest
from django.db import connection
from django.test import override_settings
from django.urls import reverse

from clinic.models import RoomKind, TravelTime
from core.errors import SlotTaken, ValidationFailed
from scheduling.models import Appointment
from scheduling.services import appointment_book, appointment_cancel, appointment_reschedule
from tests.factories import AvailabilityTemplateFactory, LocationFactory, PatientFactory, RoomFactory, VisitTypeFactory, sign_in
from tests.scheduling.conftest import FIXED_MONDAY, FIXED_NOW, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def north(db):
    return LocationFactory(name="Northgate")


@pytest.fixture
def south(db):
    return LocationFactory(name="Southbay")


@pytest.fixture
def travelling(anesthesiologist, north, south):
    """Mondays: 08:00-12:00 at Northgate, 12:00-17:00 at Southbay; two consult rooms at each."""
    anesthesiologist.home_location = north
    anesthesiologist.save()
    for where, start, end in ((north, 8, 12), (south, 12, 17)):
        AvailabilityTemplateFactory(
            provider=anesthesiologist,
            location=where,
            weekday=FIXED_MONDAY.weekday(),
            start_time=datetime.time(start),
            end_time=datetime.time(end),
        )
        for i in range(2):
            RoomFactory(location=where, kind=RoomKind.CONSULT, name=f"{where.name} consult {i}")
    return anesthesiologist


@pytest.fixture
def visit(anesthesiologist):
    return VisitTypeFactory(code="follow-up", discipline=anesthesiologist.discipline, duration_minutes=30)


def book(provider, visit_type, start, **kwargs):
    return appointment_book(patient=PatientFactory(), provider=provider, visit_type=visit_type, start=start, now=FIXED_NOW, **kwargs)


# --- visit types offered at chosen locations ----------------------------------------------------


def test_a_visit_type_not_offered_at_the_location_is_refused_naming_it(travelling, visit, north):
    visit.locations.set([north])
    with pytest.raises(ValidationFailed) as error:
        book(travelling, visit, local(13))  # Southbay in the afternoon
    assert "not offered at Southbay" in error.value.message
    assert "Southbay" in error.value.field_errors["visit_type"][0]
    assert not Appointment.objects.exists()


def test_a_visit_type_offered_at_the_location_books_there(travelling, visit, north, south):
    visit.locations.set([north])
    assert book(travelling, visit, local(9)).location == north
    visit.locations.set([north, south])
    assert book(travelling, visit, local(13)).location == south


def test_a_visit_type_without_locations_is_offered_everywhere(travelling, visit, north, south):
    assert [book(travelling, visit, local(h)).location for h in (9, 14)] == [north, south]


# --- travel time ------------------------------------------------------------------------------


def test_a_visit_after_one_elsewhere_needs_the_travel_time(travelling, visit, north, south):
    TravelTime.objects.create(origin=north, destination=south, minutes=45)
    book(travelling, visit, local(11))  # Northgate until 11:30
    with pytest.raises(SlotTaken) as error:
        book(travelling, visit, local(12))  # Southbay at 12:00: 30 minutes later, 45 needed
    assert str(error.value) == f"{travelling.display_name} needs 45 minutes to travel from Northgate to Southbay."
    assert error.value.extra["taken"] == "provider"
    assert book(travelling, visit, local(12, 15)).location == south  # exactly 45 minutes later


def test_a_visit_before_one_elsewhere_needs_the_travel_time(travelling, visit, north, south):
    TravelTime.objects.create(origin=north, destination=south, minutes=45)
    book(travelling, visit, local(12, 30))  # Southbay from 12:30
    with pytest.raises(SlotTaken, match="needs 45 minutes to travel from Northgate to Southbay"):
        book(travelling, visit, local(11, 30))  # Northgate until 12:00: 30 minutes before
    assert book(travelling, visit, local(11, 15)).location == north  # ends 11:45: 45 minutes before


def test_each_direction_uses_its_own_row_and_the_reverse_row_otherwise(travelling, visit, north, south):
    TravelTime.objects.create(origin=south, destination=north, minutes=50)
    # No Northgate → Southbay row: the Southbay → Northgate one serves both directions.
    book(travelling, visit, local(11))
    with pytest.raises(SlotTaken, match="needs 50 minutes to travel from Northgate to Southbay"):
        book(travelling, visit, local(12, 15))
    TravelTime.objects.create(origin=north, destination=south, minutes=20)
    assert book(travelling, visit, local(12)).location == south


@override_settings(TRAVEL_DEFAULT_MINUTES=60)
def test_a_pair_without_a_row_takes_the_default(travelling, visit):
    book(travelling, visit, local(11))
    with pytest.raises(SlotTaken, match="needs 60 minutes to travel from Northgate to Southbay"):
        book(travelling, visit, local(12))
    book(travelling, visit, local(12, 30))


def test_back_to_back_at_one_location_needs_no_travel_time(travelling, visit, north):
    TravelTime.objects.create(origin=north, destination=LocationFactory(name="Westfield"), minutes=90)
    first, second, third = (book(travelling, visit, local(h, m)) for h, m in ((10, 0), (10, 30), (11, 0)))
    assert first.end == second.start and second.end == third.start


def test_a_cancelled_visit_elsewhere_needs_no_travel_time(travelling, visit):
    morning = book(travelling, visit, local(11, 30))
    appointment_cancel(appointment=morning, reason="patient unwell", now=FIXED_NOW)
    assert book(travelling, visit, local(12)).start == local(12)


def test_a_held_visit_elsewhere_keeps_the_travel_time(travelling, visit):
    book(travelling, visit, local(11, 30), hold_minutes=60 * 24 * 30)
    with pytest.raises(SlotTaken, match="travel"):
        book(travelling, visit, local(12))


def test_moving_a_visit_next_to_one_elsewhere_is_refused_and_changes_nothing(travelling, visit, front_desk_user):
    book(travelling, visit, local(11, 30))
    afternoon = book(travelling, visit, local(15))
    with pytest.raises(SlotTaken, match="travel from Northgate to Southbay"):
        appointment_reschedule(appointment=afternoon, start=local(12), by=front_desk_user, now=FIXED_NOW)
    afternoon.refresh_from_db()
    assert afternoon.status == "booked" and afternoon.start == local(15)


def test_the_api_answers_409_for_travel_and_400_for_a_location_without_the_visit(
    api_for, front_desk_user, travelling, visit, north, time_machine
):
    time_machine.move_to(FIXED_NOW, tick=False)
    client = api_for(front_desk_user)

    def post(start):
        payload = {"patient": PatientFactory().pk, "provider": travelling.pk, "visit_type": "follow-up", "start": start.isoformat()}
        return client.post("/api/v1/appointments/", payload, format="json")

    assert post(local(11, 30)).status_code == 201
    response = post(local(12))
    assert response.status_code == 409
    assert "needs 30 minutes to travel from Northgate to Southbay" in response.json()["detail"]
    visit.locations.set([north])
    response = post(local(14))
    assert response.status_code == 400
    assert "Southbay" in response.json()["visit_type"][0]


def test_the_admin_says_why_a_slot_needs_travel_time(client, front_desk_user, travelling, visit, time_machine):
    time_machine.move_to(FIXED_NOW, tick=False)
    book(travelling, visit, local(11, 30))
    sign_in(client, front_desk_user)
    patient = PatientFactory()
    response = client.post(
        reverse("admin:scheduling_find_and_book"),
        {"action": "book", "patient": patient.pk, "provider": travelling.pk, "visit_type": visit.pk, "start": local(12).isoformat()},
        follow=True,
    )
    assert response.status_code == 200
    assert "needs 30 minutes to travel from Northgate to Southbay" in response.content.decode()
    assert not Appointment.objects.filter(patient=patient).exists()


# --- concurrency --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_concurrent_bookings_at_two_locations_within_travel_time_cannot_both_succeed(travelling, visit, monkeypatch):
    """Each booking, once its travel check has passed, waits up to two seconds for the other to
    pass its own check too before committing. Without the per-provider lock both checks pass
    against snapshots without the other and both commit; with it the second booking waits for
    the first to commit, then sees it and is refused."""
    import scheduling.services.appointments as appointments

    both_checked = threading.Barrier(2, timeout=2)
    real_check = appointments.travel_buffer_check

    def check_then_linger(**kwargs):
        real_check(**kwargs)
        try:
            both_checked.wait()  # passes at once only if the other booking got past its check too
        except threading.BrokenBarrierError:
            pass

    monkeypatch.setattr(appointments, "travel_buffer_check", check_then_linger)
    barrier = threading.Barrier(2)
    outcomes: dict[str, str] = {}

    def attempt(name, start):
        try:
            barrier.wait()
            book(travelling, visit, start)
            outcomes[name] = "won"
        except SlotTaken as error:
            outcomes[name] = str(error)
        finally:
            connection.close()

    threads = [
        threading.Thread(target=attempt, args=("north", local(11, 30))),
        threading.Thread(target=attempt, args=("south", local(12, 10))),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert list(outcomes.values()).count("won") == 1, outcomes
    refusal = next(outcome for outcome in outcomes.values() if outcome != "won")
    assert "needs 30 minutes to travel from Northgate to Southbay" in refusal
    assert Appointment.objects.filter(provider=travelling, status="booked").count() == 1


# --- the day sheet ------------------------------------------------------------------------------


def test_the_day_sheet_shows_each_visit_under_its_own_location(client, front_desk_user, travelling, visit, north, south):
    from clinic.models import Patient

    book(travelling, visit, local(9))
    book(travelling, visit, local(14))
    Patient.objects.filter(appointments__location=north).update(last_name="Quillfeather")
    Patient.objects.filter(appointments__location=south).update(last_name="Marrowbridge")
    sign_in(client, front_desk_user)
    pages = {
        where.name: client.get(reverse("admin:scheduling_day_sheet"), {"location": where.pk, "date": FIXED_MONDAY.isoformat()})
        for where in (north, south)
    }
    for name, response in pages.items():
        assert response.status_code == 200
        columns = response.context["columns"]
        assert [c["title"] for c in columns] == [travelling.display_name]  # the provider works at both
        shown = [b.appointment for b in columns[0]["blocks"] if b.appointment is not None]
        assert [a.location.name for a in shown] == [name]
        free = [b for b in columns[0]["blocks"] if b.free]
        assert free and all(b.top >= 0 for b in free)
    assert "Quillfeather" in pages["Northgate"].content.decode() and "Marrowbridge" not in pages["Northgate"].content.decode()
    assert "Marrowbridge" in pages["Southbay"].content.decode() and "Quillfeather" not in pages["Southbay"].content.decode()
