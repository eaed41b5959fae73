"""Staff never see a usable patient link in a message, and a clinical message's text is shown only
to those who may read the patient's clinical record (messaging.redaction)."""

import re

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from careplans.models import ProtocolStep
from careplans.services.questionnaires import instructions_link_for, questionnaire_link_for, questionnaire_request_create
from messaging.models import Message, PatientLink, Purpose
from messaging.redaction import CLINICAL_PLACEHOLDER, LINK_PLACEHOLDER, mask_links
from messaging.services import outbox_enqueue_for_patient
from messaging.services.links import link_token, link_url
from scheduling.services import appointment_book
from tests.factories import CarePlanFactory, CareTeamMemberFactory, sign_in
from tests.messaging.conftest import at

pytestmark = pytest.mark.django_db
NOW = at(2026, 11, 2, 10)
LINK = re.compile(r"/[pq]/[\w.:-]{4,}")


def login(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def assert_no_usable_link(html: str, tokens) -> None:
    assert not LINK.search(html), LINK.search(html)
    for token in tokens:
        assert token not in html


@pytest.fixture
def booked(clinic_world, visit, patient):
    with time_machine.travel(NOW, tick=False):
        return appointment_book(patient=patient, provider=clinic_world, visit_type=visit, start=at(2026, 11, 12, 9), now=NOW)


@pytest.fixture
def link_tokens(booked):
    tokens = [link_token(link) for link in PatientLink.objects.filter(appointment=booked)]
    assert tokens and any(token in m.body for m in Message.objects.filter(appointment=booked) for token in tokens)
    return tokens


@pytest.fixture
def questionnaire(patient):
    request = questionnaire_request_create(patient=patient, questionnaire="NRS", due_at=NOW, dedupe_key="relief-check", now=NOW)
    message = Message.objects.get(purpose=Purpose.QUESTIONNAIRE, patient=patient)
    token = questionnaire_link_for(request).split("/")[2]
    assert token in message.body  # the stored message keeps the link: the patient needs it
    return message, token


@pytest.fixture
def glucose_notice(patient):
    step = ProtocolStep.objects.filter(code="glucose-warning").first() or pytest.fail("the default protocols define the glucose warning")
    path = instructions_link_for(step)
    [message] = outbox_enqueue_for_patient(
        patient=patient, purpose=Purpose.NOTICE, due_at=NOW, dedupe_key="glucose", link_path=path, now=NOW
    )
    assert path in message.body
    return message, path.split("/")[3]


def change_page(user, message) -> str:
    response = login(user).get(reverse("admin:messaging_message_change", args=[message.pk]))
    assert response.status_code == 200
    return response.content.decode()


def test_front_desk_sees_a_reminder_on_the_message_page_with_its_links_masked(front_desk_user, booked, link_tokens):
    reminder = (
        Message.objects.filter(appointment=booked).exclude(purpose=Purpose.CONFIRMATION).first()
        or Message.objects.filter(appointment=booked).first()
    )
    html = change_page(front_desk_user, reminder)
    assert_no_usable_link(html, link_tokens)
    assert LINK_PLACEHOLDER in html  # a scheduling message: shown, its links masked
    assert reminder.status in html.lower()


def test_front_desk_sees_no_link_on_the_failed_messages_page(front_desk_user, booked, link_tokens):
    failed = Message.objects.filter(appointment=booked).first()
    Message.objects.filter(pk=failed.pk).update(status="failed", last_error=f"gateway refused: {failed.body}")
    client = login(front_desk_user)
    listed = client.get(reverse("admin:messaging_failedmessage_changelist")).content.decode()
    page = client.get(reverse("admin:messaging_failedmessage_change", args=[failed.pk])).content.decode()
    for html in (listed, page):
        assert_no_usable_link(html, link_tokens)


def test_front_desk_sees_no_link_in_the_appointment_pages_messages(front_desk_user, booked, link_tokens):
    response = login(front_desk_user).get(reverse("admin:scheduling_appointment_change", args=[booked.pk]))
    assert response.status_code == 200
    assert_no_usable_link(response.content.decode(), link_tokens)


def test_front_desk_gets_no_link_from_the_messages_api(api_for, front_desk_user, booked, link_tokens):
    response = api_for(front_desk_user).get(f"/api/v1/appointments/{booked.pk}/messages/")
    assert response.status_code == 200 and response.data
    assert_no_usable_link(response.content.decode(), link_tokens)


def test_front_desk_sees_neither_link_nor_text_of_a_questionnaire_message(front_desk_user, questionnaire):
    message, token = questionnaire
    html = change_page(front_desk_user, message)
    assert_no_usable_link(html, [token])
    assert CLINICAL_PLACEHOLDER in html and mask_links(message.body) not in html
    assert "questionnaire" in html.lower()  # purpose, channel and status stay visible


def test_front_desk_does_not_see_the_glucose_warning_notice(front_desk_user, glucose_notice):
    message, token = glucose_notice
    html = change_page(front_desk_user, message)
    assert_no_usable_link(html, [token])
    assert CLINICAL_PLACEHOLDER in html
    assert message.body and mask_links(message.body) not in html


def test_provider_on_the_care_team_reads_the_clinical_message_but_gets_no_usable_link(anesthesiologist, patient, questionnaire):
    message, token = questionnaire
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=patient), provider=anesthesiologist)
    html = change_page(anesthesiologist.user, message)
    assert CLINICAL_PLACEHOLDER not in html
    assert mask_links(message.body) in html and LINK_PLACEHOLDER in html
    assert_no_usable_link(html, [token])


def test_every_patient_link_builder_is_masked(patient, booked, questionnaire, glucose_notice, settings):
    links = [link_url(link) for link in PatientLink.objects.filter(appointment=booked)]
    links += [settings.PUBLIC_BASE_URL + f"/q/{questionnaire[1]}/", f"/q/i/{glucose_notice[1]}/", f"/q/{questionnaire[1]}"]
    text = " ".join(f'<a href="{link}">go</a> or {link}.' for link in links)
    masked = mask_links(text)
    assert_no_usable_link(masked, [questionnaire[1], glucose_notice[1]])
    assert masked.count(LINK_PLACEHOLDER) == 2 * len(links)
    assert mask_links("Call us at /pharmacy or 555-0100") == "Call us at /pharmacy or 555-0100"
