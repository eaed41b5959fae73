"""The demo health system's second location: a small clinic across town with two consult rooms,
travel time from the main clinic, one anesthesiologist there on Thursday afternoons (mornings at
the main clinic), the epidural blood patch offered only at the main clinic (fluoroscopy), and
some patients who would rather be seen at one or the other.

Idempotent and small (a few rows): everything is found by natural key; the provider's Thursday
afternoon moves only while they have no appointments, so a seeded history is never orphaned.
"""

from __future__ import annotations

from datetime import time

from clinic.models import Location, Patient, Provider, Room, RoomKind, TravelTime
from scheduling.models import Appointment, AvailabilityTemplate, VisitType

ANNEX = "Southbridge Pain Clinic"  # sorts after the main clinic: the day sheet still opens there
TRAVEL_MINUTES = 25
SHARED_PROVIDER = "dr.okafor"
SHARED_WEEKDAY = 3  # Thursday: 08:00-12:00 at the main clinic, 13:00-17:00 at the annex
ANNEX_VISIT_CODES = ["new-patient-consult", "follow-up"]
MAIN_ONLY_CODE = "ebp"
PREFERS_EVERY = 10  # patient000, patient010, … prefer the annex; patient001, patient011, … the main clinic


def seed_second_location(*, visit_types: dict[str, VisitType]) -> str:
    """Create (or find) the second location and what goes with it; returns a line for the log."""
    main = Location.objects.order_by("id").first()
    if main is None:
        return "second location: no main clinic yet"
    annex, _ = Location.objects.get_or_create(
        name=ANNEX,
        defaults={
            "address_line1": "40 Harbor Street",
            "city": "Quincy",
            "state": "MA",
            "postal_code": "02169",
            "phone": "+16175550140",
            "time_zone": main.time_zone,
        },
    )
    for name in ("Southbridge Consult 1", "Southbridge Consult 2"):
        Room.objects.get_or_create(location=annex, name=name, defaults={"kind": RoomKind.CONSULT})
    TravelTime.objects.get_or_create(origin=main, destination=annex, defaults={"minutes": TRAVEL_MINUTES})

    main_only = visit_types.get(MAIN_ONLY_CODE)
    if main_only is not None and not main_only.locations.exists():
        main_only.locations.set([main])

    moved = _shared_provider_afternoon(main=main, annex=annex, visit_types=visit_types)
    emails = [f"patient{i:03d}@patients.example" for i in range(0, 300, PREFERS_EVERY)]
    unset = Patient.objects.filter(preferred_location__isnull=True)
    preferring = unset.filter(email__in=emails).update(preferred_location=annex)
    preferring += unset.filter(email__in=[f"patient{i + 1:03d}@patients.example" for i in range(0, 300, PREFERS_EVERY)]).update(
        preferred_location=main
    )
    return f"second location: {annex.name}, {TRAVEL_MINUTES} min away; {moved}; {preferring} new preferred locations"


def _shared_provider_afternoon(*, main: Location, annex: Location, visit_types: dict[str, VisitType]) -> str:
    provider = Provider.objects.filter(user__username=SHARED_PROVIDER).first()
    if provider is None:
        return "no shared provider"
    if AvailabilityTemplate.objects.filter(provider=provider, location=annex).exists():
        return f"{provider.display_name} already works there on Thursdays"
    afternoon = AvailabilityTemplate.objects.filter(
        provider=provider, location=main, weekday=SHARED_WEEKDAY, start_time=time(13), end_time=time(17)
    ).first()
    if afternoon is None or Appointment.objects.filter(provider=provider).exists():
        return f"{provider.display_name}'s schedule left as it is (already booked)"
    afternoon.location = annex
    afternoon.save(update_fields=["location"])
    afternoon.visit_types.set([visit_types[code] for code in ANNEX_VISIT_CODES if code in visit_types])
    return f"{provider.display_name} there on Thursday afternoons"
