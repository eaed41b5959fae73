"""The demo clinic's registry is populated: procedures of every registry family with answers
before and after, most early follow-ups answered, fewer late ones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from careplans import demo
from clinic import demo as clinic_demo
from reports.filters import ReportFilters
from reports.selectors import outcome_report, psychology_trends
from scheduling import demo as scheduling_demo

pytestmark = pytest.mark.django_db


def test_demo_registry_has_realistic_follow_up():
    clinic_demo.seed(out=lambda *a: None)
    scheduling_demo.seed_catalogue()
    now = timezone.now()
    demo.seed_registry_history(now=now, out=lambda *a: None)
    demo.seed_registry_history(now=now, out=lambda *a: None)  # idempotent
    today = now.date()
    report = outcome_report(filters=ReportFilters(start=today - timedelta(days=340), end=today, instrument="PEG"), now=now)
    assert report["treated"] == demo.REGISTRY_PATIENTS
    assert set(report["families"]) == {"ebp", "esi", "mbb", "rfa", "scs_trial"}
    assert report["with_baseline"] == report["treated"]
    two, six_months = report["followup"]["2w"], report["followup"]["6m"]
    assert 0.7 <= two["completeness"] <= 0.95 and six_months["completeness"] < two["completeness"]
    assert two["improved"] > two["worse"] > 0 and two["median_change"] < 0
    trends = psychology_trends(filters=ReportFilters(start=today - timedelta(days=200), end=today))
    assert len(trends["PHQ-9"]) >= 6 and trends["PHQ-9"][0]["median"] > trends["PHQ-9"][-1]["median"]
