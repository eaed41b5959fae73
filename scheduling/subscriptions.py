"""Scheduling's own reactions to what it announces: freed and new time go to the waitlist, after
commit, through Celery (ids only). Connected in SchedulingConfig.ready()."""

from __future__ import annotations

from datetime import datetime

from core.events import Phase
from scheduling import tasks
from scheduling.events import AppointmentHappened, registry


def offer_freed_time(*, appointment, now: datetime, **_) -> None:
    """The whole slot when it is still ahead; what is left of it when a no-show is marked early
    (whatever still fits, within each visit type's minimum notice)."""
    if appointment.start > now:
        tasks.waitlist_offer_freed_time.delay(appointment.id)
    elif appointment.end > now:
        tasks.waitlist_offer_new_time.delay(appointment.provider_id, now.isoformat(), appointment.end.isoformat())


def offer_new_time(*, provider_id: int, start: datetime, end: datetime, **_) -> None:
    tasks.waitlist_offer_new_time.delay(provider_id, start.isoformat(), end.isoformat())


def connect() -> None:
    for event in (AppointmentHappened.CANCELLED, AppointmentHappened.NO_SHOW):
        registry.subscribe(event, offer_freed_time, phase=Phase.AFTER_COMMIT, uid="scheduling.waitlist.freed_time")
    registry.subscribe(AppointmentHappened.WORKING_TIME_ADDED, offer_new_time, phase=Phase.AFTER_COMMIT, uid="scheduling.waitlist.new_time")
