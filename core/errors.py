"""The one error vocabulary. Services raise these; core.api maps them to HTTP once and
core.admin_utils to admin messages once."""

from __future__ import annotations

from django.core.exceptions import ImproperlyConfigured


class ConfigError(ImproperlyConfigured):
    """A setting is missing or malformed: the process stops with one clear line."""


class DomainError(Exception):
    """Base class: a request that cannot be carried out, with a message fit for staff."""

    http_status = 400
    code = "invalid"

    def __init__(self, message: str, *, field_errors: dict[str, list[str]] | None = None, **extra):
        super().__init__(message)
        self.message = message
        self.field_errors = field_errors or {}
        self.extra = extra


class ValidationFailed(DomainError):
    http_status = 400
    code = "invalid"


class Conflict(DomainError):
    http_status = 409
    code = "conflict"


class SlotTaken(Conflict):
    code = "slot_taken"


class IllegalTransition(Conflict):
    code = "illegal_transition"


class RuleViolation(Conflict):
    code = "rule_violation"


class PermissionDenied(DomainError):
    http_status = 403
    code = "permission_denied"


class NotFound(DomainError):
    http_status = 404
    code = "not_found"
