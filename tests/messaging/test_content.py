import itertools
import random

import pytest
import time_machine

from clinic.models import RoomKind
from messaging.models import Message, Purpose
from messaging.services.content import SMS_MAX, SMS_TEXTS, gsm7, gsm7_length, sms_text
from scheduling.models import ProcedureFamily, VisitType
from scheduling.services import appointment_book, appointment_cancel
from tests.factories import DisciplineFactory, PatientFactory, RoomFactory, VisitTypeFactory
from tests.messaging.conftest import at

pytestmark = pytest.mark.django_db

NOW = at(2026, 11, 2, 10)
VISIT_NAMES = [
    "Epidural steroid injection",
    "Epidural blood patch",
    "Lumbar medial branch block",
    "Radiofrequency ablation",
    "Facet joint injection",
    "Spinal cord stimulator trial",
    "SCS trial lead removal",
    "Ultrasound-guided nerve block",
    "Physical therapy evaluation",
    "Pain psychology (CBT)",
    "Nutrition consult before EBP",
    "Anesthesiology new patient",
]
FORBIDDEN_WORDS = ["inject", "epidural", "block", "ablation", "facet", "stimulator", "therap", "psych", "nutrition", "anesthes", "dietit"]


def test_sms_never_names_the_visit_type_procedure_or_discipline(clinic_world, location):
    RoomFactory(location=location, kind=RoomKind.VIRTUAL, name="Virtual B")
    for index, name in enumerate(VISIT_NAMES):
        VisitTypeFactory(code=f"vt-{index}", name=name, discipline=clinic_world.discipline, telehealth=index % 3 == 0,
                         room_kind=RoomKind.VIRTUAL if index % 3 == 0 else RoomKind.CONSULT)  # fmt: skip
    forbidden = {name.lower() for name in VisitType.objects.values_list("name", flat=True)}
    forbidden |= {label.lower() for label in ProcedureFamily.labels if label}
    forbidden |= {
        DisciplineFactory(code=code).name.lower() for code in ("interventional-pain", "physical-therapy", "psychology", "nutrition")
    }
    for index, visit_type in enumerate(VisitType.objects.order_by("id")):
        for language in ("en", "es"):
            patient = PatientFactory(sms_consent=True, language=language, phone=f"+1617555{3000 + index * 2 + (language == 'es')}")
            with time_machine.travel(NOW, tick=False):
                appointment = appointment_book(
                    patient=patient, provider=clinic_world, visit_type=visit_type, start=at(2026, 11, 12 + index % 5, 9 + index // 5 * 2, 30 * (language == "es")), now=NOW
                )  # fmt: skip
                appointment_cancel(appointment=appointment, reason="test", now=NOW)
    texts = list(Message.objects.filter(channel="sms").values_list("body", flat=True))
    assert len(texts) >= len(VISIT_NAMES) * 2 * 3
    for text in texts:
        lowered = text.lower()
        assert len(text) <= SMS_MAX, text
        assert gsm7(text) == text
        assert not any(name in lowered for name in forbidden), text
        assert not any(word in lowered for word in FORBIDDEN_WORDS), text


def test_sms_reminder_in_english(clinic_world, visit, patient):
    with time_machine.travel(NOW, tick=False):
        appointment = appointment_book(patient=patient, provider=clinic_world, visit_type=visit, start=at(2026, 11, 12, 9), now=NOW)
    text = Message.objects.get(appointment=appointment, channel="sms", purpose="reminder").body
    assert text.startswith("Riverside Pain Clinic: visit Thu Nov 12, 9:00 AM. Reply C to confirm. https://clinic.example/p/")
    assert text.endswith(" +1 617-555-0100. Reply STOP to opt out") and len(text) <= SMS_MAX


def test_sms_reminder_in_spanish_in_the_patients_zone(settings, clinic_world, visit):
    settings.CLINIC_SHORT_NAME = "Riverside Pain"
    patient = PatientFactory(sms_consent=True, language="es", time_zone="America/Chicago")
    with time_machine.travel(NOW, tick=False):
        appointment = appointment_book(patient=patient, provider=clinic_world, visit_type=visit, start=at(2026, 11, 12, 9), now=NOW)
    text = Message.objects.get(appointment=appointment, channel="sms", purpose="reminder", offset_minutes=1440).body
    assert "jue 12 nov, 8:00 CST" in text  # the patient's zone, named because the clinic's differs
    assert "Confirme con C" in text and len(text) <= SMS_MAX
    assert text.startswith("Riverside Pain: ") and text.endswith(" +1 617-555-0100. Responda ALTO para cancelar mensajes")


OPT_OUT = {"en": "Reply STOP to opt out", "es": "Responda ALTO para cancelar mensajes"}
SHORT_NAMES = ["RPC", "Riverside Pain", "Riverside Pain Clinic", "Riverside Interdiscipl.", "Clínica del Dolor Ñuñoa"]
PHONES = ["+1 617-555-0100", "(617) 555-0100 x12"]
WHENS = {"en": ["Thu Nov 12, 9:00 AM", "Wed Sep 30, 12:45 PM CDT"], "es": ["jue 12 nov, 9:00", "mie 30 sep, 12:45 CDT"]}


def _links(rng: random.Random) -> list[str]:
    # Patient links (PUBLIC_BASE_URL + /p/<token>/) and video rooms up to 75 characters: with a
    # 24-character name and an 18-character phone, the longest that still fit one Spanish segment.
    bases = ["https://clinic.example", "https://appointments.riverside-pain-clinic.example.org"]
    links = [f"{base}/p/{rng.randrange(36**6):x}.AbCdEfGhIjKlMnOp/" for base in bases]
    links += ["https://video.clinic.example/room/" + "x" * rng.randint(10, 40)]
    return [link[:75] for link in links]


@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("key", list(SMS_TEXTS["en"]))
def test_every_sms_keeps_name_link_phone_and_opt_out_within_one_segment(settings, language, key):
    rng = random.Random(f"{language}-{key}")
    for name, phone, when, link in itertools.product(SHORT_NAMES, PHONES, WHENS[language], _links(rng)):
        settings.CLINIC_SHORT_NAME, settings.CLINIC_PHONE = name, phone
        text = sms_text(key=key, language=language, when=when, deadline="mie 30 sep, 10:45", link=link)
        assert gsm7_length(text) <= SMS_MAX, text
        assert gsm7(text) == text, text
        assert text.startswith(gsm7(name)) and link in text and phone in text, text
        assert text.endswith(OPT_OUT[language]), text


def test_a_text_that_must_be_shortened_cuts_the_date_not_the_fixed_parts(settings):
    settings.CLINIC_SHORT_NAME = "Riverside Interdiscipl."
    link = "https://clinic.example/p/1a2b3c.AbCdEfGhIjKlMnOp/"
    text = sms_text(key=Purpose.REMINDER, language="es", when="miercoles 30 de septiembre de 2026, 12:45 CDT", link=link)
    assert text == f"Riverside Interdiscipl.: cita miercoles 30 de septiem... {link} +1 617-555-0100. Responda ALTO para cancelar mensajes"
    assert gsm7_length(text) == SMS_MAX


def test_fixed_parts_too_long_for_one_segment_go_as_two_rather_than_lose_one(settings):
    settings.CLINIC_SHORT_NAME = "Riverside Interdiscipl."
    link = "https://appointments.riverside-pain-clinic.example.org/p/" + "x" * 60 + "/"
    text = sms_text(key=Purpose.REMINDER, language="es", when="jue 12 nov, 9:00", link=link)
    assert text == f"Riverside Interdiscipl.: {link} +1 617-555-0100. Responda ALTO para cancelar mensajes"


def test_gsm7_extension_characters_count_twice():
    assert gsm7_length("a{b}€") == 8 and gsm7("[ok] ~ 5€") == "[ok] ~ 5€"


def test_every_outbox_sms_ends_with_the_opt_out_line_in_the_patients_language(clinic_world, visit):
    for language, phone in (("en", "+16175550121"), ("es", "+16175550122")):
        patient = PatientFactory(sms_consent=True, language=language, phone=phone)
        with time_machine.travel(NOW, tick=False):
            appointment = appointment_book(patient=patient, provider=clinic_world, visit_type=visit, start=at(2026, 11, 12, 9), now=NOW)
            appointment_cancel(appointment=appointment, reason="test", now=NOW)
        bodies = list(Message.objects.filter(patient=patient, channel="sms").values_list("body", flat=True))
        assert len(bodies) == 4 and all(body.endswith(OPT_OUT[language]) for body in bodies), bodies


def test_gsm7_strips_accents_gsm_lacks():
    assert gsm7("Sábado, clínica, ¿cómo?, niño, café") == "Sabado, clinica, ¿como?, niño, café"
