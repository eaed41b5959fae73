"""A patient chosen once in find-and-book is remembered across single, bundle and series (by id
in the session and the variant links; never a name in a URL), and only for who may see them."""

import pytest
from django.test import Client
from django.urls import reverse

from tests.factories import PatientFactory, sign_in
from tests.scheduling.conftest import next_weekday_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(front_desk_user):
    client = Client()
    sign_in(client, front_desk_user)
    return client


def test_a_patient_found_by_search_is_remembered_for_the_bundle_and_series(desk, working_anesthesiologist, follow_up):
    patient = PatientFactory(last_name="Quintero")
    found = desk.get(
        reverse("admin:scheduling_find_and_book"),
        {"patient_search": "Quintero", "visit_type": follow_up.pk, "date_from": str(next_weekday_at(9).date())},
    )
    assert found.context["patient"] == patient
    links = [v["url"] for v in found.context["variants"]]
    assert all(url.endswith(f"?patient={patient.pk}") for url in links)
    assert "Quintero" not in "".join(links)
    for name in ("admin:scheduling_bundle_book", "admin:scheduling_series_book"):
        page = desk.get(reverse(name))  # no query string: the session remembers
        assert page.context["patient"] == patient and page.context["form"]["patient"].value() == patient.pk
    back = desk.get(reverse("admin:scheduling_find_and_book"))
    assert back.context["patient"] == patient and f'name="patient" value="{patient.pk}"' in back.content.decode()
    forgotten = desk.get(reverse("admin:scheduling_find_and_book"), {"forget": "1"})
    assert forgotten.context["patient"] is None
    assert desk.get(reverse("admin:scheduling_series_book")).context["patient"] is None


def test_a_patient_id_the_user_may_not_see_is_not_remembered(anesthesiologist, physical_therapist):
    """A provider sees only their own patients: another clinician's patient id in the link shows nothing."""
    stranger = PatientFactory()
    client = Client()
    sign_in(client, physical_therapist.user)
    page = client.get(reverse("admin:scheduling_series_book"), {"patient": stranger.pk})
    assert page.status_code == 200
    assert page.context["patient"] is None and stranger.last_name not in page.content.decode()


def test_a_bad_patient_parameter_is_ignored_not_a_500(desk):
    for raw in ("abc", "٣", "99999999", "-1"):
        assert desk.get(reverse("admin:scheduling_bundle_book"), {"patient": raw}).status_code == 200
