"""Payer and clinical frequency rules (Medicare LCD L39240 family and commercial payers).

`frequency_violations` is called by appointment_book; an empty list means the booking is
within every active rule for the patient's payer (and the all-payer defaults).

Payers count dates of service, not hours: every session's date is its start in its location's
time zone, so the same instant gives the same answer whatever zone a client sent it in, and the
time of day never decides. Windows are calendar months, inclusive ("rolling 12 months" before
2028-02-29 starts on 2027-02-28, relativedelta's end-of-month rule); minimum intervals are
calendar days. Levels count per billing region (BillingRegion: cervical–thoracic, lumbar–sacral).

Sessions that count are completed appointments and those still holding time (held, booked,
confirmed, checked-in, in progress) of the rule's procedure families in the same billing region;
cancelled and no-show visits never count. A new session must fit inside *every* window that
contains it, so sessions booked after it count too (a patient with ESIs booked for the coming
months cannot slip one in before them).

Relief before a repeat is read from the previous session of the rule's families in the region
(the latest before the new one): it must be completed with its outcome recorded
(appointment_outcome_set); a session not yet done, or with no relief recorded, does not qualify.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass, field
from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from django.db.models import Q

from clinic.models import Location
from scheduling.models import (
    HOLDING_OR_COMPLETED,
    Appointment,
    AppointmentStatus,
    BillingRegion,
    FrequencyRule,
    ProcedureFamily,
    SpinalRegion,
)

COUNTING = HOLDING_OR_COMPLETED
REVIEW = "A clinician can review the recorded relief or override with a reason."


@dataclass(frozen=True)
class Violation:
    rule_name: str
    message: str
    counted_dates: list[date] = field(default_factory=list)
    # For staff who may not see clinical content: the same refusal without the clinical detail
    # (which sessions had enough % relief). Empty when `message` carries none.
    message_without_clinical_detail: str = ""
    rule_id: int | None = None
    # What the rule saw, for the override's audit trail: counts and limits, no relief values
    # (the front desk reads appointment events).
    seen: dict = field(default_factory=dict)

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
    relief_weeks: int | None
    functional_improvement: bool | None


@dataclass(frozen=True)
class _Booking:
    """The session asked for: its family, billing region and date of service."""

    family: str
    region_label: str
    start: datetime
    local_date: date


def _family_label(families) -> str:
    return " / ".join(str(ProcedureFamily(f).label) for f in families)


def _dates(sessions) -> str:
    return ", ".join(s.local_date.isoformat() for s in sessions)


def billing_region_of(region: str, regions: list[BillingRegion] | None = None) -> tuple[list[str], str]:
    """The spinal levels counted together with `region`, and the name to show for them."""
    if not region:
        return [""], "any region"
    for billing in BillingRegion.objects.all() if regions is None else regions:
        if region in billing.spinal_regions:
            return list(billing.spinal_regions), f"the {billing.name.lower()} region"
    return [region], f"the {SpinalRegion(region).label.lower()} region"


def applicable_rules(*, patient, family: str) -> list[FrequencyRule]:
    rules = FrequencyRule.objects.filter(active=True).filter(Q(payer__isnull=True) | Q(payer_id=patient.payer_id))
    return [r for r in rules.order_by("name", "id") if family in r.procedure_families]


def frequency_violations(*, patient, visit_type, region: str, start: datetime, location_id: int) -> list[Violation]:
    """Every active rule the booking of `visit_type` for `patient` in `region` at `start`, at the
    location `location_id` (whose zone gives the date of service), would break, each with a
    message naming the rule and the dates that count. Four queries when rules apply."""
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
    levels, region_label = billing_region_of(region)
    zone = zoneinfo.ZoneInfo(Location.objects.values_list("time_zone", flat=True).get(pk=location_id))
    booking = _Booking(family, region_label, start, start.astimezone(zone).date())
    # A patient has few procedures in a lifetime: load them all in the billing region in one query.
    rows = Appointment.objects.filter(
        patient_id=patient.pk, region__in=levels, status__in=COUNTING, visit_type__procedure_family__in=families
    ).values_list(
        "start",
        "visit_type__procedure_family",
        "status",
        "relief_percent",
        "relief_weeks",
        "functional_improvement",
        "location__time_zone",
    )
    sessions = sorted(
        (_Session(s, s.astimezone(zoneinfo.ZoneInfo(tz)).date(), f, st, rp, rw, fi) for s, f, st, rp, rw, fi, tz in rows),
        key=lambda x: x.start,
    )
    violations = []
    for rule in rules:
        counted = [s for s in sessions if s.family in rule.procedure_families]
        violations.extend(_check_rule(rule, counted=counted, all_sessions=sessions, booking=booking))
    return violations


def _check_rule(rule: FrequencyRule, *, counted: list[_Session], all_sessions: list[_Session], booking: _Booking) -> list[Violation]:
    checks = (
        _check_window(rule, counted, booking),
        _check_interval(rule, counted, booking),
        _check_relief(rule, counted, all_sessions, booking),
    )
    return [v for v in checks if v is not None]


def _heading(rule: FrequencyRule) -> str:
    return f"{rule.name} ({rule.source})" if rule.source else rule.name


def _check_window(rule: FrequencyRule, counted: list[_Session], booking: _Booking) -> Violation | None:
    if rule.max_sessions is None:
        return None
    span = relativedelta(months=rule.window_months)
    day = booking.local_date
    # A window ending on E holds the dates from E - span to E, both inclusive. The fullest window
    # holding the new date of service ends on it or on a later session's date.
    ends = [day, *(s.local_date for s in counted if s.local_date > day and s.local_date - span <= day)]
    worst: list[_Session] = []
    for end in ends:
        inside = [s for s in counted if end - span <= s.local_date <= end]
        if len(inside) > len(worst):
            worst = inside
    if len(worst) + 1 <= rule.max_sessions:
        return None
    return Violation(
        rule.name,
        f"{_heading(rule)}: at most {rule.max_sessions} {_family_label(rule.procedure_families)} session(s) in "
        f"{booking.region_label} in any {rule.window_months} month(s) by date of service; {len(worst)} already count: {_dates(worst)}.",
        [s.local_date for s in worst],
        rule_id=rule.pk,
        seen={"check": "max_sessions", "counted": len(worst), "max_sessions": rule.max_sessions, "window_months": rule.window_months},
    )


def _check_interval(rule: FrequencyRule, counted: list[_Session], booking: _Booking) -> Violation | None:
    if not rule.min_interval_days:
        return None
    near = [s for s in counted if abs((s.local_date - booking.local_date).days) < rule.min_interval_days]
    if not near:
        return None
    return Violation(
        rule.name,
        f"{_heading(rule)}: {_family_label(rule.procedure_families)} sessions in {booking.region_label} must be at least "
        f"{rule.min_interval_days} calendar days apart; too close: {_dates(near)}.",
        [s.local_date for s in near],
        rule_id=rule.pk,
        seen={"check": "min_interval_days", "too_close": len(near), "min_interval_days": rule.min_interval_days},
    )


def _relief_meets(session: _Session, *, percent: int | None, weeks: int | None, functional: bool) -> bool:
    if session.status != AppointmentStatus.COMPLETED:
        return False
    if percent is not None or functional:
        by_percent = percent is not None and session.relief_percent is not None and session.relief_percent >= percent
        if not (by_percent or (functional and session.functional_improvement)):
            return False
    return weeks is None or (session.relief_weeks is not None and session.relief_weeks >= weeks)


def _relief_wanted(*, percent: int | None, weeks: int | None, functional: bool) -> str:
    what = f"at least {percent}% relief" if percent is not None else ""
    if functional:
        what = f"{what} or documented functional improvement" if what else "documented functional improvement"
    if weeks is not None:
        what = f"{what} lasting at least {weeks} weeks" if what else f"relief lasting at least {weeks} weeks"
    return what


def _outcome(session: _Session) -> str:
    if session.status != AppointmentStatus.COMPLETED:
        return "not completed yet"
    if session.relief_percent is None and session.functional_improvement is None:
        return "no outcome recorded"
    parts = [f"{session.relief_percent}% relief" if session.relief_percent is not None else "relief % not recorded"]
    parts.append(f"for {session.relief_weeks} weeks" if session.relief_weeks is not None else "duration not recorded")
    if session.functional_improvement:
        parts.append("with functional improvement")
    return " ".join(parts)


def _check_relief(rule: FrequencyRule, counted: list[_Session], all_sessions: list[_Session], booking: _Booking) -> Violation | None:
    if booking.family not in rule.procedure_families:
        return None
    earlier = [s for s in counted if s.start < booking.start]
    if earlier:
        return _check_repeat(rule, earlier, booking) if rule.asks_for_relief else None
    if rule.prerequisite_family and rule.prerequisite_count:
        return _check_prerequisite(rule, all_sessions, booking)
    return None


def _check_repeat(rule: FrequencyRule, earlier: list[_Session], booking: _Booking) -> Violation | None:
    previous = earlier[-1]
    wanted = dict(
        percent=rule.repeat_min_relief_percent, weeks=rule.repeat_min_relief_weeks, functional=rule.repeat_accepts_functional_improvement
    )
    if _relief_meets(previous, **wanted):
        return None
    needs = (
        f"{_heading(rule)}: a repeat {_family_label([booking.family])} in {booking.region_label} needs {_relief_wanted(**wanted)} "
        f"from the previous session there ({previous.local_date.isoformat()})"
    )
    return Violation(
        rule.name,
        f"{needs}; recorded: {_outcome(previous)}.",
        [previous.local_date],
        message_without_clinical_detail=f"{needs}; not met yet. {REVIEW}",
        rule_id=rule.pk,
        seen={"check": "repeat_relief", "earlier_sessions": len(earlier), "previous_date": previous.local_date.isoformat()},
    )


def _check_prerequisite(rule: FrequencyRule, all_sessions: list[_Session], booking: _Booking) -> Violation | None:
    """Only the first session of the rule's families in the billing region needs the prerequisite."""
    minimum = rule.prerequisite_min_relief_percent or 0
    candidates = [
        s
        for s in all_sessions
        if s.family == rule.prerequisite_family and s.status == AppointmentStatus.COMPLETED and s.start < booking.start
    ]
    qualifying = [s for s in candidates if s.relief_percent is not None and s.relief_percent >= minimum]
    if len(qualifying) >= rule.prerequisite_count:
        return None
    prereq = ProcedureFamily(rule.prerequisite_family).label
    relief = f" with at least {minimum}% relief" if minimum else ""
    detail = f"qualifying: {_dates(qualifying)}" if qualifying else "none qualify yet"
    others = [s for s in candidates if s not in qualifying]
    if others:
        detail += f"; below the relief threshold or unrecorded: {_dates(others)}"
    needs = (
        f"{_heading(rule)}: the first {_family_label([booking.family])} in {booking.region_label} needs "
        f"{rule.prerequisite_count} completed {prereq} session(s)"
    )
    return Violation(
        rule.name,
        f"{needs}{relief}; {detail}.",
        [s.local_date for s in qualifying],
        message_without_clinical_detail=f"{needs} with the relief the payer asks for; not met yet. {REVIEW}",
        rule_id=rule.pk,
        seen={"check": "prerequisite", "completed_prerequisite_sessions": len(candidates), "required": rule.prerequisite_count},
    )
