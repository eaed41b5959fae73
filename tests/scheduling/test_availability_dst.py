"""Templates are wall-clock times in the location's zone: 08:00 stays 08:00 local across both
DST changes in America/New_York, so its UTC instant moves (2026: spring forward on Sunday
8 March, fall back on Sunday 1 November)."""

import datetime as dt

import pytest

from scheduling.availability import local_datetime, provider_windows
from scheduling.slots import find_slots
from tests.factories import AvailabilityTemplateFactory, LocationFactory, RoomFactory, VisitTypeFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def monday_doctor(anesthesiologist):
    location = LocationFactory(time_zone="America/New_York")
    RoomFactory(location=location)
    AvailabilityTemplateFactory(provider=anesthesiologist, location=location, weekday=0, start_time=dt.time(8), end_time=dt.time(12))
    return anesthesiologist


def _starts(provider, start, end):
    return [w.start for w in provider_windows(provider_ids=[provider.pk], start=start, end=end)[provider.pk]]


def test_monday_after_spring_forward_starts_at_12_utc_instead_of_13(monday_doctor):
    starts = _starts(monday_doctor, utc(2026, 3, 1), utc(2026, 3, 11))
    assert starts == [utc(2026, 3, 2, 13), utc(2026, 3, 9, 12)]


def test_monday_after_fall_back_starts_at_13_utc_instead_of_12(monday_doctor):
    starts = _starts(monday_doctor, utc(2026, 10, 25), utc(2026, 11, 4))
    assert starts == [utc(2026, 10, 26, 12), utc(2026, 11, 2, 13)]


def test_window_length_stays_four_local_hours_on_both_sides(monday_doctor):
    windows = provider_windows(provider_ids=[monday_doctor.pk], start=utc(2026, 3, 1), end=utc(2026, 11, 4))[monday_doctor.pk]
    assert {w.end - w.start for w in windows} == {dt.timedelta(hours=4)}


def test_first_slot_follows_the_local_clock_across_both_changes(monday_doctor):
    visit = VisitTypeFactory(code="follow-up", discipline=monday_doctor.discipline)
    firsts = []
    for day in (dt.date(2026, 3, 2), dt.date(2026, 3, 9), dt.date(2026, 10, 26), dt.date(2026, 11, 2)):
        start = dt.datetime.combine(day, dt.time(0), tzinfo=dt.UTC)
        firsts.append(find_slots(visit_type=visit, start=start, end=start + dt.timedelta(days=1), limit=1, now=NOW)[0].start)
    assert firsts == [utc(2026, 3, 2, 13), utc(2026, 3, 9, 12), utc(2026, 10, 26, 12), utc(2026, 11, 2, 13)]


def test_blocks_on_the_changeover_nights_are_shorter_and_longer(anesthesiologist):
    location = LocationFactory(time_zone="America/New_York")
    AvailabilityTemplateFactory(provider=anesthesiologist, location=location, weekday=6, start_time=dt.time(1), end_time=dt.time(4))
    windows = provider_windows(provider_ids=[anesthesiologist.pk], start=utc(2026, 3, 7), end=utc(2026, 3, 9))[anesthesiologist.pk]
    assert [(w.start, w.end) for w in windows] == [(utc(2026, 3, 8, 6), utc(2026, 3, 8, 8))]  # 01:00 EST to 04:00 EDT: 2 h
    windows = provider_windows(provider_ids=[anesthesiologist.pk], start=utc(2026, 10, 31), end=utc(2026, 11, 2))[anesthesiologist.pk]
    assert [(w.start, w.end) for w in windows] == [(utc(2026, 11, 1, 5), utc(2026, 11, 1, 9))]  # 01:00 EDT to 04:00 EST: 4 h


def test_a_wall_time_inside_the_spring_gap_moves_forward_like_the_clocks():
    import zoneinfo

    zone = zoneinfo.ZoneInfo("America/New_York")
    assert local_datetime(dt.date(2026, 3, 8), dt.time(2, 30), zone) == utc(2026, 3, 8, 7, 30)  # 03:30 EDT
