"""Inbound SMS: opt-out and opt-in words honoured at once (FCC 24-24), HELP (CTIA), C / YES /
CONFIRM to confirm the next visit, anything else to the front desk's queue. Idempotent on
Twilio's MessageSid: a webhook retried by Twilio gets the same reply and changes nothing.

Opt-out is read generously: the FCC words and the Spanish ALTO, PARAR, CANCELAR SUSCRIPCION in
any case, with accents or punctuation, as the first word(s) of the text ("Stop please",
"STOP.", "Cancel my visit"). A missed opt-out is a texting-law violation for every later text;
a mistaken one is undone by replying START. Confirming stays exact ("C", "yes"): "Yes but I need
another time" must reach the front desk, not confirm the visit.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_

from clinic.models import Channel, Patient
from clinic.services import patient_set_consent
from core.errors import IllegalTransition
from messaging.events import MessagingHappened, announce
from messaging.models import InboundSms, Message, MessageStatus, Purpose
from messaging.services import content
from messaging.services.transitions import messages_cancel
from scheduling.models import Appointment, AppointmentStatus
from scheduling.services import appointment_confirm

log = logging.getLogger(__name__)
Action = InboundSms.Action

OPT_OUT = ("CANCELAR SUSCRIPCION", "OPT OUT", "STOPALL", "STOP", "QUIT", "END", "REVOKE", "OPTOUT", "UNSUBSCRIBE", "ALTO", "PARAR")
# Words that may mean "cancel my visit": they opt out too (FCC), and the reply says the visit
# is still booked and how to cancel it.
OPT_OUT_CANCEL = ("CANCEL", "CANCELAR")
OPT_IN = {"START", "UNSTOP"}
HELP = {"HELP", "INFO", "AYUDA"}
CONFIRM = {"C", "YES", "CONFIRM", "Y", "SI"}
# Longest first, so "CANCELAR SUSCRIPCION" is read as the opt-out it is, not as CANCELAR.
_OPT_OUT_LONGEST_FIRST = tuple(sorted(OPT_OUT_CANCEL + OPT_OUT, key=len, reverse=True))

# Replies in the patient's language: English msgids, translated in locale/<lang>/LC_MESSAGES/django.po.
REPLIES = content.Catalogue(
    {
        "opt_out": N_("{clinic}: you are unsubscribed and will get no more texts. Reply START to subscribe again. Help: {phone}"),
        "opt_in": N_(
            "{clinic}: you are subscribed to visit reminders again, up to 3 msgs/week. Reply STOP to opt out. Msg & data rates may apply."
        ),
        "help": N_("{clinic}: visit reminders, up to 3 msgs/week. Help: call {phone}. Reply STOP to opt out. Msg & data rates may apply."),
        "confirmed": N_("{clinic}: thank you, your visit {when} is confirmed. Questions: {phone}"),
        "nothing": N_("{clinic}: we found no visit to confirm. Questions: call {phone}"),
    }
)


def _normalise(body: str) -> str:
    """Upper case, accents stripped, punctuation as spaces, spaces collapsed: "¡Alto!" → "ALTO"."""
    plain = "".join(char for char in unicodedata.normalize("NFKD", body) if not unicodedata.combining(char))
    return re.sub(r"\s+", " ", re.sub(r"[\W_]+", " ", plain.casefold())).strip().upper()


def _starts_with(word: str, keywords) -> str | None:
    for keyword in keywords:
        if word == keyword or word.startswith(keyword + " "):
            return keyword
    return None


def opt_out_keyword(body: str) -> str | None:
    """The opt-out word the text starts with (normalised), or None."""
    word = _normalise(body)
    return _starts_with(word, _OPT_OUT_LONGEST_FIRST)


def _reply(key: str, language: str, **values) -> str:
    text = REPLIES[language][key].format(clinic=settings.CLINIC_SHORT_NAME, phone=settings.CLINIC_PHONE, **values)
    return content.gsm7(text)


def inbound_sms_receive(*, sid: str, from_number: str, body: str, now: datetime | None = None) -> InboundSms:
    """Act on one inbound text and return its log row (with the reply to send, '' for none)."""
    now = now or timezone.now()
    if existing := InboundSms.objects.filter(provider_message_id=sid).first():
        return existing
    try:
        with transaction.atomic():
            return _receive(sid=sid, from_number=from_number, body=body, now=now)
    except IntegrityError:  # the same webhook, retried concurrently
        return InboundSms.objects.get(provider_message_id=sid)


def _receive(*, sid: str, from_number: str, body: str, now: datetime) -> InboundSms:
    patients = list(Patient.objects.filter(phone=from_number).order_by("id"))
    word = _normalise(body)
    language = patients[0].language if patients else "en"
    reply = ""
    opt_out = opt_out_keyword(body)
    if not patients:
        action = Action.UNKNOWN_SENDER
        if not opt_out and word not in OPT_IN | HELP | CONFIRM:
            _front_desk_task(patient=None, body=body, sid=sid, now=now)
    elif opt_out:
        action = Action.OPT_OUT
        source = f"inbound SMS {opt_out}"
        changed = [patient_set_consent(patient=p, channel=Channel.SMS, granted=False, source=source, now=now) for p in patients]
        # Texts to the patient stop; urgent alerts to staff about the patient must still go.
        messages_cancel(
            qs=Message.objects.filter(
                patient__in=patients, channel=Channel.SMS, status=MessageStatus.PENDING, staff_recipient__isnull=True
            ).exclude(purpose=Purpose.STAFF_ALERT),
            reason="opted out by SMS",
            now=now,
        )
        if any(changed):  # one confirmation; a repeated STOP is not answered again
            reply = _opt_out_reply(patients, language, now) if opt_out in OPT_OUT_CANCEL else _reply("opt_out", language)
        if word != opt_out:
            # "Cancel my visit, my legs are numb": the words after the keyword may be a red flag
            # or a request; they reach the care team as any other text would.
            _front_desk_task(patient=patients[0], body=body, sid=sid, now=now)
    elif word in OPT_IN:
        action = Action.OPT_IN
        for p in patients:
            patient_set_consent(patient=p, channel=Channel.SMS, granted=True, source="inbound SMS START", now=now)
        reply = _reply("opt_in", language)
    elif word in HELP:
        action, reply = Action.HELP, _reply("help", language)
    elif word in CONFIRM:
        action, reply = _confirm_next(patients, language, now)
    else:
        action = Action.TASK
        _front_desk_task(patient=patients[0], body=body, sid=sid, now=now)
    row = InboundSms.objects.create(
        provider_message_id=sid,
        from_number=from_number,
        patient=patients[0] if patients else None,
        body=body,
        action=action,
        reply=reply,
        received_at=now,
    )
    log.info("inbound sms", extra={"event": f"messaging.inbound.{action}", "patient_id": row.patient_id})
    return row


def _next_visit(patients: list[Patient], now: datetime) -> Appointment | None:
    return (
        Appointment.objects.filter(patient__in=patients, status__in=[AppointmentStatus.BOOKED, AppointmentStatus.CONFIRMED], start__gt=now)
        .select_related("patient")
        .order_by("start")
        .first()
    )


def _opt_out_reply(patients: list[Patient], language: str, now: datetime) -> str:
    """CANCEL stops texts (FCC) but a patient may have meant the visit: say it is still booked
    and how to cancel it. No visit type or procedure in it (a lock screen is not private)."""
    appointment = _next_visit(patients, now)
    if appointment is None:
        return _reply("opt_out", language)
    values = {
        "clinic": settings.CLINIC_SHORT_NAME,
        "phone": settings.CLINIC_PHONE,
        "date": content.format_when(appointment.start, appointment.patient.zone, language),
    }
    with translation.override(content.patient_language(language)):
        if appointment.patient.email and appointment.patient.email_consent:
            text = gettext(
                "You won't get more texts from %(clinic)s. Your visit on %(date)s is still booked. "
                "To cancel it call %(phone)s or use the link in your email."
            )
        else:
            text = gettext("You won't get more texts from %(clinic)s. Your visit on %(date)s is still booked. To cancel it call %(phone)s.")
    return content.gsm7(text % values)


def _confirm_next(patients: list[Patient], language: str, now: datetime) -> tuple[str, str]:
    appointment = (
        Appointment.objects.filter(patient__in=patients, status=AppointmentStatus.BOOKED, start__gt=now)
        .select_related("patient")
        .order_by("start")
        .first()
    )
    if appointment is None:
        return Action.NOTHING_TO_CONFIRM, _reply("nothing", language)
    try:
        appointment_confirm(appointment=appointment, via="sms", now=now)
    except IllegalTransition:
        return Action.NOTHING_TO_CONFIRM, _reply("nothing", language)
    when = content.format_when(appointment.start, appointment.patient.zone, language)
    return Action.CONFIRMED, _reply("confirmed", language, when=when)


def _front_desk_task(*, patient: Patient | None, body: str, sid: str, now: datetime) -> None:
    announce(
        MessagingHappened.PATIENT_NEEDS_FRONT_DESK,
        patient=patient,
        title="Text message from a patient" if patient else "Text message from an unknown number",
        text=body[:2000],
        source="inbound_sms",
        dedupe_key=f"inbound-sms:{sid}",
        now=now,
    )
