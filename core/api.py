"""API conventions shared by every endpoint: one exception handler, one paginator."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.utils.dateparse import parse_datetime
from rest_framework import serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from core import access
from core.errors import DomainError

log = logging.getLogger(__name__)


class RowPages:
    """A user-scoped, ordered queryset paged as plain rows, for lists whose rows are many and
    wide. The page is found on the model's own table (its ordering index, LIMIT/OFFSET) in a
    subquery, and only the page's rows are joined and read, as values: `rows(ids=...)` receives
    the sliced `values("pk")` queryset and returns the page's dicts in list order, each carrying
    its patient's id under `patient_key` for the audit note. One query per page, like a sliced
    queryset, without joining every row the OFFSET skips or building model instances."""

    ordered = True  # the paginator's check: the queryset passed in is ordered

    def __init__(self, queryset: QuerySet, *, rows: Callable[..., list[dict]], patient_key: str = "patient_id"):
        self.queryset = queryset
        self.model = queryset.model
        self.rows = rows
        self.patient_key = patient_key

    def count(self) -> int:
        return self.queryset.count()

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index: slice) -> list[dict]:
        if not isinstance(index, slice):
            raise TypeError("RowPages is paged by slices only")
        return self.rows(ids=self.queryset.values("pk")[index])


class Pagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 500

    def paginate_queryset(self, queryset, request, view=None):
        """Every paginated list of patient data is a look at the patients on the page: one
        audit note naming them all (core.audit writes one row for the request)."""
        page = super().paginate_queryset(queryset, request, view)
        if not page:
            return page
        if isinstance(queryset, RowPages):
            access.looked_at_patients({row[queryset.patient_key] for row in page}, user=request.user, model=queryset.model)
        elif access.protected(type(page[0])) is not None:
            access.looked_at_rows(page, user=request.user)
        return page


def exception_handler(exc, context):
    """Map domain errors to 400/403/404/409 with a `detail` and field messages; never a 500
    for a caller's mistake."""
    if isinstance(exc, DomainError):
        body = {"detail": exc.message, "code": exc.code}
        if exc.field_errors:
            body.update(exc.field_errors)
        body.update({k: v for k, v in exc.extra.items() if v is not None})
        return Response(body, status=exc.http_status)
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "message_dict"):
            return Response(exc.message_dict, status=status.HTTP_400_BAD_REQUEST)
        return Response({"detail": exc.messages}, status=status.HTTP_400_BAD_REQUEST)
    return drf_exception_handler(exc, context)


class AwareDateTimeField(serializers.DateTimeField):
    """An ISO 8601 datetime that must carry its UTC offset: a bare 09:00 is ambiguous across
    zones and DST, so we refuse it rather than guess."""

    default_error_messages = {
        "naive": "Include a UTC offset, e.g. 2026-03-02T09:00:00-05:00.",
        "impossible": "Not a real date and time (check the day, hour and offset).",
        "range": "Use a date between {lo} and {hi}.",
    }
    YEARS_EITHER_SIDE = 5  # scheduling never needs more; far dates would overflow date arithmetic

    def to_internal_value(self, value):
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value.strip())
            except ValueError:  # e.g. 30 February, or an offset of +99:00
                self.fail("impossible")
            if parsed is not None and parsed.tzinfo is None:
                self.fail("naive")
        result = super().to_internal_value(value)
        lo, hi = date.today().year - self.YEARS_EITHER_SIDE, date.today().year + self.YEARS_EITHER_SIDE
        if not lo <= result.year <= hi:
            self.fail("range", lo=lo, hi=hi)
        return result
