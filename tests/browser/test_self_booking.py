"""A completed ESI opens a follow-up booking ticket; the patient books it on a phone from the link
the outbox texts; the front desk sees the visit on the day sheet."""

import datetime
import re
import zoneinfo

import pytest

from careplans.models import Protocol, ProtocolStep
from careplans.services import followup_assemble
from clinic.models import RoomKind
from clinic.roles import FRONT_DESK
from messaging.models import Message, PatientLink
from messaging.services.links import link_token
from scheduling.models import Appointment, BookingTicket
from scheduling.services import appointment_book, appointment_check_in, appointment_complete, appointment_start
from tests.browser.conftest import login
from tests.factories import (
    EquipmentFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    RoomFactory,
    UserFactory,
    VisitTypeFactory,
    weekly_templates,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
NY = zoneinfo.ZoneInfo("America/New_York")


def _completed_esi(patient, provider):
    esi = VisitTypeFactory(
        code="lumbar-esi", name="Lumbar ESI", discipline=provider.discipline, room_kind=RoomKind.PROCEDURE_SUITE,
        is_procedure=True, procedure_family="esi",
    )  # fmt: skip
    start = datetime.datetime.combine(datetime.date.today() - datetime.timedelta(days=1), datetime.time(10, 0), tzinfo=NY)
    minute = datetime.timedelta(minutes=1)
    esi_visit = appointment_book(patient=patient, provider=provider, visit_type=esi, start=start, region="lumbar", now=start - 120 * minute)
    appointment_check_in(appointment=esi_visit, now=start - 5 * minute)
    appointment_start(appointment=esi_visit, now=start)
    done = appointment_complete(appointment=esi_visit, now=start + 30 * minute)
    # What the Celery task does after commit (the broker is not part of this test).
    followup_assemble(appointment_id=done.pk, event="completed", now=start + 30 * minute)
    return done


def test_patient_books_the_esi_follow_up_on_a_phone_and_the_front_desk_sees_it(page, live_server):
    UserFactory(username="desk", role=FRONT_DESK)
    location = LocationFactory()
    RoomFactory(location=location, kind=RoomKind.CONSULT, name="Consult A")
    RoomFactory(location=location, kind=RoomKind.PROCEDURE_SUITE, name="Fluoro 1", equipment=[EquipmentFactory(code="fluoroscopy")])
    provider = ProviderFactory(home_location=location, last_name="Marsh")
    weekly_templates(provider, location, start=datetime.time(7, 0), end=datetime.time(19, 0))
    follow_up = VisitTypeFactory(code="follow-up", name="Follow-up visit", discipline=provider.discipline, self_schedulable=True)
    # The shipped ESI protocol's follow-up step (a transactional test may start from an emptied
    # database or from one where the shipped protocols were migrated in again).
    esi_protocol, _ = Protocol.objects.update_or_create(
        code="esi", defaults={"name": "Epidural steroid injection", "procedure_families": ["esi"]}
    )
    ProtocolStep.objects.update_or_create(
        protocol=esi_protocol, code="follow-up-visit",
        defaults={"title": "Book ESI follow-up visit (2–4 weeks)", "kind": "follow_up_visit", "anchor": "completed",
                  "offset_minutes": 14 * 1440, "window_minutes": 14 * 1440, "visit_type": follow_up},
    )  # fmt: skip
    patient = PatientFactory(first_name="Rosa", last_name="Delgado", sms_consent=True, preferred_channel="sms")

    _completed_esi(patient, provider)
    ticket = BookingTicket.objects.get(patient=patient, status="open")
    sms = Message.objects.get(patient=patient, purpose="ticket")
    link = PatientLink.objects.get(ticket=ticket)
    path = f"/p/{link_token(link)}/"
    assert re.search(r"/p/[0-9a-z]+\.[\w-]{16}/", sms.body) and path in sms.body

    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"{live_server.url}{path}")
    assert "Book your visit" in page.inner_text("h2")
    first = page.locator("label.time").first
    chosen = first.inner_text().splitlines()[0]
    first.click()
    # Nothing on the phone page is wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.click("button[type=submit]")
    page.wait_for_selector(".result")
    assert "Your visit is booked." in page.inner_text(".result")

    visit = Appointment.objects.get(patient=patient, visit_type=follow_up)
    assert visit.status == "booked" and ticket.__class__.objects.get(pk=ticket.pk).status == "booked"
    local = visit.start.astimezone(NY)
    assert chosen.startswith(f"{local.hour % 12 or 12}:{local.minute:02d}")

    login(page, live_server, "desk")
    page.goto(f"{live_server.url}/admin/scheduling/appointment/day-sheet/?location={location.pk}&date={local.date()}")
    assert "Delgado" in page.inner_text("#content")
