"""Template minutes for reports (`working_minutes`): ordinary days counted from the weekly
templates, DST, closure and exception days expanded. Figures by hand; America/New_York springs
forward on Sunday 8 March 2026 at 02:00 (a 01:00–03:00 block is one hour that day), Europe/London
only on 29 March."""

import datetime as dt

import pytest

from scheduling.availability import provider_windows, working_minutes
from scheduling.models import AvailabilityException, ClinicClosure
from tests.factories import AvailabilityTemplateFactory, LocationFactory, ProviderFactory

pytestmark = pytest.mark.django_db

FIRST, LAST = dt.date(2026, 3, 1), dt.date(2026, 3, 14)  # Sunday 1 to Saturday 14 March


def utc(*args):
    return dt.datetime(*args, tzinfo=dt.UTC)


@pytest.fixture
def week():
    boston = LocationFactory(name="Boston", time_zone="America/New_York")
    london = LocationFactory(name="London", time_zone="Europe/London")
    a = ProviderFactory(home_location=boston)
    b = ProviderFactory(home_location=boston)
    AvailabilityTemplateFactory(provider=a, location=boston, weekday=0, start_time=dt.time(8), end_time=dt.time(12))
    AvailabilityTemplateFactory(provider=a, location=boston, weekday=6, start_time=dt.time(1), end_time=dt.time(3))
    AvailabilityTemplateFactory(provider=b, location=boston, weekday=0, start_time=dt.time(11), end_time=dt.time(13))
    AvailabilityTemplateFactory(provider=b, location=london, weekday=0, start_time=dt.time(9), end_time=dt.time(10))
    # Monday 9 March 10:00-11:00 EDT off; Monday 2 March closed in Boston; Wednesday 11 March
    # 13:00-15:00 EDT an extra session.
    AvailabilityException.objects.create(provider=a, kind="time_off", start=utc(2026, 3, 9, 14), end=utc(2026, 3, 9, 15))
    ClinicClosure.objects.create(location=boston, date=dt.date(2026, 3, 2), reason="Snow")
    AvailabilityException.objects.create(provider=a, kind="extra", location=boston, start=utc(2026, 3, 11, 17), end=utc(2026, 3, 11, 19))
    zones = {boston.pk: boston.time_zone, london.pk: london.time_zone}
    return a, b, boston, london, zones


def test_minutes_per_provider_and_per_location_by_hand(week, django_assert_num_queries):
    a, b, boston, london, zones = week
    with django_assert_num_queries(3):
        providers, locations = working_minutes(provider_ids=[a.pk, b.pk], zones=zones, first_day=FIRST, last_day=LAST)
    # A: Sundays 1 March 120 + 8 March 60 (DST); Mondays 2 March closed, 9 March 240 - 60 off;
    # the extra session 120.
    assert providers[a.pk] == 120 + 60 + 180 + 120
    # B: Boston Monday 9 March 120 (2 March closed); London both Mondays 60 each.
    assert providers[b.pk] == 120 + 60 + 60
    # Boston open: 1 March 120, 8 March 60, 9 March 08-10 and 11-13 (A's hour off is covered by
    # nobody from 10 to 11; B covers 11-12 with A), 11 March 120.
    assert locations == {boston.pk: 120 + 60 + 240 + 120, london.pk: 120}


def test_location_filter_and_single_dst_day(week):
    a, b, boston, london, zones = week
    providers, locations = working_minutes(provider_ids=[a.pk, b.pk], zones=zones, first_day=FIRST, last_day=LAST, location_id=london.pk)
    assert (providers, locations) == ({b.pk: 120}, {london.pk: 120})
    providers, locations = working_minutes(provider_ids=[a.pk], zones=zones, first_day=dt.date(2026, 3, 8), last_day=dt.date(2026, 3, 8))
    assert (providers, locations) == ({a.pk: 60}, {boston.pk: 60})


def test_same_minutes_as_summing_the_windows_over_a_year(week):
    """Over a year (both DST changes, the closure and exceptions inside it), the counted figure is
    the sum of provider_windows clipped to the locations' local days."""
    a, b, boston, london, zones = week
    first, last = dt.date(2026, 1, 1), dt.date(2026, 12, 31)
    providers, _ = working_minutes(provider_ids=[a.pk, b.pk], zones=zones, first_day=first, last_day=last)
    lo, hi = utc(2026, 1, 1), utc(2027, 1, 1, 6)  # London's year starts first, Boston's ends last
    bounds = {
        boston.pk: (utc(2026, 1, 1, 5), utc(2027, 1, 1, 5)),
        london.pk: (utc(2026, 1, 1), utc(2027, 1, 1)),
    }
    expected = {}
    for pid, windows in provider_windows(provider_ids=[a.pk, b.pk], start=lo, end=hi).items():
        for w in windows:
            s, e = max(w.start, bounds[w.location_id][0]), min(w.end, bounds[w.location_id][1])
            if s < e:
                expected[pid] = expected.get(pid, 0) + (e - s).total_seconds() / 60
    assert providers == expected
