import datetime as dt
import threading

import pytest
from django.db import connection

from core.errors import Conflict, ValidationFailed
from scheduling.models import Appointment, WaitlistEntry, WaitlistEvent
from scheduling.services import appointment_book, appointment_cancel
from scheduling.waitlist import waitlist_add, waitlist_claim, waitlist_expire_offers, waitlist_offer_freed_time, waitlist_remove
from tests.factories import PatientFactory, ProviderFactory, VisitTypeFactory
from tests.scheduling.conftest import FIXED_MONDAY, local

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2027, 1, 5, 15, 0, tzinfo=dt.UTC)  # Tuesday 10:00 in New York, within messaging hours
TUESDAY = FIXED_MONDAY + dt.timedelta(days=1)


@pytest.fixture
def freed(working_anesthesiologist, follow_up):
    """A follow-up next Tuesday at 09:00 that gets cancelled (the on-commit offer task does not
    run inside a test transaction, so each test calls the service itself)."""
    appointment = appointment_book(
        patient=PatientFactory(),
        provider=working_anesthesiologist,
        visit_type=follow_up,
        start=local(9, day=TUESDAY),
        now=NOW - dt.timedelta(days=3),
    )
    return appointment_cancel(appointment=appointment, reason="patient request", now=NOW)


def add(follow_up, *, priority=0, **kwargs):
    defaults = dict(
        patient=PatientFactory(sms_consent=True),
        visit_type=follow_up,
        earliest_date=FIXED_MONDAY,
        latest_date=FIXED_MONDAY + dt.timedelta(days=14),
    )
    return waitlist_add(priority=priority, now=NOW, **{**defaults, **kwargs})


def test_freed_time_is_offered_to_the_most_urgent_entry_as_a_hold(freed, follow_up):
    routine = add(follow_up)
    urgent = add(follow_up, priority=WaitlistEntry.Priority.URGENT)
    offered = waitlist_offer_freed_time(appointment_id=freed.pk, now=NOW)
    assert offered.pk == urgent.pk
    urgent.refresh_from_db()
    routine.refresh_from_db()
    assert (urgent.status, routine.status) == ("offered", "waiting")
    hold = urgent.offered_appointment
    assert (hold.status, hold.start, hold.patient_id) == ("held", freed.start, urgent.patient_id)
    assert hold.hold_expires_at == urgent.offer_expires_at == NOW + dt.timedelta(minutes=30)


def test_equal_priority_goes_to_the_entry_waiting_longest(freed, follow_up):
    older, newer = add(follow_up), add(follow_up)
    assert waitlist_offer_freed_time(appointment_id=freed.pk, now=NOW).pk == older.pk
    newer.refresh_from_db()
    assert newer.status == "waiting"


def test_entries_that_do_not_fit_the_freed_time_are_passed_over(freed, follow_up, anesthesiologist):
    other_doctor = ProviderFactory(discipline=anesthesiologist.discipline)
    long_visit = VisitTypeFactory(code="new-patient", discipline=follow_up.discipline, duration_minutes=60)
    add(follow_up, provider=other_doctor, priority=2)  # wants someone else
    add(follow_up, earliest_date=TUESDAY + dt.timedelta(days=1), priority=2)  # dates start later
    add(follow_up, weekdays=[0, 4], priority=2)  # Mondays and Fridays only
    add(follow_up, earliest_time=dt.time(10), priority=2)  # not before 10:00
    add(follow_up, latest_time=dt.time(9, 15), priority=2)  # must be done by 09:15
    add(long_visit, priority=2)  # needs an hour; 30 minutes were freed
    fits = add(follow_up, weekdays=[1], earliest_time=dt.time(8, 30), latest_time=dt.time(9, 30))
    assert waitlist_offer_freed_time(appointment_id=freed.pk, now=NOW).pk == fits.pk


def test_the_offer_is_written_to_the_outbox_with_the_hold(freed, follow_up):
    from messaging.models import Message

    entry = add(follow_up)
    waitlist_offer_freed_time(appointment_id=freed.pk, now=NOW)
    assert Message.objects.filter(waitlist_entry=entry).exists()


def test_offering_twice_holds_the_time_once(freed, follow_up):
    add(follow_up), add(follow_up)
    assert waitlist_offer_freed_time(appointment_id=freed.pk, now=NOW) is not None
    assert waitlist_offer_freed_time(appointment_id=freed.pk, now=NOW) is None
    assert Appointment.objects.filter(status="held").count() == 1


def test_first_claim_books_the_slot_and_a_second_claim_is_refused(freed, follow_up):
    entry = add(follow_up)
    waitlist_offer_freed_time(appointment_id=freed.pk, now=NOW)
    booked = waitlist_claim(entry_id=entry.pk, now=NOW + dt.timedelta(minutes=5))
    assert (booked.status, booked.hold_expires_at) == ("booked", None)
    assert "via waitlist" in booked.events.order_by("-id").first().reason
    with pytest.raises(Conflict, match="already been claimed"):
        waitlist_claim(entry_id=entry.pk, now=NOW + dt.timedelta(minutes=6))


def test_a_claim_after_the_hold_lapsed_is_refused_plainly(freed, follow_up):
    entry = add(follow_up)
    waitlist_offer_freed_time(appointment_id=freed.pk, now=NOW)
    with pytest.raises(Conflict, match="expired"):
        waitlist_claim(entry_id=entry.pk, now=NOW + dt.timedelta(minutes=31))


def test_a_lapsed_offer_goes_to_the_next_entry_and_the_first_waits_again(freed, follow_up):
    first = add(follow_up, priority=1)
    second = add(follow_up)
    waitlist_offer_freed_time(appointment_id=freed.pk, now=NOW)
    later = NOW + dt.timedelta(minutes=31)
    assert waitlist_expire_offers(now=later) == 1
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.status == "waiting" and first.offered_appointment.status == "cancelled"
    assert second.status == "offered" and second.offered_appointment.start == freed.start
    assert waitlist_claim(entry_id=second.pk, now=later).patient_id == second.patient_id
    with pytest.raises(Conflict):
        waitlist_claim(entry_id=first.pk, now=later)


def test_a_lapsed_offer_past_the_entrys_dates_expires_the_entry(freed, follow_up):
    entry = add(follow_up, latest_date=TUESDAY)
    waitlist_offer_freed_time(appointment_id=freed.pk, now=NOW)
    waitlist_expire_offers(now=local(10, day=TUESDAY + dt.timedelta(days=1)))
    entry.refresh_from_db()
    assert entry.status == "expired"


def test_the_patient_who_cancelled_is_not_offered_their_own_time(freed, follow_up):
    add(follow_up, patient=freed.patient)
    assert waitlist_offer_freed_time(appointment_id=freed.pk, now=NOW) is None


def test_a_waitlist_entry_must_make_sense(follow_up):
    with pytest.raises(ValidationFailed) as error:
        add(follow_up, earliest_date=TUESDAY, latest_date=FIXED_MONDAY, weekdays=[9], earliest_time=dt.time(12), latest_time=dt.time(9))
    assert set(error.value.field_errors) == {"latest_date", "weekdays", "latest_time"}


def test_cancelling_enqueues_the_offer_after_commit(working_anesthesiologist, follow_up, django_capture_on_commit_callbacks):
    from config.celery import app

    entry = add(follow_up)
    appointment = appointment_book(
        patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=local(9, day=TUESDAY)
    )
    eager = app.conf.task_always_eager
    app.conf.task_always_eager = True  # run the task in-process: the real task, the real service
    try:
        with django_capture_on_commit_callbacks(execute=True):
            appointment_cancel(appointment=appointment, reason="patient request")
    finally:
        app.conf.task_always_eager = eager
    entry.refresh_from_db()
    assert entry.status == "offered" and entry.offered_appointment.start == appointment.start


@pytest.mark.django_db(transaction=True)
def test_simultaneous_claims_from_separate_connections_book_exactly_once(working_anesthesiologist, follow_up):
    appointment = appointment_book(
        patient=PatientFactory(),
        provider=working_anesthesiologist,
        visit_type=follow_up,
        start=local(9, day=TUESDAY),
        now=NOW - dt.timedelta(days=3),
    )
    appointment_cancel(appointment=appointment, reason="patient request", now=NOW)
    entry = add(follow_up)
    waitlist_offer_freed_time(appointment_id=appointment.pk, now=NOW)
    barrier = threading.Barrier(6)
    outcomes = []

    def claim():
        try:
            barrier.wait()
            waitlist_claim(entry_id=entry.pk, now=NOW + dt.timedelta(minutes=1))
            outcomes.append("won")
        except Conflict:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=claim) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(outcomes) == ["refused"] * 5 + ["won"]
    assert Appointment.objects.filter(patient=entry.patient, status="booked").count() == 1


def test_the_periodic_task_passes_lapsed_offers_on(freed, follow_up):
    from django.utils import timezone

    from scheduling.tasks import expire_holds_and_offers

    first, second = add(follow_up, priority=1), add(follow_up)
    waitlist_offer_freed_time(appointment_id=freed.pk, now=timezone.now() - dt.timedelta(hours=2))  # its hold lapsed 90 min ago
    expire_holds_and_offers()
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.status, second.status) == ("waiting", "offered")


def test_the_beat_schedule_runs_the_expiry_task_every_minute():
    from config.celery import app
    from config.schedules import BEAT_SCHEDULE

    entry = BEAT_SCHEDULE["scheduling-expire-holds-and-offers"]
    assert entry["task"] in app.tasks and entry["schedule"] <= 60


def _trail(entry) -> list[tuple[str, str, str]]:
    return [(e.from_status, e.to_status, e.reason) for e in WaitlistEvent.objects.filter(entry=entry).order_by("at", "id")]


def test_every_waitlist_status_change_leaves_an_event(freed, follow_up, front_desk_user):
    first = add(follow_up, priority=1, created_by=front_desk_user)
    second = add(follow_up)
    waitlist_offer_freed_time(appointment_id=freed.pk, now=NOW)
    later = NOW + dt.timedelta(minutes=31)
    waitlist_expire_offers(now=later)  # first's offer lapses, second gets the time
    booked = waitlist_claim(entry_id=second.pk, by=front_desk_user, now=later)
    waitlist_remove(entry_id=first.pk, by=front_desk_user, now=later)

    W = WaitlistEntry.Status
    assert _trail(first) == [
        ("", W.WAITING, ""),
        (W.WAITING, W.OFFERED, "slot held"),
        (W.OFFERED, W.WAITING, "offer lapsed"),
        (W.WAITING, W.REMOVED, "removed"),
    ]
    assert _trail(second) == [("", W.WAITING, ""), (W.WAITING, W.OFFERED, "slot held"), (W.OFFERED, W.BOOKED, "offer claimed")]
    claim = WaitlistEvent.objects.get(entry=second, to_status=W.BOOKED)
    assert (claim.by, claim.appointment_id, claim.at) == (front_desk_user, booked.pk, later)
    assert WaitlistEvent.objects.get(entry=first, from_status="").by == front_desk_user


def test_entries_whose_dates_passed_expire_with_an_event(follow_up):
    entry = add(follow_up, latest_date=TUESDAY)
    waitlist_expire_offers(now=local(10, day=TUESDAY + dt.timedelta(days=3)))
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.EXPIRED
    assert _trail(entry)[-1] == (WaitlistEntry.Status.WAITING, WaitlistEntry.Status.EXPIRED, "dates passed")


def test_a_finished_entry_cannot_move_again(freed, follow_up):
    entry = add(follow_up)
    waitlist_offer_freed_time(appointment_id=freed.pk, now=NOW)
    waitlist_claim(entry_id=entry.pk, now=NOW)
    removed = waitlist_remove(entry_id=entry.pk, now=NOW)  # a booked entry stays booked
    assert removed.status == WaitlistEntry.Status.BOOKED
    assert [to for _, to, _ in _trail(entry)].count(WaitlistEntry.Status.BOOKED) == 1
