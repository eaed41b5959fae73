"""Waitlist: offer freed time to the best matching entries, first to claim gets it
(the scheduling issue's waitlist work fills this in)."""

from __future__ import annotations

from datetime import datetime


def waitlist_claim(*, entry_id: int, now: datetime | None = None):
    """The patient (through a messaging link) or the front desk claims an offered, held slot.
    Returns the booked Appointment; raises core.errors.Conflict when the offer expired or was
    taken."""
    raise NotImplementedError
