"""Masked forms of contact details and message text for development outputs.

The console and file SMS backends and the console email backend stand in for a gateway on a
developer's machine and in the docker-compose setup; their output lands in terminals, worker
logs and files nobody treats as PHI stores. They show enough to follow what happened (the
message id, the last digits, the wording) and nothing that reaches or identifies the patient:
no full number or address, and no link (a link is a credential)."""

from __future__ import annotations

import re

from core.logging import scrub

_URL = re.compile(r"https?://\S+")
MASK = "•"


def mask_phone(number: str) -> str:
    """`+16175550123` → `+1•••••0123`: the country code and last four digits stay readable."""
    digits = re.sub(r"\D", "", str(number))
    if len(digits) <= 4:
        return MASK * len(digits)
    country = "+1" if str(number).startswith("+1") else ("+" if str(number).startswith("+") else "")
    hidden = len(digits) - 4 - (1 if country == "+1" else 0)
    return f"{country}{MASK * hidden}{digits[-4:]}"


def mask_email(address: str) -> str:
    """`rosa.delgado@example.com` → `r•••@example.com`."""
    local, at, domain = str(address).rpartition("@")
    if not at:
        return MASK * 3
    return f"{local[:1]}{MASK * 3}@{domain}"


def mask_text(text: str) -> str:
    """A message body with links replaced by [link] and any number or address scrubbed."""
    return scrub(_URL.sub("[link]", text))
