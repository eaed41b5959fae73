"""GET /fhir/R4/metadata and /.well-known/smart-configuration, both read from fhir.registry."""

from __future__ import annotations

from django.conf import settings

from fhir.http import FHIR_JSON, FHIR_VERSION
from fhir.registry import OPERATIONS, RESOURCES
from fhir.search import GLOBAL_PARAMS

RELEASED = "2026-11-25"


def capability_statement(base_url: str) -> dict:
    resources = []
    for rt in RESOURCES.values():
        entry = {
            "type": rt.name,
            "interaction": [{"code": code} for code in rt.interactions],
            "versioning": "no-version",
            "readHistory": False,
            "updateCreate": False,
            "searchParam": [{"name": p.name, "type": p.type, "documentation": p.doc} for p in rt.params]
            + [
                {"name": "_count", "type": "number", "documentation": "Page size (default 20, at most 100)"},
                {"name": "_offset", "type": "number", "documentation": "Where the page starts (the paging links carry it)"},
            ],
        }
        if rt.documentation:
            entry["documentation"] = rt.documentation
        if rt.includes:
            entry["searchInclude"] = list(rt.includes)
        ops = [op for (resource, _), op in OPERATIONS.items() if resource == rt.name]
        if ops:
            entry["operation"] = [{"name": op.name, "definition": op.definition, "documentation": op.documentation} for op in ops]
        resources.append(entry)
    return {
        "resourceType": "CapabilityStatement",
        "status": "active",
        "date": RELEASED,
        "publisher": "Pain clinic scheduling and care coordination",
        "kind": "instance",
        "software": {"name": "pain-clinic", "version": "0.1.0"},
        "implementation": {"description": "FHIR R4 scheduling and care-coordination API", "url": base_url},
        "fhirVersion": FHIR_VERSION,
        "format": [FHIR_JSON, "json"],
        "patchFormat": ["application/json-patch+json"],
        "instantiates": ["https://profiles.ihe.net/ITI/Scheduling/CapabilityStatement/IHE.Scheduling.server"],
        "rest": [
            {
                "mode": "server",
                "documentation": (
                    "Unknown search parameters are ignored and reported in an OperationOutcome entry; with "
                    "'Prefer: handling=strict' they are refused (400). Global parameters: " + ", ".join(GLOBAL_PARAMS) + "."
                ),
                "security": {
                    "cors": False,
                    "description": (
                        "Token authentication, as the REST API: POST /api/v1/auth/login/ returns a token; send "
                        "'Authorization: Token <token>'. Tokens expire after "
                        f"{settings.API_TOKEN_TTL_DAYS} days and can be revoked. No OAuth 2.0 / SMART launch yet."
                    ),
                },
                "resource": resources,
            }
        ],
    }


def smart_configuration(base_url: str) -> dict:
    """What the server supports today: no OAuth 2.0 endpoints, so no authorization or token
    endpoint is advertised; clients use the REST API's token login."""
    return {
        "issuer": base_url,
        "capabilities": [],
        "grant_types_supported": [],
        "code_challenge_methods_supported": [],
        "token_endpoint_auth_methods_supported": [],
        "scopes_supported": [],
        "response_types_supported": [],
        "authorization_endpoint": None,
        "token_endpoint": None,
        "x-token-login": {
            "endpoint": "/api/v1/auth/login/",
            "header": "Authorization: Token <token>",
            "note": "SMART App Launch (OAuth 2.0) is not supported; a FHIR client authenticates with the clinic's API token.",
        },
    }
