import datetime

import pytest

from clinic.models import RoomKind
from tests.factories import LocationFactory, RoomFactory, VisitTypeFactory, weekly_templates


@pytest.fixture
def location(db):
    return LocationFactory()


@pytest.fixture
def consult_rooms(location):
    return [RoomFactory(location=location, kind=RoomKind.CONSULT, name=f"Consult {i}") for i in range(2)]


@pytest.fixture
def follow_up(anesthesiologist):
    return VisitTypeFactory(code="follow-up", discipline=anesthesiologist.discipline, duration_minutes=30)


@pytest.fixture
def working_anesthesiologist(anesthesiologist, location, consult_rooms):
    anesthesiologist.home_location = location
    anesthesiologist.save()
    weekly_templates(anesthesiologist, location)
    return anesthesiologist


def next_weekday_at(hour: int, minute: int = 0, days_ahead: int = 7) -> datetime.datetime:
    """A local New York time a week or more ahead, as an aware datetime."""
    import zoneinfo

    day = datetime.date.today() + datetime.timedelta(days=days_ahead)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=zoneinfo.ZoneInfo("America/New_York"))
