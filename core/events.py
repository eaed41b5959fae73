"""A small typed announcement registry: the app where something happens owns one and announces
through it; the apps that react subscribe in their `AppConfig.ready()`. This is how dependencies
run one way (scheduling never imports messaging or care plans; they subscribe to it).

Each subscription says when it runs:
- `Phase.IN_TRANSACTION`: inside the announcing transaction, so the reaction commits or rolls
  back with the change (the outbox is planned in the booking transaction). An exception here
  aborts the change.
- `Phase.AFTER_COMMIT`: through `transaction.on_commit(robust=True)`, once the change is
  durable; the handler should take ids, reload, and be safe to run twice (it usually enqueues a
  Celery task). A failing handler is logged and neither fails the committed change for the
  caller nor stops the other subscribers (each app keeps a sweep for work that never ran).

Guards are synchronous checks that run inside a transition, before it is written, and veto it
by raising a `core.errors.DomainError`. Filters pass a value through each registered function:
a queryset narrowed (the waitlist's candidates) or a mapping filled in (the day sheet's
checklist state), as each point documents.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from django.db import transaction

E = TypeVar("E", bound=StrEnum)


class Phase(StrEnum):
    IN_TRANSACTION = "in-transaction"
    AFTER_COMMIT = "after-commit"


@dataclass(frozen=True)
class Subscription:
    event: str
    handler: Callable[..., Any]
    phase: Phase
    uid: str


class Registry(Generic[E]):
    """Announcements of one app. `events` is the app's StrEnum of what it can announce."""

    def __init__(self, name: str, events: type[E]):
        self.name = name
        self.events = events
        self._subscriptions: dict[str, dict[str, Subscription]] = {}
        self._guards: dict[Hashable, dict[str, Callable[..., Any]]] = {}
        self._filters: dict[Hashable, dict[str, Callable[..., Any]]] = {}

    # --- subscriptions -------------------------------------------------------------------------

    def subscribe(self, event: E, handler: Callable[..., Any], *, phase: Phase, uid: str) -> None:
        """Connect `handler(**payload)` to `event`. `uid` makes the call idempotent (ready() may
        run more than once in tests)."""
        if event not in self.events.__members__.values():
            raise ValueError(f"{self.name} announces no event {event!r}")
        self._subscriptions.setdefault(str(event), {})[uid] = Subscription(str(event), handler, Phase(phase), uid)

    def unsubscribe(self, event: E, *, uid: str) -> None:
        self._subscriptions.get(str(event), {}).pop(uid, None)

    def subscriptions(self, event: E) -> list[Subscription]:
        return list(self._subscriptions.get(str(event), {}).values())

    def announce(self, event: E, **payload: Any) -> None:
        """Run in-transaction subscribers now and schedule after-commit ones. Payloads are
        keyword arguments; after-commit handlers get the same ones, so pass ids and plain
        values there (state is reloaded after commit)."""
        for sub in self.subscriptions(event):
            if sub.phase is Phase.IN_TRANSACTION:
                sub.handler(**payload)
            else:
                transaction.on_commit(_bind(sub.handler, payload), robust=True)

    # --- guards --------------------------------------------------------------------------------

    def add_guard(self, point: Hashable, guard: Callable[..., Any], *, uid: str) -> None:
        """A check that runs at `point` (e.g. a target status) inside the transition and may
        veto it by raising a DomainError."""
        self._guards.setdefault(point, {})[uid] = guard

    def check_guards(self, point: Hashable, **payload: Any) -> None:
        for guard in list(self._guards.get(point, {}).values()):
            guard(**payload)

    def remove_guard(self, point: Hashable, *, uid: str) -> None:
        self._guards.get(point, {}).pop(uid, None)

    # --- filters -------------------------------------------------------------------------------

    def add_filter(self, point: Hashable, narrow: Callable[..., Any], *, uid: str) -> None:
        """`narrow(value, **context) -> value`, applied in registration order: a queryset
        narrowed, or a mapping filled in, as the point documents."""
        self._filters.setdefault(point, {})[uid] = narrow

    def apply_filters(self, point: Hashable, queryset, **context):
        for narrow in list(self._filters.get(point, {}).values()):
            queryset = narrow(queryset, **context)
        return queryset

    def remove_filter(self, point: Hashable, *, uid: str) -> None:
        self._filters.get(point, {}).pop(uid, None)


def _bind(handler: Callable[..., Any], payload: dict[str, Any]) -> Callable[[], None]:
    # A closure per subscriber: a loop variable captured late would call the last one twice.
    return lambda: handler(**payload)
