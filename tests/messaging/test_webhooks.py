import pytest
import time_machine
from django.core.cache import cache
from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle
from twilio.request_validator import RequestValidator

from careplans.models import Task
from clinic.models import ConsentEvent
from messaging.models import InboundSms, Message, MessageStatus
from scheduling.models import AppointmentStatus
from scheduling.services import appointment_book
from tests.messaging.conftest import at

pytestmark = pytest.mark.django_db
SMS_URL = "/webhooks/twilio/sms/"
STATUS_URL = "/webhooks/twilio/status/"
NOW = at(2026, 11, 2, 10)


@pytest.fixture(autouse=True)
def clear_throttles():
    cache.clear()


def signed_post(client, path, data, token="test-auth-token"):
    signature = RequestValidator(token).compute_signature("https://clinic.example" + path, data)
    return client.post(path, data, HTTP_X_TWILIO_SIGNATURE=signature)


_sid = iter(range(1, 10_000))


def text(client, body, phone="+16175550101"):
    return signed_post(client, SMS_URL, {"MessageSid": f"SM{next(_sid):032d}", "From": phone, "To": "+16175550000", "Body": body})


def test_bad_or_missing_signature_is_refused(client, patient):
    data = {"MessageSid": "SM1", "From": str(patient.phone), "Body": "STOP"}
    assert client.post(SMS_URL, data).status_code == 403
    assert signed_post(client, SMS_URL, data, token="wrong-token").status_code == 403
    assert client.post(STATUS_URL, {"MessageSid": "SM1", "MessageStatus": "delivered"}, HTTP_X_TWILIO_SIGNATURE="forged").status_code == 403
    patient.refresh_from_db()
    assert patient.sms_consent is True


@pytest.mark.parametrize("word", ["STOP", "stop", "Quit", "END", "REVOKE", "OPT OUT", "CANCEL", "UNSUBSCRIBE", "Stop."])
def test_opt_out_words_opt_out_at_once_with_one_confirmation(client, patient, word):
    first = text(client, word)
    assert first.status_code == 200 and first["Content-Type"].startswith("text/xml")
    assert b"unsubscribed" in first.content and b"<Message>" in first.content
    patient.refresh_from_db()
    assert patient.sms_consent is False
    second = text(client, word)
    assert b"<Message>" not in second.content  # one confirmation only
    assert ConsentEvent.objects.filter(patient=patient, channel="sms", granted=False).count() == 1


def test_opt_out_cancels_pending_texts(client, clinic_world, visit, patient):
    with time_machine.travel(NOW, tick=False):
        appointment = appointment_book(patient=patient, provider=clinic_world, visit_type=visit, start=at(2026, 11, 12, 9), now=NOW)
    text(client, "STOP")
    assert set(Message.objects.filter(appointment=appointment, channel="sms").values_list("status", flat=True)) == {MessageStatus.CANCELLED}
    assert Message.objects.get(appointment=appointment, channel="email").status == MessageStatus.PENDING


def test_start_opts_back_in(client, patient):
    text(client, "STOP")
    response = text(client, "START")
    patient.refresh_from_db()
    assert patient.sms_consent is True and b"STOP" in response.content


def test_help_names_clinic_phone_frequency_stop_and_rates(client, patient):
    body = text(client, "HELP").content.decode()
    for needed in ("Riverside Pain Clinic", "+1 617-555-0100", "3 msgs/week", "Reply STOP", "Msg &amp; data rates may apply"):
        assert needed in body


def test_spanish_patient_gets_spanish_replies(client, patient):
    patient.language = "es"
    patient.save()
    assert "ya no recibira" in text(client, "STOP").content.decode()


@pytest.mark.parametrize("word", ["C", "yes", "CONFIRM"])
def test_c_confirms_the_next_appointment(client, clinic_world, visit, patient, word):
    with time_machine.travel(NOW, tick=False):
        later = appointment_book(patient=patient, provider=clinic_world, visit_type=visit, start=at(2026, 11, 13, 9), now=NOW)
        sooner = appointment_book(patient=patient, provider=clinic_world, visit_type=visit, start=at(2026, 11, 12, 9), now=NOW)
    with time_machine.travel(at(2026, 11, 10, 12)):
        response = text(client, word)
    sooner.refresh_from_db(), later.refresh_from_db()
    assert sooner.status == AppointmentStatus.CONFIRMED and later.status == AppointmentStatus.BOOKED
    assert sooner.events.last().reason == "confirmed via sms"
    assert b"confirmed" in response.content


def test_c_with_nothing_to_confirm_says_so(client, patient):
    assert b"no visit to confirm" in text(client, "C").content
    assert InboundSms.objects.get().action == "nothing_to_confirm"


def test_anything_else_goes_to_the_front_desk_queue(client, patient):
    response = text(client, "Can I bring my daughter?")
    assert b"<Message>" not in response.content
    task = Task.objects.get(source="inbound_sms")
    assert task.patient == patient and task.assignee_role == "front_desk" and task.description == "Can I bring my daughter?"


def test_twilio_retrying_the_same_webhook_changes_nothing_twice(client, patient):
    data = {"MessageSid": "SMretry", "From": "+16175550101", "Body": "STOP"}
    first = signed_post(client, SMS_URL, data)
    second = signed_post(client, SMS_URL, data)
    assert first.content == second.content and InboundSms.objects.count() == 1


def test_inbound_is_rate_limited_per_number(client, settings, patient):
    settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK, "DEFAULT_THROTTLE_RATES": {"webhook": "3/min"}}
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    try:
        codes = [text(client, "HELP").status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert text(client, "HELP", phone="+16175550199").status_code == 200  # another number is not affected
    finally:
        settings.REST_FRAMEWORK = {**settings.REST_FRAMEWORK}
        SimpleRateThrottle.THROTTLE_RATES = {"webhook": "120/min"}


def test_status_callbacks_mark_delivered_and_failed(client, patient):
    sent = Message.objects.create(patient=patient, channel="sms", purpose="notice", due_at=NOW, idempotency_key="d1", body="x",
                                  status="sent", provider_message_id="SMaaa")  # fmt: skip
    bounced = Message.objects.create(patient=patient, channel="sms", purpose="notice", due_at=NOW, idempotency_key="d2", body="y",
                                     status="sent", provider_message_id="SMbbb")  # fmt: skip
    assert signed_post(client, f"{STATUS_URL}?m={sent.pk}", {"MessageSid": "SMaaa", "MessageStatus": "delivered"}).status_code == 204
    signed_post(client, f"{STATUS_URL}?m={bounced.pk}", {"MessageSid": "SMbbb", "MessageStatus": "undelivered", "ErrorCode": "30003"})
    sent.refresh_from_db(), bounced.refresh_from_db()
    assert sent.status == "delivered" and sent.delivered_at is not None
    assert bounced.status == "failed" and "30003" in bounced.last_error


def test_delivery_callback_that_beats_our_sent_update_is_not_lost(client, patient):
    racing = Message.objects.create(
        patient=patient, channel="sms", purpose="notice", due_at=NOW, idempotency_key="d3", body="z", status="sending"
    )
    signed_post(client, f"{STATUS_URL}?m={racing.pk}", {"MessageSid": "SMccc", "MessageStatus": "delivered"})
    racing.refresh_from_db()
    assert racing.status == "delivered" and racing.provider_message_id == "SMccc"


@pytest.mark.parametrize(
    "body",
    ["Stop please", "STOP.", "stop!!", " Opt-out ", "optout", "StopAll", "unsubscribe me", "End", "quit texting me", "Revoke",
     "ALTO", "¡Alto!", "parar", "Parar por favor", "CANCELAR SUSCRIPCION", "cancelar suscripción"],
)  # fmt: skip
def test_opt_out_words_in_any_case_with_punctuation_or_a_trailing_word(client, patient, body):
    text(client, body)
    patient.refresh_from_db()
    assert patient.sms_consent is False
    assert InboundSms.objects.get().action == "opt_out"


@pytest.mark.parametrize("body", ["Stopping by at 3?", "Can I stop my pills before the visit?", "Endoscopy tomorrow", "Altogether fine"])
def test_words_that_only_start_like_an_opt_out_word_do_not_opt_out(client, patient, body):
    text(client, body)
    patient.refresh_from_db()
    assert patient.sms_consent is True and InboundSms.objects.get().action == "task"


def test_cancel_stops_texts_and_says_the_visit_is_still_booked_and_how_to_cancel(client, clinic_world, visit, patient):
    with time_machine.travel(NOW, tick=False):
        appointment = appointment_book(patient=patient, provider=clinic_world, visit_type=visit, start=at(2026, 11, 12, 9), now=NOW)
    with time_machine.travel(at(2026, 11, 3, 12)):
        text(client, "Cancel")
    appointment.refresh_from_db(), patient.refresh_from_db()
    assert appointment.status == AppointmentStatus.BOOKED and patient.sms_consent is False
    assert InboundSms.objects.get().reply == (
        "You won't get more texts from Riverside Pain Clinic. Your visit on Thu Nov 12, 9:00 AM is still booked. "
        "To cancel it call +1 617-555-0100 or use the link in your email."
    )
    assert "Follow-up" not in InboundSms.objects.get().reply  # no visit type on a lock screen


def test_cancel_in_spanish_without_email_says_to_call(client, clinic_world, visit, patient):
    patient.language, patient.email_consent = "es", False
    patient.save()
    with time_machine.travel(NOW, tick=False):
        appointment_book(patient=patient, provider=clinic_world, visit_type=visit, start=at(2026, 11, 12, 9), now=NOW)
    with time_machine.travel(at(2026, 11, 3, 12)):
        text(client, "CANCELAR")
    assert InboundSms.objects.get().reply == (
        "Ya no recibira mas mensajes de Riverside Pain Clinic. Su cita del jue 12 nov, 9:00 sigue reservada. "
        "Para cancelarla llame al +1 617-555-0100."
    )


def test_cancelar_suscripcion_is_the_plain_opt_out_not_the_cancel_reply(client, clinic_world, visit, patient):
    patient.language = "es"
    patient.save()
    with time_machine.travel(NOW, tick=False):
        appointment_book(patient=patient, provider=clinic_world, visit_type=visit, start=at(2026, 11, 12, 9), now=NOW)
    with time_machine.travel(at(2026, 11, 3, 12)):
        text(client, "CANCELAR SUSCRIPCION")
    assert InboundSms.objects.get().reply == (
        "Riverside Pain Clinic: ya no recibira mas mensajes. Responda START para volver a suscribirse. Ayuda: +1 617-555-0100"
    )


def test_stop_does_not_cancel_urgent_alerts_to_staff_about_the_patient(client, patient, front_desk_user):
    alert = Message.objects.create(
        patient=patient, channel="sms", purpose="staff_alert", urgent=True, staff_recipient=front_desk_user,
        to_address="+16175550122", due_at=NOW, idempotency_key="alert", body="Urgent: open the workspace",
    )  # fmt: skip
    own = Message.objects.create(patient=patient, channel="sms", purpose="notice", due_at=NOW, idempotency_key="own", body="b")
    text(client, "STOP")
    alert.refresh_from_db(), own.refresh_from_db()
    assert (alert.status, own.status) == (MessageStatus.PENDING, MessageStatus.CANCELLED)


def test_an_opt_out_word_followed_by_more_text_opts_out_and_reaches_the_front_desk(client, patient):
    text(client, "Stop texting, I need to move my visit")
    patient.refresh_from_db()
    assert patient.sms_consent is False and InboundSms.objects.get().action == "opt_out"
    assert Task.objects.get(patient=patient).assignee_role == "front_desk"
    text(client, "STOP")  # the bare keyword is only an opt-out
    assert Task.objects.filter(patient=patient).count() == 1
