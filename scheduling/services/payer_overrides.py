"""Payer frequency rules at booking: refuse a breach, or let a provider or clinic admin override
it with a reason that says something, and leave a trail naming each rule overridden.

The reason is a scheduling note the front desk can read; the clinical detail of why a rule was
not met (relief values) stays out of it and out of the appointment event."""

from __future__ import annotations

import unicodedata
from datetime import datetime

from core import access
from core.access import Kind
from core.audit import audit_record
from core.errors import PermissionDenied, RuleViolation, ValidationFailed
from core.inputs import text_clean
from scheduling.models import Appointment
from scheduling.rules import Violation

OVERRIDE_PERMISSION = "scheduling.override_payer_rule"
OVERRIDE_MIN_CHARACTERS = 10
OVERRIDE_REASON_MESSAGE = f"Give a reason of at least {OVERRIDE_MIN_CHARACTERS} characters (not counting spaces)."

# Spaces, line breaks and invisible format characters (zero-width space, joiners, BOM) are blank:
# twelve zero-width spaces survive str.strip() yet say nothing.
_BLANK_CATEGORIES = {"Zs", "Zl", "Zp", "Cc", "Cf"}


def _non_blank_characters(text: str) -> int:
    return sum(1 for ch in text if not ch.isspace() and unicodedata.category(ch) not in _BLANK_CATEGORIES)


def override_reason_clean(reason: str | None) -> str:
    """The reason as stored: stripped; empty means no override asked for. A reason given must
    hold at least OVERRIDE_MIN_CHARACTERS non-blank characters (400 with a field message)."""
    text = text_clean("override_reason", reason, max_length=500)
    if text and _non_blank_characters(text) < OVERRIDE_MIN_CHARACTERS:
        raise ValidationFailed(OVERRIDE_REASON_MESSAGE, field_errors={"override_reason": [OVERRIDE_REASON_MESSAGE]})
    return text


def payer_rules_enforce(*, violations: list[Violation], override_reason: str, by) -> None:
    """Raise RuleViolation (409) for a breach with no override; PermissionDenied (403) when the
    user may not override. `override_reason` has been through override_reason_clean. The front
    desk hears which rule is not met, never which sessions gave how much relief."""
    if not violations:
        return
    if not override_reason:
        clinical = by is None or access.may_ever(by, Kind.CLINICAL)
        first = violations[0]
        raise RuleViolation(
            " ".join(dict.fromkeys(v.message_for(clinical=clinical) for v in violations)),
            rule=first.rule_name,
            rules=list(dict.fromkeys(v.rule_name for v in violations)),
            counted_dates=[d.isoformat() for d in first.dates_for(clinical=clinical)],
        )
    if by is None or not by.has_perm(OVERRIDE_PERMISSION):
        raise PermissionDenied("Only a provider or clinic admin may override a payer rule.")


def override_detail(violations: list[Violation]) -> dict:
    """The appointment event's record of an override: each rule with the counts it saw."""
    return {"payer_rules_overridden": [{"rule": v.rule_name, "rule_id": v.rule_id, **v.seen} for v in violations]}


def override_audit(*, appointment: Appointment, violations: list[Violation], reason: str, by, now: datetime) -> None:
    names = "; ".join(dict.fromkeys(v.rule_name for v in violations))
    audit_record(
        user=by,
        action="create",
        obj=appointment,
        patient_ids=[appointment.patient_id],
        reason=f"payer rule override: {names}: {reason}",
        now=now,
    )
