"""Overriding a payer rule: a reason that says something (at least 10 non-blank characters), by a
provider or clinic admin only, and a trail naming each rule overridden with the counts it saw."""

import datetime as dt

import pytest
from django.urls import reverse

from core.errors import PermissionDenied, RuleViolation, ValidationFailed
from core.models import AuditEvent
from scheduling.models import FrequencyRule
from scheduling.services import appointment_reschedule
from tests.factories import CarePlanFactory, CareTeamMemberFactory, sign_in
from tests.scheduling.payer_helpers import book, done, ny

pytestmark = pytest.mark.django_db

REASON = "Payer pre-approved, authorisation 4411"
FIFTH = ny(2028, 9, 5)


@pytest.fixture
def four_lumbar_esis(suite_doctor, esi, medicare_patient, esi_counts_only):
    for month in (1, 3, 5, 7):
        book(medicare_patient, suite_doctor, esi, ny(2028, month, 10))
    return medicare_patient


@pytest.mark.parametrize(
    "reason",
    ["ok", "   approved   ", "\u200b" * 12, "a\u200bb\u200bc\u200bd", "\t.\n.\t.\n"],
    ids=["two-letters", "padded-word", "zero-width-spaces", "four-letters-zero-width", "dots-and-tabs"],
)
def test_an_override_reason_needs_ten_non_blank_characters(suite_doctor, esi, four_lumbar_esis, clinic_admin_user, reason):
    with pytest.raises(ValidationFailed) as error:
        book(four_lumbar_esis, suite_doctor, esi, FIFTH, booked_by=clinic_admin_user, override_reason=reason)
    assert error.value.field_errors == {"override_reason": ["Give a reason of at least 10 characters (not counting spaces)."]}
    assert four_lumbar_esis.appointments.count() == 4


def test_ten_non_blank_characters_are_enough(suite_doctor, esi, four_lumbar_esis, clinic_admin_user):
    appointment = book(four_lumbar_esis, suite_doctor, esi, FIFTH, booked_by=clinic_admin_user, override_reason=" a b c d e f g h i j ")
    assert appointment.override_reason == "a b c d e f g h i j" and appointment.overridden_by == clinic_admin_user


def test_a_blank_reason_is_no_override(suite_doctor, esi, four_lumbar_esis, clinic_admin_user):
    with pytest.raises(RuleViolation):
        book(four_lumbar_esis, suite_doctor, esi, FIFTH, booked_by=clinic_admin_user, override_reason="  \n ")


def test_a_care_coordinator_may_not_override(suite_doctor, esi, four_lumbar_esis, coordinator_user):
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=four_lumbar_esis), user=coordinator_user)
    with pytest.raises(PermissionDenied, match="Only a provider or clinic admin"):
        book(four_lumbar_esis, suite_doctor, esi, FIFTH, booked_by=coordinator_user, override_reason=REASON)


def test_the_override_names_each_rule_and_the_counts_it_saw(suite_doctor, esi, four_lumbar_esis, clinic_admin_user):
    rule = FrequencyRule.objects.get(payer=None, procedure_families=["esi"])
    interval = FrequencyRule.objects.create(
        name="Medicare example: ESI at least 60 days apart", payer=four_lumbar_esis.payer, procedure_families=["esi"], min_interval_days=60
    )
    appointment = book(four_lumbar_esis, suite_doctor, esi, FIFTH, booked_by=clinic_admin_user, override_reason=REASON)
    event = appointment.events.get()
    assert event.reason == f"override: {REASON}"
    assert event.detail == {
        "payer_rules_overridden": [
            {"rule": rule.name, "rule_id": rule.pk, "check": "max_sessions", "counted": 4, "max_sessions": 4, "window_months": 12},
            {"rule": interval.name, "rule_id": interval.pk, "check": "min_interval_days", "too_close": 1, "min_interval_days": 60},
        ]
    }
    audit = AuditEvent.objects.get(object_type="scheduling.appointment", object_id=str(appointment.pk))
    assert (audit.user, audit.action, audit.patients) == (clinic_admin_user, "create", [four_lumbar_esis.pk])
    assert audit.reason == f"payer rule override: {rule.name}; {interval.name}: {REASON}"


def test_a_booking_within_the_rules_leaves_no_override_trail(suite_doctor, esi, medicare_patient, clinic_admin_user):
    appointment = book(medicare_patient, suite_doctor, esi, FIFTH, booked_by=clinic_admin_user, override_reason=REASON)
    assert (appointment.override_reason, appointment.overridden_by) == ("", None)
    assert appointment.events.get().detail == {}
    assert not AuditEvent.objects.filter(reason__startswith="payer rule override").exists()


def test_the_override_trail_of_a_relief_rule_carries_no_relief_value(suite_doctor, esi, medicare_patient):
    """The appointment's events are scheduling data the front desk reads: the trail says which
    rule was overridden, not how much relief the patient had."""
    done(medicare_patient, suite_doctor, esi, ny(2028, 1, 10), relief=17, weeks=3)
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=medicare_patient), provider=suite_doctor)
    appointment = book(medicare_patient, suite_doctor, esi, ny(2028, 2, 14), booked_by=suite_doctor.user, override_reason=REASON)
    (overridden,) = appointment.events.get().detail["payer_rules_overridden"]
    assert overridden["check"] == "repeat_relief" and overridden["previous_date"] == "2028-01-10"
    assert "17" not in str(overridden) and not any("relief_percent" in key or "weeks" in key for key in overridden)


@pytest.fixture
def api_booking(suite_doctor, four_lumbar_esis):
    return {
        "patient": four_lumbar_esis.pk,
        "provider": suite_doctor.pk,
        "visit_type": "lumbar-esi",
        "region": "lumbar",
        "start": FIFTH.isoformat(),
    }


def test_the_api_answers_400_for_a_short_reason_409_for_none_and_201_for_a_real_one(api_for, clinic_admin_user, api_booking):
    client = api_for(clinic_admin_user)
    short = client.post("/api/v1/appointments/", api_booking | {"override_reason": "  fine  "}, format="json")
    assert short.status_code == 400
    assert short.json()["override_reason"] == ["Give a reason of at least 10 characters (not counting spaces)."]
    none = client.post("/api/v1/appointments/", api_booking, format="json")
    assert none.status_code == 409 and none.json()["code"] == "rule_violation"
    assert none.json()["rules"] == ["ESI: at most 4 per region per 12 months"]
    made = client.post("/api/v1/appointments/", api_booking | {"override_reason": REASON}, format="json")
    assert made.status_code == 201 and made.json()["override_reason"] == REASON


def test_the_api_refuses_the_front_desk_an_override(api_for, front_desk_user, api_booking):
    response = api_for(front_desk_user).post("/api/v1/appointments/", api_booking | {"override_reason": REASON}, format="json")
    assert response.status_code == 403


def test_a_reschedule_needs_its_own_override(suite_doctor, esi, four_lumbar_esis, clinic_admin_user):
    fifth = book(four_lumbar_esis, suite_doctor, esi, FIFTH, booked_by=clinic_admin_user, override_reason=REASON)
    with pytest.raises(ValidationFailed):
        appointment_reschedule(
            appointment=fifth,
            start=FIFTH + dt.timedelta(days=7),
            by=clinic_admin_user,
            override_reason="short",
            now=FIFTH - dt.timedelta(days=2),
        )


def test_the_appointment_admin_shows_which_rules_were_overridden(client, suite_doctor, esi, four_lumbar_esis, clinic_admin_user):
    appointment = book(four_lumbar_esis, suite_doctor, esi, FIFTH, booked_by=clinic_admin_user, override_reason=REASON)
    sign_in(client, clinic_admin_user)
    page = client.get(reverse("admin:scheduling_appointment_change", args=[appointment.pk])).content.decode()
    assert "Payer rules overridden" in page
    assert "ESI: at most 4 per region per 12 months (4 of 4 in 12 months already counted)" in page


def test_an_override_booked_through_the_api_is_one_audit_row_carrying_the_reason(api_for, clinic_admin_user, api_booking):
    made = api_for(clinic_admin_user).post("/api/v1/appointments/", api_booking | {"override_reason": REASON}, format="json")
    assert made.status_code == 201
    rows = AuditEvent.objects.filter(object_type="scheduling.appointment", object_id=str(made.json()["id"]))
    # The booking's own row names the override: not a second row for the same write.
    assert [(row.action, row.reason) for row in rows] == [
        ("create", f"payer rule override: ESI: at most 4 per region per 12 months: {REASON}")
    ]
