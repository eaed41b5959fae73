"""Scheduling announces; higher apps subscribe, guard transitions and narrow the waitlist,
without scheduling importing them."""

import datetime as dt
from enum import StrEnum

import pytest

from core.errors import RuleViolation
from core.events import Phase, Registry
from scheduling import events
from scheduling.events import WAITLIST_CANDIDATES, AppointmentHappened, GuardPoint
from scheduling.models import AppointmentEvent, AppointmentStatus, WaitlistEntry
from scheduling.services import appointment_book, appointment_cancel, appointment_check_in
from scheduling.waitlist import waitlist_add, waitlist_offer_freed_time
from tests.factories import PatientFactory
from tests.scheduling.conftest import FIXED_MONDAY, local, next_weekday_at

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 5, 15, 0, tzinfo=dt.UTC)
TUESDAY = FIXED_MONDAY + dt.timedelta(days=1)


@pytest.fixture
def booked(working_anesthesiologist, follow_up):
    return appointment_book(patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(9))


@pytest.fixture
def guard():
    """Registers a guard for the test and removes it after, so no other test sees it."""
    added = []

    def add(point, fn):
        events.registry.add_guard(point, fn, uid="test.guard")
        added.append(point)

    yield add
    for point in added:
        events.registry.remove_guard(point, uid="test.guard")


def test_a_guard_vetoes_check_in_and_nothing_is_written(booked, guard):
    seen = []

    def no_authorization(*, appointment, by, now):
        seen.append(appointment.pk)
        raise RuleViolation("No prior authorization on file.", rule="prior-authorization")

    guard(GuardPoint.CHECK_IN, no_authorization)
    with pytest.raises(RuleViolation, match="prior authorization"):
        appointment_check_in(appointment=booked, now=booked.start - dt.timedelta(minutes=10))
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.BOOKED
    assert seen == [booked.pk]
    assert not AppointmentEvent.objects.filter(appointment=booked, to_status=AppointmentStatus.CHECKED_IN).exists()


def test_a_guard_on_one_transition_leaves_the_others_alone(booked, guard):
    guard(GuardPoint.START, lambda **_: (_ for _ in ()).throw(RuleViolation("not yet")))
    appointment_check_in(appointment=booked, now=booked.start - dt.timedelta(minutes=10))
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CHECKED_IN


def test_in_transaction_subscribers_run_at_once_and_after_commit_ones_only_on_commit(
    working_anesthesiologist, follow_up, django_capture_on_commit_callbacks
):
    calls = []
    events.registry.subscribe(
        AppointmentHappened.BOOKED, lambda *, appointment, **_: calls.append(("in", appointment.pk)), phase=Phase.IN_TRANSACTION, uid="t.in"
    )
    events.registry.subscribe(
        AppointmentHappened.BOOKED,
        lambda *, appointment, **_: calls.append(("after", appointment.pk)),
        phase=Phase.AFTER_COMMIT,
        uid="t.after",
    )
    try:
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            appointment = appointment_book(
                patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(10)
            )
            assert calls == [("in", appointment.pk)]
        for callback in callbacks:
            callback()
        assert calls == [("in", appointment.pk), ("after", appointment.pk)]
    finally:
        events.registry.unsubscribe(AppointmentHappened.BOOKED, uid="t.in")
        events.registry.unsubscribe(AppointmentHappened.BOOKED, uid="t.after")


def test_reacting_apps_are_subscribed_through_the_registry_not_imported():
    booked = {s.uid for s in events.registry.subscriptions(AppointmentHappened.BOOKED)}
    assert {"messaging.outbox.booked", "careplans.followup.booked"} <= booked
    phases = {s.uid: s.phase for s in events.registry.subscriptions(AppointmentHappened.BOOKED)}
    assert phases["messaging.outbox.booked"] is Phase.IN_TRANSACTION  # the outbox commits with the booking
    assert phases["careplans.followup.booked"] is Phase.AFTER_COMMIT  # assembly reads committed state
    cancelled = {s.uid: s.phase for s in events.registry.subscriptions(AppointmentHappened.CANCELLED)}
    assert cancelled["scheduling.waitlist.freed_time"] is Phase.AFTER_COMMIT


def test_a_registry_refuses_an_event_it_does_not_announce():
    class Only(StrEnum):
        ONE = "one"

    registry = Registry("test", Only)
    with pytest.raises(ValueError, match="announces no event"):
        registry.subscribe("two", lambda **_: None, phase=Phase.IN_TRANSACTION, uid="x")


def test_cancelling_enqueues_the_waitlist_offer_after_commit(booked, django_capture_on_commit_callbacks, monkeypatch):
    offered = []
    monkeypatch.setattr("scheduling.tasks.waitlist_offer_freed_time.delay", lambda pk: offered.append(pk))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        appointment_cancel(appointment=booked, reason="patient request")
        assert offered == []  # nothing before commit
    for callback in callbacks:
        callback()
    assert offered == [booked.pk]


def test_a_waitlist_filter_from_a_higher_app_narrows_the_candidates(working_anesthesiologist, follow_up):
    freed = appointment_book(
        patient=PatientFactory(),
        provider=working_anesthesiologist,
        visit_type=follow_up,
        start=local(9, day=TUESDAY),
        now=NOW - dt.timedelta(days=3),
    )
    appointment_cancel(appointment=freed, reason="patient request", now=NOW)
    window = dict(visit_type=follow_up, earliest_date=FIXED_MONDAY, latest_date=FIXED_MONDAY + dt.timedelta(days=14), now=NOW)
    not_ready = waitlist_add(patient=PatientFactory(sms_consent=True), priority=WaitlistEntry.Priority.URGENT, **window)
    ready = waitlist_add(patient=PatientFactory(sms_consent=True), **window)
    events.registry.add_filter(WAITLIST_CANDIDATES, lambda qs, **_: qs.exclude(pk=not_ready.pk), uid="test.readiness")
    try:
        assert waitlist_offer_freed_time(appointment_id=freed.pk, now=NOW).pk == ready.pk
    finally:
        events.registry.remove_filter(WAITLIST_CANDIDATES, uid="test.readiness")
    not_ready.refresh_from_db()
    assert not_ready.status == WaitlistEntry.Status.WAITING


def test_a_failing_after_commit_subscriber_neither_fails_the_committed_change_nor_stops_the_others(
    booked, django_capture_on_commit_callbacks, monkeypatch
):
    """A broker outage when the waitlist offer is enqueued: the cancellation is committed and
    answered as done, and care plans still enqueue their withdrawal."""
    assembled = []

    def broker_down(*args):
        raise ConnectionError("redis is down")

    monkeypatch.setattr("scheduling.tasks.waitlist_offer_freed_time.delay", broker_down)
    monkeypatch.setattr("careplans.tasks.assemble_followup.delay", lambda appointment_id, event: assembled.append((appointment_id, event)))
    with django_capture_on_commit_callbacks(execute=True):
        cancelled = appointment_cancel(appointment=booked, reason="patient request")
    assert cancelled.status == AppointmentStatus.CANCELLED
    assert assembled == [(booked.pk, "cancelled")]
