import datetime
import zoneinfo

import pytest

from careplans.models import CareTeamMember
from clinic.models import RoomKind
from tests.factories import (
    CarePlanFactory,
    CareTeamMemberFactory,
    EquipmentFactory,
    LocationFactory,
    PatientFactory,
    RoomFactory,
    VisitTypeFactory,
    weekly_templates,
)

NY = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture
def location(db):
    return LocationFactory()


@pytest.fixture
def suite(location):
    return RoomFactory(location=location, kind=RoomKind.PROCEDURE_SUITE, name="Fluoro 1", equipment=[EquipmentFactory(code="fluoroscopy")])


@pytest.fixture
def working_anesthesiologist(anesthesiologist, location, suite):
    RoomFactory(location=location, kind=RoomKind.CONSULT, name="Consult 1")
    anesthesiologist.home_location = location
    anesthesiologist.save()
    weekly_templates(anesthesiologist, location, start=datetime.time(7, 0), end=datetime.time(19, 0))
    return anesthesiologist


def procedure_type(anesthesiologist, family: str):
    return VisitTypeFactory(
        code=f"proc-{family}",
        name=family.upper(),
        discipline=anesthesiologist.discipline,
        duration_minutes=30,
        room_kind=RoomKind.PROCEDURE_SUITE,
        is_procedure=True,
        procedure_family=family,
    )


@pytest.fixture
def esi(working_anesthesiologist):
    return procedure_type(working_anesthesiologist, "esi")


@pytest.fixture
def ebp(working_anesthesiologist):
    return procedure_type(working_anesthesiologist, "ebp")


@pytest.fixture
def patient(db):
    return PatientFactory()


@pytest.fixture
def plan(patient, anesthesiologist, psychologist, physical_therapist):
    plan = CarePlanFactory(patient=patient)
    CareTeamMemberFactory(care_plan=plan, provider=anesthesiologist, role=CareTeamMember.Role.LEAD_PHYSICIAN)
    CareTeamMemberFactory(care_plan=plan, provider=psychologist, role=CareTeamMember.Role.PSYCHOLOGIST)
    CareTeamMemberFactory(care_plan=plan, provider=physical_therapist, role=CareTeamMember.Role.PHYSICAL_THERAPIST)
    return plan


def local(days_ahead: int, hour: int = 9, minute: int = 0) -> datetime.datetime:
    day = datetime.date.today() + datetime.timedelta(days=days_ahead)
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=NY)
