"""Celery tasks for scheduling: thin, take ids, safe to run twice."""

from celery import shared_task


@shared_task(ignore_result=True)
def waitlist_offer_freed_time(appointment_id: int) -> None:
    """Offer time freed by a cancellation or no-show to the best waitlist entry. Enqueued with
    transaction.on_commit by appointment_cancel / appointment_no_show; a second run finds the
    time already held and does nothing."""
    from scheduling.waitlist import waitlist_offer_freed_time as offer

    offer(appointment_id=appointment_id)


@shared_task(ignore_result=True)
def expire_holds_and_offers() -> None:
    """Periodic: release lapsed holds and pass their time to the next waitlist entry."""
    from scheduling.waitlist import waitlist_expire_offers

    waitlist_expire_offers()


@shared_task(ignore_result=True)
def waitlist_offer_new_time(provider_id: int, start_iso: str, end_iso: str) -> None:
    """Offer newly added working time (a template or an extra session) to the waitlist."""
    from datetime import datetime

    from scheduling.waitlist import waitlist_offer_new_time as offer

    offer(provider_id=provider_id, start=datetime.fromisoformat(start_iso), end=datetime.fromisoformat(end_iso))
