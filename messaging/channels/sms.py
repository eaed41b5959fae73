"""SMS backends, chosen by settings.SMS_BACKEND: console (development default), file (one JSON
line per message under SMS_FILE_PATH; the benchmark's gateway), twilio, and test (in memory)."""

from __future__ import annotations

import json
import logging
import os
import sys
import threading
import uuid
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from django.conf import settings

from core.masking import mask_phone, mask_text
from messaging.channels import GatewayError, LookupUnsupported

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class OutboundSms:
    to: str
    body: str
    idempotency_key: str
    message_id: int
    send_started_at: datetime | None = None


class SmsBackend:
    name = "base"

    def send(self, sms: OutboundSms) -> str:
        raise NotImplementedError

    def lookup(self, sms: OutboundSms) -> str | None:
        """The gateway id of an earlier hand-over of this message, or None when there was none."""
        raise LookupUnsupported(self.name)


class ConsoleBackend(SmsBackend):
    """Prints to stdout for development, masked (core.masking): a worker's stdout ends up in its
    log. It cannot look back, so an interrupted send is failed for a person to check rather
    than repeated."""

    name = "console"

    def send(self, sms: OutboundSms) -> str:
        sid = f"console-{uuid.uuid4().hex[:16]}"
        sys.stdout.write(f"--- SMS message {sms.message_id} to {mask_phone(sms.to)} ({sid}) ---\n{mask_text(sms.body)}\n")
        sys.stdout.flush()
        return sid


class FileBackend(SmsBackend):
    """Appends one JSON line per message to SMS_FILE_PATH/sms.jsonl with a single O_APPEND
    write, so lines from several processes never interleave and a killed process leaves either
    the whole line or none of it. The number and body are masked (core.masking): the file is a
    stand-in gateway, not a place to keep contact details or links."""

    name = "file"

    def _path(self) -> Path:
        directory = Path(settings.SMS_FILE_PATH)
        directory.mkdir(parents=True, exist_ok=True)
        return directory / "sms.jsonl"

    def send(self, sms: OutboundSms) -> str:
        sid = f"file-{uuid.uuid4().hex[:16]}"
        line = json.dumps(
            {"sid": sid, "key": sms.idempotency_key, "message_id": sms.message_id, "to": mask_phone(sms.to), "body": mask_text(sms.body)}
        )
        fd = os.open(self._path(), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        try:
            os.write(fd, (line + "\n").encode())
        finally:
            os.close(fd)
        return sid

    def lookup(self, sms: OutboundSms) -> str | None:
        path = self._path()
        if not path.exists():
            return None
        needle = f'"key": {json.dumps(sms.idempotency_key)},'
        with path.open() as handle:
            for line in handle:
                if needle in line:
                    return json.loads(line)["sid"]
        return None


class TestBackend(SmsBackend):
    """In memory, for tests (the test worker runs in the same process). `fail_next` makes the
    next sends raise the given GatewayErrors."""

    name = "test"
    outbox: list[OutboundSms] = []
    sids: dict[str, str] = {}
    fail_next: list[GatewayError] = []
    _lock = threading.Lock()

    @classmethod
    def reset(cls) -> None:
        with cls._lock:
            cls.outbox.clear()
            cls.sids.clear()
            cls.fail_next.clear()

    def send(self, sms: OutboundSms) -> str:
        with self._lock:
            if self.fail_next:
                raise self.fail_next.pop(0)
            sid = f"test-{len(self.outbox) + 1}"
            self.outbox.append(sms)
            self.sids[sms.idempotency_key] = sid
            return sid

    def lookup(self, sms: OutboundSms) -> str | None:
        return self.sids.get(sms.idempotency_key)


class TwilioBackend(SmsBackend):
    """Twilio's Messages API. Twilio takes no idempotency key, so `lookup` lists the messages
    sent to the number since the hand-over began and matches the body, which is unique per
    message (it carries the message's own signed link or video room). The status callback URL
    carries our message id so a delivery report can never be lost to a race with our own
    'sent' update."""

    name = "twilio"
    timeout_seconds = 20

    def __init__(self):
        from twilio.http.http_client import TwilioHttpClient
        from twilio.rest import Client

        self.client = Client(
            settings.TWILIO_ACCOUNT_SID, settings.TWILIO_AUTH_TOKEN, http_client=TwilioHttpClient(timeout=self.timeout_seconds)
        )

    def send(self, sms: OutboundSms) -> str:
        from requests import ConnectionError as RequestsConnectionError
        from requests import Timeout
        from twilio.base.exceptions import TwilioRestException

        callback = f"{settings.PUBLIC_BASE_URL}/webhooks/twilio/status/?m={sms.message_id}"
        try:
            created = self.client.messages.create(to=sms.to, from_=settings.TWILIO_FROM_NUMBER, body=sms.body, status_callback=callback)
        except TwilioRestException as error:
            retryable = error.status == 429 or error.status >= 500
            raise GatewayError(f"twilio {error.status} code {error.code}", retryable=retryable, maybe_sent=error.status >= 500) from None
        except Timeout:
            raise GatewayError("twilio timeout", retryable=True, maybe_sent=True) from None
        except RequestsConnectionError:
            raise GatewayError("twilio unreachable", retryable=True, maybe_sent=False) from None
        return created.sid

    def lookup(self, sms: OutboundSms) -> str | None:
        # No date filter: Twilio's only one is DateSent, which a message still queued at Twilio
        # does not have yet, and that is exactly the message we must not send twice. The latest
        # messages to this number are enough: each body carries its own link, so it is unique.
        for found in self.client.messages.stream(to=sms.to, from_=settings.TWILIO_FROM_NUMBER, limit=100, page_size=100):
            if found.body == sms.body:
                return found.sid
        return None


_BACKENDS = {"console": ConsoleBackend, "file": FileBackend, "test": TestBackend, "twilio": TwilioBackend}
_instances: dict[str, SmsBackend] = {}


def get_sms_backend() -> SmsBackend:
    name = settings.SMS_BACKEND
    if name not in _instances:
        _instances[name] = _BACKENDS[name]()
    return _instances[name]
