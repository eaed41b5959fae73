"""Email through Django's email backend: text and HTML, the visit as an .ics attachment, and
List-Unsubscribe for reminders. Email cannot be looked up after the fact, so a send that was
interrupted is failed for a person to check, never repeated blind (at most once)."""

from __future__ import annotations

import smtplib
import socket
from email.utils import make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from messaging.channels import GatewayError
from messaging.models import Purpose
from scheduling.ical import appointment_ics


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
    email = build_email(message, unsubscribe_url=unsubscribe_url)
    try:
        email.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as error:
        raise GatewayError(f"recipient refused ({type(error).__name__})", retryable=False) from None
    except (smtplib.SMTPServerDisconnected, smtplib.SMTPConnectError, ConnectionRefusedError, socket.gaierror) as error:
        raise GatewayError(f"mail server unreachable ({type(error).__name__})", retryable=True, maybe_sent=False) from None
    except (smtplib.SMTPException, TimeoutError, OSError) as error:
        raise GatewayError(f"mail server error ({type(error).__name__})", retryable=True, maybe_sent=True) from None
    return email.extra_headers["Message-ID"]
