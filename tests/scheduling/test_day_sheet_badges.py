"""Each visit on the day sheet carries its prior-authorisation state (when the visit needs one)
next to its status and checklist state."""

import pytest
from django.test import Client
from django.urls import reverse

from scheduling.models import Appointment
from scheduling.services import appointment_book
from tests.factories import PatientFactory, sign_in
from tests.scheduling.conftest import next_weekday_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def visit(working_anesthesiologist, follow_up):
    return appointment_book(patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(9))


def _sheet(user, visit) -> str:
    client = Client()
    sign_in(client, user)
    url = reverse("admin:scheduling_day_sheet")
    return client.get(url, {"location": visit.location_id, "date": str(next_weekday_at(9).date())}).content.decode()


@pytest.mark.parametrize(
    "status,badge", [("pending", "Auth pending"), ("denied", "Auth denied"), ("missing", "Auth missing"), ("approved", "Auth approved")]
)
def test_an_authorization_state_is_a_badge_on_the_visit(front_desk_user, visit, status, badge):
    # The state is written by prior authorization's services; here only its display is under test.
    Appointment.objects.filter(pk=visit.pk).update(authorization_status=status)
    html = _sheet(front_desk_user, visit)
    assert f'class="badge auth auth-{status}">{badge}</span>' in html
    assert f"· {badge}" in html  # in the visit's title (hover) too


def test_not_required_shows_no_badge(front_desk_user, visit):
    assert Appointment.objects.get(pk=visit.pk).authorization_status == "not-required"
    assert "badge auth" not in _sheet(front_desk_user, visit)
