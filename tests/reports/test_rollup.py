"""The operational rollup (reports.AppointmentDay) follows every write of an appointment: after a
random sequence of bookings, cancellations (early and late), no-shows, completions, moves (time,
provider, room, location), reschedules, holds and deletions, it equals a rebuild from the
appointments, row for row (no emptied row left behind: a rebuild writes none)."""

from __future__ import annotations

import os
import random
import zoneinfo
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from reports.rollup import rollup_rebuild
from scheduling.models import Appointment, AppointmentStatus
from tests.factories import DisciplineFactory, LocationFactory, PatientFactory, ProviderFactory, RoomFactory, VisitTypeFactory

pytestmark = pytest.mark.django_db

S = AppointmentStatus
BASE = datetime(2026, 3, 1, 3, 0, tzinfo=UTC)  # 1 March, across the US spring-forward on 8 March


def _rollup() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT day, location_id, provider_id, room_id, visit_type_id, status, lead, notice_hours, n, visit_micros, room_micros"
            " FROM reports_appointmentday ORDER BY 1, 2, 3, 4, 5, 6, 7, 8"
        )
        return cursor.fetchall()


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_rollup_equals_a_rebuild_after_random_changes(seed):
    rng = random.Random(seed)
    locations = [LocationFactory(time_zone="America/New_York"), LocationFactory(time_zone="Europe/Madrid")]
    discipline = DisciplineFactory(code=f"pain-{seed}")
    providers = [ProviderFactory(discipline=discipline, home_location=locations[0]) for _ in range(3)]
    rooms = [RoomFactory(location=loc) for loc in locations for _ in range(2)]
    visit_types = [VisitTypeFactory(code=f"vt{seed}-{i}", discipline=discipline, duration_minutes=d) for i, d in enumerate((20, 45))]
    patients = [PatientFactory(last_name=f"Rollupson{seed}{i}") for i in range(4)]
    slots = iter(range(10_000))  # every start its own 3-hour step: no two visits overlap

    def fresh_start() -> datetime:
        return BASE + timedelta(hours=3 * next(slots) + rng.choice((0, 0.5, 1.25)))

    def book(**fields) -> Appointment:
        start = fields.pop("start", None) or fresh_start()
        vt = rng.choice(visit_types)
        location = rng.choice(locations)
        end = start + timedelta(minutes=vt.duration_minutes)
        a = Appointment.objects.create(
            patient=rng.choice(patients),
            provider=rng.choice(providers),
            visit_type=vt,
            location=location,
            room=rng.choice([None, *[r for r in rooms if r.location_id == location.pk]]),
            start=start,
            end=end,
            room_start=start - timedelta(minutes=5),
            room_end=end + timedelta(minutes=10),
            **fields,
        )
        # Booked some hours to some weeks ahead (the lead time's buckets), as history would say.
        Appointment.objects.filter(pk=a.pk).update(created_at=start - timedelta(hours=rng.choice((2, 30, 200, 1000))))
        a.refresh_from_db()
        return a

    live: list[Appointment] = []
    for _ in range(120):
        action = rng.choice(["book", "book", "hold", "cancel", "noshow", "complete", "confirm", "move", "reschedule", "claim", "delete"])
        if action == "book" or not live:
            live.append(book())
            continue
        a = rng.choice(live)
        a.refresh_from_db()
        if action == "hold":
            live.append(book(status=S.HELD, hold_expires_at=BASE))
        elif action == "claim" and a.status == S.HELD:
            a.status, a.hold_expires_at = S.BOOKED, None
            a.save()
        elif action == "cancel":
            a.status = S.CANCELLED
            a.cancelled_at = a.start - timedelta(hours=rng.choice((-1, 0, 3, 24, 25, 24 * 9)))
            a.save()
        elif action in ("noshow", "complete", "confirm"):
            a.status = {"noshow": S.NO_SHOW, "complete": S.COMPLETED, "confirm": S.CONFIRMED}[action]
            a.save()
        elif action == "move":
            a.start = fresh_start()
            a.end = a.start + timedelta(minutes=a.visit_type.duration_minutes)
            a.room_start, a.room_end = a.start, a.end
            a.provider = rng.choice(providers)
            a.location = rng.choice(locations)
            a.room = rng.choice([None, *[r for r in rooms if r.location_id == a.location_id]])
            a.save()
        elif action == "reschedule" and a.status not in (S.CANCELLED, S.HELD) and not hasattr_successor(a):
            a.status, a.cancelled_at = S.CANCELLED, a.start - timedelta(hours=48)
            a.save()
            live.append(book(rescheduled_from=a))
        elif action == "delete":
            Appointment.objects.filter(rescheduled_from=a).update(rescheduled_from=None)
            a.delete()
            live.remove(a)

    kept = _rollup()
    assert sum(row[8] for row in kept) > 0
    rollup_rebuild()
    assert kept == _rollup()


def hasattr_successor(a: Appointment) -> bool:
    return Appointment.objects.filter(rescheduled_from=a).exists()


def test_a_location_zone_change_moves_its_days(db):
    location = LocationFactory(time_zone="America/New_York")
    discipline = DisciplineFactory(code="pain-zone")
    provider = ProviderFactory(discipline=discipline, home_location=location)
    vt = VisitTypeFactory(code="vt-zone", discipline=discipline, duration_minutes=30)
    start = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)  # 2 March 21:00 in New York, 3 March in Madrid
    Appointment.objects.create(
        patient=PatientFactory(last_name="Zonechangeson"),
        provider=provider,
        visit_type=vt,
        location=location,
        start=start,
        end=start + timedelta(minutes=30),
        room_start=start,
        room_end=start + timedelta(minutes=30),
    )
    assert [row[0].isoformat() for row in _rollup()] == ["2026-03-02"]
    location.time_zone = "Europe/Madrid"
    location.save()
    assert [row[0].isoformat() for row in _rollup()] == ["2026-03-03"]
    assert zoneinfo.ZoneInfo(location.time_zone)  # a real zone name, as the clinic would set


def test_reference_data_built_with_triggers_off_leaves_the_rollup_complete():
    from django.core.management import call_command

    call_command("generate_reference_data", small=True, stdout=open(os.devnull, "w"))  # noqa: SIM115
    kept = _rollup()
    counted = Appointment.objects.exclude(status=S.HELD).filter(hold_expires_at__isnull=True).count()
    assert counted > 0 and sum(row[8] for row in kept) == counted  # COPY skipped the trigger: rebuilt after
    rollup_rebuild()
    assert kept == _rollup()
