import json
import logging

from core.logging import JsonFormatter, ScrubPHIFilter, scrub


def test_scrub_masks_phone_numbers_and_emails():
    text = scrub("sent to +1 617-555-0123 and rosa.delgado@example.com for appointment 42")
    assert "555" not in text and "rosa" not in text
    assert "appointment 42" in text


def test_log_lines_are_json_with_ids_and_no_phi():
    record = logging.LogRecord("messaging", logging.INFO, __file__, 1, "delivered to %s", ("+16175550123",), None)
    record.message_id = 7
    assert ScrubPHIFilter().filter(record)
    line = json.loads(JsonFormatter().format(record))
    assert line["msg"] == "delivered to [phone]" and line["message_id"] == 7 and line["level"] == "INFO"
