"""The acting user, URL and request id attached to every field-history event a request writes."""

from __future__ import annotations

from pghistory.middleware import HistoryMiddleware

from core.logging import scrub


class HistoryContextMiddleware(HistoryMiddleware):
    """Place after core.middleware.AuditTrailMiddleware (which sets request.request_id), so a
    history event and the request's audit row share the id.

    The URL is scrubbed like a log line: a patient link's path holds its live token, and history
    is kept for years."""

    def get_context(self, request) -> dict:
        context = super().get_context(request)
        return {**context, "url": scrub(context.get("url") or ""), "request_id": getattr(request, "request_id", "")}
