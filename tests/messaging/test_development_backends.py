"""The development stand-ins for the gateways (console and file SMS, console email) show what
happened without the patient's number, address or links (core.masking)."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.core.mail import EmailMultiAlternatives, get_connection

from messaging.channels.sms import ConsoleBackend, FileBackend, OutboundSms

BODY = "Riverside Pain Clinic: confirm your visit https://clinic.example/p/zz.abcdef0123456789/ or call +1 617-555-0100. STOP to opt out"
ROOT = Path(__file__).resolve().parents[2]
SMS = OutboundSms(to="+16175550123", body=BODY, idempotency_key="m-42-sms", message_id=42)


def test_console_sms_shows_message_id_masked_number_and_body_without_links(capsys):
    sid = ConsoleBackend().send(SMS)
    printed = capsys.readouterr().out
    assert printed.startswith(f"--- SMS message 42 to +1••••••0123 ({sid}) ---")
    assert "5550123" not in printed and "abcdef0123456789" not in printed and "clinic.example" not in printed
    assert "confirm your visit [link] or call [phone]. STOP to opt out" in printed


def test_file_sms_keeps_the_key_for_lookup_but_masks_number_and_body(settings, tmp_path):
    settings.SMS_FILE_PATH = str(tmp_path)
    backend = FileBackend()
    sid = backend.send(SMS)
    line = json.loads((tmp_path / "sms.jsonl").read_text())
    assert line == {"sid": sid, "key": "m-42-sms", "message_id": 42, "to": "+1••••••0123", "body": line["body"]}
    assert "[link]" in line["body"] and "abcdef0123456789" not in line["body"]
    assert backend.lookup(SMS) == sid  # at-most-once still works on the masked file


def test_console_email_masks_recipient_and_links(capsys):
    message = EmailMultiAlternatives(
        subject="Your visit on Monday",
        body="Hello,\nconfirm here: https://clinic.example/p/zz.abcdef0123456789/\nQuestions? Call +1 617-555-0100.",
        from_email="clinic@clinic.example",
        to=["rosa.delgado@patients.example"],
        headers={"Message-ID": "<m42@clinic.invalid>"},
        connection=get_connection("core.mail.MaskedConsoleEmailBackend"),
    )
    message.attach_alternative("<p>html</p>", "text/html")
    message.attach("visit.ics", b"BEGIN:VCALENDAR", "text/calendar")
    assert message.send() == 1
    printed = capsys.readouterr().out
    assert "--- Email <m42@clinic.invalid> ---" in printed and "To: r•••@patients.example" in printed
    assert "confirm here: [link]" in printed and "[attachments: visit.ics]" in printed
    assert "rosa.delgado" not in printed and "abcdef0123456789" not in printed and "BEGIN:VCALENDAR" not in printed


def test_email_url_console_selects_the_masked_backend():
    code = "from django.conf import settings; print(settings.EMAIL_BACKEND)"
    env = {**os.environ, "EMAIL_URL": "console://", "DJANGO_SETTINGS_MODULE": "config.settings"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "core.mail.MaskedConsoleEmailBackend", result.stderr
