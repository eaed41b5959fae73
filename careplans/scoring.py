"""Outcome instruments: their items, answer ranges, scoring and bands. Pure functions, no ORM.

Sources: NRS 0–10 (meaningful change ≥2 points or ≥30 %, Farrar 2001); PEG (Krebs 2009: mean of
three 0–10 items); Oswestry Disability Index 2.1a (Fairbank & Pynsent 2000: ten sections 0–5,
score = sum / (5 × answered sections) × 100; MCID 12.8 points); PHQ-9 (Kroenke 2001: sum 0–27,
bands at 5/10/15/20); GAD-7 (Spitzer 2006: sum 0–21, bands at 5/10/15).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from core.errors import ValidationFailed

FREQUENCY_CHOICES = ["Not at all", "Several days", "More than half the days", "Nearly every day"]
ZERO_TO_TEN = [str(n) for n in range(11)]


@dataclass(frozen=True)
class Item:
    text: str
    choices: list[str]  # labels for values 0..len-1

    @property
    def max_value(self) -> int:
        return len(self.choices) - 1


@dataclass(frozen=True)
class Instrument:
    code: str
    name: str
    preamble: str
    items: list[Item]
    optional_items: bool = False  # ODI: a skipped section is scored out of the answered ones
    min_answered: int | None = None


def _odi(title: str, statements: list[str]) -> Item:
    return Item(text=title, choices=statements)


# The diagnostic medial branch block diary (DESIGN: every 15 minutes for 1 hour, then hourly for
# 8 hours), with the pain just before the block first: that reading is the baseline.
DIARY_CODE = "DIARY"
DIARY_TIMES = [
    "Your pain just before the block",
    *[f"{minutes} minutes after the block" for minutes in (15, 30, 45)],
    "1 hour after the block",
    *[f"{hours} hours after the block" for hours in range(2, 10)],
]

INSTRUMENTS: dict[str, Instrument] = {
    "NRS": Instrument(
        "NRS",
        "Pain intensity (numeric rating scale)",
        "0 means no pain, 10 means pain as bad as you can imagine.",
        [Item("What number best describes your pain right now?", ZERO_TO_TEN)],
    ),
    "PEG": Instrument(
        "PEG",
        "Pain, Enjoyment of life and General activity (PEG)",
        "Answer for the past week. 0 means no pain or no interference; 10 the worst.",
        [
            Item("What number best describes your pain on average in the past week?", ZERO_TO_TEN),
            Item("What number best describes how, during the past week, pain has interfered with your enjoyment of life?", ZERO_TO_TEN),
            Item("What number best describes how, during the past week, pain has interfered with your general activity?", ZERO_TO_TEN),
        ],
    ),
    "ODI": Instrument(
        "ODI",
        "Oswestry Disability Index",
        "For each section choose the one statement that best describes you today. You may skip a section that does not apply.",
        [
            _odi(
                "Pain intensity",
                [
                    "I have no pain at the moment",
                    "The pain is very mild at the moment",
                    "The pain is moderate at the moment",
                    "The pain is fairly severe at the moment",
                    "The pain is very severe at the moment",
                    "The pain is the worst imaginable at the moment",
                ],
            ),
            _odi(
                "Personal care (washing, dressing, etc.)",
                [
                    "I can look after myself normally without causing extra pain",
                    "I can look after myself normally but it causes extra pain",
                    "It is painful to look after myself and I am slow and careful",
                    "I need some help but manage most of my personal care",
                    "I need help every day in most aspects of self-care",
                    "I do not get dressed, I wash with difficulty and stay in bed",
                ],
            ),
            _odi(
                "Lifting",
                [
                    "I can lift heavy weights without extra pain",
                    "I can lift heavy weights but it gives extra pain",
                    "Pain prevents me lifting heavy weights off the floor, but I can if they are conveniently placed",
                    "Pain prevents me lifting heavy weights, but I can manage light to medium weights if conveniently placed",
                    "I can lift very light weights",
                    "I cannot lift or carry anything at all",
                ],
            ),
            _odi(
                "Walking",
                [
                    "Pain does not prevent me walking any distance",
                    "Pain prevents me walking more than 1 mile",
                    "Pain prevents me walking more than ½ mile",
                    "Pain prevents me walking more than 100 yards",
                    "I can only walk using a stick or crutches",
                    "I am in bed most of the time",
                ],
            ),
            _odi(
                "Sitting",
                [
                    "I can sit in any chair as long as I like",
                    "I can only sit in my favourite chair as long as I like",
                    "Pain prevents me sitting more than 1 hour",
                    "Pain prevents me from sitting more than 30 minutes",
                    "Pain prevents me from sitting more than 10 minutes",
                    "Pain prevents me from sitting at all",
                ],
            ),
            _odi(
                "Standing",
                [
                    "I can stand as long as I want without extra pain",
                    "I can stand as long as I want but it gives me extra pain",
                    "Pain prevents me from standing for more than 1 hour",
                    "Pain prevents me from standing for more than 30 minutes",
                    "Pain prevents me from standing for more than 10 minutes",
                    "Pain prevents me from standing at all",
                ],
            ),
            _odi(
                "Sleeping",
                [
                    "My sleep is never disturbed by pain",
                    "My sleep is occasionally disturbed by pain",
                    "Because of pain I have less than 6 hours sleep",
                    "Because of pain I have less than 4 hours sleep",
                    "Because of pain I have less than 2 hours sleep",
                    "Pain prevents me from sleeping at all",
                ],
            ),
            _odi(
                "Sex life (if applicable)",
                [
                    "My sex life is normal and causes no extra pain",
                    "My sex life is normal but causes some extra pain",
                    "My sex life is nearly normal but is very painful",
                    "My sex life is severely restricted by pain",
                    "My sex life is nearly absent because of pain",
                    "Pain prevents any sex life at all",
                ],
            ),
            _odi(
                "Social life",
                [
                    "My social life is normal and gives me no extra pain",
                    "My social life is normal but increases the degree of pain",
                    "Pain has no significant effect on my social life apart from limiting my more energetic interests",
                    "Pain has restricted my social life and I do not go out as often",
                    "Pain has restricted my social life to my home",
                    "I have no social life because of pain",
                ],
            ),
            _odi(
                "Travelling",
                [
                    "I can travel anywhere without pain",
                    "I can travel anywhere but it gives me extra pain",
                    "Pain is bad but I manage journeys over two hours",
                    "Pain restricts me to journeys of less than one hour",
                    "Pain restricts me to short necessary journeys under 30 minutes",
                    "Pain prevents me from travelling except to receive treatment",
                ],
            ),
        ],
        optional_items=True,
        # Scores from fewer than 8 of 10 sections are not comparable over time.
        min_answered=8,
    ),
    "PHQ-9": Instrument(
        "PHQ-9",
        "Patient Health Questionnaire (PHQ-9)",
        "Over the last 2 weeks, how often have you been bothered by any of the following problems?",
        [
            Item("Little interest or pleasure in doing things", FREQUENCY_CHOICES),
            Item("Feeling down, depressed, or hopeless", FREQUENCY_CHOICES),
            Item("Trouble falling or staying asleep, or sleeping too much", FREQUENCY_CHOICES),
            Item("Feeling tired or having little energy", FREQUENCY_CHOICES),
            Item("Poor appetite or overeating", FREQUENCY_CHOICES),
            Item("Feeling bad about yourself — or that you are a failure or have let yourself or your family down", FREQUENCY_CHOICES),
            Item("Trouble concentrating on things, such as reading the newspaper or watching television", FREQUENCY_CHOICES),
            Item(
                "Moving or speaking so slowly that other people could have noticed? Or the opposite — being so fidgety or restless "
                "that you have been moving around a lot more than usual",
                FREQUENCY_CHOICES,
            ),
            Item("Thoughts that you would be better off dead or of hurting yourself in some way", FREQUENCY_CHOICES),
        ],
    ),
    "GAD-7": Instrument(
        "GAD-7",
        "Generalized Anxiety Disorder (GAD-7)",
        "Over the last 2 weeks, how often have you been bothered by the following problems?",
        [
            Item("Feeling nervous, anxious, or on edge", FREQUENCY_CHOICES),
            Item("Not being able to stop or control worrying", FREQUENCY_CHOICES),
            Item("Worrying too much about different things", FREQUENCY_CHOICES),
            Item("Trouble relaxing", FREQUENCY_CHOICES),
            Item("Being so restless that it is hard to sit still", FREQUENCY_CHOICES),
            Item("Becoming easily annoyed or irritable", FREQUENCY_CHOICES),
            Item("Feeling afraid as if something awful might happen", FREQUENCY_CHOICES),
        ],
    ),
    DIARY_CODE: Instrument(
        DIARY_CODE,
        "Pain diary after a diagnostic block",
        "Copy the numbers from your pain diary: 0 means no pain, 10 means pain as bad as you can imagine. "
        "Leave a time empty if you did not write it down.",
        [Item(text, ZERO_TO_TEN) for text in DIARY_TIMES],
        optional_items=True,
        min_answered=2,
    ),
}

QUESTIONNAIRE_CODES = list(INSTRUMENTS)

# Upper bounds (inclusive) of each band, lowest first.
BANDS: dict[str, list[tuple[Decimal, str]]] = {
    "ODI": [
        (Decimal(20), "minimal"),
        (Decimal(40), "moderate"),
        (Decimal(60), "severe"),
        (Decimal(80), "crippled"),
        (Decimal(100), "bed-bound"),
    ],
    "PHQ-9": [
        (Decimal(4), "minimal"),
        (Decimal(9), "mild"),
        (Decimal(14), "moderate"),
        (Decimal(19), "moderately severe"),
        (Decimal(27), "severe"),
    ],
    "GAD-7": [(Decimal(4), "minimal"), (Decimal(9), "mild"), (Decimal(14), "moderate"), (Decimal(21), "severe")],
}

# Minimal clinically important improvement per instrument (lower scores are better for all).
NRS_MIN_POINTS = Decimal(2)
NRS_MIN_FRACTION = Decimal("0.30")
ODI_MCID = Decimal("12.8")

TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Score:
    score: Decimal
    severity: str  # "" where the instrument defines no bands
    alerts: tuple[str, ...] = ()


def validate_answers(questionnaire: str, answers) -> list[int | None]:
    """Check the answer list against the instrument; raise ValidationFailed with field messages."""
    instrument = INSTRUMENTS.get(questionnaire)
    if instrument is None:
        raise ValidationFailed(
            "Unknown questionnaire.", field_errors={"questionnaire": [f"Choose one of {', '.join(QUESTIONNAIRE_CODES)}."]}
        )
    if not isinstance(answers, list | tuple):
        raise ValidationFailed("Answers must be a list.", field_errors={"answers": ["Send a list of integers in item order."]})
    expected = len(instrument.items)
    if len(answers) != expected:
        raise ValidationFailed(
            f"{questionnaire} has {expected} items; {len(answers)} answers were sent.",
            field_errors={"answers": [f"Expected {expected} answers, got {len(answers)}."]},
        )
    cleaned: list[int | None] = []
    problems: list[str] = []
    for index, (item, value) in enumerate(zip(instrument.items, answers, strict=True), start=1):
        if value is None and instrument.optional_items:
            cleaned.append(None)
            continue
        if isinstance(value, bool) or not isinstance(value, int):
            problems.append(f"Item {index}: must be a whole number from 0 to {item.max_value}.")
            continue
        if not 0 <= value <= item.max_value:
            problems.append(f"Item {index}: {value} is out of range 0–{item.max_value}.")
            continue
        cleaned.append(value)
    if problems:
        raise ValidationFailed("Some answers are not valid.", field_errors={"answers": problems})
    answered = sum(1 for v in cleaned if v is not None)
    if instrument.min_answered and answered < instrument.min_answered:
        raise ValidationFailed(
            f"At least {instrument.min_answered} sections must be answered.",
            field_errors={"answers": [f"Only {answered} of {expected} sections answered; at least {instrument.min_answered} needed."]},
        )
    return cleaned


def band(questionnaire: str, score: Decimal) -> str:
    for upper, label in BANDS.get(questionnaire, []):
        if score <= upper:
            return label
    return ""


def diary_relief_percent(answers: list[int | None]) -> int:
    """Peak % relief of a diagnostic block from its diary: (pain before − lowest pain after) /
    pain before × 100, rounded half up. The peak, not an average, because a diagnostic block asks
    whether numbing the medial branches abolishes the pain while the local anaesthetic works
    (hours; the diary outlasts it), which is how the ≥80 % prerequisite for RFA is judged. Needs
    the pain before the block above 0 and at least one reading after it; pain that rose is 0 %."""
    baseline, after = answers[0], [v for v in answers[1:] if v is not None]
    if baseline is None or baseline == 0 or not after:
        problems = []
        if baseline is None or baseline == 0:
            problems.append("Enter your pain just before the block (1 to 10): relief is measured from it.")
        if not after:
            problems.append("Enter at least one reading after the block.")
        raise ValidationFailed("The diary cannot give a relief percentage.", field_errors={"answers": problems})
    relief = (Decimal(baseline - min(after)) / Decimal(baseline) * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    return max(0, int(relief))


def score_answers(questionnaire: str, answers) -> Score:
    """Validate and score. NRS: the value; PEG: mean of 3; ODI: percent of answered sections;
    PHQ-9, GAD-7: sum; DIARY: the block's peak % relief. PHQ-9 item 9 above 0 raises the
    `self_harm` alert."""
    cleaned = validate_answers(questionnaire, answers)
    values = [v for v in cleaned if v is not None]
    if questionnaire == DIARY_CODE:
        return Score(score=Decimal(diary_relief_percent(cleaned)).quantize(TWO_PLACES), severity="")
    if questionnaire == "NRS":
        score = Decimal(values[0])
    elif questionnaire == "PEG":
        score = Decimal(sum(values)) / Decimal(3)
    elif questionnaire == "ODI":
        score = Decimal(sum(values)) / Decimal(5 * len(values)) * 100
    else:
        score = Decimal(sum(values))
    score = score.quantize(TWO_PLACES, rounding=ROUND_HALF_UP)
    alerts = ("self_harm",) if questionnaire == "PHQ-9" and (cleaned[8] or 0) > 0 else ()
    return Score(score=score, severity=band(questionnaire, score), alerts=alerts)


def _meaningful_step(questionnaire: str, *, baseline: Decimal, step: Decimal) -> bool:
    """Whether a change of `step` points (> 0, either direction) from `baseline` is clinically
    meaningful. NRS and PEG (0–10 pain scales): ≥2 points, or ≥30 % *of the baseline* (Farrar
    2001 measured both from the baseline; a 0 baseline has no percentage, only points); ODI:
    ≥12.8 points (MCID)."""
    if questionnaire in ("NRS", "PEG"):
        return step >= NRS_MIN_POINTS or (baseline > 0 and step / baseline >= NRS_MIN_FRACTION)
    if questionnaire == "ODI":
        return step >= ODI_MCID
    return False


def meaningful_improvement(questionnaire: str, *, baseline: Decimal, current: Decimal) -> bool:
    """Whether `current` is a clinically meaningful improvement over `baseline` (lower is better)."""
    return current < baseline and _meaningful_step(questionnaire, baseline=baseline, step=baseline - current)


def meaningful_change(questionnaire: str, *, baseline: Decimal, current: Decimal) -> str:
    """ "improved", "worsened" or "": one rule in both directions, measured from the baseline.

    A change is meaningful when it crosses the threshold: ≥2 points, or ≥30 % of the baseline
    (NRS, PEG), ≥12.8 points (ODI). So NRS 3→4 (+1 point, +33 % of 3) is worse, while 4→5
    (+25 %) and 5→6 (+20 %) are not; 3→2 (−33 %) is better, 4→3 (−25 %) is not. (Worsening
    used to be judged against the higher value, which let a rise past 30 % of the baseline,
    such as 3→4, pass unmarked.)"""
    if meaningful_improvement(questionnaire, baseline=baseline, current=current):
        return "improved"
    if current > baseline and _meaningful_step(questionnaire, baseline=baseline, step=current - baseline):
        return "worsened"
    return ""
