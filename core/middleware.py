"""Request-scoped audit trail: sets up the collector core.audit writes into, and writes the
request's one row when the response is sent."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpResponse, HttpResponseBadRequest, JsonResponse

from core import audit
from core.client_address import client_ip
from core.inputs import NUL_MESSAGE

FORM_CONTENT_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


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


# Interfaces with an error format of their own say how a refused input reads under their path
# prefix (FHIR answers with an OperationOutcome), registering from their AppConfig.ready().
REFUSAL_RESPONSES: dict[str, Callable[[str, str], HttpResponse]] = {}


def refusal_response_register(prefix: str, respond: Callable[[str, str], HttpResponse]) -> None:
    """`respond(message, field_name)` builds the 400 for a refused input under `prefix`."""
    REFUSAL_RESPONSES[prefix] = respond


class RejectNulCharactersMiddleware:
    """A NUL character in the path, in a query parameter or in a posted form field is refused with
    400 before any view sees it: PostgreSQL cannot store or compare it, so it would otherwise
    surface as a 500 wherever a view filters or searches on the value (admin search, list
    filters, a feed token). JSON bodies are checked by the API's fields and core.inputs.

    Place first, after SecurityMiddleware. Under /api/ the refusal is the API's error body."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if refused := self._refused_input(request):
            return self._refusal(request, refused)
        return self.get_response(request)

    def _refused_input(self, request) -> str | None:
        if "\x00" in request.path:
            return "path"
        for name, values in request.GET.lists():
            if "\x00" in name or any("\x00" in v for v in values):
                return name.replace("\x00", "") or "query"
        if request.path.startswith("/api/") and request.content_type in FORM_CONTENT_TYPES and request.method == "POST":
            for name, values in request.POST.lists():
                if "\x00" in name or any("\x00" in v for v in values):
                    return name.replace("\x00", "") or "body"
        return None

    @staticmethod
    def _refusal(request, name: str) -> HttpResponse:
        for prefix, respond in REFUSAL_RESPONSES.items():
            if request.path.startswith(prefix):
                return respond(NUL_MESSAGE, name)
        if request.path.startswith("/api/"):
            return JsonResponse({"detail": NUL_MESSAGE, name: [NUL_MESSAGE]}, status=400)
        return HttpResponseBadRequest(NUL_MESSAGE, content_type="text/plain; charset=utf-8")
