"""Send tasks take chunks of MESSAGING_SEND_CHUNK ids, and a chunk costs the same statements
whatever its size (the per-chunk round trips are what the size amortises)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from benchmarks import bench_reminders
from messaging import tasks
from messaging.channels.sms import TestBackend
from messaging.models import Message
from messaging.services.dispatch import messages_send
from messaging.services.transitions import messages_claim_due

pytestmark = pytest.mark.django_db


def test_the_dispatcher_enqueues_chunks_of_the_configured_size(settings, monkeypatch):
    settings.MESSAGING_SEND_CHUNK = 100
    enqueued = []
    monkeypatch.setattr(tasks.send_messages, "delay", enqueued.append)
    ids = list(range(1, 251))
    tasks._enqueue(ids)
    assert enqueued == [ids[:100], ids[100:200], ids[200:]]


def test_a_chunk_costs_the_same_statements_whatever_its_size(messaging_settings):
    messaging_settings.QUIET_HOURS_START = messaging_settings.QUIET_HOURS_END = "00:00"
    bench_reminders.seed(45)
    claimed = messages_claim_due(limit=100)
    assert len(claimed) == 45
    counts = {}
    for chunk in (claimed[:5], claimed[5:45]):
        with CaptureQueriesContext(connection) as queries:
            outcomes = messages_send(message_ids=chunk)
        assert set(outcomes.values()) == {"sent"}
        counts[len(chunk)] = len(queries)
    assert counts[5] == counts[40], counts
    assert Message.objects.filter(status="sent").count() == 45
    assert sorted(sms.idempotency_key for sms in TestBackend.outbox) == sorted(Message.objects.values_list("idempotency_key", flat=True))
