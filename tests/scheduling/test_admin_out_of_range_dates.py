"""Out-of-range dates in the front desk's admin pages are form errors, never a 500."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PatientFactory, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(front_desk_user):
    client = Client()
    sign_in(client, front_desk_user)
    return client


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1900-01-01", "2999-06-01"])
def test_day_sheet_refuses_a_far_date_with_a_form_error(desk, location, day):
    response = desk.get(reverse("admin:scheduling_day_sheet"), {"location": location.pk, "date": day})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="errornote"' in html and "Use a date between" in html and "instead" in html
    assert response.context["form"].errors["date"]


def test_day_sheet_says_when_the_date_is_not_a_date(desk, location):
    response = desk.get(reverse("admin:scheduling_day_sheet"), {"location": location.pk, "date": "2026-02-30"})
    assert response.status_code == 200 and response.context["form"].errors["date"] == ["Enter a valid date."]


@pytest.mark.parametrize(
    "params,field",
    [
        ({"date_from": "9999-12-31"}, "date_from"),
        ({"date_from": "2026-12-01", "date_to": "9999-12-31"}, "date_to"),
        ({"date_from": "0001-01-01"}, "date_from"),
        ({"date_from": "99999-01-01"}, "date_from"),
    ],
)
def test_find_and_book_refuses_a_far_date_with_a_form_error(desk, working_anesthesiologist, follow_up, params, field):
    patient = PatientFactory()
    response = desk.get(reverse("admin:scheduling_find_and_book"), {"patient": patient.pk, "visit_type": follow_up.pk, **params})
    assert response.status_code == 200
    assert response.context["form"].errors[field]
    assert 'id="slots"' not in response.content.decode()
