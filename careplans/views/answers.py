"""Reading a questionnaire's answers from a posted form: the patient's link and the staff form
(answers read out on the phone) take the same input and hand it to the same service."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PostedAnswers:
    answers: list = field(default_factory=list)
    relief: int | None = None
    values: dict[int, str] = field(default_factory=dict)  # what was posted, to show the form again
    errors: list[str] = field(default_factory=list)


def answers_from_post(instrument, post, *, ask_relief: bool) -> PostedAnswers:
    """Item answers in order (blank optional items as None; anything else as posted, for the
    scoring to refuse with its own message) and the relief percentage when it is asked."""
    posted = PostedAnswers()
    for index, _item in enumerate(instrument.items):
        raw = post.get(f"item{index}", "")
        posted.values[index] = raw
        if raw == "" and instrument.optional_items:
            posted.answers.append(None)
            continue
        try:
            posted.answers.append(int(raw))
        except ValueError:
            posted.answers.append(raw)
    if ask_relief:
        raw_relief = post.get("relief", "").strip()
        try:
            posted.relief = int(raw_relief) if raw_relief else None
        except ValueError:
            posted.errors.append("Relief must be a number from 0 to 100.")
    return posted


def items_with_values(instrument, values: dict[int, str]) -> list[tuple]:
    return [(index, item, values.get(index, "")) for index, item in enumerate(instrument.items)]
