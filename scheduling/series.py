"""Series: "PT twice a week for 6 weeks" is one AppointmentSeries row plus materialised
occurrences (Appointment.series), each an ordinary appointment that can be moved or cancelled
on its own with the normal services (OpenEMR #3661: recurring events kept as one serialized
blob broke on edit).

An occurrence that cannot be placed on its day is never dropped silently: the result lists it
with the nearest bookable alternatives so the front desk can pick one.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from clinic.models import Provider
from core.errors import RuleViolation, SlotTaken, ValidationFailed
from scheduling.inputs import date_check
from scheduling.models import Appointment, AppointmentSeries, VisitType
from scheduling.services import appointment_book
from scheduling.slots import Slot, SlotSearch

# Spread sessions through the working week when the patient states no preference.
DEFAULT_WEEKDAYS = {1: [0], 2: [0, 3], 3: [0, 2, 4], 4: [0, 1, 3, 4], 5: [0, 1, 2, 3, 4], 6: [0, 1, 2, 3, 4, 5], 7: list(range(7))}
ALTERNATIVES = 3
ALTERNATIVE_DAYS = 3  # look this many days either side for alternatives
_NOON = time(12, 0)


@dataclass(frozen=True)
class UnplacedOccurrence:
    wanted: datetime | date  # local wall-clock target (a date when no time was preferred)
    reason: str
    alternatives: list[Slot] = field(default_factory=list)


@dataclass
class SeriesResult:
    series: AppointmentSeries
    appointments: list[Appointment]
    unplaced: list[UnplacedOccurrence]


def series_dates(*, per_week: int, weeks: int, start_date: date, preferred_weekdays: Iterable[int] | None = None) -> list[date]:
    """The target dates: `per_week` weekdays in each of `weeks` weeks counted from start_date."""
    chosen = sorted(set(preferred_weekdays or []))[:per_week]
    for weekday in DEFAULT_WEEKDAYS[per_week]:
        if len(chosen) >= per_week:
            break
        if weekday not in chosen:
            chosen.append(weekday)
    dates = []
    for week in range(weeks):
        week_start = start_date + timedelta(weeks=week)
        dates.extend(week_start + timedelta(days=(weekday - week_start.weekday()) % 7) for weekday in chosen)
    return sorted(dates)


def series_book(
    *,
    patient,
    visit_type: VisitType,
    per_week: int,
    weeks: int,
    start_date: date,
    provider: Provider | None = None,
    preferred_weekdays: Iterable[int] | None = None,
    preferred_time: time | None = None,
    booked_by=None,
    now: datetime | None = None,
) -> SeriesResult:
    """Create the series and book each occurrence through appointment_book.

    On each target day the slot nearest `preferred_time` is taken, keeping the provider of the
    first placed occurrence when possible (continuity of care); without `provider`, other
    providers of the discipline fill in. Unplaceable occurrences come back in `unplaced`."""
    if not 1 <= per_week <= 7 or not 1 <= weeks <= 52:
        raise ValidationFailed(
            "A series is 1-7 sessions a week for 1-52 weeks.", field_errors={"per_week": ["1 to 7."], "weeks": ["1 to 52."]}
        )
    now = now or timezone.now()
    date_check("start_date", start_date, today=now.date())
    dates = series_dates(per_week=per_week, weeks=weeks, start_date=start_date, preferred_weekdays=preferred_weekdays)
    margin = timedelta(days=ALTERNATIVE_DAYS + 1)
    search = SlotSearch(
        visit_types=[visit_type],
        start=datetime.combine(dates[0] - margin, time(0), tzinfo=UTC),
        end=datetime.combine(dates[-1] + margin, time(0), tzinfo=UTC),
        provider=provider,
        patient=patient,
        now=now,
    )
    locations = sorted({w.location_id for ws in search.windows.values() for w in ws})
    home = getattr(provider, "home_location_id", None)
    zone = search.zone(home if home in locations else (locations[0] if locations else 0))
    providers = {p.pk: p for p in Provider.objects.filter(pk__in=[pid for pids in search.providers_by_discipline.values() for pid in pids])}

    appointments: list[Appointment] = []
    unplaced: list[UnplacedOccurrence] = []
    preferred_provider = provider.pk if provider else None
    with transaction.atomic():
        series = AppointmentSeries.objects.create(
            patient=patient,
            visit_type=visit_type,
            provider=provider,
            per_week=per_week,
            weeks=weeks,
            start_date=start_date,
            created_by=booked_by,
        )
        for day in dates:
            target = datetime.combine(day, preferred_time or _NOON, tzinfo=zone)
            day_slots = list(
                search.iter_slots(
                    visit_type,
                    start=datetime.combine(day, time(0), tzinfo=zone),
                    end=datetime.combine(day + timedelta(days=1), time(0), tzinfo=zone),
                )
            )
            day_slots.sort(key=lambda s: (s.provider_id != preferred_provider, abs(s.start - target), s.start, s.provider_id))
            placed = None
            reason = "No free time that day."
            for slot in day_slots[:5]:  # a few tries: a rule or a concurrent booking may refuse one
                try:
                    placed = appointment_book(
                        patient=patient,
                        provider=providers[slot.provider_id],
                        visit_type=visit_type,
                        start=slot.start,
                        booked_by=booked_by,
                        series=series,
                        now=now,
                    )
                    break
                except (SlotTaken, RuleViolation, ValidationFailed) as error:
                    reason = error.message
            if placed is None:
                unplaced.append(
                    UnplacedOccurrence(
                        wanted=target if preferred_time else day,
                        reason=reason,
                        alternatives=_nearest(
                            search,
                            visit_type,
                            target,
                            preferred_provider,
                            exclude_days={a.start.astimezone(zone).date() for a in appointments},
                            zone=zone,
                        ),
                    )
                )
                continue
            appointments.append(placed)
            search.add_booking(placed)
            preferred_provider = preferred_provider or placed.provider_id
    return SeriesResult(series=series, appointments=appointments, unplaced=unplaced)


def _nearest(search: SlotSearch, visit_type, target: datetime, provider_id, *, exclude_days: set[date], zone) -> list[Slot]:
    """The bookable slots nearest the target within a few days, skipping days that already
    have an occurrence of the series; the preferred provider's first."""
    window = timedelta(days=ALTERNATIVE_DAYS)
    slots = [
        s
        for s in search.iter_slots(visit_type, start=target - window, end=target + window)
        if s.start.astimezone(zone).date() not in exclude_days
    ]
    minutes = target.hour * 60 + target.minute

    def distance(slot: Slot):
        # Nearest day first, then nearest time of day: Wednesday 10:00 is a better stand-in for
        # Thursday 10:00 than Wednesday 16:00, though it is further away in hours.
        local = slot.start.astimezone(zone)
        return abs((local.date() - target.date()).days), abs(local.hour * 60 + local.minute - minutes)

    slots.sort(key=lambda s: (provider_id is not None and s.provider_id != provider_id, distance(s), s.start, s.provider_id))
    return slots[:ALTERNATIVES]
