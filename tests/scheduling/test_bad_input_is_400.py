"""Inputs that used to answer 500 (issue 11) are refused with 400 and a message naming the input:
NUL characters, non-ASCII digits, far years, over-long strings and wrong types, through the API,
the public calendar feed and the admin."""

from __future__ import annotations

import pytest

from core.inputs import NUL_MESSAGE
from tests.factories import PatientFactory, VisitTypeFactory, sign_in
from tests.scheduling.conftest import next_weekday_at

pytestmark = pytest.mark.django_db


def _field_messages(response, field: str) -> list:
    body = response.json()
    assert field in body, body
    return body[field]


def test_nul_in_bundle_visit_types_is_400_naming_the_field(api_for, front_desk_user, follow_up):
    patient = PatientFactory()
    sent = {"patient": patient.pk, "visit_types": ["follow-up", "pt\x00eval"], "date": next_weekday_at(9).date().isoformat()}
    response = api_for(front_desk_user).post("/api/v1/bundles/", sent, format="json")
    assert response.status_code == 400, response.content
    assert _field_messages(response, "visit_types") == {"1": [NUL_MESSAGE]}


@pytest.mark.parametrize("visit_types", [[{"code": "follow-up"}, 2], [True, "follow-up"], "follow-up"])
def test_wrong_types_in_bundle_visit_types_are_400(api_for, front_desk_user, follow_up, visit_types):
    sent = {"patient": PatientFactory().pk, "visit_types": visit_types, "date": next_weekday_at(9).date().isoformat()}
    response = api_for(front_desk_user).post("/api/v1/bundles/", sent, format="json")
    assert response.status_code == 400, response.content
    assert "visit_types" in response.json()


def test_a_long_run_of_digits_as_a_visit_type_is_unknown_not_a_500(api_for, front_desk_user, follow_up):
    sent = {"patient": PatientFactory().pk, "visit_types": ["follow-up", "9" * 5000], "date": next_weekday_at(9).date().isoformat()}
    response = api_for(front_desk_user).post("/api/v1/bundles/", sent, format="json")
    assert response.status_code == 400, response.content
    assert "Unknown or inactive visit type" in str(_field_messages(response, "visit_types"))


def test_far_year_in_a_bundle_is_400(api_for, front_desk_user, follow_up, physical_therapist):
    VisitTypeFactory(code="pt-evaluation", discipline=physical_therapist.discipline)
    sent = {"patient": PatientFactory().pk, "visit_types": ["follow-up", "pt-evaluation"], "date": "9999-12-31"}
    response = api_for(front_desk_user).post("/api/v1/bundles/", sent, format="json")
    assert response.status_code == 400, response.content
    assert "date" in response.json()


def test_nul_in_a_feed_token_is_400_without_sign_in(client):
    response = client.get("/calendar/%00.ics")
    assert response.status_code == 400
    assert response.content.decode() == NUL_MESSAGE


@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/patients/?search=%00",
        "/api/v1/appointments/?status=%00",
        "/api/v1/waitlist/?visit_type=a%00b",
        "/api/v1/visit-types/?discipline=%00",
        "/api/v1/providers/?discipline=%00",
        "/api/v1/tasks/?status=%00",
        "/api/v1/audit-events/?action=%00",
    ],
)
def test_nul_in_a_list_filter_is_400_in_the_api_error_body(api_for, front_desk_user, url):
    response = api_for(front_desk_user).get(url)
    assert response.status_code == 400, response.content
    assert response.json()["detail"] == NUL_MESSAGE


def test_nul_in_a_posted_api_form_is_400(api_for, front_desk_user):
    response = api_for(front_desk_user).post("/api/v1/waitlist/", {"patient": "1", "notes": "a\x00b"})
    assert response.status_code == 400
    assert _field_messages(response, "notes") == [NUL_MESSAGE]


def test_nul_in_the_admin_search_is_400(client, clinic_admin_user):
    sign_in(client, clinic_admin_user)
    response = client.get("/admin/clinic/patient/?q=%00")
    assert response.status_code == 400


@pytest.mark.parametrize("value", ["²", "١x", "1.5", "9" * 5000])
def test_a_waitlist_patient_filter_that_is_not_an_id_is_400(api_for, front_desk_user, value):
    response = api_for(front_desk_user).get("/api/v1/waitlist/", {"patient": value})
    assert response.status_code == 400, response.content
    assert "patient" in response.json()


def test_waitlist_filters_still_filter(api_for, front_desk_user, follow_up):
    client = api_for(front_desk_user)
    start = next_weekday_at(9)
    mine, other = PatientFactory(), PatientFactory()
    for patient in (mine, other):
        sent = {
            "patient": patient.pk,
            "visit_type": "follow-up",
            "earliest_date": start.date().isoformat(),
            "latest_date": start.date().isoformat(),
        }
        assert client.post("/api/v1/waitlist/", sent, format="json").status_code == 201
    listed = client.get("/api/v1/waitlist/", {"patient": mine.pk, "status": "waiting"}).json()["results"]
    assert [e["patient"] for e in listed] == [mine.pk]
    assert client.get("/api/v1/waitlist/", {"status": "nonsense"}).status_code == 400


def test_over_long_sign_in_username_is_400_not_a_500(client):
    response = client.post("/api/v1/auth/login/", {"username": "u" * 300, "password": "x"}, content_type="application/json")
    assert response.status_code == 400
    assert "username" in response.json()


def test_a_path_that_names_nothing_under_the_api_is_a_json_404(api_for, front_desk_user):
    response = api_for(front_desk_user).get("/api/v1/appointments/abc/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


@pytest.mark.parametrize("field,value", [("patient", "²"), ("patient", "abc"), ("date", "9999-99-99"), ("max_gap_minutes", "10" * 40)])
def test_admin_bundle_form_refuses_bad_values_with_a_form_error(client, front_desk_user, field, value):
    sign_in(client, front_desk_user)
    sent = {"patient": "1", "visit_types": [], "date": "2027-01-11", "max_gap_minutes": "30", field: value}
    response = client.post("/admin/scheduling/appointment/find-and-book/bundle/", sent)
    assert response.status_code == 200
    assert field in response.context["form"].errors


def test_admin_series_form_refuses_a_far_year_with_a_message(client, front_desk_user, follow_up):
    sign_in(client, front_desk_user)
    patient = PatientFactory()
    sent = {"patient": patient.pk, "visit_type": follow_up.pk, "per_week": "1", "weeks": "1", "start_date": "9999-12-31"}
    response = client.post("/admin/scheduling/appointment/find-and-book/series/", sent, follow=True)
    assert response.status_code == 200
    assert "Use a date between" in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/scheduling/appointment/?start__year=9999",
        "/admin/scheduling/appointment/?start__year=9999&start__month=12",
        "/admin/scheduling/appointment/?start__year=9999&start__month=12&start__day=31",
        "/admin/scheduling/clinicclosure/?date__year=9999",
        "/admin/core/auditevent/?at__year=9999&at__month=12",
    ],
)
def test_a_far_year_in_an_admin_date_hierarchy_is_an_incorrect_lookup_not_a_500(client, clinic_admin_user, url):
    sign_in(client, clinic_admin_user)
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")


def test_an_ordinary_year_in_the_date_hierarchy_still_filters(client, clinic_admin_user):
    sign_in(client, clinic_admin_user)
    assert client.get("/admin/scheduling/appointment/?start__year=2027&start__month=1").status_code == 200
