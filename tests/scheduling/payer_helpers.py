"""Booking and completing procedures for the payer-rule tests."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from scheduling.services import appointment_book, appointment_check_in, appointment_complete, appointment_start
from scheduling.services.appointments import appointment_outcome_set

NY = zoneinfo.ZoneInfo("America/New_York")


def ny(year: int, month: int, day: int, hour: int = 10, minute: int = 0) -> dt.datetime:
    """A New York wall-clock time (the test location's zone)."""
    return dt.datetime(year, month, day, hour, minute, tzinfo=NY)


def book(patient, doctor, visit, start, region="lumbar", **kwargs):
    return appointment_book(
        patient=patient, provider=doctor, visit_type=visit, start=start, region=region, now=start - dt.timedelta(days=1), **kwargs
    )


def completed(patient, doctor, visit, start, relief=None, region="lumbar"):
    appointment = book(patient, doctor, visit, start, region=region)
    appointment_check_in(appointment=appointment, now=start - dt.timedelta(minutes=10))
    appointment_start(appointment=appointment, now=start)
    return appointment_complete(appointment=appointment, relief_percent=relief, now=start + dt.timedelta(minutes=30))


def done(patient, doctor, visit, start, *, relief=None, weeks=None, functional=None, region="lumbar"):
    """A completed session with its effective outcome recorded (as the procedure record does)."""
    appointment = completed(patient, doctor, visit, start, region=region)
    return appointment_outcome_set(appointment=appointment, relief_percent=relief, relief_weeks=weeks, functional_improvement=functional)
