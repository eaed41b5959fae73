"""Front desk in a real browser: log in, find a slot, book it, see it on the day sheet, cancel it."""

import pytest

from clinic.models import RoomKind
from scheduling.models import Appointment
from tests.browser.conftest import login
from tests.factories import LocationFactory, PatientFactory, ProviderFactory, RoomFactory, UserFactory, VisitTypeFactory, weekly_templates

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_front_desk_finds_books_sees_and_cancels(page, live_server):
    from clinic.roles import FRONT_DESK

    UserFactory(username="desk", role=FRONT_DESK)
    location = LocationFactory()
    RoomFactory(location=location, kind=RoomKind.CONSULT, name="Consult A")
    provider = ProviderFactory(home_location=location, last_name="Marsh")
    weekly_templates(provider, location)
    VisitTypeFactory(code="follow-up", name="Follow-up visit", discipline=provider.discipline, duration_minutes=30)
    PatientFactory(first_name="Rosa", last_name="Delgado")

    login(page, live_server, "desk")
    page.goto(f"{live_server.url}/admin/scheduling/appointment/find-and-book/")
    page.fill("#id_patient_search", "Delgado")
    page.select_option("#id_visit_type", label="Follow-up visit")
    page.click("input[value='Find slots']")  # one match: the patient is chosen at once
    page.wait_for_selector("#slots")
    first_slot_time = page.inner_text("#slots tbody tr:first-child td:first-child")
    page.click("#slots tbody tr:first-child button.book-slot")

    page.wait_for_selector(".messagelist .success")
    assert "Booked Follow-up visit for Rosa Delgado" in page.inner_text(".messagelist")
    block = page.locator(".appt").first
    assert "Delgado" in block.inner_text() and "Booked" in block.inner_text()
    appointment = Appointment.objects.get(patient__last_name="Delgado")
    assert appointment.status == "booked"
    assert first_slot_time.split()[-1] in block.inner_text()  # same local HH:MM as the slot offered

    block.locator("a.cancel-link").click()
    page.fill("#id_reason", "Patient asked to cancel")
    page.click("input[value='Cancel appointment']")
    page.wait_for_selector(".messagelist .success")
    assert page.locator(".appt").count() == 0
    appointment.refresh_from_db()
    assert appointment.status == "cancelled" and appointment.cancel_reason == "Patient asked to cancel"
