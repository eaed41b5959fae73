"""Celery tasks for scheduling: thin, take ids, safe to run twice."""

from datetime import datetime

from celery import shared_task

from scheduling import tickets as tickets_service
from scheduling import waitlist


@shared_task(ignore_result=True)
def waitlist_offer_freed_time(appointment_id: int) -> None:
    """Offer time freed by a cancellation, or a no-show marked before the visit's time, to the
    best waitlist entry. Enqueued after commit (scheduling.subscriptions); a second run finds the
    time already held and does nothing."""
    waitlist.waitlist_offer_freed_time(appointment_id=appointment_id)


@shared_task(ignore_result=True)
def expire_holds_and_offers() -> None:
    """Periodic: release lapsed holds and pass their time to the next waitlist entry."""
    waitlist.waitlist_expire_offers()


@shared_task(ignore_result=True)
def waitlist_offer_new_time(provider_id: int, start_iso: str, end_iso: str) -> None:
    """Offer newly added working time (a template or an extra session, or what is left of a
    slot after an early no-show) to the waitlist."""
    waitlist.waitlist_offer_new_time(provider_id=provider_id, start=datetime.fromisoformat(start_iso), end=datetime.fromisoformat(end_iso))


@shared_task(ignore_result=True)
def tickets_sweep() -> None:
    """Periodic: expire unused booking tickets, remind once, hand the rest to the front desk
    before they expire (compare-and-set per ticket: a second run does nothing)."""
    tickets_service.ticket_sweep()


@shared_task(ignore_result=True)
def ticket_visit_cancelled(appointment_id: int) -> None:
    """A cancelled visit that a booking ticket placed: the ticket follows a move, or opens again
    for a visit cancelled outright (enqueued after commit; a second run changes nothing)."""
    tickets_service.ticket_visit_cancelled(appointment_id=appointment_id)
