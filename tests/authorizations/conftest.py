import datetime
import zoneinfo

import pytest

from authorizations.models import RequirementRule
from authorizations.services import authorization_approve, authorization_create, authorization_submit
from clinic.models import RoomKind
from core.roles import AUTHORIZATION_COORDINATOR
from tests.factories import (
    EquipmentFactory,
    LocationFactory,
    PatientFactory,
    PayerFactory,
    RoomFactory,
    UserFactory,
    VisitTypeFactory,
    weekly_templates,
)

NY = zoneinfo.ZoneInfo("America/New_York")
FIXED_NOW = datetime.datetime(2027, 1, 4, 12, 0, tzinfo=datetime.UTC)  # a Monday, EST
MONDAY = datetime.date(2027, 1, 11)


def local(hour: int, day: datetime.date = MONDAY, minute: int = 0) -> datetime.datetime:
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=NY).astimezone(datetime.UTC)


@pytest.fixture
def location(db):
    return LocationFactory()


@pytest.fixture
def suite(location):
    return RoomFactory(location=location, kind=RoomKind.PROCEDURE_SUITE, name="Fluoro 1", equipment=[EquipmentFactory(code="fluoroscopy")])


@pytest.fixture
def doctor(anesthesiologist, location, suite):
    anesthesiologist.home_location = location
    anesthesiologist.save()
    weekly_templates(anesthesiologist, location, start=datetime.time(7, 0), end=datetime.time(19, 0))
    return anesthesiologist


@pytest.fixture
def esi(doctor):
    return VisitTypeFactory(
        code="lumbar-esi", name="Lumbar ESI", discipline=doctor.discipline, duration_minutes=30,
        room_kind=RoomKind.PROCEDURE_SUITE, is_procedure=True, procedure_family="esi",
    )  # fmt: skip


@pytest.fixture
def scs(doctor):
    return VisitTypeFactory(
        code="scs-trial", name="SCS trial", discipline=doctor.discipline, duration_minutes=60,
        room_kind=RoomKind.PROCEDURE_SUITE, is_procedure=True, procedure_family="scs_trial",
    )  # fmt: skip


@pytest.fixture
def aetna(db):
    return PayerFactory(code="aetna", name="Aetna")


@pytest.fixture
def esi_rule(aetna):
    return RequirementRule.objects.create(name="Aetna ESI", payer=aetna, procedure_family="esi")


@pytest.fixture
def patient(aetna):
    return PatientFactory(payer=aetna, member_id="AET123456")


@pytest.fixture
def auth_coordinator(db):
    return UserFactory(username="authdesk", role=AUTHORIZATION_COORDINATOR)


def approved(
    patient, *, units=1, family_code="62323", region="lumbar", valid_from=MONDAY - datetime.timedelta(days=7), days=60, now=FIXED_NOW
):
    auth = authorization_create(patient=patient, lines=[{"code": family_code, "region": region, "requested_units": units}], now=now)
    authorization_submit(authorization=auth, now=now)
    return authorization_approve(
        authorization=auth, number="A-778812", valid_from=valid_from, valid_to=valid_from + datetime.timedelta(days=days), now=now
    )
