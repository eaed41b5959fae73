"""What a message says, in the patient's language and zone.

SMS texts never name the visit type, the procedure, a diagnosis or the provider's discipline:
a lock screen is not private. They are plain GSM-7 (no accents GSM lacks) so 160 characters are
one segment, and each purpose has shorter fallbacks when a long clinic name or URL would push a
text past 160.
"""

from __future__ import annotations

import unicodedata
import zoneinfo
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string

from messaging.models import Purpose

SMS_MAX = 160
_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

_WEEKDAYS = {"en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], "es": ["lun", "mar", "mie", "jue", "vie", "sab", "dom"]}
_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "es": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"],
}


def gsm7(text: str) -> str:
    """Keep GSM-7 characters; strip accents GSM lacks (á → a); drop the rest."""
    out = []
    for char in text:
        if char in _GSM7:
            out.append(char)
            continue
        base = unicodedata.normalize("NFKD", char)[0]
        out.append(base if base in _GSM7 else "")
    return "".join(out)


def format_when(at: datetime, zone: zoneinfo.ZoneInfo, language: str, *, show_zone: bool = False) -> str:
    """'Tue Nov 24, 9:00 AM' / 'mar 24 nov, 9:00' in the given zone."""
    local = at.astimezone(zone)
    lang = "es" if language == "es" else "en"
    day, month = _WEEKDAYS[lang][local.weekday()], _MONTHS[lang][local.month - 1]
    if lang == "es":
        text = f"{day} {local.day} {month}, {local.hour}:{local.minute:02d}"
    else:
        hour = local.hour % 12 or 12
        text = f"{day} {month} {local.day}, {hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
    return f"{text} {local.tzname()}" if show_zone else text


# Longest first; the first variant that fits in 160 characters is used.
SMS_TEXTS: dict[str, dict[str, list[str]]] = {
    "en": {
        "confirm_ask": [
            "{clinic}: reminder of your visit {when}. Reply C to confirm. Can't come? {link} Questions: {phone}",
            "{clinic}: visit {when}. Reply C to confirm. Can't come? {link} {phone}",
            "{clinic} {when}. Reply C to confirm. {link} {phone}",
        ],
        Purpose.REMINDER: [
            "{clinic}: reminder of your visit {when}. Can't come? {link} Questions: {phone}",
            "{clinic}: visit {when}. Can't come? {link} {phone}",
            "{clinic} {when} {link} {phone}",
        ],
        Purpose.CONFIRMATION: [
            "{clinic}: your visit is booked for {when}. Can't come? {link} Questions: {phone}",
            "{clinic}: visit booked {when}. Can't come? {link} {phone}",
            "{clinic} {when} {link} {phone}",
        ],
        Purpose.RESCHEDULED: [
            "{clinic}: your visit has moved to {when}. Can't come? {link} Questions: {phone}",
            "{clinic}: visit moved to {when}. {link} {phone}",
            "{clinic} {when} {link} {phone}",
        ],
        Purpose.VIDEO_LINK: [
            "{clinic}: your video visit starts {when}. Join here: {link} Help: {phone}",
            "{clinic}: video visit {when}. Join: {link} {phone}",
            "{clinic} {when} {link} {phone}",
        ],
        Purpose.CANCELLATION: [
            "{clinic}: your visit on {when} is cancelled. To ask for another time: {link} or call {phone}",
            "{clinic}: visit {when} cancelled. New time: {link} {phone}",
            "{clinic} {when} X {link} {phone}",
        ],
        Purpose.WAITLIST_OFFER: [
            "{clinic}: an earlier visit is open {when}. Claim it by {deadline}: {link} Questions: {phone}",
            "{clinic}: visit open {when}. Claim by {deadline}: {link} {phone}",
            "{clinic} {when} {link} {phone}",
        ],
        Purpose.QUESTIONNAIRE: [
            "{clinic}: please answer a short questionnaire for your care team: {link} Questions: {phone}",
            "{clinic}: short questionnaire: {link} {phone}",
            "{clinic} {link} {phone}",
        ],
        Purpose.NOTICE: ["{clinic}: you have a message from the clinic: {link} Questions: {phone}", "{clinic} {link} {phone}"],
    },
    "es": {
        "confirm_ask": [
            "{clinic}: recordatorio de su cita el {when}. Responda C para confirmar. No puede venir? {link} Dudas: {phone}",
            "{clinic}: cita el {when}. Responda C para confirmar. {link} {phone}",
            "{clinic} {when}. Responda C para confirmar. {link} {phone}",
        ],
        Purpose.REMINDER: [
            "{clinic}: recordatorio de su cita el {when}. No puede venir? {link} Dudas: {phone}",
            "{clinic}: cita el {when}. {link} {phone}",
            "{clinic} {when} {link} {phone}",
        ],
        Purpose.CONFIRMATION: [
            "{clinic}: su cita queda reservada para el {when}. No puede venir? {link} Dudas: {phone}",
            "{clinic}: cita reservada el {when}. {link} {phone}",
            "{clinic} {when} {link} {phone}",
        ],
        Purpose.RESCHEDULED: [
            "{clinic}: su cita ha cambiado al {when}. No puede venir? {link} Dudas: {phone}",
            "{clinic}: cita cambiada al {when}. {link} {phone}",
            "{clinic} {when} {link} {phone}",
        ],
        Purpose.VIDEO_LINK: [
            "{clinic}: su cita por video empieza el {when}. Entre aqui: {link} Ayuda: {phone}",
            "{clinic}: cita por video {when}. {link} {phone}",
            "{clinic} {when} {link} {phone}",
        ],
        Purpose.CANCELLATION: [
            "{clinic}: su cita del {when} queda cancelada. Para pedir otra hora: {link} o llame al {phone}",
            "{clinic}: cita del {when} cancelada. Otra hora: {link} {phone}",
            "{clinic} {when} X {link} {phone}",
        ],
        Purpose.WAITLIST_OFFER: [
            "{clinic}: hay una cita libre el {when}. Reservela antes del {deadline}: {link} Dudas: {phone}",
            "{clinic}: cita libre {when}. Antes del {deadline}: {link} {phone}",
            "{clinic} {when} {link} {phone}",
        ],
        Purpose.QUESTIONNAIRE: [
            "{clinic}: por favor conteste un breve cuestionario para su equipo: {link} Dudas: {phone}",
            "{clinic}: breve cuestionario: {link} {phone}",
            "{clinic} {link} {phone}",
        ],
        Purpose.NOTICE: ["{clinic}: tiene un mensaje de la clinica: {link} Dudas: {phone}", "{clinic} {link} {phone}"],
    },
}


def sms_text(*, key: str, language: str, **values: str) -> str:
    """The first variant of `key` that fits one GSM-7 segment. The last resort shortens the
    clinic name, never the link or the phone number."""
    lang = "es" if language == "es" else "en"
    values = {"clinic": settings.CLINIC_NAME, "phone": settings.CLINIC_PHONE, "when": "", "deadline": "", "link": "", **values}
    variants = SMS_TEXTS[lang][key]
    for variant in variants:
        text = gsm7(variant.format(**values))
        if len(text) <= SMS_MAX:
            return text
    text = gsm7(variants[-1].format(**values))
    values["clinic"] = values["clinic"][: max(3, len(values["clinic"]) - (len(text) - SMS_MAX))]
    return gsm7(variants[-1].format(**values))[:SMS_MAX]


@dataclass
class EmailContent:
    subject: str
    body: str
    html_body: str


_EMAIL_STRINGS = {
    "en": {
        Purpose.CONFIRMATION: ("Your visit is booked: {when}", "Your visit is booked."),
        Purpose.REMINDER: ("Reminder: your visit on {when}", "This is a reminder of your visit."),
        Purpose.RESCHEDULED: ("Your visit has moved: {when}", "Your visit has moved to a new time."),
        Purpose.VIDEO_LINK: ("Your video visit: {when}", "Your video visit starts soon."),
        Purpose.CANCELLATION: ("Your visit on {when} is cancelled", "Your visit has been cancelled."),
        Purpose.WAITLIST_OFFER: ("An earlier time is open: {when}", "An earlier visit time has opened up for you."),
        Purpose.QUESTIONNAIRE: ("A short questionnaire from your care team", "Your care team asks you to answer a short questionnaire."),
        Purpose.NOTICE: ("A message from the clinic", "You have a message from the clinic."),
        "hello": "Hello {name},",
        "when": "When",
        "where": "Where",
        "prep": "How to prepare",
        "confirm": "Confirm I will come",
        "cancel": "Cancel this visit",
        "reschedule": "Ask for another time",
        "join": "Join the video visit",
        "claim": "Claim this time (until {deadline})",
        "open": "Open",
        "questions": "Questions? Call {clinic} at {phone}.",
        "unsubscribe": "Stop email reminders",
    },
    "es": {
        Purpose.CONFIRMATION: ("Su cita queda reservada: {when}", "Su cita queda reservada."),
        Purpose.REMINDER: ("Recordatorio de su cita: {when}", "Le recordamos su cita."),
        Purpose.RESCHEDULED: ("Su cita ha cambiado: {when}", "Su cita ha cambiado de hora."),
        Purpose.VIDEO_LINK: ("Su cita por video: {when}", "Su cita por video empieza pronto."),
        Purpose.CANCELLATION: ("Su cita del {when} está cancelada", "Su cita ha sido cancelada."),
        Purpose.WAITLIST_OFFER: ("Hay una hora libre antes: {when}", "Se ha liberado una hora antes para usted."),
        Purpose.QUESTIONNAIRE: ("Un breve cuestionario de su equipo", "Su equipo le pide que conteste un breve cuestionario."),
        Purpose.NOTICE: ("Un mensaje de la clínica", "Tiene un mensaje de la clínica."),
        "hello": "Hola {name}:",
        "when": "Cuándo",
        "where": "Dónde",
        "prep": "Cómo prepararse",
        "confirm": "Confirmo que iré",
        "cancel": "Cancelar esta cita",
        "reschedule": "Pedir otra hora",
        "join": "Entrar a la cita por video",
        "claim": "Reservar esta hora (hasta el {deadline})",
        "open": "Abrir",
        "questions": "¿Dudas? Llame a {clinic} al {phone}.",
        "unsubscribe": "No recibir más recordatorios por email",
    },
}


@dataclass
class EmailParts:
    purpose: str
    language: str
    first_name: str
    when: str = ""
    deadline: str = ""
    location_lines: list[str] = field(default_factory=list)
    prep_text: str = ""
    actions: list[tuple[str, str]] = field(default_factory=list)  # (string key, url)
    unsubscribe_url: str = ""


def email_content(parts: EmailParts) -> EmailContent:
    lang = "es" if parts.language == "es" else "en"
    strings = _EMAIL_STRINGS[lang]
    subject_tpl, headline = strings[parts.purpose]
    fmt = {"when": parts.when, "deadline": parts.deadline, "clinic": settings.CLINIC_NAME, "phone": settings.CLINIC_PHONE}
    context = {
        "lang": lang,
        "clinic": settings.CLINIC_NAME,
        "greeting": strings["hello"].format(name=parts.first_name),
        "headline": headline,
        "when_label": strings["when"],
        "when": parts.when,
        "where_label": strings["where"],
        "location_lines": parts.location_lines,
        "prep_label": strings["prep"],
        "prep_text": parts.prep_text,
        "actions": [(strings[key].format(**fmt), url) for key, url in parts.actions],
        "questions": strings["questions"].format(**fmt),
        "unsubscribe_label": strings["unsubscribe"],
        "unsubscribe_url": parts.unsubscribe_url,
    }
    subject = f"{subject_tpl.format(**fmt)} · {settings.CLINIC_NAME}"
    return EmailContent(
        subject=subject[:200],
        body=render_to_string("messaging/email/message.txt", context),
        html_body=render_to_string("messaging/email/message.html", context),
    )
