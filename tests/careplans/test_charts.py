"""The outcome chart's meaningful-change markers: measured from the baseline, the last answer
before the most recent procedure (the first answer when there is none)."""

import datetime
import zoneinfo
from dataclasses import dataclass
from decimal import Decimal

from careplans.charts import build_chart

UTC = zoneinfo.ZoneInfo("UTC")
DAY0 = datetime.datetime(2026, 1, 1, 9, tzinfo=UTC)


@dataclass
class Answer:
    questionnaire: str
    score: Decimal
    answered_at: datetime.datetime
    pk: int = 0


def _answers(*pairs, code="NRS"):
    return [Answer(code, Decimal(score), DAY0 + datetime.timedelta(days=day), pk=i) for i, (day, score) in enumerate(pairs)]


def _marks(chart):
    return [(int(p.value), p.change, p.is_baseline) for p in chart.series[0].points]


def _chart(responses, procedure_days=()):
    procedures = [(DAY0 + datetime.timedelta(days=d), "ESI") for d in procedure_days]
    return build_chart(title="Pain", codes=["NRS"], y_max=10, responses=responses, procedures=procedures, zone=UTC)


def test_change_is_measured_from_the_last_score_before_the_most_recent_procedure():
    # First ever 9; a procedure on day 10 brought it to 4; a second procedure on day 30, after
    # which pain returns to 6 and falls to 3. Against the first score (9) every later value
    # looked "improved"; against the baseline before the latest procedure (4), 6 is worse.
    chart = _chart(_answers((0, 9), (20, 4), (35, 6), (40, 3)), procedure_days=(10, 30))
    assert _marks(chart) == [(9, "", False), (4, "", True), (6, "worsened", False), (3, "", False)]


def test_without_a_procedure_the_first_score_is_the_baseline():
    chart = _chart(_answers((0, 8), (5, 6), (9, 9)))
    assert _marks(chart) == [(8, "", True), (6, "improved", False), (9, "", False)]


def test_with_no_score_before_the_procedure_the_first_score_is_the_baseline():
    chart = _chart(_answers((5, 7), (9, 4)), procedure_days=(1,))
    assert _marks(chart) == [(7, "", True), (4, "improved", False)]


def test_nrs_3_to_4_after_a_procedure_is_marked_worse_and_4_to_5_is_not():
    assert _marks(_chart(_answers((0, 3), (5, 4)), procedure_days=(2,)))[1] == (4, "worsened", False)
    assert _marks(_chart(_answers((0, 4), (5, 5)), procedure_days=(2,)))[1] == (5, "", False)


def test_each_series_has_its_own_baseline():
    responses = _answers((0, 6), (8, 2)) + _answers((3, 40), (9, 20), code="ODI")
    chart = build_chart(
        title="Pain",
        codes=["NRS", "ODI"],
        y_max=100,
        responses=responses,
        procedures=[(DAY0 + datetime.timedelta(days=5), "RFA")],
        zone=UTC,
    )
    nrs, odi = chart.series
    assert [(p.is_baseline, p.change) for p in nrs.points] == [(True, ""), (False, "improved")]
    assert [(p.is_baseline, p.change) for p in odi.points] == [(True, ""), (False, "improved")]
