"""Exactly one Celery beat across machines.

Every machine may run `celery beat` (a deployment template need not single one out); only the
holder of a lock in Redis sends periodic tasks. The others stand by, try the lock every few
seconds and take over once it expires (the holder died or lost Redis for BEAT_LOCK_SECONDS).

The schedule itself stays django-celery-beat's DatabaseScheduler, so the admin's Periodic tasks
page (pausing a job, changing its interval) keeps working: the lock only decides who ticks.
"""

from __future__ import annotations

import logging
import os
import socket

import redis
from django.conf import settings
from django_celery_beat.schedulers import DatabaseScheduler
from redis.exceptions import LockError, RedisError

logger = logging.getLogger(__name__)

LOCK_KEY = "clinic:celery-beat:leader"


class LockedDatabaseScheduler(DatabaseScheduler):
    """DatabaseScheduler that ticks only while it holds the Redis lock `LOCK_KEY`.

    The holder renews the lock on every tick and ticks at least every third of its lifetime;
    a stand-by sleeps a third of the lifetime between attempts. After taking over it re-reads
    the schedule from the database (the previous holder's last runs), and the holder writes its
    last runs every `sync_every` seconds, so a takeover repeats at most that much of a job's
    schedule (every periodic task is safe to run twice).
    """

    sync_every = 15

    def __init__(self, *args, lock_seconds: int | None = None, redis_url: str | None = None, **kwargs):
        self.lock_seconds = lock_seconds or settings.BEAT_LOCK_SECONDS
        self._redis = redis.Redis.from_url(redis_url or settings.CELERY_BROKER_URL, socket_timeout=2, socket_connect_timeout=2)
        self._lock = self._redis.lock(LOCK_KEY, timeout=self.lock_seconds, thread_local=False)
        self._token = f"{socket.gethostname()}:{os.getpid()}:{id(self):x}"
        self.is_leader = False
        super().__init__(*args, **kwargs)
        self.max_interval = min(self.max_interval, self.lock_seconds / 3)

    def _hold_lock(self) -> bool:
        """True while this scheduler holds the lock: renews it, or tries to take it."""
        try:
            if self.is_leader:
                self._lock.reacquire()
                return True
            if self._lock.acquire(blocking=False, token=self._token):
                self.is_leader = True
                logger.warning("celery beat: this process now sends the periodic tasks (lock %s)", LOCK_KEY)
                # Start from the database's last runs, not from what this process saw while waiting.
                self._initial_read = True
                self._heap = None
                return True
        except LockError:
            logger.warning("celery beat: lost the lock %s; standing by", LOCK_KEY)
        except RedisError as error:
            logger.warning("celery beat: Redis unavailable (%s); standing by", error.__class__.__name__)
        self.is_leader = False
        return False

    def tick(self, *args, **kwargs):
        if not self._hold_lock():
            return self.lock_seconds / 3
        return min(super().tick(*args, **kwargs), self.lock_seconds / 3)

    def sync(self):
        if self.is_leader:
            super().sync()

    def close(self):
        try:
            super().close()
        finally:
            if self.is_leader:
                self.is_leader = False
                try:
                    self._lock.release()  # a stand-by takes over at its next attempt, not after the expiry
                except (LockError, RedisError):
                    pass
