"""Domain errors shown to admin users, mapped once."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList

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


class BoundedDateChangeList(ChangeList):
    """Django's date hierarchy computes the end of the period asked for, so ?start__year=9999
    (year 10000) or ?start__year=9999&start__month=12 (past datetime.max) raised a 500. A date
    that cannot be bounded is an incorrect lookup: the changelist shows its "incorrect
    parameters" redirect, as for any other bad filter."""

    def get_filters(self, request):
        try:
            return super().get_filters(request)
        except OverflowError as exc:
            raise IncorrectLookupParameters(exc) from exc
        except ValueError as exc:
            if self.date_hierarchy and any(key.startswith(f"{self.date_hierarchy}__") for key in request.GET):
                raise IncorrectLookupParameters(exc) from exc
            raise


class DateHierarchyAdminMixin:
    """For every admin with a `date_hierarchy`."""

    def get_changelist(self, request, **kwargs):
        return BoundedDateChangeList
