"""Email through Django's email backend: text and HTML, the visit as an .ics attachment, and
List-Unsubscribe for reminders.

SMTP replies mean what they say (RFC 5321 §4.2.1): a 4xx at any stage (greylisting's
"451 4.7.1 try again later", a full mailbox, a busy server) is retried with backoff; a 5xx fails
the message with the server's reason for the front desk; a connection that cannot be opened is
retried. Only a connection lost after the whole message went out and before the server answered
is "maybe sent": email cannot be looked up after the fact, so that one is failed for a person to
check, never repeated blind (at most once). Telling these apart needs to know how far the SMTP
dialogue got, which `SmtpBackend` records; other backends (console, file, locmem) cannot fail
that way.
"""

from __future__ import annotations

import re
import smtplib
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.core.mail.backends.smtp import EmailBackend as DjangoSmtpBackend

from messaging.channels import GatewayError
from messaging.models import Purpose
from scheduling.ical import appointment_ics

_ADDRESS = re.compile(r"<?[^\s<>@]+@[^\s<>]+>?")


class _HandOverTracking:
    """Mixin for smtplib.SMTP: notes whether the whole message went out in DATA (`body_sent`)
    and whether the server accepted it (`accepted`). smtplib's data() writes the DATA command
    and then the message, each with one send(); the second completed send is the hand-over."""

    body_sent = False
    accepted = False
    _sends_in_data = -1

    def data(self, msg):
        self._sends_in_data = 0
        try:
            code, reply = super().data(msg)
        finally:
            self._sends_in_data = -1
        self.accepted = code == 250
        return code, reply

    def send(self, s):
        super().send(s)
        if self._sends_in_data >= 0:
            self._sends_in_data += 1
            self.body_sent = self._sends_in_data >= 2


class _TrackingSMTP(_HandOverTracking, smtplib.SMTP):
    pass


class _TrackingSMTPSSL(_HandOverTracking, smtplib.SMTP_SSL):
    pass


class SmtpBackend(DjangoSmtpBackend):
    """Django's SMTP backend (same settings), keeping the SMTP session it opened so the caller
    can tell how far the dialogue got when an error comes back."""

    session: _HandOverTracking | None = None

    @property
    def connection_class(self):
        session_class = _TrackingSMTPSSL if self.use_ssl else _TrackingSMTP

        def open_session(*args, **kwargs):
            self.session = session_class(*args, **kwargs)
            return self.session

        return open_session


def _reply_text(code: int, text: bytes | str) -> str:
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    # The server's words for the front desk, without the patient's address (no PHI in logs).
    return f"{code} {_ADDRESS.sub('<address>', text)}".strip()


def smtp_error(error: Exception, *, body_sent: bool) -> GatewayError:
    """What an exception from an SMTP dialogue means for the message."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        replies = list(error.recipients.values()) or [(550, b"recipient refused")]
        code, text = max(replies, key=lambda reply: reply[0])
        return GatewayError(f"mail server refused the recipient: {_reply_text(code, text)}", retryable=code < 500)
    if isinstance(error, smtplib.SMTPResponseException) and 400 <= error.smtp_code < 600:
        reply = _reply_text(error.smtp_code, error.smtp_error)
        if error.smtp_code < 500:
            return GatewayError(f"mail server asked to try again later: {reply}", retryable=True)
        return GatewayError(f"mail server refused the message: {reply}", retryable=False)
    if body_sent:
        return GatewayError(f"connection lost after the message was handed over ({type(error).__name__})", retryable=True, maybe_sent=True)
    return GatewayError(f"mail server unreachable ({type(error).__name__})", retryable=True)


def build_email(message, *, unsubscribe_url: str = "") -> EmailMultiAlternatives:
    """`unsubscribe_url` (a signed patient link, minted by the dispatcher) goes in
    List-Unsubscribe for reminders."""
    headers = {"Message-ID": make_msgid(idstring=f"m{message.pk}", domain="clinic.invalid")}
    if unsubscribe_url and message.purpose == Purpose.REMINDER:
        headers["List-Unsubscribe"] = f"<{unsubscribe_url}>"
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to_address or message.patient.email],
        headers=headers,
    )
    if message.html_body:
        email.attach_alternative(message.html_body, "text/html")
    if message.attach_ics and message.appointment_id:
        cancelled = message.purpose == Purpose.CANCELLATION
        email.attach(
            "visit.ics",
            appointment_ics(appointment=message.appointment, language=message.patient.language, cancelled=cancelled),
            "text/calendar; method=" + ("CANCEL" if cancelled else "PUBLISH"),
        )
    return email


def send_email(message, *, unsubscribe_url: str = "") -> str:
    """Hand one message to the configured email backend; GatewayError says what a failure means."""
    email = build_email(message, unsubscribe_url=unsubscribe_url)
    connection = get_connection(fail_silently=False)
    if isinstance(connection, DjangoSmtpBackend) and not isinstance(connection, SmtpBackend):
        connection = SmtpBackend(fail_silently=False)  # the same settings, with the dialogue recorded
    email.connection = connection
    try:
        email.send(fail_silently=False)
    except (smtplib.SMTPException, OSError) as error:
        session = getattr(connection, "session", None)
        if session is not None and session.accepted:
            return email.extra_headers["Message-ID"]  # 250 to the message; only the goodbye failed
        raise smtp_error(error, body_sent=session is not None and session.body_sent) from None
    return email.extra_headers["Message-ID"]
