"""The OpenAPI document tells the truth about every operation, decided once here rather than view
by view (REST_FRAMEWORK["DEFAULT_SCHEMA_CLASS"]):

- every error status an operation can answer is declared, each with the one `Error` body that
  core.api.exception_handler (and DRF beneath it) writes: 400
  (every operation: a NUL character anywhere is refused), 401/403 behind sign-in, 404 where a path names a row, a list pages or a body names a patient,
  409 for every change outside sign-in, 429 where a throttle or the sign-in lock-out applies;
- an output that falls back to `default=None` is nullable;
- a time of day is documented as the `HH:MM[:SS[.ffffff]]` DRF sends and accepts, not as
  JSON Schema's `time` format, which demands a UTC offset our times never carry.

tests/core/test_rest_schema_fuzz.py holds the API to this document with Schemathesis.
"""

from __future__ import annotations

from drf_spectacular import openapi
from drf_spectacular.plumbing import ResolvedComponent, append_meta
from rest_framework import serializers
from rest_framework.permissions import AllowAny

ERROR_COMPONENT = "Error"
ERROR_SCHEMA = {
    "type": "object",
    "description": (
        "Every refusal has this shape. `detail` says what went wrong, `code` names a domain error "
        "(e.g. slot_taken, rule_violation); a refusal of particular inputs carries each input's "
        "messages under its own name (a list of strings, or an object keyed by position or by "
        "sub-field for lists and nested inputs). `non_field_errors` holds messages about the "
        "input as a whole."
    ),
    "properties": {
        "detail": {
            "oneOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
            "description": "What went wrong, for people.",
        },
        "code": {"type": "string", "description": "A stable machine-readable reason, where one applies."},
        "non_field_errors": {"type": "array", "items": {"type": "string"}},
    },
    "additionalProperties": True,
}
ERROR_DESCRIPTIONS = {
    "400": "The input was refused; each refused input is named with its messages.",
    "401": "No valid credentials (a missing, expired or revoked token).",
    "403": "Signed in, but not allowed to do this (role, care team or access policy).",
    "404": "No such row, or none the caller may see; or a page past the end of a list.",
    "409": "Refused by the state of things: a slot already taken, an illegal transition, a payer rule.",
    "429": "Too many attempts: throttled or locked out for a while.",
}
TIME_OF_DAY = {"type": "string", "pattern": r"^([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d{1,6})?)?$", "example": "09:30:00"}
AUTH_PATHS = ("/api/v1/auth/",)
SIGN_IN_PATHS = ("/api/v1/auth/login/",)  # 401 for a wrong password, 429 for django-axes' lock-out


class AutoSchema(openapi.AutoSchema):
    def _get_response_bodies(self, direction="response"):
        responses = super()._get_response_bodies(direction)
        if direction != "response":
            return responses
        self.registry.register_on_missing(
            ResolvedComponent(name=ERROR_COMPONENT, type=ResolvedComponent.SCHEMA, object=ERROR_COMPONENT, schema=ERROR_SCHEMA)
        )
        error = {"application/json": {"schema": {"$ref": f"#/components/schemas/{ERROR_COMPONENT}"}}}
        for code in self._error_codes():
            responses.setdefault(code, {"description": ERROR_DESCRIPTIONS[code], "content": error})
        return dict(sorted(responses.items()))

    def _error_codes(self) -> list[str]:
        codes = []
        codes.append("400")  # at the least a NUL character in the path or query (core.middleware)
        if not all(isinstance(p, AllowAny) for p in self.view.get_permissions()):
            codes += ["401", "403"]
        elif self.path.startswith(SIGN_IN_PATHS):
            codes += ["401", "403"]  # wrong password; an account whose second factor is not set up
        names_a_row = "{" in self.path
        pages = self._is_list_view() and self._get_paginator() is not None
        if names_a_row or pages or self._names_a_patient():
            codes.append("404")
        if self.method not in ("GET", "HEAD") and not self.path.startswith(AUTH_PATHS):
            codes.append("409")
        if self.view.get_throttles() or self.path.startswith(SIGN_IN_PATHS):
            codes.append("429")
        return codes

    def _names_a_patient(self) -> bool:
        """A body or query naming a patient is looked up through the access policy: 404 when
        there is no such patient or the caller may not see them."""
        serializer = self.get_request_serializer() if self.method not in ("GET", "HEAD") else None
        if isinstance(serializer, type) and issubclass(serializer, serializers.BaseSerializer):
            serializer = serializer()
        fields = getattr(serializer, "fields", {}) if isinstance(serializer, serializers.BaseSerializer) else {}
        if "patient" in fields:
            return True
        return any(p.get("name") == "patient" and p.get("in") == "query" for p in self._get_parameters())

    def _get_serializer_field_meta(self, field, direction):
        """An output whose `default=None` stands in for a missing related row (a visit without
        a room) is null in answers, whether or not the field says allow_null."""
        meta = super()._get_serializer_field_meta(field, direction)
        if direction == "response" and isinstance(field, serializers.Field) and field.default is None:
            meta["nullable"] = True
        return meta

    def _map_serializer_field(self, field, direction, bypass_extensions=False):
        if isinstance(field, serializers.TimeField):
            return append_meta(dict(TIME_OF_DAY), self._get_serializer_field_meta(field, direction))
        return super()._map_serializer_field(field, direction, bypass_extensions)
