from django.conf import settings

from config.celery import app


def test_every_periodic_job_is_configured_and_names_a_registered_task():
    app.loader.import_default_modules()
    schedule = app.conf.beat_schedule
    assert schedule is settings.CELERY_BEAT_SCHEDULE
    assert {"worker-heartbeat", "messaging-dispatch-due", "careplans-escalate-overdue-tasks"} <= set(schedule)
    for name, entry in schedule.items():
        assert entry["task"] in app.tasks, f"{name}: {entry['task']} is not a registered task"
