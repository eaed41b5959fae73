"""Domain errors shown to admin users, mapped once."""

from __future__ import annotations

from django.contrib import messages

from core.errors import DomainError


def report_domain_error(request, error: DomainError, *, prefix: str = "") -> None:
    text = error.message
    for field, problems in error.field_errors.items():
        text += f" ({field}: {'; '.join(problems)})"
    if rule := error.extra.get("rule"):
        text += f" [rule: {rule}"
        if dates := error.extra.get("counted_dates"):
            text += f"; dates counted: {', '.join(dates)}"
        text += "]"
    messages.error(request, f"{prefix}{text}")
