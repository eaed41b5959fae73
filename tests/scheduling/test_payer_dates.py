"""Payer limits count dates of service in the location's zone (America/New_York here): windows in
calendar months, inclusive, with Feb 29 mapped to Feb 28; minimum intervals in calendar days. The
time of day, DST and the zone a client sent never change the answer."""

import pytest

from core.errors import RuleViolation
from scheduling.models import FrequencyRule
from tests.factories import PatientFactory, PayerFactory
from tests.scheduling.payer_helpers import book, ny

pytestmark = pytest.mark.django_db


def _lumbar_esis(patient, doctor, esi, first):
    for start in (first, ny(2027, 6, 1), ny(2027, 9, 1), ny(2027, 12, 1)):
        book(patient, doctor, esi, start)


@pytest.mark.parametrize("hour", [9, 10])
def test_a_fifth_esi_on_feb_29_is_refused_at_any_hour_of_the_day(suite_doctor, esi, medicare_patient, esi_counts_only, hour):
    """365 × 24 hours after 2027-03-01 09:30 falls on 2028-02-29 at 09:30: the hour-based window
    refused 09:00 and allowed 10:00. Twelve months before 2028-02-29 start on 2027-02-28."""
    _lumbar_esis(medicare_patient, suite_doctor, esi, ny(2027, 3, 1, 9, 30))
    with pytest.raises(RuleViolation, match="in any 12 month"):
        book(medicare_patient, suite_doctor, esi, ny(2028, 2, 29, hour))


def test_twelve_months_before_feb_29_start_on_feb_28_inclusive(suite_doctor, esi, medicare_patient, esi_counts_only):
    _lumbar_esis(medicare_patient, suite_doctor, esi, ny(2027, 2, 28, 9))
    with pytest.raises(RuleViolation) as error:
        book(medicare_patient, suite_doctor, esi, ny(2028, 2, 29, 16))
    assert error.value.extra["counted_dates"][0] == "2027-02-28"


def test_a_session_the_day_before_the_window_no_longer_counts(suite_doctor, esi, medicare_patient, esi_counts_only):
    _lumbar_esis(medicare_patient, suite_doctor, esi, ny(2027, 2, 27, 22))
    assert book(medicare_patient, suite_doctor, esi, ny(2028, 2, 29, 6)).status == "booked"


def test_the_window_is_calendar_months_across_a_dst_change(suite_doctor, esi, medicare_patient, esi_counts_only):
    """2027-03-13 09:00 EST to 2028-03-13 09:00 EDT is 366 days less an hour: more than 365 × 24
    hours, yet the same calendar date a year later, so the first session still counts."""
    _lumbar_esis(medicare_patient, suite_doctor, esi, ny(2027, 3, 13, 9))
    with pytest.raises(RuleViolation):
        book(medicare_patient, suite_doctor, esi, ny(2028, 3, 13, 9))
    assert book(medicare_patient, suite_doctor, esi, ny(2028, 3, 14, 9)).status == "booked"


@pytest.fixture
def fourteen_days_apart(db):
    payer = PayerFactory(code="aetna", name="Aetna")
    FrequencyRule.objects.create(name="Aetna: ESI at least 14 days apart", payer=payer, procedure_families=["esi"], min_interval_days=14)
    return payer


def test_a_minimum_interval_counts_calendar_days_not_hours(suite_doctor, esi, fourteen_days_apart, esi_counts_only):
    member = PatientFactory(payer=fourteen_days_apart)
    book(member, suite_doctor, esi, ny(2028, 1, 10, 16))
    assert book(member, suite_doctor, esi, ny(2028, 1, 24, 8)).status == "booked"  # 13 days 16 hours, 14 calendar days
    other = PatientFactory(payer=fourteen_days_apart)
    book(other, suite_doctor, esi, ny(2028, 1, 10, 8))
    with pytest.raises(RuleViolation, match="at least 14 calendar days apart") as error:
        book(other, suite_doctor, esi, ny(2028, 1, 23, 22))  # 13 days 14 hours, 13 calendar days
    assert error.value.extra["counted_dates"] == ["2028-01-10"]


def test_a_minimum_interval_across_the_spring_dst_change(suite_doctor, esi, fourteen_days_apart, esi_counts_only):
    """09:00 EST to 09:00 EDT fourteen days later is 14 days less an hour."""
    member = PatientFactory(payer=fourteen_days_apart)
    book(member, suite_doctor, esi, ny(2028, 3, 1, 9))
    assert book(member, suite_doctor, esi, ny(2028, 3, 15, 9)).status == "booked"


@pytest.mark.parametrize(
    "sent",
    ["2028-03-02T01:00:00Z", "2028-03-01T20:00:00-05:00", "2028-03-01T18:00:00-07:00"],
    ids=["utc", "new-york-offset", "denver-offset"],
)
def test_the_same_instant_gets_the_same_answer_whatever_zone_the_client_sent(
    api_for, front_desk_user, suite_doctor, esi, medicare_patient, esi_counts_only, sent
):
    """20:00 in New York on 2028-03-01 is 2028-03-02 in UTC; the date of service is the
    location's, so the session on 2027-03-01 counts however the start was written."""
    _lumbar_esis(medicare_patient, suite_doctor, esi, ny(2027, 3, 1, 9))
    client = api_for(front_desk_user)
    payload = {"patient": medicare_patient.pk, "provider": suite_doctor.pk, "visit_type": "lumbar-esi", "region": "lumbar"}
    response = client.post("/api/v1/appointments/", payload | {"start": sent}, format="json")
    assert response.status_code == 409, response.json()
    assert response.json()["code"] == "rule_violation" and "2027-03-01" in response.json()["detail"]
    next_day = client.post("/api/v1/appointments/", payload | {"start": "2028-03-03T01:00:00Z"}, format="json")
    assert next_day.status_code == 201, next_day.json()
