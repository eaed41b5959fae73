"""Email against a real SMTP server running in-process (aiosmtpd): what each SMTP answer means
for the message, through the real dispatch path (claim, checks, send, backoff)."""

from __future__ import annotations

import datetime
import socket
from email import message_from_bytes

import pytest
import time_machine
from aiosmtpd.controller import Controller

from messaging.models import Message, MessageStatus
from messaging.services.dispatch import message_send
from messaging.services.transitions import messages_claim_due
from scheduling.services import appointment_book
from tests.factories import PatientFactory
from tests.messaging.conftest import at

pytestmark = pytest.mark.django_db

NOW = at(2026, 11, 2, 10)
M = MessageStatus


class ScriptedServer:
    """An aiosmtpd handler that answers DATA (or RCPT) from a script, then 250; it keeps what it
    accepted, so a test can count deliveries."""

    def __init__(self, *, data_replies=(), rcpt_replies=(), drop_after_data: int = 0):
        self.data_replies = list(data_replies)
        self.rcpt_replies = list(rcpt_replies)
        self.drop_after_data = drop_after_data
        self.delivered: list[bytes] = []
        self.data_attempts = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.rcpt_replies:
            return self.rcpt_replies.pop(0)
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.data_attempts += 1
        if self.drop_after_data:
            # The whole message arrived; the connection dies before the server answers.
            self.drop_after_data -= 1
            server.transport.abort()
            return "250 OK"
        if self.data_replies:
            return self.data_replies.pop(0)
        self.delivered.append(envelope.content)
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp(settings):
    """Start a scripted SMTP server and point Django's SMTP backend at it."""
    controllers = []

    def start(handler: ScriptedServer) -> ScriptedServer:
        port = _free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port)
        controller.start()
        controllers.append(controller)
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
        settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
        settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
        settings.EMAIL_TIMEOUT = 5
        return handler

    yield start
    for controller in controllers:
        controller.stop()


@pytest.fixture
def confirmation(clinic_world, visit):
    """An email-only patient's booking confirmation, due now."""
    patient = PatientFactory(sms_consent=False, email_consent=True, email="jo@example.org", preferred_channel="email")
    with time_machine.travel(NOW, tick=False):
        appointment = appointment_book(patient=patient, provider=clinic_world, visit_type=visit, start=at(2026, 11, 12, 9), now=NOW)
    return Message.objects.get(appointment=appointment, purpose="confirmation")


def dispatch(message: Message, now: datetime.datetime) -> str:
    with time_machine.travel(now, tick=False):
        assert message.pk in messages_claim_due(now=now)
        return message_send(message_id=message.pk, now=now)


def test_greylisted_email_is_retried_after_backoff_and_delivered_exactly_once(smtp, confirmation):
    server = smtp(ScriptedServer(data_replies=["451 4.7.1 try again later"]))
    assert dispatch(confirmation, NOW) == "retry"
    confirmation.refresh_from_db()
    assert confirmation.status == M.PENDING and confirmation.send_started_at is None  # not "maybe sent"
    assert confirmation.due_at == NOW + datetime.timedelta(minutes=1)
    assert "451 4.7.1 try again later" in confirmation.last_error
    assert server.delivered == []

    later = NOW + datetime.timedelta(minutes=1)
    assert dispatch(confirmation, later) == "sent"
    confirmation.refresh_from_db()
    assert confirmation.status == M.SENT and confirmation.attempts == 2
    assert len(server.delivered) == 1 and server.data_attempts == 2
    assert message_from_bytes(server.delivered[0])["To"] == "jo@example.org"


def test_5xx_fails_the_message_with_the_servers_reason(smtp, confirmation):
    server = smtp(ScriptedServer(data_replies=["550 5.7.1 message content rejected"]))
    assert dispatch(confirmation, NOW) == "failed"
    confirmation.refresh_from_db()
    assert confirmation.status == M.FAILED
    assert confirmation.status_reason == "mail server refused the message: 550 5.7.1 message content rejected"
    assert server.delivered == []


def test_4xx_at_rcpt_is_retried_and_5xx_at_rcpt_fails_without_the_address(smtp, confirmation):
    smtp(ScriptedServer(rcpt_replies=["450 4.2.1 mailbox busy", "550 5.1.1 <jo@example.org>: Recipient address rejected"]))
    assert dispatch(confirmation, NOW) == "retry"
    assert dispatch(confirmation, NOW + datetime.timedelta(minutes=1)) == "failed"
    confirmation.refresh_from_db()
    assert confirmation.status_reason == "mail server refused the recipient: 550 5.1.1 <address>: Recipient address rejected"


def test_connection_lost_after_the_message_went_out_is_maybe_sent_and_never_resent_blind(smtp, confirmation):
    server = smtp(ScriptedServer(drop_after_data=1))
    assert dispatch(confirmation, NOW) == "retry"
    confirmation.refresh_from_db()
    assert confirmation.send_started_at is not None and "after the message was handed over" in confirmation.last_error
    # Email cannot be looked up: the next attempt fails it for a person instead of sending again.
    assert dispatch(confirmation, NOW + datetime.timedelta(minutes=1)) == "failed"
    confirmation.refresh_from_db()
    assert confirmation.status == M.FAILED and "outcome unknown" in confirmation.status_reason
    assert server.data_attempts == 1


def test_server_down_is_retried_not_maybe_sent(settings, confirmation):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", _free_port(), 2
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    assert dispatch(confirmation, NOW) == "retry"
    confirmation.refresh_from_db()
    assert confirmation.send_started_at is None and "unreachable" in confirmation.last_error


def test_the_front_desk_sees_why_an_email_waits(smtp, confirmation):
    smtp(ScriptedServer(data_replies=["451 4.7.1 try again later"]))
    dispatch(confirmation, NOW)
    confirmation.refresh_from_db()
    assert confirmation.status_reason == "retrying: mail server asked to try again later: 451 4.7.1 try again later"
