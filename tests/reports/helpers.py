"""Hand-built data for the report tests: rows written directly (the reports read history, so
the tests write the history they need, with the times they need)."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from careplans.models import QuestionnaireResponse
from scheduling.models import Appointment, AppointmentStatus

NY = zoneinfo.ZoneInfo("America/New_York")


def local(day: date, hour: int, minute: int = 0, zone=NY) -> datetime:
    return datetime.combine(day, time(hour, minute)).replace(tzinfo=zone)


def appointment(*, patient, provider, visit_type, location, start, status=AppointmentStatus.COMPLETED, room=None, **fields):
    end = start + timedelta(minutes=visit_type.duration_minutes)
    return Appointment.objects.create(
        patient=patient,
        provider=provider,
        visit_type=visit_type,
        location=location,
        room=room,
        start=start,
        end=end,
        room_start=start,
        room_end=end,
        status=status,
        **fields,
    )


def answer(patient, code: str, score, at: datetime):
    """A scored response as stored (the report reads the score, not the items)."""
    return QuestionnaireResponse.objects.create(
        patient=patient, questionnaire=code, answers=[int(Decimal(str(score)))], score=Decimal(str(score)), answered_at=at, source="staff"
    )
