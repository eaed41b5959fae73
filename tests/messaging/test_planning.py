import datetime

import pytest
import time_machine

from clinic.models import RoomKind
from messaging.models import Message, MessageStatus, Purpose, ReminderRule
from messaging.services import outbox_plan_appointment_messages
from scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_confirm,
    appointment_reschedule,
    appointment_start,
)
from tests.factories import PatientFactory, VisitTypeFactory
from tests.messaging.conftest import NY, at

pytestmark = pytest.mark.django_db

NOW = at(2026, 11, 2, 10)  # a Monday morning in New York


def plan(appointment):
    return {(m.channel, m.purpose, m.offset_minutes): m for m in Message.objects.filter(appointment=appointment)}


def book(patient, provider, visit_type, start, now=NOW):
    with time_machine.travel(now, tick=False):
        return appointment_book(patient=patient, provider=provider, visit_type=visit_type, start=start, now=now)


def test_booking_plans_default_reminders_and_one_confirmation(clinic_world, visit, patient):
    appointment = book(patient, clinic_world, visit, at(2026, 11, 12, 9))
    rows = plan(appointment)
    assert set(rows) == {("email", "reminder", 4320), ("sms", "reminder", 1440), ("sms", "confirmation", 0)}
    assert rows[("email", "reminder", 4320)].due_at == at(2026, 11, 9, 9)
    assert rows[("email", "reminder", 4320)].attach_ics
    assert "Bring your medication list." in rows[("email", "reminder", 4320)].body
    assert rows[("sms", "reminder", 1440)].due_at == at(2026, 11, 11, 9)
    assert "Reply C to confirm" in rows[("sms", "reminder", 1440)].body
    assert rows[("sms", "confirmation", 0)].due_at == NOW
    assert all(m.status == MessageStatus.PENDING for m in rows.values())


def test_replanning_adds_nothing(clinic_world, visit, patient):
    appointment = book(patient, clinic_world, visit, at(2026, 11, 12, 9))
    before = Message.objects.count()
    outbox_plan_appointment_messages(appointment=appointment, now=NOW)
    assert Message.objects.count() == before


def test_whole_day_offsets_keep_wall_clock_time_across_dst_end(clinic_world, visit, patient):
    # DST ends Sunday 1 Nov 2026 in New York; a Tuesday 3 Nov 9:00 visit booked the week before.
    appointment = book(patient, clinic_world, visit, at(2026, 11, 3, 9), now=at(2026, 10, 26, 10))
    email = plan(appointment)[("email", "reminder", 4320)]
    assert email.due_at.astimezone(NY) == at(2026, 10, 31, 9)  # Saturday 9:00 EDT, 72 h minus the extra hour
    assert appointment.start - email.due_at == datetime.timedelta(days=3, hours=1)


def test_whole_day_offsets_keep_wall_clock_time_across_dst_start(clinic_world, visit, patient):
    # DST starts Sunday 8 Mar 2026 at 2:00; a Sunday 9:00 EDT visit gets its SMS Saturday 9:00 EST.
    appointment = book(patient, clinic_world, visit, at(2026, 3, 8, 9), now=at(2026, 3, 1, 10))
    sms = plan(appointment)[("sms", "reminder", 1440)]
    assert sms.due_at.astimezone(NY).hour == 9
    assert appointment.start - sms.due_at == datetime.timedelta(hours=23)


def test_reminder_due_in_quiet_hours_moves_to_next_morning(clinic_world, visit, patient):
    # 7:30 the day before is quiet; 8:00 that morning is still before the visit.
    appointment = book(patient, clinic_world, visit, at(2026, 11, 12, 7, 30))
    assert plan(appointment)[("sms", "reminder", 1440)].due_at == at(2026, 11, 11, 8)


def test_reminder_due_in_quiet_hours_moves_earlier_when_next_morning_is_too_late(clinic_world, visit, patient):
    ReminderRule.objects.create(visit_type=visit, channel="sms", purpose="reminder", offset_minutes=120)
    ReminderRule.objects.filter(visit_type=None, offset_minutes=0, purpose="reminder").update(active=True)
    appointment = book(patient, clinic_world, visit, at(2026, 11, 12, 7, 30))
    rows = plan(appointment)
    # 5:30 is quiet and 8:00 is after the visit: the evening before at 20:59 instead.
    assert rows[("sms", "reminder", 120)].due_at == at(2026, 11, 11, 20, 59)
    assert ("sms", "reminder", 0) not in rows  # the visit type's own plan replaces the default


def test_quiet_hours_follow_the_patients_zone(clinic_world, visit):
    la = PatientFactory(sms_consent=True, time_zone="America/Los_Angeles")
    appointment = book(la, clinic_world, visit, at(2026, 11, 12, 10))  # 7:00 in Los Angeles
    # 7:00 LA the day before is quiet there; 8:00 LA (11:00 in New York) is the next allowed time.
    assert plan(appointment)[("sms", "reminder", 1440)].due_at == at(2026, 11, 11, 11)


def test_same_morning_sms_when_the_clinic_turns_it_on(clinic_world, visit, patient):
    ReminderRule.objects.filter(visit_type=None, offset_minutes=0, purpose="reminder").update(active=True)
    appointment = book(patient, clinic_world, visit, at(2026, 11, 12, 11))
    assert plan(appointment)[("sms", "reminder", 0)].due_at == at(2026, 11, 12, 8)


def test_visit_type_plan_replaces_the_default(clinic_world, visit, patient):
    ReminderRule.objects.create(visit_type=visit, channel="sms", purpose="reminder", offset_minutes=2 * 1440)
    appointment = book(patient, clinic_world, visit, at(2026, 11, 12, 9))
    assert set(plan(appointment)) == {("sms", "reminder", 2880), ("sms", "confirmation", 0)}


def test_telehealth_visit_gets_the_video_link_15_minutes_before(clinic_world, patient):
    video = VisitTypeFactory(code="video-follow-up", discipline=clinic_world.discipline, telehealth=True, room_kind=RoomKind.VIRTUAL)
    appointment = book(patient, clinic_world, video, at(2026, 11, 12, 9))
    rows = plan(appointment)
    assert rows[("sms", "video_link", 15)].due_at == at(2026, 11, 12, 8, 45)
    assert appointment.video_url in rows[("sms", "video_link", 15)].body
    assert rows[("email", "video_link", 15)].due_at == at(2026, 11, 12, 8, 45)


def test_no_consent_no_messages(clinic_world, visit):
    quiet = PatientFactory(sms_consent=False, email_consent=False)
    assert plan(book(quiet, clinic_world, visit, at(2026, 11, 12, 9))) == {}


def test_cancellation_cancels_pending_and_sends_one_notice(clinic_world, visit, patient):
    appointment = book(patient, clinic_world, visit, at(2026, 11, 12, 9))
    later = at(2026, 11, 3, 12)
    appointment_cancel(appointment=appointment, reason="patient unwell", now=later)
    appointment_cancel  # noqa: B018
    rows = plan(appointment)
    notices = [m for m in rows.values() if m.purpose == Purpose.CANCELLATION]
    assert len(notices) == 1 and notices[0].channel == "sms" and notices[0].status == MessageStatus.PENDING
    assert "cancelled" in notices[0].body
    others = [m for m in rows.values() if m.purpose != Purpose.CANCELLATION]
    assert {m.status for m in others} == {MessageStatus.CANCELLED}


def test_reschedule_replans_without_a_cancellation_notice(clinic_world, visit, patient):
    old = book(patient, clinic_world, visit, at(2026, 11, 12, 9))
    with time_machine.travel(NOW, tick=False):
        new = appointment_reschedule(appointment=old, start=at(2026, 11, 13, 10), reason="patient asked", now=NOW)
    old_rows = plan(old)
    assert {m.status for m in old_rows.values()} == {MessageStatus.CANCELLED}
    assert all(m.status_reason == "visit moved to a new time" for m in old_rows.values() if m.purpose == Purpose.CANCELLATION)
    new_rows = plan(new)
    assert ("sms", "rescheduled", 0) in new_rows and ("sms", "confirmation", 0) not in new_rows
    assert new_rows[("sms", "reminder", 1440)].due_at == at(2026, 11, 12, 10)
    assert "moved" in new_rows[("sms", "rescheduled", 0)].body


def test_confirmed_visit_reminder_stops_asking_to_confirm(clinic_world, visit, patient):
    appointment = book(patient, clinic_world, visit, at(2026, 11, 12, 9))
    appointment_confirm(appointment=appointment, now=NOW)
    assert "Reply C" not in plan(appointment)[("sms", "reminder", 1440)].body


def test_started_visit_expires_pending_reminders(clinic_world, visit, patient):
    appointment = book(patient, clinic_world, visit, at(2026, 11, 12, 9))
    appointment_check_in(appointment=appointment, now=at(2026, 11, 12, 8, 50))
    appointment_start(appointment=appointment, now=at(2026, 11, 12, 9))
    assert {m.status for m in plan(appointment).values()} == {MessageStatus.EXPIRED}


def test_sms_only_patient_gets_both_default_reminders_by_sms(clinic_world, visit):
    sms_only = PatientFactory(sms_consent=True, email_consent=False, phone="+16175550111")
    rows = plan(book(sms_only, clinic_world, visit, at(2026, 11, 12, 9)))
    assert set(rows) == {("sms", "reminder", 4320), ("sms", "reminder", 1440), ("sms", "confirmation", 0)}
    assert rows[("sms", "reminder", 4320)].due_at == at(2026, 11, 9, 9)
    assert "Reply C to confirm" in rows[("sms", "reminder", 1440)].body  # the SMS step keeps its own settings
    assert "Reply STOP to opt out" in rows[("sms", "reminder", 4320)].body


def test_email_only_patient_gets_both_default_reminders_by_email(clinic_world, visit):
    email_only = PatientFactory(sms_consent=False, email_consent=True, email="e@example.org", preferred_channel="email")
    rows = plan(book(email_only, clinic_world, visit, at(2026, 11, 12, 9)))
    assert set(rows) == {("email", "reminder", 4320), ("email", "reminder", 1440), ("email", "confirmation", 0)}
    day_before = rows[("email", "reminder", 1440)]
    assert day_before.due_at == at(2026, 11, 11, 9)
    assert day_before.attach_ics and "Bring your medication list." in day_before.body  # what an email reminder carries


def test_patient_with_both_channels_gets_the_plan_as_configured(clinic_world, visit, patient):
    rows = plan(book(patient, clinic_world, visit, at(2026, 11, 12, 9)))
    assert {key for key in rows if key[1] == "reminder"} == {("email", "reminder", 4320), ("sms", "reminder", 1440)}


def test_single_channel_patient_gets_one_video_link_not_two(clinic_world):
    video = VisitTypeFactory(code="video-only", discipline=clinic_world.discipline, telehealth=True, room_kind=RoomKind.VIRTUAL)
    sms_only = PatientFactory(sms_consent=True, email_consent=False, phone="+16175550112")
    rows = plan(book(sms_only, clinic_world, video, at(2026, 11, 12, 9)))
    assert [key for key in rows if key[1] == "video_link"] == [("sms", "video_link", 15)]
