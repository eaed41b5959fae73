"""PHQ-9 item 9 above 0: the STAT task and its urgent SMS + email alerts (the patient's
psychologist and the On-call rota) in the same transaction, sent at any hour through the outbox;
escalation to the lead physician or the medical director when nobody accepts in time; the
patient's page shows the crisis lines in their language."""

import datetime
import re
import zoneinfo

import psycopg
import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core import mail
from django.db import connection

from careplans.models import Task, TaskEvent
from careplans.selectors import tasks_for_user
from careplans.services import (
    crisis_alert_raise,
    crisis_tasks_escalate,
    questionnaire_link_for,
    questionnaire_request_create,
    questionnaire_response_create,
    task_accept,
)
from config.schedules import BEAT_SCHEDULE
from core.roles import ON_CALL
from messaging.channels.sms import TestBackend
from messaging.models import Message
from messaging.redaction import CLINICAL_PLACEHOLDER, message_text
from tests.factories import CarePlanFactory, DisciplineFactory, PatientFactory, ProviderFactory, UserFactory, sign_in

NY = zoneinfo.ZoneInfo("America/New_York")
# 02:00 in the patient's zone: deep in quiet hours (08:00-21:00 allowed).
NIGHT = datetime.datetime(2026, 11, 26, 2, 0, tzinfo=NY)
ITEM9 = [1, 1, 1, 1, 1, 1, 1, 1, 2]

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def alert_settings(settings):
    settings.SMS_BACKEND = "test"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.PUBLIC_BASE_URL = "https://clinic.example"
    settings.QUIET_HOURS_START, settings.QUIET_HOURS_END = "08:00", "21:00"
    settings.SMS_MAX_PER_DAY, settings.SMS_MAX_PER_WEEK = 1, 3
    settings.ON_CALL_PHONE = ""
    settings.MEDICAL_DIRECTOR_USERNAME = ""
    settings.CRISIS_ESCALATE_MINUTES = 15
    TestBackend.reset()
    yield settings
    TestBackend.reset()


@pytest.fixture
def phoned_psychologist(psychologist):
    psychologist.alert_phone = "+16175550199"
    psychologist.save()
    return psychologist


@pytest.fixture
def on_call(db):
    provider = ProviderFactory(discipline=DisciplineFactory(code="interventional-pain"), alert_phone="+16175550177")
    provider.user.groups.add(Group.objects.get(name=ON_CALL))
    return provider


def staff_alerts():
    return Message.objects.filter(purpose="staff_alert").order_by("to_address", "channel")


def test_item_9_plans_urgent_sms_and_email_to_the_psychologist_and_on_call_due_at_once(patient, plan, phoned_psychologist, on_call):
    response = questionnaire_response_create(patient=patient, questionnaire="PHQ-9", answers=ITEM9, now=NIGHT)
    task = Task.objects.get(source="questionnaire")
    rows = list(staff_alerts())
    assert {(m.staff_recipient, m.channel, m.to_address) for m in rows} == {
        (phoned_psychologist.user, "sms", "+16175550199"),
        (phoned_psychologist.user, "email", phoned_psychologist.user.email),
        (on_call.user, "sms", "+16175550177"),
        (on_call.user, "email", on_call.user.email),
    }
    assert all(m.urgent and m.due_at == NIGHT == response.answered_at and m.status == "pending" for m in rows)
    assert all(m.patient == patient for m in rows)  # the patient's record shows who was told
    sms = next(m for m in rows if m.channel == "sms")
    assert (
        sms.body
        == "Urgent: a patient answer needs review now. Open the workspace: https://clinic.example/workspace/tasks/?scope=all&priority=stat"
    )
    for m in rows:  # no PHI: no name, MRN, phone, diagnosis or score
        for secret in (patient.first_name, patient.last_name, patient.mrn, str(patient.phone), "PHQ", "self-harm", "suicid"):
            assert secret not in m.body and secret not in m.subject
    assert task.priority == "stat" and task.assignee_provider == phoned_psychologist


def test_answering_twice_or_a_retried_plan_alerts_once(patient, plan, phoned_psychologist, on_call):
    questionnaire_response_create(patient=patient, questionnaire="PHQ-9", answers=ITEM9, now=NIGHT)
    crisis_alert_raise(task=Task.objects.get(source="questionnaire"), now=NIGHT)
    assert staff_alerts().count() == 4


def test_item_9_zero_alerts_nobody(patient, plan, phoned_psychologist, on_call):
    questionnaire_response_create(patient=patient, questionnaire="PHQ-9", answers=[3] * 8 + [0], now=NIGHT)
    assert not staff_alerts().exists()


@pytest.mark.django_db(transaction=True)
def test_alerts_are_committed_with_the_answer_and_sent_at_once_at_2am_despite_quiet_hours_and_caps(
    patient, plan, phoned_psychologist, on_call, eager_celery
):
    # The patient already had today's one SMS: the limits are about texts to patients.
    Message.objects.create(
        patient=patient, channel="sms", purpose="notice", due_at=NIGHT, status="sent", send_started_at=NIGHT - datetime.timedelta(hours=1),
        idempotency_key="earlier", body="earlier",
    )  # fmt: skip
    with time_machine.travel(NIGHT, tick=True):
        questionnaire_response_create(patient=patient, questionnaire="PHQ-9", answers=ITEM9, now=NIGHT)
    # Committed with the answer: another connection (the dispatcher's) sees them.
    params = connection.get_connection_params()
    with psycopg.connect(**{k: v for k, v in params.items() if k in ("dbname", "host", "port", "user", "password")}) as other:
        count = other.execute("SELECT count(*) FROM messaging_message WHERE purpose = 'staff_alert' AND urgent").fetchone()[0]
    assert count == 4
    # Woken after commit, the dispatcher sent them at once (Celery in-process here), at 02:00.
    assert set(staff_alerts().values_list("status", flat=True)) == {"sent"}
    assert sorted(sms.to for sms in TestBackend.outbox) == ["+16175550177", "+16175550199"]
    assert sorted(e.to[0] for e in mail.outbox) == sorted([phoned_psychologist.user.email, on_call.user.email])


def test_no_psychologist_alerts_the_psychology_queue_and_on_call_without_phone_uses_the_after_hours_phone(settings):
    settings.ON_CALL_PHONE = "+16175550100"
    patient = PatientFactory()
    CarePlanFactory(patient=patient)
    psychologist = ProviderFactory(discipline=DisciplineFactory(code="psychology"), alert_phone="+16175550155")
    coordinator = UserFactory(username="night-coord", role="Care coordinator")
    coordinator.groups.add(Group.objects.get(name=ON_CALL))
    questionnaire_response_create(patient=patient, questionnaire="PHQ-9", answers=[0] * 8 + [1], now=NIGHT)
    assert {(m.staff_recipient_id, m.channel, m.to_address) for m in staff_alerts()} == {
        (psychologist.user_id, "sms", "+16175550155"),
        (psychologist.user_id, "email", psychologist.user.email),
        (coordinator.pk, "email", coordinator.email),  # a coordinator has no provider row, so no phone
        (None, "sms", "+16175550100"),  # nobody on call has a phone: the after-hours phone
    }


def test_a_front_desk_user_in_the_on_call_group_is_not_alerted(patient, plan, phoned_psychologist, front_desk_user):
    front_desk_user.groups.add(Group.objects.get(name=ON_CALL))  # only a superuser's shell could do this
    questionnaire_response_create(patient=patient, questionnaire="PHQ-9", answers=ITEM9, now=NIGHT)
    assert front_desk_user.pk not in set(staff_alerts().values_list("staff_recipient", flat=True))


# --- escalation ---------------------------------------------------------------------------------


def test_unaccepted_crisis_task_escalates_to_the_lead_physician_after_15_minutes_exactly_once(
    patient, plan, anesthesiologist, psychologist
):
    anesthesiologist.alert_phone = "+16175550133"
    anesthesiologist.save()
    questionnaire_response_create(patient=patient, questionnaire="PHQ-9", answers=ITEM9, now=NIGHT)
    task = Task.objects.get(source="questionnaire")
    before = staff_alerts().count()
    assert crisis_tasks_escalate(now=NIGHT + datetime.timedelta(minutes=14, seconds=59)) == 0
    assert staff_alerts().count() == before
    assert crisis_tasks_escalate(now=NIGHT + datetime.timedelta(minutes=15)) == 1
    assert crisis_tasks_escalate(now=NIGHT + datetime.timedelta(minutes=16)) == 0
    assert crisis_tasks_escalate(now=NIGHT + datetime.timedelta(hours=3)) == 0
    new = staff_alerts().exclude(staff_recipient=psychologist.user)
    assert {(m.staff_recipient, m.channel, m.to_address) for m in new} == {
        (anesthesiologist.user, "sms", "+16175550133"),
        (anesthesiologist.user, "email", anesthesiologist.user.email),
    }
    assert all(m.urgent and m.due_at == NIGHT + datetime.timedelta(minutes=15) for m in new)
    assert TaskEvent.objects.filter(task=task, action="escalated", detail__startswith="crisis:").count() == 1


def test_accepted_crisis_task_is_not_escalated(patient, plan, psychologist):
    questionnaire_response_create(patient=patient, questionnaire="PHQ-9", answers=ITEM9, now=NIGHT)
    task_accept(task=Task.objects.get(source="questionnaire"), by=psychologist.user, now=NIGHT + datetime.timedelta(minutes=5))
    before = staff_alerts().count()
    assert crisis_tasks_escalate(now=NIGHT + datetime.timedelta(minutes=30)) == 0
    assert staff_alerts().count() == before


def test_patient_without_a_plan_escalates_to_the_medical_director(settings):
    director = ProviderFactory(discipline=DisciplineFactory(code="interventional-pain"), alert_phone="+16175550111")
    settings.MEDICAL_DIRECTOR_USERNAME = director.user.username
    patient = PatientFactory()
    questionnaire_response_create(patient=patient, questionnaire="PHQ-9", answers=ITEM9, now=NIGHT)
    assert crisis_tasks_escalate(now=NIGHT + datetime.timedelta(minutes=15)) == 1
    assert set(staff_alerts().filter(staff_recipient=director.user).values_list("channel", "to_address")) == {
        ("sms", "+16175550111"),
        ("email", director.user.email),
    }


def test_crisis_escalation_runs_every_minute():
    assert BEAT_SCHEDULE["careplans-escalate-crisis-tasks"] == {"task": "careplans.tasks.escalate_crisis_tasks", "schedule": 60.0}


# --- who may see what ---------------------------------------------------------------------------


def test_on_call_clinician_off_the_team_finds_the_crisis_task_from_the_alert_link(patient, plan, psychologist, on_call):
    questionnaire_response_create(patient=patient, questionnaire="PHQ-9", answers=ITEM9, now=NIGHT)
    task = Task.objects.get(source="questionnaire")
    assert list(tasks_for_user(user=on_call.user, status="open", priority="stat")) == [task]
    on_call.user.groups.remove(Group.objects.get(name=ON_CALL))
    del on_call.user._clinic_roles
    assert list(tasks_for_user(user=on_call.user, status="open", priority="stat")) == []


def test_front_desk_sees_no_alert_text(patient, plan, phoned_psychologist, front_desk_user):
    questionnaire_response_create(patient=patient, questionnaire="PHQ-9", answers=ITEM9, now=NIGHT)
    alert = staff_alerts().first()
    assert message_text(front_desk_user, alert, "body") == CLINICAL_PLACEHOLDER


def test_front_desk_and_clinic_admin_do_not_see_that_an_alert_went_out(
    client, patient, plan, phoned_psychologist, front_desk_user, clinic_admin_user
):
    questionnaire_response_create(patient=patient, questionnaire="PHQ-9", answers=ITEM9, now=NIGHT)
    alert = staff_alerts().first()
    for user in (front_desk_user, clinic_admin_user):
        sign_in(client, user)
        listing = client.get("/admin/messaging/message/?purpose=staff_alert")
        assert listing.status_code == 200 and f"/admin/messaging/message/{alert.pk}/change/" not in listing.content.decode()
        assert client.get(f"/admin/messaging/message/{alert.pk}/change/").status_code == 302  # "does not exist"
    sign_in(client, phoned_psychologist.user)
    assert client.get(f"/admin/messaging/message/{alert.pk}/change/").status_code == 200


# --- the patient's page -------------------------------------------------------------------------


def answer_link(patient) -> str:
    request = questionnaire_request_create(
        patient=patient, questionnaire="PHQ-9", due_at=datetime.datetime.now(datetime.UTC), dedupe_key=f"t:{patient.pk}"
    )
    return questionnaire_link_for(request)


def post_answers(client, link, answers):
    return client.post(link, {f"item{i}": str(v) for i, v in enumerate(answers)})


def test_patient_page_after_item_9_shows_the_care_team_988_and_911_in_english(client, patient, plan, psychologist):
    page = post_answers(client, answer_link(patient), ITEM9)
    text = page.content.decode()
    assert page.status_code == 200 and '<html lang="en">' in text
    assert "Your answers will be read by your care team." in text
    assert re.search(r'href="tel:988"><strong>988</strong></a>, the Suicide &amp; Crisis Lifeline', text)
    assert 'If you are in danger now, call <a href="tel:911"><strong>911</strong></a>.' in text
    assert Task.objects.filter(source="questionnaire", priority="stat").count() == 1


def test_patient_page_after_item_9_is_in_spanish_for_a_spanish_speaking_patient(client, psychologist):
    patient = PatientFactory(language="es")
    CarePlanFactory(patient=patient)
    text = post_answers(client, answer_link(patient), ITEM9).content.decode()
    assert '<html lang="es">' in text
    assert "Su equipo de atención leerá sus respuestas." in text
    assert 'Llame o envíe un mensaje de texto al <a href="tel:988"><strong>988</strong></a>' in text
    assert 'Si está en peligro ahora, llame al <a href="tel:911"><strong>911</strong></a>.' in text
    assert "Your answers" not in text


def test_patient_page_without_item_9_is_a_plain_thank_you(client, patient, plan):
    text = post_answers(client, answer_link(patient), [1] * 8 + [0]).content.decode()
    assert "Your answers have been sent to your care team." in text
    assert "988" not in text and "911" not in text
