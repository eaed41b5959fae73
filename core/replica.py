"""Reads on a PostgreSQL replica (DATABASE_REPLICA_URL), writes and fresh reads on the primary.

What may read the replica: a GET or HEAD request by a signed-in user who has not written in the
last REPLICA_STICKY_SECONDS, up to the request's first write. That covers slot search, reports,
FHIR reads and every list and detail endpoint. Everything else reads the primary:

- unsafe requests (booking, holds, waitlist claims, every POST/PUT/PATCH/DELETE), Celery tasks,
  management commands and anything outside a request;
- the rest of a safe request once it wrote (the router sees the write);
- a user's requests for REPLICA_STICKY_SECONDS after that user's last unsafe request (the time is
  kept in the cache, so it holds across web processes), so they see their own writes;
- anonymous requests (patient links, token look-ups before DRF knows the user);
- reads inside a transaction on the primary (`transaction.atomic()`: select_for_update, the
  booking services' checks) and inside `using_primary()`.

The exclusion constraints on the primary decide every booking whatever a replica said: a slot
read from a lagging replica can be refused at booking with SlotTaken, never double-booked.
"""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Iterator

from django.conf import settings
from django.core.cache import cache
from django.db import DEFAULT_DB_ALIAS, connections

logger = logging.getLogger(__name__)

REPLICA_ALIAS = "replica"
SAFE_METHODS = frozenset({"GET", "HEAD"})


class _RequestReads:
    __slots__ = ("request", "wrote", "deciding", "replica_ok")

    def __init__(self, request):
        self.request = request
        self.wrote = False
        self.deciding = False
        self.replica_ok: bool | None = None  # decided once the user is known


_request_reads: contextvars.ContextVar[_RequestReads | None] = contextvars.ContextVar("replica_request_reads", default=None)
_primary_only: contextvars.ContextVar[bool] = contextvars.ContextVar("replica_primary_only", default=False)


def replica_configured() -> bool:
    return bool(getattr(settings, "REPLICA_READS", False)) and REPLICA_ALIAS in settings.DATABASES


@contextlib.contextmanager
def using_primary() -> Iterator[None]:
    """Every read inside reads the primary, whatever the request (a service that must see the
    latest state without opening a transaction)."""
    token = _primary_only.set(True)
    try:
        yield
    finally:
        _primary_only.reset(token)


def _last_write_key(user_id) -> str:
    return f"replica:last-write:{user_id}"


def note_write(user_id) -> None:
    """This user wrote: their reads go to the primary for REPLICA_STICKY_SECONDS."""
    seconds = settings.REPLICA_STICKY_SECONDS
    if seconds > 0 and replica_configured():
        try:
            cache.set(_last_write_key(user_id), time.time(), timeout=seconds)
        except Exception:  # noqa: BLE001 - Redis down must not fail a write that succeeded
            logger.warning("replica: could not note a write in the cache; the user may read the replica at once")


def _decide(reads: _RequestReads) -> bool | None:
    user = getattr(reads.request, "user", None)
    if user is None or not user.is_authenticated:
        return None  # not known yet (DRF authenticates in the view): the primary, asked again later
    try:
        last = cache.get(_last_write_key(user.pk))
    except Exception:  # noqa: BLE001 - without the cache, nobody can be told apart: the primary
        return False
    return last is None or time.time() - last >= settings.REPLICA_STICKY_SECONDS


def read_alias() -> str:
    """The database alias reads go to at this point."""
    reads = _request_reads.get()
    if reads is None or reads.wrote or reads.deciding or _primary_only.get() or not replica_configured():
        return DEFAULT_DB_ALIAS
    if connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return DEFAULT_DB_ALIAS
    if reads.replica_ok is None:
        reads.deciding = True  # the user and session look-ups this needs read the primary
        try:
            reads.replica_ok = _decide(reads)
        finally:
            reads.deciding = False
    return REPLICA_ALIAS if reads.replica_ok else DEFAULT_DB_ALIAS


class ReplicaRouter:
    """settings.DATABASE_ROUTERS: reads where read_alias() says, every write on the primary."""

    def db_for_read(self, model, **hints):
        return read_alias()

    def db_for_write(self, model, **hints):
        reads = _request_reads.get()
        if reads is not None:
            reads.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, copied

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReplicaReadsMiddleware:
    """After AuthenticationMiddleware. Opens the replica to safe requests (the router still asks
    who the user is at the first read) and notes the time of a user's unsafe requests."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.method not in SAFE_METHODS:
            try:
                return self.get_response(request)
            finally:
                user = getattr(request, "user", None)
                if user is not None and user.is_authenticated:
                    note_write(user.pk)
        token = _request_reads.set(_RequestReads(request))
        try:
            return self.get_response(request)
        finally:
            _request_reads.reset(token)
