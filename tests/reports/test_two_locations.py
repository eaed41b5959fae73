"""Reports of a health system: `location=` keeps one location's visits, working time and rooms,
with one provider working at both on the same day (hand-built history; arithmetic in comments)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta

import pytest

from reports.filters import ReportFilters
from reports.selectors import operations_report, outcome_report
from scheduling.models import AppointmentStatus
from tests.factories import (
    AvailabilityTemplateFactory,
    DisciplineFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    RoomFactory,
    VisitTypeFactory,
)
from tests.reports.helpers import answer, appointment, local

pytestmark = pytest.mark.django_db

S = AppointmentStatus
MON = date(2026, 3, 2)
NOW = datetime(2027, 1, 1, tzinfo=UTC)  # every outcome window has closed
WEEK = ReportFilters(start=MON, end=MON + timedelta(days=6))


@pytest.fixture
def system():
    north = LocationFactory(name="Northgate")
    south = LocationFactory(name="Southbay")
    pain = DisciplineFactory(code="interventional-pain")
    doctor = ProviderFactory(discipline=pain, home_location=north)
    # Mondays: 08:00-12:00 at Northgate, 13:00-17:00 at Southbay (240 minutes each).
    AvailabilityTemplateFactory(provider=doctor, location=north, weekday=0, start_time=time(8), end_time=time(12))
    AvailabilityTemplateFactory(provider=doctor, location=south, weekday=0, start_time=time(13), end_time=time(17))
    rooms = {where: RoomFactory(location=where, name=f"{where.name} suite", kind="procedure_suite") for where in (north, south)}
    esi = VisitTypeFactory(code="esi", discipline=pain, is_procedure=True, procedure_family="esi", room_kind="procedure_suite")

    def visit(where, hour, status=S.COMPLETED):
        patient = PatientFactory()
        appointment(
            patient=patient, provider=doctor, visit_type=esi, location=where, room=rooms[where], start=local(MON, hour), status=status
        )
        return patient

    # Northgate: 09:00 and 10:00 completed, 11:00 no-show. Southbay: 14:00 completed, 15:00 no-show.
    treated_north = [visit(north, 9), visit(north, 10)]
    visit(north, 11, S.NO_SHOW)
    treated_south = [visit(south, 14)]
    visit(south, 15, S.NO_SHOW)
    # NRS: the Northgate patients 8 → 4 (improved), the Southbay one 6 → 6 (unchanged).
    for patient, before, after in [(p, 8, 4) for p in treated_north] + [(p, 6, 6) for p in treated_south]:
        answer(patient, "NRS", before, local(MON, 7))
        answer(patient, "NRS", after, local(MON, 7) + timedelta(days=14))
    return locals()


def test_the_operations_report_filters_by_location(system):
    north, south, doctor = system["north"], system["south"], system["doctor"]
    everywhere = operations_report(filters=WEEK, now=NOW)
    at_north = operations_report(filters=replace(WEEK, location_id=north.pk), now=NOW)
    at_south = operations_report(filters=replace(WEEK, location_id=south.pk), now=NOW)
    # Visits: 3 + 2 = 5; no-shows 1 of 3 and 1 of 2.
    assert (everywhere["appointments"], at_north["appointments"], at_south["appointments"]) == (5, 3, 2)
    assert (at_north["no_show_rate"], at_south["no_show_rate"]) == (round(1 / 3, 4), 0.5)
    assert everywhere["no_show_rate"] == round(2 / 5, 4)

    def provider_row(report):
        return next(row for row in report["utilisation"]["providers"] if row["id"] == doctor.pk)

    # Working time: 240 minutes at each location; booked 3 × 30 at Northgate, 2 × 30 at Southbay.
    assert (provider_row(everywhere)["template_minutes"], provider_row(everywhere)["booked_minutes"]) == (480, 150)
    assert (provider_row(at_north)["template_minutes"], provider_row(at_north)["booked_minutes"]) == (240, 90)
    assert (provider_row(at_south)["template_minutes"], provider_row(at_south)["booked_minutes"]) == (240, 60)
    assert [row["id"] for row in at_north["utilisation"]["rooms"]] == [system["rooms"][north].pk]
    assert [row["id"] for row in at_south["utilisation"]["rooms"]] == [system["rooms"][south].pk]


def test_the_outcome_report_filters_by_location(system):
    month = replace(WEEK, end=date(2026, 3, 31), procedure="esi", instrument="NRS")
    at_north = outcome_report(filters=replace(month, location_id=system["north"].pk), now=NOW)
    at_south = outcome_report(filters=replace(month, location_id=system["south"].pk), now=NOW)
    everywhere = outcome_report(filters=month, now=NOW)
    assert (everywhere["treated"], at_north["treated"], at_south["treated"]) == (3, 2, 1)
    two_weeks = next(iter(at_north["followup"]))
    assert (at_north["followup"][two_weeks]["answered"], at_north["followup"][two_weeks]["improved"]) == (2, 2)
    assert (at_south["followup"][two_weeks]["answered"], at_south["followup"][two_weeks]["improved"]) == (1, 0)
