import pytest
from django.core.management import call_command
from django.db import connection

import clinic.demo
import scheduling.demo
from scheduling.models import Appointment, AvailabilityTemplate, FrequencyRule, VisitType, WaitlistEntry

pytestmark = pytest.mark.django_db


def _counts():
    return (
        VisitType.objects.count(),
        AvailabilityTemplate.objects.count(),
        FrequencyRule.objects.count(),
        Appointment.objects.count(),
        WaitlistEntry.objects.count(),
    )


def test_demo_seed_books_every_state_and_a_second_run_adds_nothing(monkeypatch):
    monkeypatch.setattr(scheduling.demo, "SKIP_SHARE", 0.93)  # fewer bookings keep the test quick
    clinic.demo.seed(out=lambda *_: None)
    scheduling.demo.seed(out=lambda *_: None)
    first = _counts()
    assert first[0] == 15 and VisitType.objects.get(code="rfa").required_equipment.count() == 2
    ebp = VisitType.objects.get(code="ebp")
    assert "lie flat" in ebp.prep_text_en and "acostado" in ebp.prep_text_es and ebp.requires_driver
    statuses = set(Appointment.objects.values_list("status", flat=True))
    assert {"completed", "cancelled", "booked", "confirmed", "held"} <= statuses
    assert AvailabilityTemplate.objects.values("provider").distinct().count() == 12
    scheduling.demo.seed(out=lambda *_: None)
    assert _counts() == first


def _overlapping_pairs(column_start: str, column_end: str, key: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            f"""SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b
                ON a.{key} = b.{key} AND a.id < b.id
                AND a.{column_start} < b.{column_end} AND b.{column_start} < a.{column_end}
                WHERE a.status NOT IN ('cancelled', 'noshow') AND b.status NOT IN ('cancelled', 'noshow')"""
        )
        return cursor.fetchone()[0]


def test_reference_data_has_no_overlaps_and_is_idempotent(monkeypatch):
    from scheduling.management.commands import generate_reference_data as command

    # The real size is for benchmarks; the same generator at a small size keeps the test quick.
    monkeypatch.setattr(command, "TARGET", 400)
    monkeypatch.setattr(command, "PATIENTS", 80)
    monkeypatch.setattr(command, "PAST_DAYS", 6)
    monkeypatch.setattr(command, "FUTURE_DAYS", 6)
    call_command("generate_reference_data", stdout=open("/dev/null", "w"))
    made = set(Appointment.objects.values_list("id", flat=True))
    assert (
        0 < len(made) <= 400
        and Appointment.objects.filter(status="completed").exists()
        and Appointment.objects.filter(status="booked").exists()
    )
    assert _overlapping_pairs("start", '"end"', "provider_id") == 0
    assert _overlapping_pairs("start", '"end"', "patient_id") == 0
    assert _overlapping_pairs("room_start", "room_end", "room_id") == 0
    call_command("generate_reference_data", stdout=open("/dev/null", "w"))
    assert set(Appointment.objects.values_list("id", flat=True)) == made  # not rebuilt


def test_scale_builds_one_reference_location_each_and_the_first_is_the_scale_one_dataset():
    from clinic.models import Location, Patient, Provider

    def location_one():
        rows = Appointment.objects.filter(location__name="Reference Pain Center").order_by("start", "room__name")
        return list(rows.values_list("start", "room__name", "visit_type__code", "status", "provider__user__username", "patient__email"))

    call_command("generate_reference_data", "--small", stdout=open("/dev/null", "w"))
    alone = location_one()
    call_command("generate_reference_data", "--small", "--scale", "3", "--reset", stdout=open("/dev/null", "w"))
    assert location_one() == alone  # ×1 figures and the first location of ×N describe the same data

    names = ["Reference Pain Center", "Reference Pain Center 2", "Reference Pain Center 3"]
    assert list(Location.objects.filter(name__startswith="Reference").order_by("name").values_list("name", flat=True)) == names
    for name in names:
        location = Location.objects.get(name=name)
        assert Appointment.objects.filter(location=location).count() == 1_000
        assert Provider.objects.filter(home_location=location).count() == 8
        # Each location's appointments use its own providers and rooms.
        assert not Appointment.objects.filter(location=location).exclude(provider__home_location=location).exists()
        assert not Appointment.objects.filter(location=location).exclude(room__location=location).exists()
    assert Patient.objects.filter(email__endswith="@reference.example").count() == 600
    assert _overlapping_pairs("start", '"end"', "provider_id") == 0
    assert _overlapping_pairs("start", '"end"', "patient_id") == 0
    assert _overlapping_pairs("room_start", "room_end", "room_id") == 0

    made = set(Appointment.objects.values_list("id", flat=True))
    call_command("generate_reference_data", "--small", "--scale", "3", stdout=open("/dev/null", "w"))
    assert set(Appointment.objects.values_list("id", flat=True)) == made  # present: not rebuilt


def test_the_demo_has_a_second_location_with_a_provider_at_both_and_a_second_run_adds_nothing():
    from clinic.models import Location, Patient, Room, TravelTime
    from scheduling.demo_locations import ANNEX, seed_second_location

    clinic.demo.seed(out=lambda *_: None)
    visit_types = scheduling.demo.seed_catalogue()
    scheduling.demo._seed_templates(visit_types)

    def state():
        return (
            Location.objects.count(),
            Room.objects.count(),
            TravelTime.objects.count(),
            sorted(AvailabilityTemplate.objects.values_list("provider_id", "location_id", "weekday", "start_time")),
            Patient.objects.filter(preferred_location__isnull=False).count(),
        )

    seed_second_location(visit_types=visit_types)
    first = state()
    main, annex = Location.objects.order_by("id")
    assert annex.name == ANNEX and annex.rooms.count() == 2 and TravelTime.objects.get().origin == main
    thursday = AvailabilityTemplate.objects.filter(provider__user__username="dr.okafor", weekday=3).order_by("start_time")
    assert [(t.location, t.start_time.hour) for t in thursday] == [(main, 8), (annex, 13)]
    assert set(VisitType.objects.get(code="ebp").locations.all()) == {main}
    assert Patient.objects.filter(preferred_location=annex).exists() and Patient.objects.filter(preferred_location=main).exists()
    seed_second_location(visit_types=visit_types)
    assert state() == first
