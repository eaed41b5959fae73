"""Celery tasks for prior authorization: thin, safe to run twice (see services.sweeps)."""

from celery import shared_task

from authorizations.services import sweeps


@shared_task(ignore_result=True)
def expire_authorizations() -> None:
    sweeps.authorizations_expire()


@shared_task(ignore_result=True)
def chase_overdue_decisions() -> None:
    sweeps.authorizations_overdue()


@shared_task(ignore_result=True)
def warn_unused_expiring() -> None:
    sweeps.authorizations_expiring_unused()


@shared_task(ignore_result=True)
def follow_up_denials() -> None:
    sweeps.authorizations_denied()


@shared_task(ignore_result=True)
def warn_scs_window() -> None:
    sweeps.authorizations_scs_window()
