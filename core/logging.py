"""JSON log lines without patient data.

Logs go to places with weaker protection than the database, so we never put names, phone
numbers, emails, message bodies or secrets in them: code logs ids, and this filter masks what
still slips in from code we do not own:

- phone numbers and email addresses anywhere in a message or traceback;
- the secret in patient-link and calendar-feed URLs (`/p/<token>/`, `/q/<token>/`,
  `/q/i/<token>/`, `/calendar/<token>.ics`), which Django's request log ("Not Found: /p/…"),
  runserver and gunicorn's access log would otherwise write out;
- query strings (`?q=<searched name>`, `?m=<id>&…`): search terms are PHI, and the path is
  enough to read an access log;
- PostgreSQL's DETAIL line, which copies the row's values into an IntegrityError
  ("Key (email)=(rosa@…) already exists", "Failing row contains (…)").

Every process (web, runserver, gunicorn access, Celery worker and beat) logs through this one
filter: config/settings.py LOGGING, config/gunicorn.py and config/celery.py wire it in.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# Ten or more digits with phone punctuation; not a decimal such as a task's 0.0123456789 s,
# but a number that ends a sentence ("call +1 617-555-0100.") is still a number.
_PHONE = re.compile(r"(?<![\d.])\+?\d[\d\s()-]{8,}\d(?!\d|\.\d)|\b\d{3}\.\d{3}\.\d{4}\b")
# The token is the credential: whoever reads it can open the patient's page or the provider's
# schedule. The route stays readable (which page was hit), the token does not.
# Possessive `(?:i/)?+`: in /q/i/<token>/ the "i" is the route, never the token.
_LINK_TOKEN = re.compile(r"(/(?:p/|q/(?:i/)?+))(?!\[token\])[^/\s\"'?#]+")
_FEED_TOKEN = re.compile(r"(/calendar/)(?!\[token\])[^/\s\"'?#]+?(\.ics)")
# A query string is a `?` followed by key=value pairs; a question mark in prose is left alone.
_QUERY = re.compile(r"\?(?=[\w.%\[\]-]*=)[^\s\"'#]*")
# "DETAIL:  Key (email)=(rosa@example.com) already exists." keeps the columns, drops the values;
# any other DETAIL line ("Failing row contains (…)") is dropped whole.
_DB_DETAIL = re.compile(r"(DETAIL:\s+)(Key \(.*?\)=)?.*")
REDACTED_TOKEN = "[token]"


def scrub(text: str) -> str:
    text = _DB_DETAIL.sub(lambda match: f"{match[1]}{match[2] or ''}[values]", text)
    text = _QUERY.sub("?[query]", text)
    text = _FEED_TOKEN.sub(rf"\1{REDACTED_TOKEN}\2", text)
    text = _LINK_TOKEN.sub(rf"\1{REDACTED_TOKEN}", text)
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))


def _message(record: logging.LogRecord) -> str:
    try:
        return record.getMessage()
    except (TypeError, ValueError, KeyError):  # a bad %-format must not turn a log call into a crash
        return f"{record.msg} [arguments could not be formatted]"


class ScrubPHIFilter(logging.Filter):
    """Rewrites the record in place (message, traceback, stack), so every handler after this
    one, and any formatter, sees only the scrubbed text."""

    _formatter = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(_message(record))
        record.args = ()
        if record.exc_info and not record.exc_text:
            record.exc_text = self._formatter.formatException(record.exc_info)
        if record.exc_text:
            # Formatters print exc_text when it is set and only render exc_info when it is not.
            record.exc_text = scrub(record.exc_text)
        if record.stack_info:
            record.stack_info = scrub(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        payload = {
            "ts": datetime.fromtimestamp(record.created, tz=UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key in ("event", "appointment_id", "message_id", "task_id", "patient_id", "status_code"):
            if hasattr(record, key):
                payload[key] = getattr(record, key)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exc"] = scrub(record.exc_text)
        if record.stack_info:
            payload["stack"] = scrub(record.stack_info)
        return json.dumps(payload, default=str)
