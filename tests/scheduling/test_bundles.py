import datetime as dt

import pytest

from core.errors import SlotTaken, ValidationFailed
from scheduling.bundles import BundleLeg, bundle_book, bundle_find, bundle_find_days
from scheduling.models import AppointmentBundle, AvailabilityTemplate, ClinicClosure
from scheduling.services import appointment_book
from scheduling.slots import Slot
from tests.factories import AvailabilityTemplateFactory, PatientFactory
from tests.scheduling.conftest import FIXED_MONDAY, FIXED_NOW, local

pytestmark = pytest.mark.django_db


def three(team):
    return [team["pt_eval"], team["psy_intake"], team["nutrition"]]


def only_hours(provider, location, start, end):
    AvailabilityTemplate.objects.filter(provider=provider).delete()
    AvailabilityTemplateFactory(provider=provider, location=location, weekday=0, start_time=start, end_time=end)


def test_three_disciplines_are_found_back_to_back_on_one_day(care_team):
    options = bundle_find(patient=PatientFactory(), visit_types=three(care_team), date=FIXED_MONDAY, now=FIXED_NOW)
    best = options[0]
    assert best.start == local(8) and best.total_gap_minutes == 0
    assert len({leg.slot.provider_id for leg in best.legs}) == 3
    assert {leg.visit_type_id for leg in best.legs} == {vt.pk for vt in three(care_team)}
    assert best.end - best.start == dt.timedelta(minutes=60 + 60 + 45)


def test_options_never_overlap_and_never_leave_gaps_over_the_limit(care_team):
    options = bundle_find(
        patient=PatientFactory(), visit_types=three(care_team), date=FIXED_MONDAY, max_gap_minutes=20, limit=50, now=FIXED_NOW
    )
    assert len(options) == 50
    for option in options:
        for a, b in zip(option.legs, option.legs[1:], strict=False):
            assert dt.timedelta(0) <= b.slot.start - a.slot.end <= dt.timedelta(minutes=20)
    assert options == sorted(options, key=lambda o: (o.start, o.end, o.location_id, [leg.visit_type_id for leg in o.legs]))


@pytest.mark.parametrize(("pt_hours", "pt_position"), [((dt.time(8), dt.time(9)), 0), ((dt.time(16), dt.time(17)), 2)])
def test_visits_are_tried_in_any_order(care_team, pt_hours, pt_position):
    only_hours(care_team["pt"], care_team["location"], *pt_hours)
    option = bundle_find(patient=PatientFactory(), visit_types=three(care_team), date=FIXED_MONDAY, now=FIXED_NOW)[0]
    assert option.legs[pt_position].visit_type_id == care_team["pt_eval"].pk


def test_a_gap_longer_than_the_limit_means_no_bundle_that_day(care_team):
    only_hours(care_team["pt"], care_team["location"], dt.time(8), dt.time(9))
    only_hours(care_team["psy"], care_team["location"], dt.time(10), dt.time(11))
    kwargs = dict(patient=PatientFactory(), visit_types=[care_team["pt_eval"], care_team["psy_intake"]], date=FIXED_MONDAY, now=FIXED_NOW)
    assert bundle_find(max_gap_minutes=30, **kwargs) == []
    assert bundle_find(max_gap_minutes=60, **kwargs)[0].total_gap_minutes == 60


def test_the_patients_own_appointments_are_worked_around(care_team):
    patient = PatientFactory()
    appointment_book(patient=patient, provider=care_team["psy"], visit_type=care_team["psy_intake"], start=local(8), now=FIXED_NOW)
    option = bundle_find(patient=patient, visit_types=[care_team["pt_eval"], care_team["nutrition"]], date=FIXED_MONDAY, now=FIXED_NOW)[0]
    assert option.start >= local(9)


def test_legs_sharing_one_room_keep_its_turnover(care_team):
    from clinic.models import Room

    psy, rd = care_team["psy_intake"], care_team["nutrition"]
    for vt in (psy, rd):
        vt.buffer_after_minutes = 15
        vt.save()
    Room.objects.filter(kind="consult").exclude(pk=Room.objects.filter(kind="consult").order_by("pk").first().pk).delete()
    option = bundle_find(patient=PatientFactory(), visit_types=[psy, rd], date=FIXED_MONDAY, now=FIXED_NOW)[0]
    first, second = option.legs
    assert first.slot.room_id == second.slot.room_id
    assert second.slot.start - first.slot.end >= dt.timedelta(minutes=15)


def test_the_first_day_that_works_is_chosen_over_two_weeks(care_team):
    ClinicClosure.objects.create(location=care_team["location"], date=FIXED_MONDAY, reason="Storm")
    options = bundle_find_days(
        patient=PatientFactory(),
        visit_types=three(care_team),
        start_date=FIXED_MONDAY,
        end_date=FIXED_MONDAY + dt.timedelta(days=13),
        now=FIXED_NOW,
    )
    assert {o.date for o in options} == {FIXED_MONDAY + dt.timedelta(days=1)}


def test_booking_a_bundle_books_every_leg_under_one_bundle(care_team, front_desk_user):
    patient = PatientFactory()
    bundle = bundle_book(patient=patient, visit_types=three(care_team), date=FIXED_MONDAY, booked_by=front_desk_user, now=FIXED_NOW)
    appointments = list(bundle.appointments.order_by("start"))
    assert len(appointments) == 3 and all(a.status == "booked" and a.patient == patient for a in appointments)
    assert appointments[0].start == local(8) and bundle.created_by == front_desk_user


def test_a_bundle_is_all_or_nothing_when_one_leg_is_taken(care_team):
    patient = PatientFactory()
    option = bundle_find(patient=patient, visit_types=three(care_team), date=FIXED_MONDAY, now=FIXED_NOW)[0]
    last = option.legs[-1]
    rival_provider = next(p for p in (care_team["pt"], care_team["psy"], care_team["rd"]) if p.pk == last.slot.provider_id)
    rival_visit = next(vt for vt in three(care_team) if vt.pk == last.visit_type_id)
    appointment_book(patient=PatientFactory(), provider=rival_provider, visit_type=rival_visit, start=last.slot.start, now=FIXED_NOW)
    with pytest.raises(SlotTaken):
        bundle_book(patient=patient, visit_types=three(care_team), date=FIXED_MONDAY, legs=option.legs, now=FIXED_NOW)
    assert patient.appointments.count() == 0
    assert AppointmentBundle.objects.count() == 0


def test_explicit_legs_too_far_apart_are_refused(care_team):
    pt, rd = care_team["pt_eval"], care_team["nutrition"]
    legs = [
        BundleLeg(pt.pk, Slot(local(8), local(9), care_team["pt"].pk, care_team["gym"].pk, care_team["location"].pk)),
        BundleLeg(rd.pk, Slot(local(11), local(11, 45), care_team["rd"].pk, 0, care_team["location"].pk)),
    ]
    with pytest.raises(ValidationFailed, match="at most 30 minutes"):
        bundle_book(patient=PatientFactory(), visit_types=[pt, rd], date=FIXED_MONDAY, legs=legs, now=FIXED_NOW)


def test_a_bundle_needs_two_distinct_visit_types(care_team):
    with pytest.raises(ValidationFailed):
        bundle_find(patient=PatientFactory(), visit_types=[care_team["pt_eval"], care_team["pt_eval"]], date=FIXED_MONDAY, now=FIXED_NOW)
