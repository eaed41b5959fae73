"""What staff see of a message's text: never a usable patient link, and no clinical message to
someone who may not read this patient's clinical record.

The stored message is unchanged (the dispatcher sends it); this only shapes what a staff screen
shows. Every door that shows a message's subject, body, HTML body or gateway error to staff (the
message admins, the appointment page's inline, the messages API) goes through `message_text`.
"""

from __future__ import annotations

import re
from functools import cache

from django.urls import NoReverseMatch, reverse

from core import access
from core.access import Action, Kind
from messaging.models import Message, Purpose

LINK_PLACEHOLDER = "[patient link]"
CLINICAL_PLACEHOLDER = "(clinical message: shown to the care team only)"

# Clinical by nature: a questionnaire request says the patient is being followed for an outcome,
# and a notice is a care-plan protocol's patient message (e.g. the post-steroid glucose warning
# sent only to diabetic patients). Reminders, confirmations, reschedules, cancellations, video
# links and waitlist offers are scheduling messages.
# A staff alert carries no clinical detail, but that one was raised for this patient is a
# clinical fact.
CLINICAL_PURPOSES = frozenset({Purpose.QUESTIONNAIRE, Purpose.NOTICE, Purpose.STAFF_ALERT})
TEXT_FIELDS = ("subject", "body", "html_body", "last_error")
CLINICAL_TEXT_FIELDS = ("subject", "body", "html_body")

# The patient-link pages, by URL name: messaging's /p/<token>/ (link_url) and careplans'
# questionnaire /q/<token>/ and instructions /q/i/<token>/ pages.
LINK_URL_NAMES = ("messaging-link", "questionnaire-answer", "instructions")
DEFAULT_LINK_PREFIXES = ("/p/", "/q/i/", "/q/")
_PROBE = "TOKEN"
_TOKEN = r"[^\s\"'<>()\[\]]+"


@cache
def _link_pattern() -> re.Pattern[str]:
    prefixes = set(DEFAULT_LINK_PREFIXES)  # never an empty pattern, whatever the URLconf
    for name in LINK_URL_NAMES:
        try:
            prefixes.add(reverse(name, args=[_PROBE]).split(_PROBE)[0])
        except NoReverseMatch:
            continue
    # A link is the prefix (optionally behind a scheme and host) and its token, with or without
    # the trailing slash; the longest prefix first, so /q/i/ wins over /q/.
    alternatives = "|".join(re.escape(p) for p in sorted(prefixes, key=len, reverse=True))
    return re.compile(rf"(?:https?://[^\s/\"'<>]+)?(?:{alternatives}){_TOKEN}")


def mask_links(text: str) -> str:
    """The text with every patient-link URL replaced by a placeholder."""
    if not text:
        return text
    return _link_pattern().sub(LINK_PLACEHOLDER, text)


def is_clinical(message: Message) -> bool:
    return message.purpose in CLINICAL_PURPOSES


def may_read_clinical_text(user, message: Message) -> bool:
    """Whether the user may read this message's clinical content: a clinician who may see this
    patient's clinical record. Scheduling messages need no more than seeing the message."""
    if not is_clinical(message):
        return True
    return user is not None and access.can(user, Action.VIEW, patient=message.patient_id, kind=Kind.CLINICAL)


def message_text(user, message: Message, field: str) -> str:
    """The one way staff screens show a message's text field: links masked for everyone, and the
    subject/body of a clinical message replaced for a user who may not read it."""
    if field not in TEXT_FIELDS:
        raise ValueError(f"not a message text field: {field!r}")
    text = getattr(message, field) or ""
    if field in CLINICAL_TEXT_FIELDS and text and not may_read_clinical_text(user, message):
        return CLINICAL_PLACEHOLDER
    return mask_links(text)
