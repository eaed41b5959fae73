"""Payer and clinical frequency rules (Medicare LCD L39240 family and commercial payers).

`frequency_violations` is called by appointment_book; an empty list means the booking is
within every active rule for the patient's payer (and the all-payer defaults)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime


@dataclass(frozen=True)
class Violation:
    rule_name: str
    message: str
    counted_dates: list[date] = field(default_factory=list)


def frequency_violations(*, patient, visit_type, region: str, start: datetime) -> list[Violation]:
    # Filled in by the scheduling issue's payer-rule work.
    return []
