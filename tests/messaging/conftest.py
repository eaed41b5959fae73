import datetime
import zoneinfo

import pytest

from clinic.models import RoomKind
from messaging.channels.sms import TestBackend
from tests.factories import LocationFactory, PatientFactory, RoomFactory, VisitTypeFactory, weekly_templates

NY = zoneinfo.ZoneInfo("America/New_York")


@pytest.fixture(autouse=True)
def messaging_settings(settings, tmp_path):
    settings.SMS_BACKEND = "test"
    settings.SMS_FILE_PATH = str(tmp_path / "sms")
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUBLIC_BASE_URL = "https://clinic.example"
    settings.TWILIO_AUTH_TOKEN = "test-auth-token"
    settings.QUIET_HOURS_START = "08:00"
    settings.QUIET_HOURS_END = "21:00"
    TestBackend.reset()
    yield settings
    TestBackend.reset()


@pytest.fixture
def location(db):
    return LocationFactory()


@pytest.fixture
def clinic_world(db, anesthesiologist, location):
    """An anesthesiologist working every day 07:00–19:00 with consult and virtual rooms."""
    RoomFactory(location=location, kind=RoomKind.CONSULT, name="Consult A")
    RoomFactory(location=location, kind=RoomKind.VIRTUAL, name="Virtual A")
    anesthesiologist.home_location = location
    anesthesiologist.save()
    weekly_templates(anesthesiologist, location, start=datetime.time(7, 0), end=datetime.time(19, 0))
    return anesthesiologist


@pytest.fixture
def visit(clinic_world):
    return VisitTypeFactory(
        code="follow-up", name="Follow-up", discipline=clinic_world.discipline, prep_text_en="Bring your medication list.",
        prep_text_es="Traiga su lista de medicamentos.",
    )  # fmt: skip


@pytest.fixture
def patient(db):
    return PatientFactory(sms_consent=True, email_consent=True, preferred_channel="sms", phone="+16175550101")


def at(year, month, day, hour, minute=0, zone=NY):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=zone)
