"""A plan's visit-series activity is booked through the scheduling series service."""

import datetime

import pytest

from careplans.models import Activity
from careplans.services.plans import activity_book_series
from core.errors import ValidationFailed
from tests.factories import CareTeamMemberFactory, LocationFactory, RoomFactory, VisitTypeFactory, weekly_templates

pytestmark = pytest.mark.django_db


def test_booking_a_visit_series_activity_links_each_placed_visit(plan, physical_therapist, coordinator_user):
    # Staff book only for patients they may see: the coordinator is on this plan's team.
    CareTeamMemberFactory(care_plan=plan, user=coordinator_user, role="care_coordinator")
    location = LocationFactory()
    RoomFactory(location=location, name="Gym")
    physical_therapist.home_location = location
    physical_therapist.save()
    weekly_templates(physical_therapist, location, weekdays=range(5))
    pt_session = VisitTypeFactory(code="pt-session", discipline=physical_therapist.discipline, duration_minutes=45)
    activity = Activity.objects.create(
        care_plan=plan,
        title="PT twice a week",
        discipline=physical_therapist.discipline,
        kind=Activity.Kind.VISIT_SERIES,
        visit_type=pt_session,
        planned_count=4,
        per_week=2,
        weeks=2,
    )
    start = datetime.date.today() + datetime.timedelta(days=7)
    result = activity_book_series(activity=activity, start_date=start, booked_by=coordinator_user, provider=physical_therapist)
    booked = result.appointments
    assert len(booked) == 4 and result.unplaced == []
    assert {a.patient_id for a in booked} == {plan.patient_id} and all(a.series_id for a in booked)
    assert set(activity.appointments.values_list("pk", flat=True)) == {a.pk for a in booked}


def test_an_activity_without_a_frequency_cannot_be_booked(plan, physical_therapist, coordinator_user):
    activity = Activity.objects.create(
        care_plan=plan, title="Education", discipline=physical_therapist.discipline, kind=Activity.Kind.VISIT_SERIES
    )
    with pytest.raises(ValidationFailed):
        activity_book_series(activity=activity, start_date=datetime.date.today(), booked_by=coordinator_user)
