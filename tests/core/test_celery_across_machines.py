"""Celery on several machines: one beat sends (a lock in real Redis), tasks survive a lost worker."""

from __future__ import annotations

import time

import pytest
from django.conf import settings
from django_celery_beat.models import IntervalSchedule, PeriodicTask

from config import beat
from config.celery import app


class RecordingScheduler(beat.LockedDatabaseScheduler):
    """The real scheduler; only the final hand-over to the broker is recorded instead."""

    def __init__(self, *args, **kwargs):
        self.sent: list[str] = []
        super().__init__(*args, **kwargs)

    def apply_async(self, entry, producer=None, advance=True, **kwargs):
        self.sent.append(entry.name)


@pytest.fixture
def lock_key(monkeypatch):
    import redis

    key = f"test:celery-beat:{time.monotonic_ns()}"
    monkeypatch.setattr(beat, "LOCK_KEY", key)
    yield key
    redis.Redis.from_url(settings.REDIS_URL).delete(key)


@pytest.fixture
def every_second(transactional_db):
    interval, _ = IntervalSchedule.objects.get_or_create(every=1, period=IntervalSchedule.SECONDS)
    return PeriodicTask.objects.create(name="test-every-second", task="core.tasks.heartbeat", interval=interval)


@pytest.fixture
def scheduler(lock_key, every_second):
    made = []

    def make() -> RecordingScheduler:
        made.append(RecordingScheduler(app=app, lock_seconds=3, redis_url=settings.REDIS_URL))
        return made[-1]

    yield make
    for s in made:
        s.close()  # while the test database still exists


def run_ticks(schedulers, seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for s in schedulers:
            s.tick()
        time.sleep(0.05)


def test_two_beats_one_sends_and_the_other_takes_over_when_the_lock_expires(scheduler, every_second):
    first, second = scheduler(), scheduler()
    run_ticks([first, second], 2.5)
    assert first.is_leader and not second.is_leader
    assert first.sent.count("test-every-second") >= 1 and second.sent == []

    # The holder dies without a word (SIGKILL, lost machine): nothing releases its lock.
    started = time.monotonic()
    second.tick()
    assert not second.is_leader, "the lock is taken over before it expired"
    while not second.is_leader and time.monotonic() - started < 6:
        second.tick()
        time.sleep(0.1)
    assert second.is_leader
    assert 1.5 < time.monotonic() - started < 4.5  # the lock's 3 s, not at once and not never
    run_ticks([second], 2.2)
    assert second.sent.count("test-every-second") >= 1
    # The dead holder, were it to come back, finds the lock taken and stands by.
    sent_before = len(first.sent)
    run_ticks([first, second], 1.2)
    assert not first.is_leader and len(first.sent) == sent_before


def test_a_beat_stopping_cleanly_hands_over_at_once(scheduler, every_second):
    first, second = scheduler(), scheduler()
    run_ticks([first, second], 0.3)
    assert first.is_leader
    first.close()
    second.tick()
    assert second.is_leader


def test_a_paused_periodic_task_is_not_sent_by_the_beat_holding_the_lock(scheduler, every_second):
    every_second.enabled = False  # what the admin's "Disable selected periodic tasks" does
    every_second.save()
    holder = scheduler()
    run_ticks([holder], 2.5)
    assert holder.is_leader and "test-every-second" not in holder.sent
    every_second.enabled = True
    every_second.save()
    run_ticks([holder], 2.5)
    assert "test-every-second" in holder.sent


def test_workers_acknowledge_late_one_task_at_a_time_and_redis_waits_longer_than_any_countdown():
    assert app.conf.task_acks_late and app.conf.task_reject_on_worker_lost
    assert app.conf.worker_prefetch_multiplier == 1
    assert app.conf.beat_scheduler == "config.beat:LockedDatabaseScheduler"
    app.loader.import_default_modules()
    visibility = app.conf.broker_transport_options["visibility_timeout"]
    longest = max((getattr(task, "retry_backoff_max", 0) or 0) for task in app.tasks.values() if getattr(task, "autoretry_for", ()))
    longest = max(
        longest, max(getattr(task, "default_retry_delay", 0) or 0 for task in app.tasks.values() if not task.name.startswith("celery."))
    )
    assert 0 < longest < visibility / 10
