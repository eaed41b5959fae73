from decimal import Decimal

import pytest

from careplans.scoring import INSTRUMENTS, meaningful_change, meaningful_improvement, score_answers
from core.errors import ValidationFailed


def test_instruments_have_their_published_item_counts():
    assert {code: len(i.items) for code, i in INSTRUMENTS.items()} == {"NRS": 1, "PEG": 3, "ODI": 10, "PHQ-9": 9, "GAD-7": 7, "DIARY": 13}
    assert all(item.max_value == 5 for item in INSTRUMENTS["ODI"].items)
    assert all(item.max_value == 3 for item in INSTRUMENTS["PHQ-9"].items + INSTRUMENTS["GAD-7"].items)


def test_nrs_score_is_the_value_without_bands():
    result = score_answers("NRS", [7])
    assert result.score == Decimal("7.00") and result.severity == ""


@pytest.mark.parametrize("answers,expected", [([6, 7, 8], "7.00"), ([5, 6, 6], "5.67"), ([0, 0, 1], "0.33"), ([10, 10, 10], "10.00")])
def test_peg_is_the_mean_of_three_items(answers, expected):
    assert score_answers("PEG", answers).score == Decimal(expected)


@pytest.mark.parametrize(
    "answers,score,band",
    [
        ([2] * 10, "40.00", "moderate"),  # 20 / 50
        ([1] * 10, "20.00", "minimal"),
        ([3, 3, 3, 3, 3, 3, 3, None, 3, 3], "60.00", "severe"),  # 27 / 45: sex life skipped
        ([4, 4, 4, 4, 4, 4, 4, None, 4, 4], "80.00", "crippled"),
        ([5] * 10, "100.00", "bed-bound"),
        ([2, 2, 2, 2, 2, 2, 2, None, 2, 3], "42.22", "severe"),  # 19 / 45
        ([0] * 10, "0.00", "minimal"),
    ],
)
def test_odi_is_percent_of_answered_sections_with_bands(answers, score, band):
    result = score_answers("ODI", answers)
    assert (result.score, result.severity) == (Decimal(score), band)


@pytest.mark.parametrize(
    "answers,score,band",
    [
        ([0] * 9, 0, "minimal"),
        ([1, 1, 1, 1, 0, 0, 0, 0, 0], 4, "minimal"),
        ([1, 1, 1, 1, 1, 0, 0, 0, 0], 5, "mild"),
        ([2, 2, 2, 2, 1, 1, 0, 0, 0], 10, "moderate"),
        ([2, 2, 2, 2, 2, 2, 2, 1, 0], 15, "moderately severe"),
        ([3, 3, 3, 3, 2, 2, 2, 2, 0], 20, "severe"),
        ([3] * 9, 27, "severe"),
    ],
)
def test_phq9_sum_and_bands(answers, score, band):
    result = score_answers("PHQ-9", answers)
    assert (result.score, result.severity) == (Decimal(score), band)
    assert result.alerts == (("self_harm",) if answers[8] > 0 else ())


def test_phq9_item_9_raises_the_self_harm_alert():
    assert score_answers("PHQ-9", [0, 0, 0, 0, 0, 0, 0, 0, 1]).alerts == ("self_harm",)


@pytest.mark.parametrize(
    "answers,score,band", [([0] * 7, 0, "minimal"), ([1] * 5 + [0, 0], 5, "mild"), ([2] * 5, None, None), ([3] * 7, 21, "severe")]
)
def test_gad7_sum_and_bands(answers, score, band):
    if score is None:
        with pytest.raises(ValidationFailed):
            score_answers("GAD-7", answers)
        return
    result = score_answers("GAD-7", answers)
    assert (result.score, result.severity) == (Decimal(score), band)
    assert score_answers("GAD-7", [2, 2, 2, 2, 1, 1, 0]).severity == "moderate"  # 10
    assert score_answers("GAD-7", [3, 3, 3, 2, 2, 1, 1]).severity == "severe"  # 15


@pytest.mark.parametrize(
    "questionnaire,answers",
    [
        ("NRS", [11]),
        ("NRS", [-1]),
        ("NRS", [5, 5]),
        ("PEG", [1, 2]),
        ("ODI", [6] * 10),
        ("ODI", [None] * 3 + [1] * 7),  # fewer than 8 sections answered
        ("PHQ-9", [4] + [0] * 8),
        ("PHQ-9", [None] + [0] * 8),  # only ODI sections may be skipped
        ("GAD-7", ["1"] * 7),
        ("GAD-7", [True] * 7),
        ("BDI", [1]),
    ],
)
def test_invalid_answers_are_refused_with_field_messages(questionnaire, answers):
    with pytest.raises(ValidationFailed) as error:
        score_answers(questionnaire, answers)
    assert error.value.field_errors


@pytest.mark.parametrize(
    "questionnaire,baseline,current,expected",
    [
        ("NRS", 8, 6, "improved"),  # 2 points
        ("NRS", 5, 4, ""),  # 1 point, 20 %
        ("NRS", 3, 2, "improved"),  # 1 point but 33 %
        ("NRS", 4, 6, "worsened"),
        ("NRS", 3, 4, "worsened"),  # +1 point but +33 % of the baseline: crosses the 30 % threshold
        ("NRS", 4, 5, ""),  # +25 %: below it
        ("NRS", 5, 6, ""),  # +20 %
        ("NRS", 4, 3, ""),  # −25 %
        ("NRS", 2, 3, "worsened"),  # +50 %
        ("NRS", 0, 1, ""),  # no percentage from 0; one point is below 2
        ("NRS", 0, 2, "worsened"),
        ("PEG", 3, 4, "worsened"),
        ("ODI", 30, 42, ""),  # +12 < 12.8
        ("PEG", Decimal("6.67"), Decimal("4.33"), "improved"),
        ("ODI", 40, 28, ""),  # 12 < 12.8
        ("ODI", 40, 26, "improved"),  # 14
        ("ODI", 30, 44, "worsened"),
        ("PHQ-9", 20, 5, ""),
    ],
)
def test_meaningful_change_thresholds(questionnaire, baseline, current, expected):
    assert meaningful_change(questionnaire, baseline=Decimal(baseline), current=Decimal(current)) == expected


def test_zero_baseline_has_no_relative_improvement():
    assert not meaningful_improvement("NRS", baseline=Decimal(0), current=Decimal(0))


@pytest.mark.parametrize(
    "answers,relief",
    [
        ([8, 6, 3, 2, 1, 1, 2, 4, 6, 7, 8, None, None], 88),  # peak: (8 − 1) / 8
        ([5, 5, None, None, None, None, None, None, None, None, None, None, 5], 0),
        ([4, 6, 7, None, None, None, None, None, None, None, None, None, None], 0),  # worse after: 0 %, not negative
        ([10, 0, None, None, None, None, None, None, None, None, None, None, None], 100),
        ([6, 1, None, None, None, None, None, None, None, None, None, None, None], 83),  # 83.3
    ],
)
def test_block_diary_scores_its_peak_relief(answers, relief):
    assert score_answers("DIARY", answers).score == relief


@pytest.mark.parametrize(
    "answers",
    [
        [None, 2, 2, None, None, None, None, None, None, None, None, None, None],  # no pain before the block
        [0, 0, 0, None, None, None, None, None, None, None, None, None, None],  # nothing to relieve
        [7] + [None] * 12,  # nothing after it
    ],
)
def test_block_diary_without_a_baseline_or_a_reading_after_is_refused(answers):
    with pytest.raises(ValidationFailed) as error:
        score_answers("DIARY", answers)
    assert error.value.field_errors["answers"]
