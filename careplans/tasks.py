"""Celery tasks for care plans: thin, take ids, reload state, safe to run twice."""

from celery import shared_task

from careplans import services


@shared_task(ignore_result=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=5)
def assemble_followup(appointment_id: int, event: str) -> None:
    """Protocol assembly after an appointment event (idempotent: see careplans.services.protocols)."""
    services.followup_assemble(appointment_id=appointment_id, event=event)


@shared_task(ignore_result=True)
def escalate_overdue_tasks() -> None:
    services.tasks_escalate_overdue()


@shared_task(ignore_result=True)
def raise_incomplete_checklists() -> None:
    services.checklists_raise_incomplete()


@shared_task(ignore_result=True)
def sweep_followups() -> None:
    services.followup_sweep()


@shared_task(ignore_result=True)
def escalate_crisis_tasks() -> None:
    services.crisis_tasks_escalate()


@shared_task(ignore_result=True, autoretry_for=(Exception,), retry_backoff=True, max_retries=8)
def notify_break_glass(break_glass_id: int) -> None:
    """E-mail the clinic admins about a break-glass; retried while the mail server is down (the
    service sends nothing once notified_at is set)."""
    services.break_glass_notify(break_glass_id=break_glass_id)
