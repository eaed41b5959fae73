import datetime as dt
import zoneinfo

import pytest

from clinic.models import RoomKind
from core.errors import ValidationFailed
from scheduling.models import AvailabilityException, ClinicClosure
from scheduling.services import appointment_book
from scheduling.slots import find_slots
from tests.factories import (
    AvailabilityTemplateFactory,
    DisciplineFactory,
    EquipmentFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    RoomFactory,
    VisitTypeFactory,
    weekly_templates,
)

pytestmark = pytest.mark.django_db

NY = zoneinfo.ZoneInfo("America/New_York")
MONDAY = dt.date(2027, 1, 11)  # EST, UTC-5, far from any DST change
NOW = dt.datetime(2027, 1, 4, 12, 0, tzinfo=dt.UTC)


def at(hour, minute=0, day=MONDAY):
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=NY)


def utc(hour, minute=0, day=MONDAY):
    return at(hour, minute, day).astimezone(dt.UTC)


def day_range(day=MONDAY, days=1):
    return at(0, 0, day), at(0, 0, day + dt.timedelta(days=days))


@pytest.fixture
def clinic(db):
    location = LocationFactory()
    pain = DisciplineFactory(code="interventional-pain")
    rooms = [RoomFactory(location=location, kind=RoomKind.CONSULT, name=f"Consult {i}") for i in range(2)]
    doctors = [ProviderFactory(discipline=pain, home_location=location) for _ in range(2)]
    for doctor in doctors:
        weekly_templates(doctor, location, weekdays=range(5))
    visit = VisitTypeFactory(code="follow-up", discipline=pain, duration_minutes=30)
    return {"location": location, "rooms": rooms, "doctors": doctors, "visit": visit, "discipline": pain}


def test_slots_start_on_the_template_grid_in_local_time_earliest_first(clinic):
    first, second = sorted(clinic["doctors"], key=lambda p: p.pk)
    slots = find_slots(visit_type=clinic["visit"], start=at(0), end=at(23), limit=5, now=NOW)
    assert [(s.start, s.provider_id) for s in slots] == [
        (utc(8), first.pk),
        (utc(8), second.pk),
        (utc(8, 30), first.pk),
        (utc(8, 30), second.pk),
        (utc(9), first.pk),
    ]
    assert all(s.end - s.start == dt.timedelta(minutes=30) for s in slots)
    assert all(s.start.tzinfo == dt.UTC for s in slots)
    assert {s.room_id for s in slots} == {min(r.pk for r in clinic["rooms"])}


def test_a_search_starting_mid_block_stays_on_the_block_grid(clinic):
    slots = find_slots(visit_type=clinic["visit"], start=at(9, 10), end=at(23), limit=1, now=NOW)
    assert slots[0].start == utc(9, 30)


def test_the_order_is_deterministic_by_start_provider_and_room(clinic):
    kwargs = dict(visit_type=clinic["visit"], start=at(0), end=at(0, day=MONDAY + dt.timedelta(days=5)), limit=60, now=NOW)
    first = find_slots(**kwargs)
    assert first == find_slots(**kwargs)
    assert first == sorted(first, key=lambda s: (s.start, s.provider_id, s.room_id))


def test_a_booked_appointment_removes_its_time_for_that_provider_only(clinic):
    doctor = min(clinic["doctors"], key=lambda p: p.pk)
    appointment_book(patient=PatientFactory(), provider=doctor, visit_type=clinic["visit"], start=at(8), now=NOW)
    slots = find_slots(visit_type=clinic["visit"], start=at(0), end=at(23), provider=doctor, limit=2, now=NOW)
    assert [s.start for s in slots] == [utc(8, 30), utc(9)]
    others = find_slots(visit_type=clinic["visit"], start=at(0), end=at(23), limit=1, now=NOW)
    assert others[0].start == utc(8) and others[0].provider_id != doctor.pk


def test_a_busy_room_moves_the_slot_to_the_next_free_room(clinic):
    first_room, second_room = sorted(clinic["rooms"], key=lambda r: r.pk)
    doctor, other = sorted(clinic["doctors"], key=lambda p: p.pk)
    appointment_book(patient=PatientFactory(), provider=other, visit_type=clinic["visit"], start=at(8), room=first_room, now=NOW)
    slot = find_slots(visit_type=clinic["visit"], start=at(0), end=at(23), provider=doctor, limit=1, now=NOW)[0]
    assert (slot.start, slot.room_id) == (utc(8), second_room.pk)


def test_room_turnover_buffers_block_neighbouring_procedures(clinic):
    fluoro = EquipmentFactory(code="fluoroscopy")
    suite = RoomFactory(location=clinic["location"], kind=RoomKind.PROCEDURE_SUITE, name="Suite", equipment=[fluoro])
    esi = VisitTypeFactory(
        code="esi",
        discipline=clinic["discipline"],
        duration_minutes=30,
        buffer_before_minutes=15,
        buffer_after_minutes=15,
        room_kind=RoomKind.PROCEDURE_SUITE,
        required_equipment=[fluoro],
    )
    doctor, other = sorted(clinic["doctors"], key=lambda p: p.pk)
    # the other doctor holds the suite 08:45-09:45 (visit 09:00-09:30)
    appointment_book(patient=PatientFactory(), provider=other, visit_type=esi, start=at(9), region="lumbar", now=NOW)
    slots = find_slots(visit_type=esi, start=at(0), end=at(23), provider=doctor, limit=2, now=NOW)
    # 08:00 is fine (suite 07:45-08:45); 08:30 and 09:00 and 09:30 would overlap the held span
    assert [s.start for s in slots] == [utc(8), utc(10)]
    assert {s.room_id for s in slots} == {suite.pk}


def test_rooms_without_the_required_equipment_are_never_offered(clinic):
    fluoro = EquipmentFactory(code="fluoroscopy")
    rf = EquipmentFactory(code="rf-generator")
    suite = RoomFactory(location=clinic["location"], kind=RoomKind.PROCEDURE_SUITE, name="Suite", equipment=[fluoro])
    rfa = VisitTypeFactory(
        code="rfa",
        discipline=clinic["discipline"],
        duration_minutes=60,
        room_kind=RoomKind.PROCEDURE_SUITE,
        required_equipment=[fluoro, rf],
    )
    assert find_slots(visit_type=rfa, start=at(0), end=at(23), now=NOW) == []
    suite.equipment.add(rf)
    assert find_slots(visit_type=rfa, start=at(0), end=at(23), now=NOW, limit=1)[0].room_id == suite.pk


def test_explicit_room_without_the_equipment_is_refused_at_booking(clinic):
    fluoro = EquipmentFactory(code="fluoroscopy")
    bare = RoomFactory(location=clinic["location"], kind=RoomKind.PROCEDURE_SUITE, name="Bare suite")
    esi = VisitTypeFactory(code="esi", discipline=clinic["discipline"], room_kind=RoomKind.PROCEDURE_SUITE, required_equipment=[fluoro])
    with pytest.raises(ValidationFailed, match="does not suit"):
        appointment_book(
            patient=PatientFactory(), provider=clinic["doctors"][0], visit_type=esi, start=at(9), room=bare, region="lumbar", now=NOW
        )


def test_the_patients_own_appointments_are_not_offered(clinic, physical_therapist):
    patient = PatientFactory()
    weekly_templates(physical_therapist, clinic["location"], weekdays=[0])
    RoomFactory(location=clinic["location"], kind=RoomKind.PT_GYM, name="Gym")
    pt_visit = VisitTypeFactory(code="pt-session", discipline=physical_therapist.discipline, duration_minutes=45, room_kind=RoomKind.PT_GYM)
    appointment_book(patient=patient, provider=physical_therapist, visit_type=pt_visit, start=at(8), now=NOW)
    slots = find_slots(visit_type=clinic["visit"], start=at(0), end=at(23), patient=patient, limit=1, now=NOW)
    assert slots[0].start == utc(9)  # 08:00 and 08:30 overlap the PT session (08:00-08:45)
    assert find_slots(visit_type=clinic["visit"], start=at(0), end=at(23), limit=1, now=NOW)[0].start == utc(8)


def test_minimum_notice_hides_slots_that_come_too_soon(clinic):
    visit = clinic["visit"]
    visit.min_notice_minutes = 24 * 60
    visit.save()
    now = utc(10)  # Monday 10:00 local
    slots = find_slots(visit_type=visit, start=at(0), end=at(23, day=MONDAY + dt.timedelta(days=1)), limit=1, now=now)
    assert slots[0].start == utc(10, day=MONDAY + dt.timedelta(days=1))
    with pytest.raises(ValidationFailed, match="notice"):
        appointment_book(patient=PatientFactory(), provider=clinic["doctors"][0], visit_type=visit, start=at(14), now=now)


def test_time_off_closures_and_extra_sessions_shape_the_windows(clinic):
    doctor, other = sorted(clinic["doctors"], key=lambda p: p.pk)
    AvailabilityException.objects.create(provider=doctor, kind="time_off", start=utc(8), end=utc(12))
    slots = find_slots(visit_type=clinic["visit"], start=at(0), end=at(23), provider=doctor, limit=1, now=NOW)
    assert slots[0].start == utc(12)
    tuesday = MONDAY + dt.timedelta(days=1)
    ClinicClosure.objects.create(location=clinic["location"], date=tuesday, reason="Snow")
    assert find_slots(visit_type=clinic["visit"], start=at(0, day=tuesday), end=at(23, day=tuesday), now=NOW) == []
    saturday = MONDAY + dt.timedelta(days=5)
    AvailabilityException.objects.create(
        provider=other, kind="extra", start=utc(9, day=saturday), end=utc(10, day=saturday), location=clinic["location"]
    )
    slots = find_slots(visit_type=clinic["visit"], start=at(0, day=saturday), end=at(23, day=saturday), now=NOW)
    assert [(s.start, s.provider_id) for s in slots] == [(utc(9, day=saturday), other.pk), (utc(9, 30, day=saturday), other.pk)]
    ClinicClosure.objects.create(location=None, date=saturday, reason="Holiday")  # a closure wins over the extra session
    assert find_slots(visit_type=clinic["visit"], start=at(0, day=saturday), end=at(23, day=saturday), now=NOW) == []


def test_blocks_restricted_to_other_visit_types_are_skipped(clinic):
    location = clinic["location"]
    doctor = ProviderFactory(discipline=clinic["discipline"], home_location=location)
    consult = VisitTypeFactory(code="new-patient", discipline=clinic["discipline"], duration_minutes=60)
    AvailabilityTemplateFactory(
        provider=doctor, location=location, weekday=0, start_time=dt.time(8), end_time=dt.time(12), visit_types=[consult]
    )
    AvailabilityTemplateFactory(provider=doctor, location=location, weekday=0, start_time=dt.time(13), end_time=dt.time(17))
    follow = find_slots(visit_type=clinic["visit"], start=at(0), end=at(23), provider=doctor, limit=1, now=NOW)
    assert follow[0].start == utc(13)
    new = find_slots(visit_type=consult, start=at(0), end=at(23), provider=doctor, limit=1, now=NOW)
    assert new[0].start == utc(8)


def test_patient_preferences_for_weekdays_and_time_of_day(clinic):
    slots = find_slots(
        visit_type=clinic["visit"],
        start=at(0),
        end=at(0, day=MONDAY + dt.timedelta(days=7)),
        weekdays=[2, 4],
        earliest_time=dt.time(14),
        latest_time=dt.time(15),
        limit=10,
        now=NOW,
    )
    local = [s.start.astimezone(NY) for s in slots]
    assert {t.weekday() for t in local} == {2, 4}
    assert {t.time() for t in local} == {dt.time(14), dt.time(14, 30)}  # 14:30-15:00 is the last that ends by 15:00


def test_step_minutes_sets_the_grid(clinic):
    slots = find_slots(
        visit_type=clinic["visit"], start=at(0), end=at(23), provider=clinic["doctors"][0], limit=3, step_minutes=15, now=NOW
    )
    assert [s.start for s in slots] == [utc(8), utc(8, 15), utc(8, 30)]


def test_a_discipline_filter_and_a_provider_filter_narrow_the_search(clinic, physical_therapist):
    assert find_slots(visit_type=clinic["visit"], start=at(0), end=at(23), discipline=physical_therapist.discipline, now=NOW) == []
    doctor = clinic["doctors"][1]
    slots = find_slots(visit_type=clinic["visit"], start=at(0), end=at(23), provider=doctor, limit=20, now=NOW)
    assert {s.provider_id for s in slots} == {doctor.pk}


def test_every_offered_slot_can_be_booked_and_then_disappears(clinic):
    patient = PatientFactory()
    slot = find_slots(visit_type=clinic["visit"], start=at(0), end=at(23), patient=patient, limit=1, now=NOW)[0]
    doctor = next(d for d in clinic["doctors"] if d.pk == slot.provider_id)
    booked = appointment_book(patient=patient, provider=doctor, visit_type=clinic["visit"], start=slot.start, now=NOW)
    assert (booked.room_id, booked.end) == (slot.room_id, slot.end)
    again = find_slots(visit_type=clinic["visit"], start=at(0), end=at(23), patient=patient, limit=1, now=NOW)[0]
    assert again.start == slot.end


def test_slot_search_loads_each_input_in_one_query_whatever_the_number_of_providers_or_days(clinic, django_assert_max_num_queries):
    location = clinic["location"]
    for i in range(6):
        RoomFactory(location=location, kind=RoomKind.CONSULT, name=f"Extra {i}")
        doctor = ProviderFactory(discipline=clinic["discipline"], home_location=location)
        weekly_templates(doctor, location, weekdays=range(5))
        AvailabilityException.objects.create(provider=doctor, kind="time_off", start=utc(12), end=utc(13))
        for day in range(3):
            appointment_book(
                patient=PatientFactory(),
                provider=doctor,
                visit_type=clinic["visit"],
                start=at(8, day=MONDAY + dt.timedelta(days=day)),
                now=NOW,
            )
    ClinicClosure.objects.create(location=location, date=MONDAY + dt.timedelta(days=10), reason="Holiday")
    # providers, templates (with their visit types), exceptions, closures, rooms (with their
    # equipment), the visit type's equipment and locations, busy time in up to three chunks
    with django_assert_max_num_queries(9):
        slots = find_slots(
            visit_type=clinic["visit"],
            start=at(0),
            end=at(0, day=MONDAY + dt.timedelta(days=28)),
            patient=PatientFactory.build(pk=10**9),
            limit=500,
            now=NOW,
        )
    assert len(slots) == 500


@pytest.mark.parametrize(
    "start,end,field,message",
    [
        (at(0), at(0) + dt.timedelta(days=93), "end", "Search at most 92 days at a time."),
        (at(9), at(8), "end", "end must be after start."),
        (at(0).replace(year=9999), at(0).replace(year=9999) + dt.timedelta(days=1), "start", "Use a date between"),
    ],
)
def test_the_slot_engine_itself_refuses_a_range_it_should_not_search(clinic, start, end, field, message):
    with pytest.raises(ValidationFailed) as refused:
        find_slots(visit_type=clinic["visit"], start=start, end=end, now=NOW)
    assert refused.value.field_errors[field][0].startswith(message)
