"""Send-time behaviour of one message, driven directly (the real worker is in test_worker.py)."""

import datetime

import pytest
import time_machine
from django.core import mail

from clinic.models import RoomKind
from clinic.services import patient_set_consent
from messaging.channels import GatewayError
from messaging.channels.sms import TestBackend, get_sms_backend
from messaging.models import Message, MessageStatus, Purpose
from messaging.services.dispatch import _outbound, message_send, messages_send
from messaging.services.transitions import message_mark_send_started, messages_claim_due
from scheduling.services import appointment_book, appointment_cancel, appointment_check_in
from tests.factories import VisitTypeFactory
from tests.messaging.conftest import NY, at

pytestmark = pytest.mark.django_db

NOW = at(2026, 11, 2, 10)
M = MessageStatus


@pytest.fixture
def booked(clinic_world, visit, patient):
    with time_machine.travel(NOW, tick=False):
        return appointment_book(patient=patient, provider=clinic_world, visit_type=visit, start=at(2026, 11, 12, 9), now=NOW)


def sms_reminder(appointment):
    return Message.objects.get(appointment=appointment, channel="sms", purpose="reminder")


def claim(now):
    return messages_claim_due(now=now)


def run(message_id, now):
    with time_machine.travel(now, tick=False):
        return message_send(message_id=message_id, now=now)


def test_due_message_is_claimed_and_sent_once(booked):
    when = at(2026, 11, 11, 9)
    message = sms_reminder(booked)
    assert message.pk in claim(when)
    assert run(message.pk, when) == "sent"
    assert run(message.pk, when) == "skip"  # the task delivered twice
    message.refresh_from_db()
    assert message.status == M.SENT and message.provider_message_id == "test-1" and message.attempts == 1
    assert [sms.idempotency_key for sms in TestBackend.outbox] == [message.idempotency_key]


def test_nothing_is_claimed_before_it_is_due(booked):
    assert sms_reminder(booked).pk not in claim(at(2026, 11, 11, 8, 59))


def test_claimed_rows_are_not_claimed_again_while_the_lease_holds(booked):
    when = at(2026, 11, 11, 9)
    assert claim(when)
    assert claim(when + datetime.timedelta(minutes=4)) == []


def test_worker_killed_between_claim_and_send_is_reclaimed_and_sent_once(booked):
    when = at(2026, 11, 11, 9)
    message = sms_reminder(booked)
    assert message.pk in claim(when)  # claimed; the worker dies before sending (or Redis lost the task)
    later = when + datetime.timedelta(minutes=6)  # lease (5 min) expired
    assert message.pk in claim(later)
    assert run(message.pk, later) == "sent"
    assert run(message.pk, later) == "skip"  # the first claim's task, redelivered late
    assert len(TestBackend.outbox) == 1


def test_worker_killed_after_the_gateway_took_it_is_not_sent_again(booked):
    when = at(2026, 11, 11, 9)
    message = sms_reminder(booked)
    claim(when)
    # The worker crossed the boundary, the gateway took the text, then the process died.
    message_mark_send_started(message_id=message.pk, now=when)
    message.refresh_from_db()
    get_sms_backend().send(_outbound(message))
    later = when + datetime.timedelta(minutes=6)
    assert message.pk in claim(later)
    assert run(message.pk, later) == "recovered"
    message.refresh_from_db()
    assert message.status == M.SENT and message.provider_message_id == "test-1"
    assert len(TestBackend.outbox) == 1


def test_worker_killed_before_the_gateway_call_sends_after_checking(booked):
    when = at(2026, 11, 11, 9)
    message = sms_reminder(booked)
    claim(when)
    message_mark_send_started(message_id=message.pk, now=when)  # died right after the mark
    later = when + datetime.timedelta(minutes=6)
    claim(later)
    assert run(message.pk, later) == "sent"
    assert len(TestBackend.outbox) == 1


def test_email_cannot_be_looked_up_so_an_interrupted_send_fails_for_a_person(booked):
    when = at(2026, 11, 9, 9)
    email = Message.objects.get(appointment=booked, channel="email")
    claim(when)
    message_mark_send_started(message_id=email.pk, now=when)
    later = when + datetime.timedelta(minutes=6)
    claim(later)
    assert run(email.pk, later) == "failed"
    email.refresh_from_db()
    assert "outcome unknown" in email.last_error and mail.outbox == []


def test_cancelled_appointment_sends_no_reminder(booked):
    when = at(2026, 11, 11, 9)
    message = sms_reminder(booked)
    claim(when)  # already claimed when the cancellation comes in
    appointment_cancel(appointment=booked, reason="patient unwell", now=when)
    assert run(message.pk, when) == "cancel"
    message.refresh_from_db()
    assert message.status == M.CANCELLED and message.status_reason == "visit cancelled"
    assert TestBackend.outbox == []


def test_started_appointment_expires_the_message(booked):
    message = Message.objects.get(appointment=booked, channel="sms", purpose="confirmation")
    when = at(2026, 11, 12, 8, 55)
    Message.objects.filter(pk=message.pk).update(due_at=when)
    claim(when)
    appointment_check_in(appointment=booked, now=when)
    assert run(message.pk, when) == "expire"


def test_opt_out_after_claim_cancels_with_reason(booked, patient):
    when = at(2026, 11, 11, 9)
    message = sms_reminder(booked)
    claim(when)
    patient_set_consent(patient=patient, channel="sms", granted=False, source="front desk", now=when)
    assert run(message.pk, when) == "cancel"
    message.refresh_from_db()
    assert message.status_reason == "no SMS consent (opted out)"


def test_quiet_hours_at_send_time_defer_to_the_morning(booked):
    message = sms_reminder(booked)
    late = at(2026, 11, 10, 22, 30)  # e.g. the dispatcher was down all evening
    Message.objects.filter(pk=message.pk).update(due_at=late)
    claim(late)
    assert run(message.pk, late) == "defer"
    message.refresh_from_db()
    assert message.status == M.PENDING and message.due_at == at(2026, 11, 11, 8)


def test_one_sms_a_day_defers_the_second_to_tomorrow(booked):
    confirmation = Message.objects.get(appointment=booked, channel="sms", purpose="confirmation")
    claim(NOW)
    assert run(confirmation.pk, NOW) == "sent"
    second = Message.objects.create(
        patient=booked.patient, channel="sms", purpose=Purpose.NOTICE, due_at=NOW, idempotency_key="x1", body="hello"
    )
    claim(NOW)
    assert run(second.pk, NOW) == "defer"
    second.refresh_from_db()
    assert second.due_at == at(2026, 11, 3, 8) and second.status_reason == "SMS limit: 1 a day"


def test_three_sms_a_week_then_wait(booked, patient):
    Message.objects.filter(appointment=booked).update(status=M.CANCELLED)  # no booking texts competing for the slots
    for day in range(3):
        when = NOW + datetime.timedelta(days=day)
        sent = Message.objects.create(
            patient=patient, channel="sms", purpose=Purpose.NOTICE, due_at=when, idempotency_key=f"w{day}", body="b"
        )
        claim(when)
        assert run(sent.pk, when) == "sent"
    fourth_day = NOW + datetime.timedelta(days=3)
    fourth = Message.objects.create(
        patient=patient, channel="sms", purpose=Purpose.NOTICE, due_at=fourth_day, idempotency_key="w3", body="b"
    )
    claim(fourth_day)
    assert run(fourth.pk, fourth_day) == "defer"
    fourth.refresh_from_db()
    assert fourth.status_reason == "SMS limit: 3 a week"


def test_urgent_messages_are_exempt_from_limits(booked, patient):
    claim(NOW)
    run(Message.objects.get(appointment=booked, channel="sms", purpose="confirmation").pk, NOW)
    urgent = Message.objects.create(
        patient=patient, channel="sms", purpose=Purpose.NOTICE, due_at=NOW, idempotency_key="u", body="b", urgent=True
    )
    claim(NOW)
    assert run(urgent.pk, NOW) == "sent"


def test_retryable_gateway_error_backs_off_exponentially(booked):
    when = at(2026, 11, 11, 9)
    message = sms_reminder(booked)
    TestBackend.fail_next.extend([GatewayError("twilio 503", retryable=True), GatewayError("twilio 503", retryable=True)])
    claim(when)
    assert run(message.pk, when) == "retry"
    message.refresh_from_db()
    assert message.status == M.PENDING and message.due_at == when + datetime.timedelta(minutes=1)
    second = when + datetime.timedelta(minutes=1)
    claim(second)
    assert run(message.pk, second) == "retry"
    message.refresh_from_db()
    assert message.due_at == second + datetime.timedelta(minutes=2)
    third = second + datetime.timedelta(minutes=2)
    claim(third)
    assert run(message.pk, third) == "sent"
    assert len(TestBackend.outbox) == 1


def test_permanent_gateway_error_fails_for_the_front_desk(booked):
    when = at(2026, 11, 11, 9)
    message = sms_reminder(booked)
    TestBackend.fail_next.append(GatewayError("twilio 400 code 21211", retryable=False))
    claim(when)
    assert run(message.pk, when) == "failed"
    message.refresh_from_db()
    assert message.status == M.FAILED and "21211" in message.last_error


def test_reminder_email_has_text_html_ics_and_unsubscribe(booked):
    when = at(2026, 11, 9, 9)
    email_row = Message.objects.get(appointment=booked, channel="email")
    claim(when)
    assert run(email_row.pk, when) == "sent"
    (email,) = mail.outbox
    assert email.to == [booked.patient.email]
    assert "Bring your medication list." in email.body
    html, mime = email.alternatives[0]
    assert mime == "text/html" and "Stop email reminders" in html
    assert email.extra_headers["List-Unsubscribe"].startswith("<https://clinic.example/p/")
    name, ics, ics_mime = email.attachments[0]
    assert name == "visit.ics" and ics_mime.startswith("text/calendar")
    text = ics.decode() if isinstance(ics, bytes) else ics
    assert "DTSTART;TZID=America/New_York:20261112T090000" in text
    assert "BEGIN:VTIMEZONE" in text and "Follow-up" not in text
    assert booked.start.astimezone(NY).hour == 9


def test_two_texts_for_one_patient_in_one_batch_respect_the_daily_limit(booked, patient):
    first = Message.objects.create(patient=patient, channel="sms", purpose=Purpose.NOTICE, due_at=NOW, idempotency_key="b1", body="a")
    second = Message.objects.create(patient=patient, channel="sms", purpose=Purpose.NOTICE, due_at=NOW, idempotency_key="b2", body="b")
    Message.objects.filter(appointment=booked).update(status=M.CANCELLED)
    claim(NOW)
    with time_machine.travel(NOW, tick=False):
        outcomes = messages_send(message_ids=[first.pk, second.pk], now=NOW)
    assert sorted(outcomes.values()) == ["defer", "sent"] and len(TestBackend.outbox) == 1


def notice(patient, key, *, due=NOW, purpose=Purpose.NOTICE, **fields):
    return Message.objects.create(patient=patient, channel="sms", purpose=purpose, due_at=due, idempotency_key=key, body="b", **fields)


def test_cancellation_notices_count_against_the_daily_limit_and_wait_for_the_next_slot(booked):
    claim(NOW)
    assert run(Message.objects.get(appointment=booked, channel="sms", purpose="confirmation").pk, NOW) == "sent"
    later = NOW + datetime.timedelta(hours=2)
    appointment_cancel(appointment=booked, reason="patient unwell", now=later)
    cancellation = Message.objects.get(appointment=booked, purpose=Purpose.CANCELLATION)
    claim(later)
    assert run(cancellation.pk, later) == "defer"
    cancellation.refresh_from_db()
    assert cancellation.status == M.PENDING and cancellation.due_at == at(2026, 11, 3, 8)
    assert cancellation.status_reason == "SMS limit: 1 a day"
    claim(at(2026, 11, 3, 8))
    assert run(cancellation.pk, at(2026, 11, 3, 8)) == "sent"


def test_video_link_is_capped_before_the_visit_day_and_exempt_on_it(clinic_world, patient):
    video = VisitTypeFactory(code="video-caps", discipline=clinic_world.discipline, telehealth=True, room_kind=RoomKind.VIRTUAL)
    with time_machine.travel(NOW, tick=False):
        visit = appointment_book(patient=patient, provider=clinic_world, visit_type=video, start=at(2026, 11, 12, 9), now=NOW)
    Message.objects.filter(appointment=visit, purpose=Purpose.CONFIRMATION).update(status=M.CANCELLED)
    day_before = at(2026, 11, 11, 10)
    early_link = notice(patient, "v1", due=day_before, purpose=Purpose.VIDEO_LINK, appointment=visit, offset_minutes=1440)
    claim(at(2026, 11, 11, 9))
    assert run(Message.objects.get(appointment=visit, channel="sms", purpose="reminder").pk, at(2026, 11, 11, 9)) == "sent"
    claim(day_before)
    assert run(early_link.pk, day_before) == "defer"  # the day before the visit it is an ordinary text
    on_the_day = at(2026, 11, 12, 8, 45)
    notice(patient, "v2", due=at(2026, 11, 12, 8))
    claim(at(2026, 11, 12, 8))
    same_day_link = Message.objects.get(appointment=visit, channel="sms", purpose=Purpose.VIDEO_LINK, offset_minutes=15)
    for message in Message.objects.filter(patient=patient, channel="sms", status=M.SENDING):
        run(message.pk, at(2026, 11, 12, 8))  # the day's one capped text goes
    claim(on_the_day)
    assert run(same_day_link.pk, on_the_day) == "sent"


def test_when_texts_compete_the_cancellation_goes_first_then_reminder_then_confirmation_then_links(booked, patient):
    Message.objects.filter(appointment=booked).update(status=M.CANCELLED)
    batch = [
        notice(patient, "p-link", purpose=Purpose.QUESTIONNAIRE),
        notice(patient, "p-confirmation", purpose=Purpose.CONFIRMATION),
        notice(patient, "p-reminder", purpose=Purpose.REMINDER),
        notice(patient, "p-cancellation", purpose=Purpose.CANCELLATION),
    ]
    claim(NOW)
    with time_machine.travel(NOW, tick=False):
        outcomes = messages_send(message_ids=[m.pk for m in batch], now=NOW)
    assert [outcomes[m.pk] for m in batch] == ["defer", "defer", "defer", "sent"]
    sent_order = ["p-cancellation"]
    for day in (3, 4):  # one a day: the reminder, then the confirmation (the week allows three)
        when = at(2026, 11, day, 8)
        claim(when)
        for message in Message.objects.filter(patient=patient, status=M.SENDING):
            if run(message.pk, when) == "sent":
                sent_order.append(message.idempotency_key)
    assert sent_order == ["p-cancellation", "p-reminder", "p-confirmation"]
    link = Message.objects.get(idempotency_key="p-link")
    assert link.status == M.PENDING and link.status_reason == "SMS limit: 1 a day; the booking confirmation goes first"
    claim(link.due_at)
    assert run(link.pk, link.due_at) == "defer"  # three this week: waits until the first leaves the 7-day window
    link.refresh_from_db()
    assert link.status == M.PENDING and link.status_reason == "SMS limit: 3 a week" and link.due_at == NOW + datetime.timedelta(days=7)


def test_a_text_outside_the_batch_that_goes_first_takes_the_slot(booked, patient):
    Message.objects.filter(appointment=booked).update(status=M.CANCELLED)
    reminder = notice(patient, "o-reminder", purpose=Purpose.REMINDER)
    cancellation = notice(patient, "o-cancellation", purpose=Purpose.CANCELLATION)
    claim(NOW)
    assert run(reminder.pk, NOW) == "defer"
    reminder.refresh_from_db()
    assert reminder.status_reason == "SMS limit: 1 a day; the cancellation notice goes first"
    assert reminder.due_at == at(2026, 11, 3, 8)
    assert run(cancellation.pk, NOW) == "sent"


def test_a_reminder_with_no_free_slot_before_the_visit_is_cancelled_with_the_reason(clinic_world, visit, patient):
    with time_machine.travel(NOW, tick=False):
        early = appointment_book(patient=patient, provider=clinic_world, visit_type=visit, start=at(2026, 11, 13, 7, 30), now=NOW)
    reminder = sms_reminder(early)
    assert reminder.due_at == at(2026, 11, 12, 8)  # 7:30 the day before is quiet
    Message.objects.exclude(pk=reminder.pk).update(status=M.CANCELLED)
    morning_text = notice(patient, "morning", due=at(2026, 11, 12, 8), purpose=Purpose.CANCELLATION)
    claim(at(2026, 11, 12, 8))
    assert run(morning_text.pk, at(2026, 11, 12, 8)) == "sent"
    # The next slot (8:00 tomorrow) is after the 7:30 visit: cancelled, with the reason shown.
    assert run(reminder.pk, at(2026, 11, 12, 8)) == "cancel"
    reminder.refresh_from_db()
    assert reminder.status == M.CANCELLED and reminder.status_reason == "SMS limit: 1 a day; no free slot before the visit"


def test_urgent_alerts_are_claimed_before_an_older_backlog(booked, patient, front_desk_user):
    backlog = [notice(patient, f"routine-{n}", due=NOW - datetime.timedelta(hours=n + 1)) for n in range(3)]
    alert = notice(patient, "alert", purpose=Purpose.STAFF_ALERT, urgent=True, staff_recipient=front_desk_user, to_address="+16175550122")
    assert messages_claim_due(now=NOW, limit=1) == [alert.pk]
    assert messages_claim_due(now=NOW, limit=1) == [backlog[-1].pk]  # then oldest due first
