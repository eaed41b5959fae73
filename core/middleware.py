"""Request-scoped audit trail: sets up the collector core.audit writes into, and writes the
request's one row when the response is sent."""

from __future__ import annotations

import ipaddress

from core import audit


def client_ip(request) -> str | None:
    """REMOTE_ADDR: behind a proxy, the proxy must pass the client's address there (gunicorn
    --forwarded-allow-ips with a trusted proxy); a header the client itself sets proves nothing."""
    raw = request.META.get("REMOTE_ADDR", "")
    try:
        return str(ipaddress.ip_address(raw))
    except ValueError:
        return None


class AuditTrailMiddleware:
    """Place after AuthenticationMiddleware. Echoes the request id in X-Request-ID."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = audit.request_id_from(request.headers.get("X-Request-ID"))
        request.request_id = request_id
        token = audit.start_request(request_id=request_id, ip=client_ip(request), user_agent=request.headers.get("User-Agent", ""))
        try:
            response = self.get_response(request)
        except BaseException:
            audit.finish_request(token, user=getattr(request, "user", None), shown=False)
            raise
        # DRF authenticates inside the view and sets the user on this request too.
        audit.finish_request(token, user=getattr(request, "user", None), shown=response.status_code < 400)
        response["X-Request-ID"] = request_id
        return response
