"""A session-wide watch on every log record: a test whose code logs a patient's name, phone,
email or a live link/feed token fails, with the record shown (tests/conftest.py wires it).

What counts as sensitive is what the tests themselves create: every Patient saved (by a
factory, a service, the API or the admin) adds its full name, surname, phone and email; every
patient link and calendar feed adds its token. Any URL of a link or feed whose token is not
masked counts too, whoever minted it.

The handler sits on the root logger after the production handler, whose ScrubPHIFilter
rewrites the record in place, so it judges a record as it is written out; on a logger that
does not propagate it sits after that logger's own handlers, so a handler without the filter
is caught.
"""

from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass

from core.logging import REDACTED_TOKEN

_UNMASKED_TOKEN_URL = re.compile(
    rf"/(?:p/|q/(?:i/)?+)(?!{re.escape(REDACTED_TOKEN)})[^/\s\"'?#]+/|/calendar/(?!{re.escape(REDACTED_TOKEN)})[^/\s\"'?#]+\.ics"
)
_PHONE_PUNCTUATION = re.compile(r"[\s().-]")


@dataclass(frozen=True)
class Leak:
    logger: str
    level: str
    text: str
    found: str

    def __str__(self) -> str:
        return f"[{self.level} {self.logger}] contains {self.found!r}:\n    {self.text[:2000]}"


class SensitiveValues:
    """Strings that must never be written to a log, collected as the tests create them."""

    def __init__(self) -> None:
        self._words: set[str] = set()  # matched as whole words, case-sensitive (names)
        self._strings: set[str] = set()  # matched anywhere (emails, tokens)
        self._digits: set[str] = set()  # phone numbers, matched with punctuation removed
        self._lock = threading.Lock()
        self._version = 0
        self._compiled: tuple | None = None

    def add_person(self, *, first_name: str, last_name: str, phone: str = "", email: str = "") -> None:
        with self._lock:
            if first_name and last_name:
                self._strings.update({f"{first_name} {last_name}", f"{last_name}, {first_name}"})
            if len(last_name) >= 3:
                self._words.add(last_name)
            digits = re.sub(r"\D", "", phone or "")
            if len(digits) >= 10:
                self._digits.add(digits[-10:])  # the national number, however it is written
            if email:
                self._strings.add(email.lower())
            self._version += 1

    def add_secret(self, secret: str) -> None:
        if secret and len(secret) >= 8:
            with self._lock:
                self._strings.add(secret)
                self._version += 1

    def find(self, text: str) -> str | None:
        match = _UNMASKED_TOKEN_URL.search(text)
        if match:
            return match[0]
        strings, words, digits = self._patterns()
        for pattern, subject in ((strings, text), (words, text), (digits, _PHONE_PUNCTUATION.sub("", text))):
            if pattern is not None:
                match = pattern.search(subject)
                if match:
                    return match[0]
        return None

    def _patterns(self) -> tuple[re.Pattern | None, re.Pattern | None, re.Pattern | None]:
        # One alternation per kind, rebuilt only when a value was added: thousands of patients
        # times thousands of records stays cheap.
        with self._lock:
            if self._compiled is None or self._compiled[0] != self._version:
                self._compiled = (
                    self._version,
                    _alternation(self._strings, flags=re.IGNORECASE),
                    _alternation(self._words, boundary=True),
                    _alternation(self._digits),
                )
            return self._compiled[1:]


def _alternation(values: set[str], *, boundary: bool = False, flags: int = 0) -> re.Pattern | None:
    if not values:
        return None
    body = "|".join(re.escape(value) for value in sorted(values, key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{body})(?!\w)" if boundary else f"(?:{body})", flags)


class LeakCatchingHandler(logging.Handler):
    def __init__(self, values: SensitiveValues) -> None:
        super().__init__(level=logging.NOTSET)
        self.values = values
        self.leaks: list[Leak] = []
        self._text = logging.Formatter()

    def emit(self, record: logging.LogRecord) -> None:
        text = record_text(record, self._text)
        found = self.values.find(text)
        if found is not None:
            self.leaks.append(Leak(logger=record.name, level=record.levelname, text=text, found=found))

    def take(self) -> list[Leak]:
        leaks, self.leaks = self.leaks, []
        return leaks

    def watch_non_propagating_loggers(self) -> None:
        """Loggers that do not propagate never reach the root handler; watch them directly."""
        for logger in list(logging.root.manager.loggerDict.values()):
            if isinstance(logger, logging.Logger) and not logger.propagate and self not in logger.handlers:
                logger.addHandler(self)


def record_text(record: logging.LogRecord, formatter: logging.Formatter) -> str:
    try:
        message = record.getMessage()
    except (TypeError, ValueError, KeyError):
        message = str(record.msg)
    parts = [message]
    if record.exc_text:
        parts.append(record.exc_text)
    elif record.exc_info:
        parts.append(formatter.formatException(record.exc_info))
    if record.stack_info:
        parts.append(record.stack_info)
    return "\n".join(parts)


SENSITIVE = SensitiveValues()
HANDLER = LeakCatchingHandler(SENSITIVE)
