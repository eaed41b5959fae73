"""Working time changes that others react to: new templates and extra sessions announce
WORKING_TIME_ADDED so the waitlist can offer the new time (after commit)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone

from scheduling.events import AppointmentHappened, announce
from scheduling.models import AvailabilityException, AvailabilityTemplate

# A template repeats weekly without end; the waitlist looks this far ahead for it.
WAITLIST_NEW_TIME_HORIZON_DAYS = 90


def working_time_template_saved(*, template: AvailabilityTemplate, now: datetime | None = None) -> None:
    """Call once the template and its visit types are saved (the admin's save_related)."""
    now = now or timezone.now()
    end = now + timedelta(days=WAITLIST_NEW_TIME_HORIZON_DAYS)
    announce(AppointmentHappened.WORKING_TIME_ADDED, provider_id=template.provider_id, start=now, end=end, now=now)


def working_time_exception_saved(*, exception: AvailabilityException, now: datetime | None = None) -> None:
    """An extra session is new working time; an absence is not."""
    if exception.kind == AvailabilityException.Kind.EXTRA:
        now = now or timezone.now()
        announce(
            AppointmentHappened.WORKING_TIME_ADDED, provider_id=exception.provider_id, start=exception.start, end=exception.end, now=now
        )
