import datetime as dt

import pytest

from core.errors import PermissionDenied, RuleViolation
from scheduling.models import BillingRegion, FrequencyRule
from scheduling.rules import frequency_violations
from scheduling.services import appointment_cancel
from tests.factories import CarePlanFactory, CareTeamMemberFactory, PatientFactory, PayerFactory
from tests.scheduling.payer_helpers import book, completed, done

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2028, 1, 10, 15, 0, tzinfo=dt.UTC)  # a Monday, 10:00 in New York


def day(n: int) -> dt.datetime:
    return T0 + dt.timedelta(days=n)


def test_default_rules_are_installed_by_migration(db):
    rules = {r.name: r for r in FrequencyRule.objects.filter(payer=None)}
    esi_rule = next(r for r in rules.values() if r.procedure_families == ["esi"])
    assert (esi_rule.max_sessions, esi_rule.window_months) == (4, 12) and "L39240" in esi_rule.source
    assert (esi_rule.repeat_min_relief_percent, esi_rule.repeat_min_relief_weeks, esi_rule.repeat_accepts_functional_improvement) == (
        50,
        13,
        True,
    )
    rfa_rule = next(r for r in rules.values() if r.procedure_families == ["rfa"])
    assert (rfa_rule.max_sessions, rfa_rule.prerequisite_family, rfa_rule.prerequisite_count, rfa_rule.prerequisite_min_relief_percent) == (
        2,
        "mbb",
        2,
        80,
    )
    assert (rfa_rule.repeat_min_relief_percent, rfa_rule.repeat_min_relief_weeks, rfa_rule.repeat_accepts_functional_improvement) == (
        50,
        26,
        False,
    )
    assert any(set(r.procedure_families) == {"facet", "mbb"} and r.max_sessions == 4 for r in rules.values())
    regions = {r.code: sorted(r.spinal_regions) for r in BillingRegion.objects.all()}
    assert regions == {"cervical-thoracic": ["cervical", "thoracic"], "lumbar-sacral": ["lumbar", "sacral"]}


def test_fifth_esi_in_a_region_within_a_year_is_refused_naming_the_rule_and_the_dates(suite_doctor, esi, medicare_patient, esi_counts_only):
    for month in range(4):
        book(medicare_patient, suite_doctor, esi, day(30 * month))
    with pytest.raises(RuleViolation) as error:
        book(medicare_patient, suite_doctor, esi, day(150))
    message = error.value.message
    assert "ESI: at most 4 per region per 12 months" in message and "L39240" in message
    assert all(day(30 * m).date().isoformat() in message for m in range(4))
    assert error.value.extra["counted_dates"] == [day(30 * m).date().isoformat() for m in range(4)]


def test_another_billing_region_has_its_own_count(suite_doctor, esi, medicare_patient, esi_counts_only):
    for month in range(4):
        book(medicare_patient, suite_doctor, esi, day(30 * month))
    assert book(medicare_patient, suite_doctor, esi, day(150), region="cervical").region == "cervical"
    assert book(medicare_patient, suite_doctor, esi, day(180), region="thoracic").region == "thoracic"


def test_cancelled_sessions_do_not_count(suite_doctor, esi, medicare_patient, esi_counts_only):
    sessions = [book(medicare_patient, suite_doctor, esi, day(30 * m)) for m in range(4)]
    appointment_cancel(appointment=sessions[0], reason="patient request", now=day(-2))
    assert book(medicare_patient, suite_doctor, esi, day(150)).status == "booked"


def test_sessions_booked_later_count_in_the_rolling_window_too(suite_doctor, esi, medicare_patient, esi_counts_only):
    for month in range(1, 5):
        book(medicare_patient, suite_doctor, esi, day(30 * month))
    with pytest.raises(RuleViolation):
        book(medicare_patient, suite_doctor, esi, day(0))  # before four already booked within a year


def test_sessions_older_than_the_window_no_longer_count(suite_doctor, esi, medicare_patient, location):
    """Twelve calendar months back from the date of service, inclusive: a session on 2028-01-10
    still counts for one on 2029-01-10, not for one on 2029-01-11."""
    for month in range(4):
        done(medicare_patient, suite_doctor, esi, day(30 * month), relief=60, weeks=13)
    assert day(366).date() == dt.date(2029, 1, 10)
    assert frequency_violations(patient=medicare_patient, visit_type=esi, region="lumbar", start=day(366), location_id=location.pk)
    assert frequency_violations(patient=medicare_patient, visit_type=esi, region="lumbar", start=day(367), location_id=location.pk) == []


def test_first_rfa_needs_two_diagnostic_blocks_with_80_percent_relief(suite_doctor, mbb, rfa, medicare_patient):
    completed(medicare_patient, suite_doctor, mbb, day(0), relief=90)
    with pytest.raises(RuleViolation, match="needs 2 completed Diagnostic medial branch block"):
        book(medicare_patient, suite_doctor, rfa, day(30))
    completed(medicare_patient, suite_doctor, mbb, day(7), relief=70)
    with pytest.raises(RuleViolation) as error:
        book(medicare_patient, suite_doctor, rfa, day(30))
    assert day(7).date().isoformat() in error.value.message and "below the relief threshold" in error.value.message
    completed(medicare_patient, suite_doctor, mbb, day(14), relief=85)
    first = done(medicare_patient, suite_doctor, rfa, day(30), relief=60, weeks=26)
    assert first.status == "completed"
    # the prerequisite is for the first RFA in the region only; the repeat needs the first's
    # relief (recorded above) and the yearly cap still applies
    done(medicare_patient, suite_doctor, rfa, day(120), relief=60, weeks=26)
    with pytest.raises(RuleViolation, match="at most 2"):
        book(medicare_patient, suite_doctor, rfa, day(200))


def test_blocks_in_another_region_do_not_qualify_an_rfa(suite_doctor, mbb, rfa, medicare_patient):
    completed(medicare_patient, suite_doctor, mbb, day(0), relief=90, region="cervical")
    completed(medicare_patient, suite_doctor, mbb, day(7), relief=95, region="cervical")
    with pytest.raises(RuleViolation):
        book(medicare_patient, suite_doctor, rfa, day(30), region="lumbar")


def test_a_payer_minimum_interval_applies_to_that_payers_patients_only(suite_doctor, esi, esi_counts_only):
    bcbs = PayerFactory(code="bcbs-ma", name="BCBS MA")
    FrequencyRule.objects.create(name="BCBS MA: ESI at least 30 days apart", payer=bcbs, procedure_families=["esi"], min_interval_days=30)
    member = PatientFactory(payer=bcbs)
    book(member, suite_doctor, esi, day(0))
    with pytest.raises(RuleViolation, match="at least 30 days apart") as error:
        book(member, suite_doctor, esi, day(20))
    assert error.value.extra["counted_dates"] == [day(0).date().isoformat()]
    assert book(member, suite_doctor, esi, day(31)).status == "booked"
    other = PatientFactory(payer=PayerFactory(code="aetna", name="Aetna"))
    book(other, suite_doctor, esi, day(0) + dt.timedelta(hours=2))
    assert book(other, suite_doctor, esi, day(20)).status == "booked"


def test_an_inactive_rule_is_not_enforced(suite_doctor, esi, medicare_patient):
    FrequencyRule.objects.filter(procedure_families=["esi"]).update(active=False)
    booked = [book(medicare_patient, suite_doctor, esi, day(30 * month)) for month in range(5)]
    assert [a.status for a in booked] == ["booked"] * 5  # the fifth ESI in a year, no override needed
    assert [(a.override_reason, a.overridden_by) for a in booked] == [("", None)] * 5
    assert medicare_patient.appointments.filter(visit_type=esi, region="lumbar", status="booked").count() == 5


def test_a_provider_may_override_with_a_reason_and_the_override_is_recorded(suite_doctor, esi, medicare_patient, esi_counts_only):
    for month in range(4):
        book(medicare_patient, suite_doctor, esi, day(30 * month))
    # Staff book only for patients they may see: the doctor is on the patient's care team (their
    # last visit is more than 30 days before this booking).
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=medicare_patient), provider=suite_doctor)
    doctor_user = suite_doctor.user
    appointment = book(
        medicare_patient, suite_doctor, esi, day(150), booked_by=doctor_user, override_reason="Documented 70% relief; payer pre-approved"
    )
    assert appointment.override_reason.startswith("Documented") and appointment.overridden_by == doctor_user
    assert appointment.events.get().reason.startswith("override: Documented")


def test_front_desk_cannot_override_a_payer_rule(suite_doctor, esi, medicare_patient, front_desk_user, esi_counts_only):
    for month in range(4):
        book(medicare_patient, suite_doctor, esi, day(30 * month))
    with pytest.raises(PermissionDenied):
        book(medicare_patient, suite_doctor, esi, day(150), booked_by=front_desk_user, override_reason="patient insists")
    assert medicare_patient.appointments.count() == 4


def test_non_procedures_are_never_limited(follow_up, medicare_patient, location):
    assert frequency_violations(patient=medicare_patient, visit_type=follow_up, region="", start=T0, location_id=location.pk) == []


def test_the_front_desk_hears_the_rfa_prerequisite_is_unmet_but_not_which_blocks_gave_relief(
    suite_doctor, mbb, rfa, medicare_patient, front_desk_user
):
    """Which diagnostic blocks reached 80 % relief is clinical; the front desk is told the rule
    is not met and who can review it, the clinician is told why."""
    completed(medicare_patient, suite_doctor, mbb, day(0), relief=90)
    completed(medicare_patient, suite_doctor, mbb, day(7), relief=70)
    with pytest.raises(RuleViolation) as desk:
        book(medicare_patient, suite_doctor, rfa, day(30), booked_by=front_desk_user)
    assert "not met yet" in desk.value.message
    for clinical in ("relief threshold", "qualifying", day(0).date().isoformat(), day(7).date().isoformat()):
        assert clinical not in desk.value.message
    assert desk.value.extra["counted_dates"] == []
    with pytest.raises(RuleViolation) as doctor:
        book(medicare_patient, suite_doctor, rfa, day(30), booked_by=suite_doctor.user)
    assert "below the relief threshold or unrecorded: " + day(7).date().isoformat() in doctor.value.message
    assert doctor.value.extra["counted_dates"] == [day(0).date().isoformat()]
