"""Input rules for free text that every service applies, whoever calls it (API, admin, workspace,
patient links, commands, tasks). Forms and serializers refuse the same things first; the
service is the last word, so nothing reaches the database truncated or as a 500."""

from __future__ import annotations

from core.errors import ValidationFailed

NUL_MESSAGE = "Null characters are not allowed."  # worded as Django's and DRF's own validator


def text_clean(field: str, value: str | None, *, max_length: int | None = None) -> str:
    """Text with surrounding spaces removed; refused (400 with a field message) when it holds a
    NUL character, which PostgreSQL cannot store, or is longer than `max_length`."""
    text = (value or "").strip()
    if "\x00" in text:
        raise ValidationFailed(NUL_MESSAGE, field_errors={field: [NUL_MESSAGE]})
    if max_length is not None and len(text) > max_length:
        raise ValidationFailed(f"At most {max_length} characters.", field_errors={field: [f"Use at most {max_length} characters."]})
    return text
