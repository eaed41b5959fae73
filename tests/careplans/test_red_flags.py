"""Red flags after an epidural blood patch: the "New symptoms?" form on the patient's
instructions page and a text within 14 days that mentions one go to anesthesiology as an urgent
task with staff alerts, never to the front desk's routine queue."""

import datetime
import re

import pytest
from django.contrib.auth.models import Group

from careplans.models import ProtocolStep, Task
from careplans.services import instructions_link_for, red_flags_in_text
from careplans.services.red_flags import RED_FLAG_CODES
from core.roles import ON_CALL
from messaging.channels.sms import TestBackend
from messaging.models import Message
from messaging.services.inbound import inbound_sms_receive
from scheduling.services import appointment_book, appointment_check_in, appointment_complete, appointment_start
from tests.careplans.conftest import local, procedure_type
from tests.factories import DisciplineFactory, ProviderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def alert_settings(settings):
    settings.SMS_BACKEND = "test"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUBLIC_BASE_URL = "https://clinic.example"
    settings.ON_CALL_PHONE = ""
    settings.CLINIC_PHONE = "+1 617-555-0100"
    TestBackend.reset()
    yield settings
    TestBackend.reset()


# --- the keyword table ---------------------------------------------------------------------------

TEXTS = [
    ("my leg feels weak", ["leg_weakness_numbness"]),
    ("My left leg is NUMB since this morning", ["leg_weakness_numbness"]),
    ("tingling in both feet", ["leg_weakness_numbness"]),
    ("I can't feel my feet", ["leg_weakness_numbness"]),
    ("bad back pain tonight", ["back_leg_pain"]),
    ("shooting pain down my leg", ["back_leg_pain"]),
    ("I can't pee since yesterday", ["bladder_bowel"]),
    ("lost control of my bladder", ["bladder_bowel"]),
    ("something is wrong with my bowels", ["bladder_bowel"]),
    ("numb in the groin area", ["leg_weakness_numbness", "saddle_numbness"]),
    ("I have a fever of 101", ["fever"]),
    ("chills all night", ["fever"]),
    ("the headache is back and different", ["headache_change"]),
    ("my head hurts when I stand", ["headache_change"]),
    ("siento la pierna débil", ["leg_weakness_numbness"]),
    ("tengo la pierna entumecida", ["leg_weakness_numbness"]),
    ("Hormigueo en los pies", ["leg_weakness_numbness"]),
    ("me duele mucho la espalda", ["back_leg_pain"]),
    ("dolor de espalda muy fuerte", ["back_leg_pain"]),
    ("me duelen las piernas", ["back_leg_pain"]),
    ("no puedo orinar", ["bladder_bowel"]),
    ("problemas con la vejiga", ["bladder_bowel"]),
    ("adormecida la entrepierna", ["leg_weakness_numbness", "saddle_numbness"]),
    ("tengo fiebre", ["fever"]),
    ("Tengo calentura y escalofríos", ["fever"]),
    ("dolor de cabeza otra vez", ["headache_change"]),
    ("Can I move my appointment to Friday?", []),
    ("thanks, feeling much better", []),
    ("¿A qué hora es mi cita?", []),
    ("Weekend works for me", []),
    ("my new phone number is 617-555-0199", []),
    ("Numbers in my portal look wrong", []),
    ("¿Hablan inglés en la clínica?", []),
]


@pytest.mark.parametrize("text,flags", TEXTS)
def test_red_flags_in_patient_text(text, flags):
    assert red_flags_in_text(text) == flags


# --- a completed EBP -------------------------------------------------------------------------------


@pytest.fixture
def done_ebp(patient, working_anesthesiologist, django_capture_on_commit_callbacks):
    ebp = procedure_type(working_anesthesiologist, "ebp")
    working_anesthesiologist.alert_phone = "+16175550122"
    working_anesthesiologist.save()
    with django_capture_on_commit_callbacks(execute=False):
        appointment = appointment_book(patient=patient, provider=working_anesthesiologist, visit_type=ebp, start=local(3), region="lumbar")
        appointment_check_in(appointment=appointment, now=appointment.start - datetime.timedelta(minutes=10))
        appointment_start(appointment=appointment)
        return appointment_complete(appointment=appointment)


def days_after(appointment, days):
    return appointment.start + datetime.timedelta(days=days)


def text_in(patient, body, now, sid="SM1"):
    return inbound_sms_receive(sid=sid, from_number=str(patient.phone), body=body, now=now)


def test_text_about_leg_weakness_10_days_after_an_ebp_is_urgent_anesthesiology_work(patient, done_ebp):
    text_in(patient, "my leg feels weak", days_after(done_ebp, 10))
    task = Task.objects.get(patient=patient, source__in=["inbound_sms", "red_flag"])
    assert (task.source, task.assignee_role, task.priority, task.appointment) == ("red_flag", "anesthesiology", "urgent", done_ebp)
    assert task.due == days_after(done_ebp, 10)
    assert "my leg feels weak" in task.description and "leg weakness or numbness" in task.description
    assert not Task.objects.filter(assignee_role="front_desk").exists()
    alerts = Message.objects.filter(purpose="staff_alert")
    assert {(m.staff_recipient, m.channel) for m in alerts} == {(done_ebp.provider.user, "sms"), (done_ebp.provider.user, "email")}
    assert all(m.urgent and m.due_at == days_after(done_ebp, 10) for m in alerts)
    assert "weak" not in alerts.get(channel="sms").body


def test_the_same_text_20_days_after_goes_to_the_front_desk(patient, done_ebp):
    text_in(patient, "my leg feels weak", days_after(done_ebp, 20))
    task = Task.objects.get(patient=patient, source__in=["inbound_sms", "red_flag"])
    assert (task.source, task.assignee_role, task.priority) == ("inbound_sms", "front_desk", "routine")
    assert not Message.objects.filter(purpose="staff_alert").exists()


def test_the_same_text_without_an_ebp_goes_to_the_front_desk(patient):
    text_in(patient, "my leg feels weak", datetime.datetime.now(datetime.UTC))
    task = Task.objects.get(patient=patient)
    assert (task.source, task.assignee_role) == ("inbound_sms", "front_desk")


def test_a_routine_text_after_an_ebp_goes_to_the_front_desk(patient, done_ebp):
    text_in(patient, "Can I move my appointment to Friday?", days_after(done_ebp, 2))
    assert Task.objects.get(patient=patient, source__in=["inbound_sms", "red_flag"]).assignee_role == "front_desk"


def test_a_retried_webhook_creates_one_red_flag_task(patient, done_ebp):
    text_in(patient, "fiebre y dolor de cabeza", days_after(done_ebp, 1))
    text_in(patient, "fiebre y dolor de cabeza", days_after(done_ebp, 1))
    assert Task.objects.filter(source="red_flag").count() == 1


def test_on_call_is_alerted_too(patient, done_ebp):
    on_call = ProviderFactory(discipline=DisciplineFactory(code="psychology"), alert_phone="+16175550188")
    on_call.user.groups.add(Group.objects.get(name=ON_CALL))
    text_in(patient, "can't pee", days_after(done_ebp, 3))
    assert set(Message.objects.filter(purpose="staff_alert", channel="sms").values_list("to_address", flat=True)) == {
        "+16175550122",
        "+16175550188",
    }


# --- the instructions page ---------------------------------------------------------------------


def ebp_page(done_ebp):
    step = ProtocolStep.objects.filter(protocol__code="ebp", kind=ProtocolStep.Kind.PATIENT_MESSAGE).first()
    return instructions_link_for(step, appointment=done_ebp)


def test_ebp_instructions_page_asks_about_the_six_red_flags(client, done_ebp):
    text = client.get(ebp_page(done_ebp)).content.decode()
    assert "New symptoms?" in text
    assert sorted(re.findall(r'name="flag" value="([a-z_]+)"', text)) == sorted(RED_FLAG_CODES)
    assert len(RED_FLAG_CODES) == 6


def test_ticking_a_red_flag_raises_the_urgent_task_and_tells_the_patient_to_call_now(client, done_ebp):
    page = client.post(ebp_page(done_ebp), {"flag": ["leg_weakness_numbness", "fever"]})
    text = page.content.decode()
    assert page.status_code == 200
    assert 'Call Riverside Pain Clinic now at <a href="tel:+1617-555-0100"><strong>+1 617-555-0100</strong></a>' in text
    assert 'call <a href="tel:911"><strong>911</strong></a>' in text
    task = Task.objects.get(source="red_flag")
    assert (task.assignee_role, task.priority, task.appointment) == ("anesthesiology", "urgent", done_ebp)
    assert "leg weakness or numbness, fever" in task.description
    assert Message.objects.filter(purpose="staff_alert", urgent=True).count() == 2


def test_nothing_ticked_is_reassurance_and_no_task(client, done_ebp):
    text = client.post(ebp_page(done_ebp), {}).content.decode()
    assert "None of these symptoms" in text and "911" not in text
    assert not Task.objects.filter(source="red_flag").exists()


def test_the_red_flag_page_is_in_the_patients_language(client, patient, done_ebp):
    patient.language = "es"
    patient.save()
    assert "¿Síntomas nuevos?" in client.get(ebp_page(done_ebp)).content.decode()
    text = client.post(ebp_page(done_ebp), {"flag": "fever"}).content.decode()
    assert "Llámenos ahora" in text and 'llame al <a href="tel:911"><strong>911</strong></a>' in text
    assert 'Llame ahora a Riverside Pain Clinic al <a href="tel:+1617-555-0100"><strong>+1 617-555-0100</strong></a>' in text


def test_unknown_flags_are_ignored_not_an_error(client, done_ebp):
    assert client.post(ebp_page(done_ebp), {"flag": ["<script>", "x" * 5000]}).status_code == 200
    assert not Task.objects.filter(source="red_flag").exists()


def test_a_link_without_an_ebp_in_the_window_shows_no_form_and_takes_no_report(client, done_ebp):
    step = ProtocolStep.objects.filter(kind=ProtocolStep.Kind.PATIENT_MESSAGE).first()
    assert "New symptoms?" not in client.get(instructions_link_for(step)).content.decode()
    assert client.post(instructions_link_for(step), {"flag": "fever"}).status_code == 400
    assert not Task.objects.filter(source="red_flag").exists()


def test_the_discharge_message_after_a_completed_ebp_links_to_the_red_flag_form(
    client, patient, working_anesthesiologist, eager_celery, django_capture_on_commit_callbacks
):
    patient.email_consent = True
    patient.save()
    ebp = procedure_type(working_anesthesiologist, "ebp")
    with django_capture_on_commit_callbacks(execute=True):
        appointment = appointment_book(patient=patient, provider=working_anesthesiologist, visit_type=ebp, start=local(3), region="lumbar")
    with django_capture_on_commit_callbacks(execute=True):
        appointment_check_in(appointment=appointment, now=appointment.start - datetime.timedelta(minutes=10))
        appointment_start(appointment=appointment)
        appointment_complete(appointment=appointment)
    notice = Message.objects.get(patient=patient, purpose="notice", channel="email")
    path = re.search(r"https://clinic\.example(/q/i/[^\s\"<]+)", notice.body).group(1)
    assert "New symptoms?" in client.get(path).content.decode()


def test_a_second_form_report_the_same_day_raises_a_second_task_and_its_alerts(client, done_ebp):
    client.post(ebp_page(done_ebp), {"flag": "fever"})
    Task.objects.filter(source="red_flag").update(status="completed")
    client.post(ebp_page(done_ebp), {"flag": "fever"})
    assert Task.objects.filter(source="red_flag").count() == 2
    assert Task.objects.filter(source="red_flag", status="completed").count() == 1
    assert Message.objects.filter(purpose="staff_alert", urgent=True).count() == 4


def test_cancel_with_a_red_flag_after_an_ebp_opts_out_and_is_urgent_anesthesiology_work(patient, done_ebp):
    row = text_in(patient, "Cancel my visit, my legs are numb and I have a fever", days_after(done_ebp, 5))
    patient.refresh_from_db()
    assert row.action == "opt_out" and patient.sms_consent is False
    task = Task.objects.get(patient=patient, source__in=["inbound_sms", "red_flag"])
    assert (task.source, task.assignee_role, task.priority, task.appointment) == ("red_flag", "anesthesiology", "urgent", done_ebp)
    assert "leg weakness or numbness, fever" in task.description


def test_stop_after_a_red_flag_text_keeps_the_staff_alerts(patient, done_ebp):
    text_in(patient, "my leg feels weak", days_after(done_ebp, 2))
    text_in(patient, "STOP", days_after(done_ebp, 2), sid="SM2")
    assert set(Message.objects.filter(purpose="staff_alert").values_list("status", flat=True)) == {"pending"}


@pytest.mark.parametrize("underway", ["checked-in", "in-progress"])
def test_an_ebp_checked_in_or_in_progress_but_not_closed_opens_the_window(patient, working_anesthesiologist, underway):
    ebp = procedure_type(working_anesthesiologist, "ebp")
    appointment = appointment_book(patient=patient, provider=working_anesthesiologist, visit_type=ebp, start=local(3), region="lumbar")
    appointment_check_in(appointment=appointment, now=appointment.start - datetime.timedelta(minutes=10))
    if underway == "in-progress":
        appointment_start(appointment=appointment)
    text_in(patient, "my leg feels weak", days_after(appointment, 4))
    task = Task.objects.get(patient=patient, source__in=["inbound_sms", "red_flag"])
    assert (task.source, task.appointment) == ("red_flag", appointment)
    # Before its start nothing has happened yet: the same text is routine.
    text_in(patient, "my leg feels weak", days_after(appointment, -1), sid="SM2")
    assert Task.objects.filter(patient=patient, source="inbound_sms", assignee_role="front_desk").count() == 1
