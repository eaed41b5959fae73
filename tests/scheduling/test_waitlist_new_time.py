"""New working time (a template added in the admin, an extra session) is offered to the waitlist."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse

from scheduling.waitlist import waitlist_add, waitlist_offer_new_time
from tests.factories import PatientFactory, VisitTypeFactory, sign_in
from tests.scheduling.conftest import next_weekday_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def pt_visit(physical_therapist, location, consult_rooms):
    physical_therapist.home_location = location
    physical_therapist.save()
    return VisitTypeFactory(code="pt-session", discipline=physical_therapist.discipline, duration_minutes=45)


def _entry(visit, day, **kwargs):
    return waitlist_add(
        patient=PatientFactory(), visit_type=visit, earliest_date=day, latest_date=day + datetime.timedelta(days=2), **kwargs
    )


def test_a_new_template_in_the_admin_offers_its_time_to_waiting_patients(
    clinic_admin_user, physical_therapist, location, pt_visit, eager_celery, django_capture_on_commit_callbacks
):
    day = next_weekday_at(9).date()
    urgent, routine = _entry(pt_visit, day, priority=2), _entry(pt_visit, day)
    client = Client()
    sign_in(client, clinic_admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:scheduling_availabilitytemplate_add"),
            {
                "provider": physical_therapist.pk,
                "location": location.pk,
                "weekday": day.weekday(),
                "start_time": "09:00",
                "end_time": "10:00",
                "valid_from": day.isoformat(),
            },
        )
    assert response.status_code == 302, response.content.decode()[:1500]
    urgent.refresh_from_db()
    routine.refresh_from_db()
    assert urgent.status == "offered" and routine.status == "waiting"  # one 45-minute visit fits the hour
    held = urgent.offered_appointment
    assert held.status == "held" and held.provider == physical_therapist
    assert held.start.astimezone(location.zone).time() == datetime.time(9, 0)


def test_an_extra_session_offers_its_time_and_a_rerun_offers_nothing_twice(physical_therapist, location, pt_visit):
    from scheduling.models import AvailabilityException

    start = next_weekday_at(13)
    entry = _entry(pt_visit, start.date(), weekdays=[start.weekday()])
    AvailabilityException.objects.create(
        provider=physical_therapist, kind="extra", start=start, end=start + datetime.timedelta(hours=2), location=location
    )
    offered = waitlist_offer_new_time(provider_id=physical_therapist.pk, start=start, end=start + datetime.timedelta(hours=2))
    assert [e.pk for e in offered] == [entry.pk]
    assert waitlist_offer_new_time(provider_id=physical_therapist.pk, start=start, end=start + datetime.timedelta(hours=2)) == []


def test_entries_whose_wishes_do_not_fit_are_left_waiting(physical_therapist, location, pt_visit):
    from scheduling.models import AvailabilityException

    start = next_weekday_at(13)
    wrong_day = _entry(pt_visit, start.date(), weekdays=[(start.weekday() + 1) % 7])
    mornings_only = _entry(pt_visit, start.date(), latest_time=datetime.time(12, 0))
    AvailabilityException.objects.create(
        provider=physical_therapist, kind="extra", start=start, end=start + datetime.timedelta(hours=2), location=location
    )
    assert waitlist_offer_new_time(provider_id=physical_therapist.pk, start=start, end=start + datetime.timedelta(hours=2)) == []
    wrong_day.refresh_from_db()
    mornings_only.refresh_from_db()
    assert wrong_day.status == mornings_only.status == "waiting"


def test_a_no_show_marked_early_offers_what_is_left_of_its_time(
    physical_therapist, location, pt_visit, eager_celery, django_capture_on_commit_callbacks
):
    from scheduling.services import appointment_book, appointment_no_show
    from tests.factories import weekly_templates

    long_visit = VisitTypeFactory(code="pt-evaluation", discipline=physical_therapist.discipline, duration_minutes=120)
    weekly_templates(physical_therapist, location)
    start = next_weekday_at(9)
    missed = appointment_book(patient=PatientFactory(), provider=physical_therapist, visit_type=long_visit, start=start)
    entry = _entry(pt_visit, start.date())
    marked_at = start + datetime.timedelta(minutes=20)
    with django_capture_on_commit_callbacks(execute=True):
        appointment_no_show(appointment=missed, now=marked_at)
    entry.refresh_from_db()
    assert entry.status == "offered"
    offered = entry.offered_appointment
    assert marked_at <= offered.start and offered.end <= missed.end
