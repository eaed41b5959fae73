"""The FHIR wire: application/fhir+json in and out, OperationOutcome for every error, Bundles.

Every view of the app derives from FhirView: DRF's authentication (the REST API's knox tokens and
verified sessions), one exception mapping, and a refusal of NUL and control characters anywhere
in the query or the path before any code reads them.
"""

from __future__ import annotations

import json
import logging
import re
import unicodedata

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponse
from rest_framework import exceptions as drf
from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.parsers import JSONParser
from rest_framework.renderers import JSONRenderer
from rest_framework.response import Response
from rest_framework.views import APIView

from core.errors import DomainError

log = logging.getLogger(__name__)

FHIR_JSON = "application/fhir+json"
FHIR_VERSION = "4.0.1"
ID_PATTERN = re.compile(r"^[A-Za-z0-9\-.]{1,64}$")  # FHIR R4 id datatype


class FhirError(DomainError):
    """An error only the FHIR face has (an unknown parameter, an unsupported interaction)."""

    def __init__(self, message: str, *, status: int = 400, issue: str = "invalid", expression: list[str] | None = None):
        super().__init__(message)
        self.http_status = status
        self.issue = issue
        self.expression = expression or []


_ISSUE_FOR_STATUS = {
    400: "invalid",
    401: "login",
    403: "forbidden",
    404: "not-found",
    405: "not-supported",
    406: "not-supported",
    409: "conflict",
    410: "deleted",
    412: "conflict",
    415: "not-supported",
    422: "processing",
    429: "throttled",
}


def operation_outcome(message: str, *, issue: str = "invalid", severity: str = "error", expression: list[str] | None = None) -> dict:
    entry = {"severity": severity, "code": issue, "diagnostics": message}
    if expression:
        entry["expression"] = expression
    return {"resourceType": "OperationOutcome", "issue": [entry]}


def refused_input_response(message: str, name: str) -> HttpResponse:
    """The 400 core's input guard answers under /fhir/ (a NUL in the path or a parameter)."""
    body = operation_outcome(message, expression=[name])
    return HttpResponse(json.dumps(body), status=400, content_type=FHIR_JSON)


def outcome_response(message: str, status: int, *, issue: str | None = None, expression: list[str] | None = None, headers=None):
    body = operation_outcome(message, issue=issue or _ISSUE_FOR_STATUS.get(status, "processing"), expression=expression)
    return Response(body, status=status, headers=headers)


def _domain_message(exc: DomainError) -> tuple[str, list[str]]:
    """The message with its field messages folded in ("start: Choose a later time.")."""
    details = [f"{field}: {' '.join(str(m) for m in messages)}" for field, messages in exc.field_errors.items()]
    text = exc.message if not details else f"{exc.message} ({'; '.join(details)})"
    return text, sorted(exc.field_errors)


def _drf_detail(detail) -> str:
    if isinstance(detail, dict):
        return "; ".join(f"{k}: {_drf_detail(v)}" for k, v in detail.items())
    if isinstance(detail, list):
        return " ".join(_drf_detail(v) for v in detail)
    return str(detail)


class FhirRenderer(JSONRenderer):
    media_type = FHIR_JSON
    format = "fhir+json"
    charset = "utf-8"


class FhirJsonParser(JSONParser):
    media_type = FHIR_JSON


class JsonPatchParser(JSONParser):
    media_type = "application/json-patch+json"


class FhirOnly(BaseContentNegotiation):
    """FHIR JSON whatever the Accept header says (XML and HTML are not offered)."""

    def select_parser(self, request, parsers):
        for parser in parsers:
            if request.content_type.split(";")[0].strip() == parser.media_type:
                return parser
        return None

    def select_renderer(self, request, renderers, format_suffix=None):
        return renderers[0], renderers[0].media_type


def unsafe_text(value: str) -> bool:
    """NUL and other control characters: never part of a FHIR string, refused before use."""
    return any(unicodedata.category(ch) == "Cc" and ch not in "\t\r\n" for ch in value)


class FhirView(APIView):
    renderer_classes = [FhirRenderer]
    parser_classes = [FhirJsonParser, JSONParser, JsonPatchParser]
    content_negotiation_class = FhirOnly
    schema = None  # described by /fhir/R4/metadata, not the REST API's OpenAPI document

    def initial(self, request, *args, **kwargs):
        for key, values in request.query_params.lists():
            if unsafe_text(key) or any(unsafe_text(v) for v in values):
                raise FhirError("Control characters (such as NUL) are not allowed in search parameters.")
        for value in kwargs.values():
            if isinstance(value, str) and unsafe_text(value):
                raise FhirError("Control characters (such as NUL) are not allowed in ids.")
        super().initial(request, *args, **kwargs)

    def handle_exception(self, exc):
        if isinstance(exc, FhirError):
            return outcome_response(exc.message, exc.http_status, issue=exc.issue, expression=exc.expression)
        if isinstance(exc, DomainError):
            text, fields = _domain_message(exc)
            return outcome_response(text, exc.http_status, expression=fields)
        if isinstance(exc, DjangoValidationError):
            return outcome_response(" ".join(exc.messages), 400)
        if isinstance(exc, drf.NotAuthenticated | drf.AuthenticationFailed):
            headers = {"WWW-Authenticate": self.get_authenticate_header(self.request) or "Token"}
            return outcome_response(_drf_detail(exc.detail), 401, headers=headers)
        if isinstance(exc, drf.APIException):
            headers = {"Retry-After": str(exc.wait)} if isinstance(exc, drf.Throttled) and exc.wait else None
            return outcome_response(_drf_detail(exc.detail), exc.status_code, headers=headers)
        if isinstance(exc, Http404):
            return outcome_response("Not found.", 404)
        return super().handle_exception(exc)


def bundle(*, entries: list[dict], total: int | None, links: dict[str, str], outcome: dict | None = None) -> dict:
    body = {"resourceType": "Bundle", "type": "searchset"}
    if total is not None:
        body["total"] = total
    body["link"] = [{"relation": relation, "url": url} for relation, url in links.items()]
    body["entry"] = entries
    if outcome is not None:
        body["entry"] = [*entries, {"resource": outcome, "search": {"mode": "outcome"}}]
    if not body["entry"]:
        del body["entry"]
    return body
