"""Find-and-book without a mouse: Tab, type, Enter. The patient chosen once is carried (by id,
never by name) to the bundle and series variants."""

import pytest

from clinic.models import RoomKind
from scheduling.models import Appointment
from tests.browser.conftest import login
from tests.factories import LocationFactory, PatientFactory, ProviderFactory, RoomFactory, UserFactory, VisitTypeFactory, weekly_templates

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _tab_to(page, selector: str, limit: int = 60) -> None:
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} is not reachable with Tab")


def _focus_is_visible(page) -> bool:
    return page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement); return s.outlineStyle !== 'none' && parseFloat(s.outlineWidth) >= 2; }"
    )


def test_front_desk_finds_and_books_by_keyboard_and_the_patient_follows_to_the_variants(page, live_server):
    from clinic.roles import FRONT_DESK

    UserFactory(username="desk", role=FRONT_DESK)
    location = LocationFactory()
    RoomFactory(location=location, kind=RoomKind.CONSULT, name="Consult A")
    provider = ProviderFactory(home_location=location, last_name="Marsh")
    weekly_templates(provider, location)
    VisitTypeFactory(code="follow-up", name="Follow-up visit", discipline=provider.discipline, duration_minutes=30)
    patient = PatientFactory(first_name="Rosa", last_name="Delgado")

    login(page, live_server, "desk")
    page.goto(f"{live_server.url}/admin/scheduling/appointment/find-and-book/")
    assert page.evaluate("document.activeElement.id") == "id_patient_search"  # focus starts where the work starts
    page.keyboard.type("Delgado")
    _tab_to(page, "#id_visit_type")
    assert _focus_is_visible(page)
    page.keyboard.type("Follow")  # typing selects the option in a focused select
    assert page.eval_on_selector("#id_visit_type", "e => e.options[e.selectedIndex].text") == "Follow-up visit"
    _tab_to(page, "#id_date_from")
    page.keyboard.press("Enter")  # Enter in a field submits the search
    page.wait_for_selector("#slots")
    assert page.url.endswith("#results")
    assert "Delgado" in page.inner_text("#chosen-patient")

    # The variants carry the patient by id only.
    for link in page.locator(".variant-nav a[href*='patient=']").all():
        href = link.get_attribute("href")
        assert f"patient={patient.pk}" in href and "Delgado" not in href and "Rosa" not in href
    assert page.locator(".variant-nav a[href*='patient=']").count() == 2  # bundle and series (single is this page)

    # After the jump to the results, the next Tab lands on the first slot's Book button.
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.classList.contains('book-slot')")
    assert _focus_is_visible(page)
    first_slot = page.inner_text("#slots tbody tr:first-child td:first-child")
    page.keyboard.press("Enter")
    page.wait_for_selector(".messagelist .success")
    booked = Appointment.objects.get(patient=patient)
    assert booked.status == "booked" and first_slot.split()[-1] in page.inner_text(".appt")

    # Still remembered when the front desk goes on to a series, without choosing again.
    page.goto(f"{live_server.url}/admin/scheduling/appointment/find-and-book/series/")
    assert page.input_value("#id_patient") == str(patient.pk)
    assert "Delgado, Rosa" in page.inner_text(".variant-nav")
    page.goto(f"{live_server.url}/admin/scheduling/appointment/find-and-book/bundle/")
    assert page.input_value("#id_patient") == str(patient.pk)
