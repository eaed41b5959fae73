"""A search's answer, and paging a queryset with a fixed number of queries whatever the page size."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from core import access
from fhir.search import Query


@dataclass
class Result:
    resources: list[dict]
    total: int | None
    has_more: bool
    included: list[dict] = field(default_factory=list)


def page_queryset(qs, query: Query, to_resource: Callable, *, user, total: bool = True) -> tuple[Result, list]:
    """One COUNT and one page query (plus what the queryset prefetches); a protected model's
    rows are one audit note naming their patients (core.access.looked_at_rows)."""
    count = qs.count() if total else None
    rows = list(qs[query.offset : query.offset + query.count + (0 if total else 1)]) if query.count else []
    has_more = (query.offset + len(rows) < count) if total else len(rows) > query.count
    rows = rows[: query.count]
    if rows and access.protected(type(rows[0])) is not None:
        access.looked_at_rows(rows, user=user)
    return Result([to_resource(row) for row in rows], count, has_more), rows


def page_list(items: list, query: Query, to_resource: Callable) -> Result:
    """Paging a small list loaded whole (catalogue tables)."""
    page = items[query.offset : query.offset + query.count]
    return Result([to_resource(item) for item in page], len(items), query.offset + len(page) < len(items))
