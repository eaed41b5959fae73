"""Every periodic job in one place. django-celery-beat copies these into the database at start,
where the clinic admin sees them (Periodic tasks in the admin) and may pause one."""

BEAT_SCHEDULE: dict = {
    # Lets /healthz tell that a worker is alive and consuming: beat sends, a worker writes the time.
    "worker-heartbeat": {"task": "core.tasks.heartbeat", "schedule": 20.0},
}
