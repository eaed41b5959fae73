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


# --- shared by the bundle, series and waitlist tests ------------------------------------------
import zoneinfo as _zoneinfo  # noqa: E402

NY = _zoneinfo.ZoneInfo("America/New_York")
FIXED_MONDAY = datetime.date(2027, 1, 11)  # EST, far from DST changes
FIXED_NOW = datetime.datetime(2027, 1, 4, 12, 0, tzinfo=datetime.UTC)


def local(hour: int, minute: int = 0, day: datetime.date = FIXED_MONDAY) -> datetime.datetime:
    """A New York wall-clock time as an aware UTC datetime."""
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=NY).astimezone(datetime.UTC)


@pytest.fixture
def care_team(location, consult_rooms, physical_therapist, psychologist, dietitian):
    """PT, psychology and nutrition working Monday to Friday 08:00-17:00 at one location, with
    two consult rooms and a PT gym, and one visit type each."""
    from clinic.models import RoomKind

    gym = RoomFactory(location=location, kind=RoomKind.PT_GYM, name="Gym")
    team = {"pt": physical_therapist, "psy": psychologist, "rd": dietitian}
    for provider in team.values():
        provider.home_location = location
        provider.save()
        weekly_templates(provider, location, weekdays=range(5))
    return {
        **team,
        "gym": gym,
        "location": location,
        "pt_eval": VisitTypeFactory(
            code="pt-evaluation", discipline=physical_therapist.discipline, duration_minutes=60, room_kind=RoomKind.PT_GYM
        ),
        "psy_intake": VisitTypeFactory(code="psychology-intake", discipline=psychologist.discipline, duration_minutes=60),
        "nutrition": VisitTypeFactory(code="nutrition-consult", discipline=dietitian.discipline, duration_minutes=45),
    }
