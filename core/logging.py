"""JSON log lines without patient data.

Logs go to places with weaker protection than the database, so we never put names, phone
numbers, emails or message bodies in them: code logs ids, and this filter masks anything that
still looks like a phone number or an email address.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+")
# Ten or more digits with phone punctuation; not a decimal such as a task's 0.0123456789 s.
_PHONE = re.compile(r"(?<![\d.])\+?\d[\d\s()-]{8,}\d(?![\d.])|\b\d{3}\.\d{3}\.\d{4}\b")


def scrub(text: str) -> str:
    return _PHONE.sub("[phone]", _EMAIL.sub("[email]", text))


class ScrubPHIFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = scrub(record.getMessage())
        record.args = ()
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
        if record.exc_info:
            payload["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(payload, default=str)
