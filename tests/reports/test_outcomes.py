"""The outcome registry against hand-built questionnaire history; every figure worked out by
hand in the comments."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careplans.models import Goal
from core import access
from core.access import Kind
from reports import access as report_access
from reports.filters import ReportFilters
from reports.models import OutcomeWindow
from reports.selectors import goal_report, goal_rows, outcome_report, outcome_rows, psychology_trends
from scheduling.models import AppointmentStatus
from tests.factories import (
    CarePlanFactory,
    CareTeamMemberFactory,
    DisciplineFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    VisitTypeFactory,
)
from tests.reports.helpers import answer, appointment, local

pytestmark = pytest.mark.django_db

MARCH = ReportFilters(start=date(2026, 3, 1), end=date(2026, 3, 31), procedure="esi", instrument="NRS")
NOW = datetime(2027, 1, 1, tzinfo=UTC)  # every window has closed
PROC = date(2026, 3, 10)


@pytest.fixture
def registry():
    location = LocationFactory()
    pain = DisciplineFactory(code="interventional-pain")
    psych = DisciplineFactory(code="psychology")
    doctor = ProviderFactory(discipline=pain, home_location=location)
    colleague = ProviderFactory(discipline=pain, home_location=location)
    psychologist = ProviderFactory(discipline=psych, home_location=location)
    esi = VisitTypeFactory(code="esi", discipline=pain, is_procedure=True, procedure_family="esi", room_kind="procedure_suite")
    mbb = VisitTypeFactory(code="mbb", discipline=pain, is_procedure=True, procedure_family="mbb", room_kind="procedure_suite")
    therapy = VisitTypeFactory(code="therapy", discipline=psych)
    # Surnames no generated provider or other page text can carry (a Faker surname matched a provider once).
    pts = {name: PatientFactory(last_name=f"Zyxreg{name}") for name in "ABCDEGH"}
    day0 = local(PROC, 10)

    def proc(patient, vt=esi, start=day0, status=AppointmentStatus.COMPLETED):
        return appointment(patient=patient, provider=doctor, visit_type=vt, location=location, start=start, status=status)

    for name in "ABCDE":
        proc(pts[name])
    a, b, c, d, e, g, h = (pts[n] for n in "ABCDEGH")
    proc(a, start=local(date(2026, 3, 20), 10))  # A's second ESI: the episode is the first
    proc(a, vt=mbb, start=local(date(2026, 3, 12), 10))  # A's MBB: an episode of its own family
    proc(g, status=AppointmentStatus.CANCELLED)  # never treated
    proc(h, start=local(date(2026, 3, 31), 23, 30))  # 1 April 03:30 UTC: still March locally
    proc(PatientFactory(), start=local(date(2026, 4, 1), 0, 30))  # April locally: outside
    # A: baseline 8 (5 days before); 2w 5 (−3: improved); 6w 6 (−2: improved).
    answer(a, "NRS", 8, day0 - timedelta(days=5))
    answer(a, "NRS", 5, day0 + timedelta(days=14))
    answer(a, "NRS", 6, day0 + timedelta(days=40))
    # B: 10 forty days before (too old), 6 twenty days before, 5 two days before: baseline 5.
    # 2w: 7 at day 10 and 4 at day 15; the closer to day 14 counts: 4 (−1, 20 %: neither).
    answer(b, "NRS", 10, day0 - timedelta(days=40))
    answer(b, "NRS", 6, day0 - timedelta(days=20))
    answer(b, "NRS", 5, day0 - timedelta(days=2))
    answer(b, "NRS", 7, day0 + timedelta(days=10))
    answer(b, "NRS", 4, day0 + timedelta(days=15))
    # C: baseline 3; 2w 4 (+1 point = 33 % of 3: meaningfully worse).
    answer(c, "NRS", 3, day0 - timedelta(days=1))
    answer(c, "NRS", 4, day0 + timedelta(days=14))
    # D: only an answer 31 days before: no baseline, so its follow-up does not count.
    answer(d, "NRS", 7, day0 - timedelta(days=31))
    answer(d, "NRS", 2, day0 + timedelta(days=14))
    # E: baseline 10; 2w 2 on day 24, the window's last day (−8: improved).
    answer(e, "NRS", 10, day0 - timedelta(hours=1))
    answer(e, "NRS", 2, day0 + timedelta(days=24, hours=3))
    # H: baseline 7, never answered again.
    answer(h, "NRS", 7, local(date(2026, 3, 30), 9))
    # Psychology: A seen in March; B never seen by psychology.
    appointment(patient=a, provider=psychologist, visit_type=therapy, location=location, start=local(date(2026, 3, 3), 9))
    answer(a, "PHQ-9", 12, local(date(2026, 3, 5), 9))
    answer(a, "PHQ-9", 8, local(date(2026, 3, 25), 9))
    answer(b, "PHQ-9", 20, local(date(2026, 3, 25), 9))
    # Goals due in March: A's PEG ≤ 4 (answered 3.67: met), B's NRS ≤ 3 (last 4: not met),
    # C's ODI ≤ 20 (never answered: no data); one due in April and one unmeasured are left out.
    plans = {n: CarePlanFactory(patient=p, period_start=date(2026, 1, 1)) for n, p in (("A", a), ("B", b), ("C", c))}
    answer(a, "PEG", "3.67", local(date(2026, 3, 20), 9))
    goal = dict(target_comparator="<=", target_date=date(2026, 3, 31))
    Goal.objects.create(care_plan=plans["A"], description="PEG ≤ 4", measure="PEG", target_value=4, **goal)
    Goal.objects.create(care_plan=plans["B"], description="NRS ≤ 3", measure="NRS", target_value=3, **goal)
    Goal.objects.create(care_plan=plans["C"], description="ODI ≤ 20", measure="ODI", target_value=20, **goal)
    Goal.objects.create(
        care_plan=plans["A"], description="NRS ≤ 2", measure="NRS", target_value=2, target_comparator="<=", target_date=date(2026, 4, 15)
    )
    Goal.objects.create(care_plan=plans["A"], description="Walk", measure="other", target_text="30 min", target_date=date(2026, 3, 31))
    # The colleague is on A's care team only.
    CareTeamMemberFactory(care_plan=plans["A"], provider=colleague)
    return locals()


def test_registry_figures_match_hand_arithmetic(registry):
    report = outcome_report(filters=MARCH, now=NOW)
    # ESI episodes: A B C D E H (G cancelled, April's outside) = 6; with a baseline: all but D = 5.
    assert (report["treated"], report["with_baseline"]) == (6, 5)
    two = report["followup"]["2w"]
    # Answered: A B C E; improved A (−3) E (−8); worse C (+1 on 3); changes −8 −3 −1 +1: median −2.
    assert two == {"answered": 4, "improved": 2, "worse": 1, "median_change": -2.0, "due": 5, "completeness": 0.8}
    assert report["followup"]["6w"] == {"answered": 1, "improved": 1, "worse": 0, "median_change": -2.0, "due": 5, "completeness": 0.2}
    assert report["followup"]["3m"]["answered"] == 0 and report["followup"]["3m"]["median_change"] is None
    assert list(report["followup"]) == ["2w", "6w", "3m", "6m"]


def test_every_family_counts_each_patients_first_procedure_of_each(registry):
    report = outcome_report(filters=ReportFilters(start=MARCH.start, end=MARCH.end), now=NOW)
    # ESI 6 + A's MBB 1 = 7 episodes; A's MBB has A's 8 (7 days before) as baseline.
    assert report["treated"] == 7 and report["with_baseline"] == 6
    assert report["families"]["mbb"]["treated"] == 1
    # A's MBB 2w window (day 7–24 after 12 March): the answer of 24 March (5): −3, improved.
    assert report["families"]["mbb"]["followup"]["2w"]["improved"] == 1


def test_windows_count_once_they_have_closed(registry):
    report = outcome_report(filters=MARCH, now=local(PROC, 10) + timedelta(days=30))
    # Thirty days on: 2w has closed (after day 24) for A B C E; H (treated 31 March) is not due
    # yet. 6w has closed for nobody: A's early 6w answer waits until it does.
    assert report["followup"]["2w"]["due"] == 4 and report["followup"]["2w"]["completeness"] == 1.0
    assert report["followup"]["6w"] == {"answered": 0, "improved": 0, "worse": 0, "median_change": None, "due": 0, "completeness": None}


def test_edited_windows_change_the_keys(registry):
    OutcomeWindow.objects.filter(key="6m").delete()
    OutcomeWindow.objects.create(key="1y", label="1 year", target_days=365, from_days=300, to_days=420)
    assert list(outcome_report(filters=MARCH, now=NOW)["followup"]) == ["2w", "6w", "3m", "1y"]


def test_small_cells_are_suppressed_for_the_clinic_admin(registry):
    report = report_access.suppress_outcomes(outcome_report(filters=MARCH, now=NOW))
    assert (report["treated"], report["with_baseline"]) == (6, 5)
    two = report["followup"]["2w"]
    assert two["answered"] == "<5" and two["improved"] == "<5" and two["worse"] == "<5"
    assert two["due"] == 5 and two["median_change"] is None and two["completeness"] is None


def test_outcomes_api_suppresses_for_the_clinic_admin_and_not_for_a_provider(registry, api_for, clinic_admin_user):
    params = {"start": "2026-03-01", "end": "2026-03-31", "procedure": "esi", "instrument": "nrs"}
    admin_view = api_for(clinic_admin_user).get("/api/v1/reports/outcomes/", params).json()
    assert admin_view["treated"] == 6 and admin_view["followup"]["2w"]["answered"] == "<5"
    provider_view = api_for(registry["doctor"].user).get("/api/v1/reports/outcomes/", params).json()
    assert provider_view["followup"]["2w"]["answered"] == 4


def test_patient_rows_only_for_patients_the_policy_allows(registry):
    colleague = registry["colleague"].user
    rows = outcome_rows(
        filters=ReportFilters(start=MARCH.start, end=MARCH.end), patients=access.patients(colleague, Kind.CLINICAL), now=NOW
    )
    assert {r["patient_id"] for r in rows} == {registry["a"].pk}
    assert sorted(r["family"] for r in rows) == ["esi", "mbb"]
    esi = next(r for r in rows if r["family"] == "esi")
    assert esi["baseline"] == 8.0 and esi["followup"]["2w"] == {"score": 5.0, "change": "improved"}
    assert esi["followup"]["3m"] == {"score": None, "change": ""}


def test_psychology_trends(registry):
    trends = psychology_trends(filters=MARCH)
    # March: A only (B was never seen by psychology): 12 and 8, median 10.
    assert trends["PHQ-9"] == [{"month": date(2026, 3, 1), "patients": 1, "median": 10.0}]
    assert trends["GAD-7"] == []
    assert report_access.suppress_trends(trends)["PHQ-9"][0] == {"month": date(2026, 3, 1), "patients": "<5", "median": None}


def test_goals_met_not_met_no_data(registry):
    report = goal_report(filters=MARCH, now=NOW)
    assert (report["met"], report["not_met"], report["no_data"]) == (1, 1, 1)
    assert report["measures"]["PEG"] == {"met": 1, "not_met": 0, "no_data": 0}
    rows = goal_rows(filters=MARCH, patients=access.patients(registry["colleague"].user, Kind.CLINICAL), now=NOW)
    assert [(r["description"], r["outcome"]) for r in rows] == [("PEG ≤ 4", "met")]
    # A goal whose target date is still ahead is not judged yet.
    assert goal_report(filters=MARCH, now=local(date(2026, 3, 15), 9))["met"] == 0


def test_outcome_query_count_does_not_grow_with_the_range(registry):
    counts = []
    for end in (MARCH.end, MARCH.end + timedelta(days=400)):
        filters = ReportFilters(start=MARCH.start, end=end, instrument="PEG")
        with CaptureQueriesContext(connection) as ctx:
            outcome_report(filters=filters, now=NOW)
            goal_report(filters=filters, now=NOW)
            psychology_trends(filters=filters)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] and counts[0] <= 8, counts


def test_patient_rows_list_every_window_in_the_windows_order(registry):
    from clinic.models import Patient
    from reports.selectors import outcome_rows

    rows = outcome_rows(filters=MARCH, patients=Patient.objects.filter(pk=registry["a"].pk), now=NOW)
    (a,) = [r for r in rows if r["family"] == "esi"]
    # A: 2w 5 (improved), 6w 6 (improved, day 40), nothing later; columns 2w 6w 3m 6m.
    assert list(a["followup"]) == ["2w", "6w", "3m", "6m"]
    assert [a["followup"][k]["score"] for k in ("2w", "6w", "3m", "6m")] == [5.0, 6.0, None, None]
