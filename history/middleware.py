"""The acting user, URL and request id attached to every field-history event a request writes."""

from __future__ import annotations

from pghistory.middleware import HistoryMiddleware


class HistoryContextMiddleware(HistoryMiddleware):
    """Place after core.middleware.AuditTrailMiddleware (which sets request.request_id), so a
    history event and the request's audit row share the id."""

    def get_context(self, request) -> dict:
        return {**super().get_context(request), "request_id": getattr(request, "request_id", "")}
