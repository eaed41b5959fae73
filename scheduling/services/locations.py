"""Where a visit may happen: the visit type offered at the location, and the provider's travel
time between locations kept free (clinic.travel). appointment_book runs both checks inside its
transaction, after taking the provider's booking lock."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import OperationalError, connection
from django.db.models import Max

from clinic.models import Location, Provider, TravelTime
from clinic.travel import travel_matrix
from core.errors import SlotTaken, ValidationFailed
from scheduling.models import TIME_HOLDING, Appointment, VisitType

# First key of pg_advisory_xact_lock(int, int): the namespace of per-provider booking locks
# (the second key is the provider id). Any other advisory lock must use another number.
PROVIDER_BOOKING_LOCK = 7_150_001
DEADLOCK_DETECTED = "40P01"  # PostgreSQL's SQLSTATE when it breaks a lock cycle


def visit_type_location_check(*, visit_type: VisitType, location_id: int) -> None:
    """Refuse a visit type at a location that does not offer it (no locations chosen = every
    location). One query."""
    offered = set(visit_type.locations.values_list("id", flat=True))
    if offered and location_id not in offered:
        name = Location.objects.filter(pk=location_id).values_list("name", flat=True).first() or "this location"
        raise ValidationFailed(
            f"{visit_type.name} is not offered at {name}.",
            field_errors={"visit_type": [f"{visit_type.name} is not offered at {name}; choose a time at a location that offers it."]},
        )


def provider_booking_lock(*, provider_id: int) -> None:
    """Hold the provider's booking lock until the surrounding transaction ends.

    The exclusion constraints stop overlaps, but they cannot see travel time: two bookings at two
    locations 10 minutes apart would each pass the travel check against a snapshot without the
    other and both commit. Serialising the provider's bookings makes the check see every
    committed booking (READ COMMITTED takes a new snapshot per statement, after the lock).
    Bookings that lock several providers (bundles) in opposite orders can deadlock; PostgreSQL
    fails one of them, which is reported as a lost race (SlotTaken)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [PROVIDER_BOOKING_LOCK, provider_id])
    except OperationalError as error:
        if getattr(error.__cause__, "sqlstate", None) != DEADLOCK_DETECTED:
            raise
        raise SlotTaken("Someone else booked that time just now.", taken="provider") from None


def travel_buffer_check(*, provider: Provider, location_id: int, start: datetime, end: datetime) -> None:
    """Refuse a visit that leaves the provider less than the travel time between it and a
    time-holding visit of theirs at another location, before or after. Same location back to
    back needs nothing; an overlap is left to the exclusion constraint (its own message).
    Precondition: provider_booking_lock is held. Two queries, three when a visit is near."""
    longest = max(settings.TRAVEL_DEFAULT_MINUTES, TravelTime.objects.aggregate(m=Max("minutes"))["m"] or 0)
    if longest <= 0:
        return
    reach = timedelta(minutes=longest)
    nearby = list(
        Appointment.objects.filter(provider=provider, status__in=TIME_HOLDING, start__lt=end + reach, end__gt=start - reach)
        .exclude(location_id=location_id)
        .exclude(start__lt=end, end__gt=start)
        .order_by("start")
        .values_list("location_id", "start", "end")
    )
    if not nearby:
        return
    matrix = travel_matrix([location_id, *(other for other, _, _ in nearby)])
    for other, other_start, other_end in nearby:
        if other_end <= start:
            origin, destination, gap = other, location_id, start - other_end
        else:
            origin, destination, gap = location_id, other, other_start - end
        needed = matrix[(origin, destination)]
        if gap < timedelta(minutes=needed):
            names = dict(Location.objects.filter(pk__in=[origin, destination]).values_list("pk", "name"))
            raise SlotTaken(
                f"{provider.display_name} needs {needed} minutes to travel from {names[origin]} to {names[destination]}.",
                taken="provider",
            )
