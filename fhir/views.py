"""Thin views: resolve the resource type or operation in fhir.registry, check the request, call
the selector or service behind it, and answer in FHIR JSON."""

from __future__ import annotations

from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from fhir.capability import capability_statement, smart_configuration
from fhir.http import ID_PATTERN, FhirError, FhirView, bundle
from fhir.registry import OPERATIONS, RESOURCES, ResourceType
from fhir.search import parse_query


def _base(request) -> str:
    return request.build_absolute_uri("/fhir/R4")


def _resource_type(name: str) -> ResourceType:
    rt = RESOURCES.get(name)
    if rt is None:
        raise FhirError(f"Resource type {name[:60]!r} is not supported here; see /fhir/R4/metadata.", status=404, issue="not-supported")
    return rt


def _check_id(ident: str) -> None:
    if not ID_PATTERN.match(ident):
        raise FhirError(f"{ident[:70]!r} is not a FHIR id (1–64 letters, digits, '-' and '.').")


def _unsupported(rt: ResourceType, interaction: str):
    raise FhirError(f"{interaction} is not supported for {rt.name}.", status=405, issue="not-supported")


class MetadataView(FhirView):
    permission_classes = [AllowAny]

    def get(self, request):
        return Response(capability_statement(_base(request)))


class SmartConfigurationView(FhirView):
    permission_classes = [AllowAny]

    def get(self, request):
        response = Response(smart_configuration(_base(request)))
        response["Content-Type"] = "application/json"
        return response


class TypeView(FhirView):
    """GET [type]?params (search), POST [type] (create)."""

    def get(self, request, resource_type: str):
        rt = _resource_type(resource_type)
        query = parse_query(request, {p.name: p for p in rt.params}, rt.includes)
        result = rt.search(user=request.user, query=query)
        base = _base(request)
        entries = [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}} for r in result.resources
        ]
        entries += [
            {"fullUrl": f"{base}/{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "include"}} for r in result.included
        ]
        return Response(bundle(entries=entries, total=result.total, links=query.links(has_more=result.has_more), outcome=query.outcome()))

    def post(self, request, resource_type: str):
        rt = _resource_type(resource_type)
        if rt.create is None:
            _unsupported(rt, "create")
        body, status = rt.create(user=request.user, body=request.data)
        return Response(body, status=status, headers={"Location": f"{_base(request)}/{rt.name}/{body['id']}"})


class InstanceView(FhirView):
    """GET [type]/[id] (read), PUT (update), PATCH (JSON Patch)."""

    def get(self, request, resource_type: str, ident: str):
        rt = _resource_type(resource_type)
        _check_id(ident)
        return Response(rt.read(user=request.user, ident=ident))

    def put(self, request, resource_type: str, ident: str):
        rt = _resource_type(resource_type)
        _check_id(ident)
        if rt.update is None:
            _unsupported(rt, "update")
        body, status = rt.update(user=request.user, ident=ident, body=request.data)
        return Response(body, status=status)

    def patch(self, request, resource_type: str, ident: str):
        rt = _resource_type(resource_type)
        _check_id(ident)
        if rt.patch is None:
            _unsupported(rt, "patch")
        body, status = rt.patch(user=request.user, ident=ident, body=request.data)
        return Response(body, status=status)


class OperationView(FhirView):
    """POST [type]/$[operation]."""

    def post(self, request, resource_type: str, operation: str):
        rt = _resource_type(resource_type)
        op = OPERATIONS.get((rt.name, operation))
        if op is None:
            raise FhirError(
                f"Operation ${operation[:40]} is not supported for {rt.name}; see /fhir/R4/metadata.", status=404, issue="not-supported"
            )
        body, status = op.run(user=request.user, body=request.data)
        return Response(body, status=status)


class UnknownView(FhirView):
    """Anything else under /fhir/R4/: a 404 OperationOutcome, not an HTML page."""

    def dispatch(self, request, *args, **kwargs):
        self.args, self.kwargs, self.request = args, kwargs, self.initialize_request(request, *args, **kwargs)
        self.headers = self.default_response_headers
        response = self.handle_exception(FhirError("No such FHIR endpoint; see /fhir/R4/metadata.", status=404, issue="not-supported"))
        self.response = self.finalize_response(self.request, response, *args, **kwargs)
        return self.response
