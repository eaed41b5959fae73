"""What a message says, in the patient's language and zone.

SMS texts never name the visit type, the procedure, a diagnosis or the provider's discipline:
a lock screen is not private. Every text the clinic starts (not a reply) is laid out the same
way: the clinic's short name (CLINIC_SHORT_NAME), the wording, the link, the clinic's phone and
the opt-out line in the patient's language (FCC healthcare exemption). Those four parts are
never cut; when a text would pass one 160-character GSM-7 segment, a shorter wording is used,
and as a last resort the date in the shortest wording is cut with "...".

Texts are GSM-7 only, decided here once: characters GSM-7 lacks are transliterated (á → a) or
dropped, never sent as UCS-2, whose segments hold 70 characters and would cost a Spanish patient
three messages per reminder. Characters of the GSM-7 extension table (€ [ ] { } ^ ~ | \\) count
as two, as they do on the air.
"""

from __future__ import annotations

import logging
import re
import unicodedata
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import formats, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_noop as N_

from messaging.models import Purpose

SMS_MAX = 160


def patient_language(language: str) -> str:
    """The language to write to a patient in: theirs when the clinic ships it (settings.LANGUAGES,
    one locale/<code>/ catalogue each), else the default. Adding a language needs no code here."""
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


def _translated(value):
    if isinstance(value, str):
        return gettext(value)
    if isinstance(value, list | tuple):
        return type(value)(_translated(item) for item in value)
    return {key: _translated(item) for key, item in value.items()}


class Catalogue(Mapping):
    """Patient wording kept as English msgids (marked for makemessages) and translated through
    gettext: `catalogue[language]` is the same structure in that language (locale/<lang>/…/django.po),
    English where a language has no translation. Keys (purposes, variants) are fixed in code; the
    words live in the catalogues."""

    def __init__(self, msgids: dict):
        self._msgids = msgids

    def __getitem__(self, language: str) -> dict:
        with translation.override(patient_language(language)):
            return _translated(self._msgids)

    def __iter__(self):
        return iter(dict(settings.LANGUAGES))

    def __len__(self) -> int:
        return len(settings.LANGUAGES)


_GSM7 = set(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)

_WEEKDAYS = {"en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], "es": ["lun", "mar", "mie", "jue", "vie", "sab", "dom"]}
_MONTHS = {
    "en": ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"],
    "es": ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"],
}


_GSM7_EXTENSION = set("^{}\\[~]|€")
ELLIPSIS = "..."  # "…" is not GSM-7
log = logging.getLogger(__name__)


def gsm7(text: str) -> str:
    """Keep GSM-7 characters (basic and extension table); strip accents GSM lacks (á → a); drop the rest."""
    out = []
    for char in text:
        if char in _GSM7 or char in _GSM7_EXTENSION:
            out.append(char)
            continue
        base = unicodedata.normalize("NFKD", char)[0]
        out.append(base if base in _GSM7 else "")
    return "".join(out)


def gsm7_length(text: str) -> int:
    """Septets on the air: extension-table characters take an escape plus the character."""
    return sum(2 if char in _GSM7_EXTENSION else 1 for char in text)


def format_when(at: datetime, zone: zoneinfo.ZoneInfo, language: str, *, show_zone: bool = False) -> str:
    """'Tue Nov 24, 9:00 AM' / 'mar 24 nov, 9:00' in the given zone. English and Spanish are
    written GSM-7-safe by hand (texts); another shipped language uses Django's own date names."""
    local = at.astimezone(zone)
    lang = patient_language(language)
    if lang not in _WEEKDAYS:
        with translation.override(lang):
            text = formats.date_format(local, "D j M, H:i")
        return f"{text} {local.tzname()}" if show_zone else text
    day, month = _WEEKDAYS[lang][local.weekday()], _MONTHS[lang][local.month - 1]
    if lang == "es":
        text = f"{day} {local.day} {month}, {local.hour}:{local.minute:02d}"
    else:
        hour = local.hour % 12 or 12
        text = f"{day} {month} {local.day}, {hour}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"
    return f"{text} {local.tzname()}" if show_zone else text


def format_deadline(at: datetime, zone: zoneinfo.ZoneInfo, language: str, *, now: datetime) -> str:
    """A deadline for a text: the time alone when it is today ('12:00 PM' / '12:00'), which is
    what a short waitlist hold usually is; else as format_when."""
    local = at.astimezone(zone)
    if local.date() != now.astimezone(zone).date():
        return format_when(at, zone, language)
    if language == "es":
        return f"{local.hour}:{local.minute:02d}"
    return f"{local.hour % 12 or 12}:{local.minute:02d} {'AM' if local.hour < 12 else 'PM'}"


# Longest first; the first variant that fits one segment with the opt-out line is used. Every
# variant carries {clinic}, {link} and {phone}; the last is the bare gist whose date is cut
# when even that does not fit (sms_text).
SMS_FIXED_PARTS = "{clinic}: {link} {phone}"  # what no text is ever without (with the opt-out line)
SMS_TEXTS = Catalogue(
    {
        "confirm_ask": [
            N_("{clinic}: reminder of your visit {when}. Reply C to confirm. Can't come? {link} Questions: {phone}"),
            N_("{clinic}: visit {when}. Reply C to confirm. Can't come? {link} {phone}"),
            N_("{clinic}: visit {when}. Reply C to confirm. {link} {phone}"),
            N_("{clinic}: visit {when} {link} {phone}"),
        ],
        Purpose.REMINDER: [
            N_("{clinic}: reminder of your visit {when}. Can't come? {link} Questions: {phone}"),
            N_("{clinic}: visit {when}. Can't come? {link} {phone}"),
            N_("{clinic}: visit {when} {link} {phone}"),
        ],
        Purpose.CONFIRMATION: [
            N_("{clinic}: your visit is booked for {when}. Can't come? {link} Questions: {phone}"),
            N_("{clinic}: visit booked {when}. Can't come? {link} {phone}"),
            N_("{clinic}: booked {when} {link} {phone}"),
        ],
        Purpose.RESCHEDULED: [
            N_("{clinic}: your visit has moved to {when}. Can't come? {link} Questions: {phone}"),
            N_("{clinic}: visit moved to {when}. {link} {phone}"),
            N_("{clinic}: moved to {when} {link} {phone}"),
        ],
        Purpose.VIDEO_LINK: [
            N_("{clinic}: your video visit starts {when}. Join here: {link} Help: {phone}"),
            N_("{clinic}: video visit {when}. Join: {link} {phone}"),
            N_("{clinic}: video {when} {link} {phone}"),
        ],
        Purpose.CANCELLATION: [
            N_("{clinic}: your visit on {when} is cancelled. To ask for another time: {link} or call {phone}"),
            N_("{clinic}: visit {when} cancelled. New time: {link} {phone}"),
            N_("{clinic}: cancelled {when} {link} {phone}"),
        ],
        Purpose.WAITLIST_OFFER: [
            N_("{clinic}: an earlier visit is open {when}. Claim it by {deadline}: {link} Questions: {phone}"),
            N_("{clinic}: visit open {when}. Claim by {deadline}: {link} {phone}"),
            N_("{clinic}: visit open {when}. Claim: {link} {phone}"),
            N_("{clinic}: open {when} {link} {phone}"),
        ],
        Purpose.QUESTIONNAIRE: [
            N_("{clinic}: please answer a short questionnaire for your care team: {link} Questions: {phone}"),
            N_("{clinic}: short questionnaire: {link} {phone}"),
            N_("{clinic}: questionnaire {link} {phone}"),
        ],
        Purpose.NOTICE: [
            N_("{clinic}: you have a message from the clinic: {link} Questions: {phone}"),
            N_("{clinic}: message {link} {phone}"),
        ],
        Purpose.TICKET: [
            N_("{clinic}: your care team asks you to book your next visit. Choose a time: {link} Questions: {phone}"),
            N_("{clinic}: book your next visit: {link} {phone}"),
            N_("{clinic}: book {link} {phone}"),
        ],
        Purpose.TICKET_REMINDER: [
            N_("{clinic}: reminder: your next visit is not booked yet. Choose a time: {link} Questions: {phone}"),
            N_("{clinic}: reminder, book your next visit: {link} {phone}"),
            N_("{clinic}: book {link} {phone}"),
        ],
    }
)


def sms_opt_out_line(language: str) -> str:
    """The opt-out instruction every clinic-initiated text ends with, in the patient's language."""
    with translation.override(patient_language(language)):
        return gsm7(gettext("Reply STOP to opt out"))


def _squeeze(text: str) -> str:
    return re.sub(r" {2,}", " ", text).strip()


def _with_opt_out(text: str, opt_out: str) -> str:
    return f"{text} {opt_out}" if text.endswith((".", "?", "!")) else f"{text}. {opt_out}"


def _cut(text: str, room: int) -> str:
    if gsm7_length(text) <= room:
        return text
    if room <= len(ELLIPSIS):
        return ""
    while text and gsm7_length(text) > room - len(ELLIPSIS):
        text = text[:-1]
    return text.rstrip(" ,.") + ELLIPSIS


def sms_text(*, key: str, language: str, **values: str) -> str:
    """The text of a clinic-initiated SMS: the first wording of `key` that fits one GSM-7
    segment with the opt-out line. The clinic's short name, the link, the phone and the opt-out
    line are always there whole; only the wording around them gives. If even the shortest
    wording does not fit, its date is cut with "..."; if the four fixed parts alone pass 160
    (a link longer than ~80 characters), the text goes as two segments rather than lose one."""
    lang = patient_language(language)
    values = {"clinic": settings.CLINIC_SHORT_NAME, "phone": settings.CLINIC_PHONE, "when": "", "deadline": "", "link": "", **values}
    values = {name: gsm7(value) for name, value in values.items()}
    opt_out = sms_opt_out_line(lang)
    variants = SMS_TEXTS[lang][key]
    for variant in variants:
        text = _with_opt_out(_squeeze(variant.format(**values)), opt_out)
        if gsm7_length(text) <= SMS_MAX:
            return text
    bare = _with_opt_out(_squeeze(variants[-1].format(**{**values, "when": "", "deadline": ""})), opt_out)
    room = SMS_MAX - gsm7_length(bare) - 1  # the space the cut date brings back
    if room > len(ELLIPSIS):
        short = {**values, "when": _cut(values["when"], room), "deadline": ""}
        return _with_opt_out(_squeeze(variants[-1].format(**short)), opt_out)
    fixed = _with_opt_out(_squeeze(SMS_FIXED_PARTS.format(**values)), opt_out)
    if gsm7_length(fixed) > SMS_MAX:
        log.warning("sms needs two segments to keep name, link, phone and opt-out", extra={"event": "messaging.sms_two_segments"})
    return fixed


@dataclass
class EmailContent:
    subject: str
    body: str
    html_body: str


_EMAIL_STRINGS = Catalogue(
    {
        Purpose.CONFIRMATION: (N_("Your visit is booked: {when}"), N_("Your visit is booked.")),
        Purpose.REMINDER: (N_("Reminder: your visit on {when}"), N_("This is a reminder of your visit.")),
        Purpose.RESCHEDULED: (N_("Your visit has moved: {when}"), N_("Your visit has moved to a new time.")),
        Purpose.VIDEO_LINK: (N_("Your video visit: {when}"), N_("Your video visit starts soon.")),
        Purpose.CANCELLATION: (N_("Your visit on {when} is cancelled"), N_("Your visit has been cancelled.")),
        Purpose.WAITLIST_OFFER: (N_("An earlier time is open: {when}"), N_("An earlier visit time has opened up for you.")),
        Purpose.QUESTIONNAIRE: (
            N_("A short questionnaire from your care team"),
            N_("Your care team asks you to answer a short questionnaire."),
        ),
        Purpose.NOTICE: (N_("A message from the clinic"), N_("You have a message from the clinic.")),
        Purpose.TICKET: (N_("Book your next visit"), N_("Your care team asks you to book your next visit. Choose a time that suits you.")),
        Purpose.TICKET_REMINDER: (
            N_("Reminder: book your next visit"),
            N_("Your next visit is not booked yet. Choose a time that suits you."),
        ),
        "book": N_("Choose a time"),
        "hello": N_("Hello {name},"),
        "when": N_("When"),
        "where": N_("Where"),
        "prep": N_("How to prepare"),
        "confirm": N_("Confirm I will come"),
        "cancel": N_("Cancel this visit"),
        "reschedule": N_("Ask for another time"),
        "join": N_("Join the video visit"),
        "claim": N_("Claim this time (until {deadline})"),
        "open": N_("Open"),
        "questions": N_("Questions? Call {clinic} at {phone}."),
        "unsubscribe": N_("Stop email reminders"),
    }
)


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
    lang = patient_language(parts.language)
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
