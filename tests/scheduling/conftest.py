import datetime

import pytest

from clinic.models import RoomKind
from scheduling.models import FrequencyRule
from tests.factories import (
    EquipmentFactory,
    LocationFactory,
    PatientFactory,
    PayerFactory,
    RoomFactory,
    VisitTypeFactory,
    weekly_templates,
)


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


# --- payer frequency rules (test_rules, test_payer_dates, test_payer_overrides) ---------------
@pytest.fixture
def suite_doctor(anesthesiologist, location):
    """An anesthesiologist with a fluoroscopy suite, working 06:00-23:00 every day (evening
    bookings cross midnight UTC, which date-of-service tests need)."""
    fluoro = EquipmentFactory(code="fluoroscopy")
    RoomFactory(location=location, kind=RoomKind.PROCEDURE_SUITE, name="Fluoro 1", equipment=[fluoro])
    weekly_templates(anesthesiologist, location, start=datetime.time(6), end=datetime.time(23))
    return anesthesiologist


def _procedure(code, family, discipline):
    return VisitTypeFactory(
        code=code,
        discipline=discipline,
        procedure_family=family,
        is_procedure=True,
        room_kind=RoomKind.PROCEDURE_SUITE,
        required_equipment=[EquipmentFactory(code="fluoroscopy")],
    )


@pytest.fixture
def esi(suite_doctor):
    return _procedure("lumbar-esi", "esi", suite_doctor.discipline)


@pytest.fixture
def mbb(suite_doctor):
    return _procedure("mbb", "mbb", suite_doctor.discipline)


@pytest.fixture
def facet_injection(suite_doctor):
    return _procedure("facet-injection", "facet", suite_doctor.discipline)


@pytest.fixture
def rfa(suite_doctor):
    return _procedure("rfa", "rfa", suite_doctor.discipline)


@pytest.fixture
def medicare_patient(db):
    return PatientFactory(payer=PayerFactory(code="medicare", name="Medicare"))


@pytest.fixture
def esi_counts_only(db):
    """The Medicare ESI rule without its relief-before-a-repeat part, for tests about counting
    booked (not yet done) sessions."""
    FrequencyRule.objects.filter(payer=None, procedure_families=["esi"]).update(
        repeat_min_relief_percent=None, repeat_min_relief_weeks=None, repeat_accepts_functional_improvement=False
    )
