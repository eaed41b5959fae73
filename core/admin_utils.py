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


def run_action(request, queryset, label: str, fn, *, noun: str = "", name=str) -> int:
    """An admin action over the selected rows, one service call each: a refusal is reported for
    its row and the others still go through. Returns how many went through."""
    done = 0
    for row in queryset:
        try:
            fn(row)
            done += 1
        except DomainError as error:
            report_domain_error(request, error, prefix=f"{name(row)}: ")
    if done:
        messages.success(request, f"{label}: {done}{' ' + noun if noun else ''}.")
    return done
