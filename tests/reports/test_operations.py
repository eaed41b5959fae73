"""The operational report against hand-built history: every figure is worked out by hand in the
test (the comments show the arithmetic), not by the report's own queries."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careplans.models import Task
from messaging.models import InboundSms, Message, PatientLink
from reports.filters import ReportFilters
from reports.selectors import operations_report
from reports.selectors.operations import third_next_available
from scheduling.models import AppointmentEvent, AppointmentStatus, AvailabilityException, ClinicClosure, WaitlistEntry, WaitlistEvent
from tests.factories import (
    AvailabilityTemplateFactory,
    DisciplineFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    RoomFactory,
    VisitTypeFactory,
)
from tests.reports.helpers import NY, appointment, local

pytestmark = pytest.mark.django_db

S = AppointmentStatus
MON = date(2026, 3, 2)  # the week before US clocks spring forward (Sunday 2026-03-08, 02:00)
SUN = date(2026, 3, 8)
NOW = datetime(2026, 3, 12, 12, 0, tzinfo=UTC)


@pytest.fixture
def world():
    location = LocationFactory()
    pain = DisciplineFactory(code="interventional-pain")
    pt = DisciplineFactory(code="physical-therapy")
    p = ProviderFactory(discipline=pain, home_location=location)
    q = ProviderFactory(discipline=pt, home_location=location)
    consult = VisitTypeFactory(code="consult", discipline=pain, duration_minutes=30)
    pt_visit = VisitTypeFactory(code="pt-visit", discipline=pt, duration_minutes=60, room_kind="pt_gym")
    r1 = RoomFactory(location=location, name="Consult 1")
    r2 = RoomFactory(location=location, name="Gym", kind="pt_gym")
    for weekday in range(5):  # P: Monday–Friday 08:00–12:00 local
        AvailabilityTemplateFactory(provider=p, location=location, weekday=weekday, start_time=time(8), end_time=time(12))
    AvailabilityTemplateFactory(provider=q, location=location, weekday=6, start_time=time(8), end_time=time(12))  # Q: Sundays
    AvailabilityException.objects.create(provider=p, kind="time_off", start=local(date(2026, 3, 4), 8), end=local(date(2026, 3, 4), 10))
    ClinicClosure.objects.create(location=location, date=date(2026, 3, 6), reason="Inspection")
    patient = PatientFactory()

    def appt(provider, vt, start, status=S.COMPLETED, room=None, created=None, **fields):
        a = appointment(
            patient=PatientFactory() if status in (S.COMPLETED,) else patient,
            provider=provider,
            visit_type=vt,
            location=location,
            start=start,
            status=status,
            room=room,
            **fields,
        )
        if created is not None:
            type(a).objects.filter(pk=a.pk).update(created_at=created)
        return a

    a1 = appt(p, consult, local(MON, 9), room=r1, created=local(date(2026, 3, 1), 12))  # lead 1 day
    a2 = appt(p, consult, local(MON, 10), S.NO_SHOW, room=r1, created=local(MON, 8))  # same day
    a3 = appt(
        p,
        consult,
        local(date(2026, 3, 3), 9),
        S.CANCELLED,
        room=r1,
        created=local(date(2026, 1, 20), 9),
        cancelled_at=local(MON, 20),  # 13 h before: late
    )
    a4 = appt(
        p,
        consult,
        local(date(2026, 3, 4), 9),
        S.CANCELLED,
        room=r1,
        created=local(date(2026, 2, 20), 9),
        cancelled_at=local(date(2026, 2, 25), 9),  # a week ahead: early
    )
    # Sunday 23:30 EDT is Monday 03:30 UTC: in the range by its local date.
    a5 = appt(q, pt_visit, local(SUN, 23, 30), room=r2, created=local(date(2026, 3, 1), 12))
    # Sunday 1 March 23:30 EST is 2 March 04:30 UTC: outside the range by its local date.
    a6 = appt(q, pt_visit, local(date(2026, 3, 1), 23, 30), S.NO_SHOW, room=r2, created=local(date(2026, 2, 1), 9))
    # A reschedule: the old one is cancelled and not a visit of its own, the new one counts.
    a7 = appt(p, consult, local(date(2026, 3, 5), 9), S.CANCELLED, room=r1, cancelled_at=local(MON, 9), created=local(MON, 7))
    a8 = appt(p, consult, local(date(2026, 3, 6), 9), room=r1, rescheduled_from=a7, created=local(MON, 9))
    # The waitlist: a4's time offered and taken (h1), another offer that lapsed (h2, a hold only).
    h1 = appt(p, consult, local(date(2026, 3, 4), 9), room=r1, created=local(date(2026, 2, 25), 10))
    h2 = appt(
        p,
        consult,
        local(date(2026, 3, 5), 11),
        S.CANCELLED,
        room=r1,
        hold_expires_at=local(MON, 12),
        cancelled_at=local(MON, 12),
        created=local(MON, 11, 30),
    )
    entry = WaitlistEntry.objects.create(patient=patient, visit_type=consult, earliest_date=MON, latest_date=SUN, status="booked")
    other = WaitlistEntry.objects.create(patient=PatientFactory(), visit_type=consult, earliest_date=MON, latest_date=SUN)
    for e, to, held in ((entry, "offered", h1), (entry, "booked", h1), (other, "offered", h2), (other, "waiting", h2)):
        WaitlistEvent.objects.create(entry=e, to_status=to, at=local(date(2026, 2, 25), 10), appointment=held)

    # Reminders.
    def reminder(a, *, sent, delivered=False, key):
        Message.objects.create(
            appointment=a,
            patient=a.patient,
            channel="sms",
            purpose="reminder",
            due_at=a.start - timedelta(days=1),
            status="delivered" if delivered else ("sent" if sent else "pending"),
            body="x",
            idempotency_key=key,
            sent_at=a.start - timedelta(days=1) if sent else None,
            delivered_at=a.start - timedelta(days=1) if delivered else None,
        )

    reminder(a1, sent=True, delivered=True, key="m1")
    reminder(a2, sent=True, key="m2")
    reminder(a6, sent=True, delivered=True, key="m3")  # outside the range
    reminder(a3, sent=False, key="m4")
    AppointmentEvent.objects.create(
        appointment=a1, from_status="booked", to_status="confirmed", at=local(MON, 7), reason="confirmed via sms"
    )
    AppointmentEvent.objects.create(
        appointment=a8, from_status="booked", to_status="confirmed", at=local(MON, 7), reason="confirmed via staff"
    )
    InboundSms.objects.create(
        provider_message_id="s1", from_number="+16175550000", patient=patient, body="STOP", action="opt_out", received_at=local(SUN, 23)
    )
    InboundSms.objects.create(
        provider_message_id="s2",
        from_number="+16175550000",
        patient=patient,
        body="STOP",
        action="opt_out",
        received_at=local(date(2026, 3, 9), 0, 30),
    )  # Monday local: outside
    PatientLink.objects.create(purpose="unsubscribe", patient=patient, expires_at=NOW, used_at=local(date(2026, 3, 3), 12))

    # Tasks (created in the range unless said).
    def task(created, **fields):
        fields.setdefault("assignee_role", "care_coordinator")
        return Task.objects.create(title="t", patient=patient, created_at=created, **fields)

    task(local(MON, 9), due=local(date(2026, 3, 3), 9), status="completed", completed_at=local(MON, 15))  # 6 h, on time
    task(
        local(date(2026, 3, 3), 9), due=local(date(2026, 3, 3), 12), status="completed", completed_at=local(date(2026, 3, 4), 9)
    )  # 24 h, late
    task(local(date(2026, 3, 5), 9), due=local(date(2026, 3, 6), 9), assignee_role="", assignee_provider=q)  # open, overdue now
    task(local(date(2026, 3, 6), 9), assignee_role="front_desk", escalation_level=1, escalated_at=local(date(2026, 3, 6), 11))
    task(local(date(2026, 3, 9), 0, 30), due=local(date(2026, 3, 9), 9))  # Monday local: outside
    return locals()


def test_operations_figures_match_hand_arithmetic(world):
    report = operations_report(filters=ReportFilters(start=MON, end=SUN), now=NOW)
    # Appointments: a1 a2 a3 a4 a5 a8 h1 (a6 is outside, a7 was moved, h2 was only a hold) = 7;
    # a4 was cancelled a week ahead, so 6 were still due; one no-show (a2), one late cancellation (a3).
    assert report["appointments"] == 7
    assert report["no_show_rate"] == round(1 / 6, 4)
    assert report["late_cancel_rate"] == round(1 / 6, 4)
    by_weekday = {row["label"]: row for row in report["breakdown"]["weekday"]}
    assert by_weekday["Monday"]["appointments"] == 2 and by_weekday["Monday"]["no_show_rate"] == 0.5
    assert by_weekday["Tuesday"]["late_cancel_rate"] == 1.0
    # Wednesday: a4 (cancelled early) and h1: one due, nothing missed.
    assert by_weekday["Wednesday"]["appointments"] == 2 and by_weekday["Wednesday"]["no_show_rate"] == 0.0
    assert by_weekday["Sunday"]["appointments"] == 1  # a5, Sunday 23:30 local
    leads = {row["label"]: row["appointments"] for row in report["breakdown"]["lead_time"]}
    # same day: a2; 1–7 days: a1, a5, a8 (booked Mon for Fri), h1 (25 Feb for 4 Mar); 8–30: a4 (12 d); over 30: a3.
    assert leads == {"same day": 1, "1–7 days": 4, "8–30 days": 1, "over 30 days": 1}
    disciplines = {row["key"]: row["appointments"] for row in report["breakdown"]["discipline"]}
    assert disciplines == {"interventional-pain": 6, "physical-therapy": 1}

    providers = {row["id"]: row for row in report["utilisation"]["providers"]}
    p, q = world["p"], world["q"]
    # P works 5 × 240 min, minus 120 min off on Wednesday, minus Friday's closure (240) = 840;
    # booked: a1 a2 (no-show: the slot was taken) a8 h1, 30 min each = 120.
    assert providers[p.pk]["template_minutes"] == 840 and providers[p.pk]["booked_minutes"] == 120
    assert providers[p.pk]["rate"] == round(120 / 840, 4)
    # Q: one Sunday 08:00–12:00 (the DST day still has four working hours) = 240; a5 = 60.
    assert providers[q.pk]["template_minutes"] == 240 and providers[q.pk]["rate"] == 0.25
    rooms = {row["id"]: row for row in report["utilisation"]["rooms"]}
    # Rooms are open while anyone works at the location: 240+240+120+240+0 (P) + 240 (Q) = 1080.
    assert rooms[world["r1"].pk]["template_minutes"] == 1080 and rooms[world["r1"].pk]["booked_minutes"] == 120
    assert rooms[world["r2"].pk]["booked_minutes"] == 60

    # Freed: a3, a4, a7 cancelled before their start, 30 min each = 90; refilled: h1 = 30.
    assert report["waitlist"] == {"offers": 2, "accepted": 1, "freed_minutes": 90, "refilled_minutes": 30, "refill_rate": round(30 / 90, 4)}
    # Sent: m1, m2 (m3 is outside, m4 unsent); delivered: m1; confirmed by the patient: a1 only;
    # opt-outs: the Sunday STOP and the email unsubscribe (the Monday STOP is outside).
    assert report["reminders"] == {"sent": 2, "delivered": 1, "confirmed": 1, "opted_out": 2}
    # Tasks: open t3 t4; with a due date t1 t2 t3, overdue t2 (late) t3 (open past due) = 2/3;
    # escalated t4; coordinator queue median of 6 h and 24 h = 15 h.
    assert report["tasks"] == {
        "open": 2,
        "overdue_rate": round(2 / 3, 4),
        "escalations": 1,
        "median_hours_to_complete": {"care_coordinator": 15.0},
    }


def test_end_is_inclusive_in_the_location_zone(world):
    # Sunday alone: only a5 (Sunday 23:30 EDT, already Monday in UTC).
    report = operations_report(filters=ReportFilters(start=SUN, end=SUN), now=NOW)
    assert report["appointments"] == 1
    # Saturday alone: nothing, though a5 is on Saturday's UTC-shifted neighbour in no zone.
    assert operations_report(filters=ReportFilters(start=date(2026, 3, 7), end=date(2026, 3, 7)), now=NOW)["appointments"] == 0


def test_filters_narrow_the_report(world):
    report = operations_report(filters=ReportFilters(start=MON, end=SUN, provider_id=world["q"].pk), now=NOW)
    assert report["appointments"] == 1
    assert [row["id"] for row in report["utilisation"]["providers"]] == [world["q"].pk]
    pt = world["pt"]
    report = operations_report(filters=ReportFilters(start=MON, end=SUN, discipline_id=pt.pk), now=NOW)
    assert report["appointments"] == 1
    assert report["tasks"]["open"] == 1  # t3, held by the physical therapist


def test_rates_are_null_without_a_denominator(db):
    report = operations_report(filters=ReportFilters(start=MON, end=SUN), now=NOW)
    assert report["appointments"] == 0
    assert report["no_show_rate"] is None and report["late_cancel_rate"] is None
    assert report["waitlist"]["refill_rate"] is None and report["tasks"]["overdue_rate"] is None


def test_query_count_does_not_grow_with_the_range(world):
    counts = []
    for end in (SUN, SUN + timedelta(days=300)):
        with CaptureQueriesContext(connection) as ctx:
            operations_report(filters=ReportFilters(start=MON, end=end), now=NOW)
        counts.append(len(ctx.captured_queries))
    assert counts[0] == counts[1] and counts[0] <= 24, counts


def test_third_next_available_uses_the_slot_engine_as_of_now(db):
    location = LocationFactory()
    pain = DisciplineFactory(code="interventional-pain")
    provider = ProviderFactory(discipline=pain, home_location=location)
    consult = VisitTypeFactory(code="new-consult", discipline=pain, duration_minutes=30)
    VisitTypeFactory(code="short-follow-up", discipline=pain, duration_minutes=15)  # not the new-patient visit
    RoomFactory(location=location)
    for weekday in (1, 3):  # Tuesdays and Thursdays 08:00–09:00: two 30-minute slots a day
        AvailabilityTemplateFactory(provider=provider, location=location, weekday=weekday, start_time=time(8), end_time=time(9))
    now = local(MON, 7)
    filters = ReportFilters(start=MON, end=MON)
    # Free: Tue 08:00, Tue 08:30, Thu 08:00 -> the third is Thursday, 3 days ahead.
    assert third_next_available(filters=filters, now=now) == {"interventional-pain": 3}
    for minute in (0, 30):
        appointment(
            patient=PatientFactory(),
            provider=provider,
            visit_type=consult,
            location=location,
            start=local(date(2026, 3, 3), 8, minute),
            status=S.BOOKED,
        )
    # Tuesday full: Thu 08:00, Thu 08:30, next Tue 08:00 -> 8 days.
    assert third_next_available(filters=filters, now=now) == {"interventional-pain": 8}
    assert NY.key == location.time_zone


def test_live_third_next_available_is_cached_per_filter_and_a_given_now_is_not(world, monkeypatch, settings):
    from reports.selectors import operations

    settings.REPORTS_TNA_CACHE_SECONDS = 60
    calls = []
    real = operations.third_next_available

    def counted(**kwargs):
        calls.append(kwargs["filters"])
        return real(**kwargs)

    monkeypatch.setattr(operations, "third_next_available", counted)
    week = ReportFilters(start=MON, end=SUN)
    first = operations_report(filters=week)["third_next_available_days"]
    assert operations_report(filters=week)["third_next_available_days"] == first and len(calls) == 1
    operations_report(filters=ReportFilters(start=MON, end=SUN, provider_id=world["q"].pk))  # another filter: computed
    operations_report(filters=week, now=NOW)  # an explicit `now` is never answered from the cache
    assert len(calls) == 3
