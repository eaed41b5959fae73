from celery import shared_task

from core.health import record_worker_heartbeat


@shared_task(ignore_result=True)
def heartbeat() -> None:
    """Proves a worker consumes tasks; read by /healthz."""
    record_worker_heartbeat()
