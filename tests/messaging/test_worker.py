"""The dispatch path end to end: beat task → claim → real Redis → real Celery worker → gateway."""

import datetime
import time

import pytest
from django.utils import timezone

from messaging.channels.sms import TestBackend
from messaging.models import Message, MessageStatus
from messaging.services.transitions import messages_claim_due
from messaging.tasks import dispatch_due, send_message
from scheduling.services import appointment_book
from tests.factories import PatientFactory
from tests.messaging.conftest import NY

pytestmark = pytest.mark.celery_worker


@pytest.fixture
def any_hour(messaging_settings):
    # The worker runs on the real clock; quiet hours have their own tests with time travel.
    messaging_settings.QUIET_HOURS_START = messaging_settings.QUIET_HOURS_END = "00:00"


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return False


def book_tomorrow(provider, visit_type, patient, slot=0):
    tomorrow = timezone.now().astimezone(NY).date() + datetime.timedelta(days=2)
    start = datetime.datetime.combine(tomorrow, datetime.time(10, 0), tzinfo=NY) + datetime.timedelta(minutes=30 * slot)
    return appointment_book(patient=patient, provider=provider, visit_type=visit_type, start=start)


def test_beat_dispatch_sends_due_messages_through_the_real_worker(celery_worker, any_hour, clinic_world, visit):
    patients = [PatientFactory(sms_consent=True, phone=f"+1617555{2000 + i}") for i in range(5)]
    for slot, patient in enumerate(patients):
        book_tomorrow(clinic_world, visit, patient, slot)
    confirmations = Message.objects.filter(purpose="confirmation")
    assert confirmations.count() == 5
    dispatch_due.delay()  # what beat does every minute
    assert wait_for(lambda: confirmations.filter(status=MessageStatus.SENT).count() == 5)
    assert sorted(s.idempotency_key for s in TestBackend.outbox) == sorted(confirmations.values_list("idempotency_key", flat=True))


def test_send_task_delivered_twice_reaches_the_gateway_once(celery_worker, any_hour, clinic_world, visit, patient):
    book_tomorrow(clinic_world, visit, patient)
    (message_id,) = messages_claim_due(now=timezone.now())
    send_message.delay(message_id)
    send_message.delay(message_id)  # a redelivery: both copies run on the two worker threads
    assert wait_for(lambda: Message.objects.get(pk=message_id).status == MessageStatus.SENT)
    time.sleep(0.5)
    assert len(TestBackend.outbox) == 1


def test_claim_lost_with_redis_is_reclaimed_after_the_lease_and_sent_once(celery_worker, any_hour, clinic_world, visit, patient):
    book_tomorrow(clinic_world, visit, patient)
    (message_id,) = messages_claim_due(now=timezone.now())  # claimed, but the task never reaches a worker
    dispatch_due.delay()
    time.sleep(1)
    assert Message.objects.get(pk=message_id).status == MessageStatus.SENDING  # the lease still holds
    Message.objects.filter(pk=message_id).update(lease_expires_at=timezone.now() - datetime.timedelta(seconds=1))
    dispatch_due.delay()
    assert wait_for(lambda: Message.objects.get(pk=message_id).status == MessageStatus.SENT)
    message = Message.objects.get(pk=message_id)
    assert message.attempts == 2 and len(TestBackend.outbox) == 1
