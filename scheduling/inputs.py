"""The input rules every scheduling service applies, whoever calls it (API, admin, workspace,
commands). Serializers and forms only shape input; these decide what is acceptable, so one bad
value gets one refusal everywhere.

- Region and laterality: case and surrounding spaces are normalised ("LUMBAR " is "lumbar");
  anything outside the vocabulary is refused. Normalising rather than refusing is deliberate:
  a payer rule counts sessions per region, so "LUMBAR" stored as a region of its own would let a
  fifth lumbar ESI through.
- Free text: core.inputs.text_clean (no NUL characters, at most `max_length` characters); a
  reason made only of spaces is no reason.
- Dates: within DATE_RANGE_YEARS of today, the same bound the API's datetime fields apply, so
  no year 9999 reaches date arithmetic.
"""

from __future__ import annotations

from datetime import date, datetime

from core.errors import ValidationFailed
from scheduling.models import Laterality, SpinalRegion

DATE_RANGE_YEARS = 5  # as core.api.AwareDateTimeField.YEARS_EITHER_SIDE: the API and the services refuse alike
MAX_SEARCH_DAYS = 92  # one slot search; longer ranges are searched page by page


def _vocabulary(field: str, value: str | None, choices: type, message: str) -> str:
    text = (value or "").strip().lower()
    if not text:
        return ""
    if text not in choices.values:
        raise ValidationFailed(f"Unknown {field} {value!r}.", field_errors={field: [message]})
    return text


def region_clean(value: str | None) -> str:
    """'' or one of SpinalRegion's values, whatever the case; anything else is refused."""
    return _vocabulary("region", value, SpinalRegion, "Choose cervical, thoracic, lumbar or sacral.")


def laterality_clean(value: str | None) -> str:
    """'' or one of Laterality's values, whatever the case; anything else is refused."""
    return _vocabulary("laterality", value, Laterality, "Choose left, right, bilateral or midline.")


def date_range_error(value: date | datetime, *, today: date) -> str | None:
    """The message for a date too far from today to be meant, or None."""
    lo, hi = today.year - DATE_RANGE_YEARS, today.year + DATE_RANGE_YEARS
    if not lo <= value.year <= hi:
        return f"Use a date between {lo} and {hi}."
    return None


def date_check(field: str, value: date | datetime, *, today: date) -> None:
    if message := date_range_error(value, today=today):
        raise ValidationFailed(message, field_errors={field: [message]})
