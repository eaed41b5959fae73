"""Payer and clinical frequency rules (Medicare LCD L39240 family and commercial payers).

`frequency_violations` is called by appointment_book; an empty list means the booking is
within every active rule for the patient's payer (and the all-payer defaults).

Sessions that count are completed appointments and those still holding time (held, booked,
confirmed, checked-in, in progress) of the rule's procedure families in the same spinal region;
cancelled and no-show visits never count. Windows are rolling: a new session must fit inside
*every* window of `window_days` that contains it, so sessions booked after it count too (a
patient with ESIs booked for the coming months cannot slip one in before them).
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import Q

from scheduling.models import HOLDING_OR_COMPLETED, Appointment, AppointmentStatus, FrequencyRule, ProcedureFamily

COUNTING = HOLDING_OR_COMPLETED


@dataclass(frozen=True)
class Violation:
    rule_name: str
    message: str
    counted_dates: list[date] = field(default_factory=list)
    # For staff who may not see clinical content: the same refusal without the clinical detail
    # (which sessions had enough % relief). Empty when `message` carries none.
    message_without_clinical_detail: str = ""

    def message_for(self, *, clinical: bool) -> str:
        return self.message if clinical or not self.message_without_clinical_detail else self.message_without_clinical_detail

    def dates_for(self, *, clinical: bool) -> list[date]:
        return self.counted_dates if clinical or not self.message_without_clinical_detail else []


@dataclass(frozen=True, slots=True)
class _Session:
    start: datetime
    local_date: date
    family: str
    status: str
    relief_percent: int | None


def _family_label(families) -> str:
    return " / ".join(str(ProcedureFamily(f).label) for f in families)


def _dates(sessions) -> str:
    return ", ".join(s.local_date.isoformat() for s in sessions)


def _region_label(region: str) -> str:
    return f"the {region} region" if region else "any region"


def applicable_rules(*, patient, family: str) -> list[FrequencyRule]:
    rules = FrequencyRule.objects.filter(active=True).filter(Q(payer__isnull=True) | Q(payer_id=patient.payer_id))
    return [r for r in rules.order_by("name", "id") if family in r.procedure_families]


def frequency_violations(*, patient, visit_type, region: str, start: datetime) -> list[Violation]:
    """Every active rule the booking of `visit_type` for `patient` in `region` at `start` would
    break, each with a message naming the rule and the dates that count. Two queries."""
    family = visit_type.procedure_family
    if not family:
        return []
    rules = applicable_rules(patient=patient, family=family)
    if not rules:
        return []
    families = {family}
    for rule in rules:
        families.update(rule.procedure_families)
        if rule.prerequisite_family:
            families.add(rule.prerequisite_family)
    # A patient has few procedures in a lifetime: load them all in the region in one query.
    rows = Appointment.objects.filter(
        patient_id=patient.pk, region=region, status__in=COUNTING, visit_type__procedure_family__in=families
    ).values_list("start", "visit_type__procedure_family", "status", "relief_percent", "location__time_zone")
    sessions = sorted(
        (_Session(s, s.astimezone(zoneinfo.ZoneInfo(tz)).date(), f, st, relief) for s, f, st, relief, tz in rows), key=lambda x: x.start
    )
    violations = []
    for rule in rules:
        counted = [s for s in sessions if s.family in rule.procedure_families]
        violations.extend(_check_rule(rule, counted=counted, all_sessions=sessions, family=family, region=region, start=start))
    return violations


def _check_rule(rule: FrequencyRule, *, counted, all_sessions, family: str, region: str, start: datetime) -> list[Violation]:
    found = []
    where = _region_label(region)
    what = _family_label(rule.procedure_families)
    source = f" ({rule.source})" if rule.source else ""
    if rule.max_sessions is not None:
        window = timedelta(days=rule.window_days)
        worst: list[_Session] = []
        # The fullest rolling window holding the new session starts at one of the sessions
        # before it (or at the new session itself).
        for anchor in [s.start for s in counted if start - window < s.start <= start] + [start]:
            inside = [s for s in counted if anchor <= s.start < anchor + window]
            if len(inside) > len(worst):
                worst = inside
        if len(worst) + 1 > rule.max_sessions:
            found.append(
                Violation(
                    rule.name,
                    f"{rule.name}{source}: at most {rule.max_sessions} {what} session(s) in {where} within {rule.window_days} days; "
                    f"{len(worst)} already count: {_dates(worst)}.",
                    [s.local_date for s in worst],
                )
            )
    if rule.min_interval_days:
        gap = timedelta(days=rule.min_interval_days)
        near = [s for s in counted if abs(s.start - start) < gap]
        if near:
            found.append(
                Violation(
                    rule.name,
                    f"{rule.name}{source}: {what} sessions in {where} must be at least {rule.min_interval_days} days apart; "
                    f"too close: {_dates(near)}.",
                    [s.local_date for s in near],
                )
            )
    if rule.prerequisite_family and rule.prerequisite_count and family in rule.procedure_families:
        earlier_same = [s for s in counted if s.start < start]
        if not earlier_same:  # only the first session of the family in the region needs the prerequisite
            minimum = rule.prerequisite_min_relief_percent or 0
            candidates = [
                s
                for s in all_sessions
                if s.family == rule.prerequisite_family and s.status == AppointmentStatus.COMPLETED and s.start < start
            ]
            qualifying = [s for s in candidates if s.relief_percent is not None and s.relief_percent >= minimum]
            if len(qualifying) < rule.prerequisite_count:
                prereq = ProcedureFamily(rule.prerequisite_family).label
                relief = f" with at least {minimum}% relief" if minimum else ""
                detail = f"qualifying: {_dates(qualifying)}" if qualifying else "none qualify yet"
                others = [s for s in candidates if s not in qualifying]
                if others:
                    detail += f"; below the relief threshold or unrecorded: {_dates(others)}"
                needs = f"{rule.name}{source}: the first {_family_label([family])} in {where} needs {rule.prerequisite_count} completed {prereq} session(s)"
                found.append(
                    Violation(
                        rule.name,
                        f"{needs}{relief}; {detail}.",
                        [s.local_date for s in qualifying],
                        message_without_clinical_detail=f"{needs} with the relief the payer asks for; not met yet. A clinician can review the "
                        "recorded relief or override with a reason.",
                    )
                )
    return found
