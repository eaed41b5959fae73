"""Celery tasks for scheduling: thin, take ids, safe to run twice."""

from celery import shared_task


@shared_task(ignore_result=True)
def waitlist_offer_freed_time(appointment_id: int) -> None:
    """Offer time freed by a cancellation or no-show to the best waitlist entries."""
    # Filled in by the waitlist work (scheduling/waitlist.py).
    return None
