import datetime
import zoneinfo

import pytest
from icalendar import Calendar

from scheduling.services import appointment_book
from scheduling.services.feeds import calendar_feed_issue, calendar_feed_revoke
from tests.factories import PatientFactory
from tests.scheduling.conftest import next_weekday_at

pytestmark = pytest.mark.django_db
NY = zoneinfo.ZoneInfo("America/New_York")


def _first_event(body: bytes):
    return next(c for c in Calendar.from_ical(body).walk("VEVENT"))


def test_appointment_ics_keeps_local_wall_time_with_timezone(api_for, front_desk_user, working_anesthesiologist, follow_up):
    appointment = appointment_book(
        patient=PatientFactory(language="es"), provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(9)
    )
    response = api_for(front_desk_user).get(f"/api/v1/appointments/{appointment.pk}/ics/")
    assert response.status_code == 200 and response["Content-Type"].startswith("text/calendar")
    event = _first_event(response.content)
    start = event.decoded("dtstart")
    assert start.hour == 9 and start.utcoffset() == appointment.start.astimezone(NY).utcoffset()
    assert b"VTIMEZONE" in response.content and b"America/New_York" in response.content
    assert str(event["summary"]).startswith("Cita en")


def test_ics_across_dst_keeps_nine_oclock(working_anesthesiologist, follow_up):
    from scheduling.ical import appointment_ics

    # Appointments on both sides of the autumn change: same wall time, different UTC offset.
    today = datetime.date.today()
    future_year = today.year + 1
    before = datetime.datetime(future_year, 10, 20, 9, tzinfo=NY)
    after = datetime.datetime(future_year, 11, 20, 9, tzinfo=NY)
    first = appointment_book(patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=before)
    second = appointment_book(patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=after)
    a, b = (_first_event(appointment_ics(appointment=x)).decoded("dtstart") for x in (first, second))
    assert a.hour == b.hour == 9
    assert a.utcoffset() != b.utcoffset()


def test_provider_feed_is_private_minimal_and_revocable(client, working_anesthesiologist, follow_up):
    """New contract (issue 9): no initials or visit type by default, only time and room."""
    patient = PatientFactory(first_name="Rosa", last_name="Delgado")
    appointment = appointment_book(patient=patient, provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(9))
    feed = calendar_feed_issue(provider=working_anesthesiologist)
    response = client.get(f"/calendar/{feed.issued_token}.ics")
    assert response.status_code == 200
    assert str(_first_event(response.content)["summary"]) == f"Appointment · {appointment.room.name}"
    for absent in (b"R.D.", b"Delgado", b"Rosa", str(patient.phone).encode(), follow_up.name.encode()):
        assert absent not in response.content
    assert client.get("/calendar/not-a-token.ics").status_code == 404
    calendar_feed_revoke(feed=feed)
    assert client.get(f"/calendar/{feed.issued_token}.ics").status_code == 404
