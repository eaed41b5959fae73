"""Protocol assembly through the real Celery worker on real Redis: after commit, idempotent."""

import datetime
import time

import pytest

from careplans.models import ChecklistItem, Task
from careplans.tasks import assemble_followup
from scheduling.services import appointment_book, appointment_check_in, appointment_complete, appointment_start
from tests.careplans.conftest import local

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_worker_assembles_after_commit_and_duplicates_create_nothing(celery_worker, patient, working_anesthesiologist, ebp):
    appointment = appointment_book(patient=patient, provider=working_anesthesiologist, visit_type=ebp, start=local(6), region="lumbar")
    assert wait_for(lambda: ChecklistItem.objects.filter(appointment=appointment).count() == 7), list(
        ChecklistItem.objects.filter(appointment=appointment).values_list("code", flat=True)
    )
    appointment_check_in(appointment=appointment, now=appointment.start - datetime.timedelta(minutes=10))
    appointment_start(appointment=appointment)
    appointment_complete(appointment=appointment)
    assert wait_for(lambda: Task.objects.filter(appointment=appointment, title__startswith="72-hour").exists())
    counts = (Task.objects.count(), ChecklistItem.objects.count())
    # a redelivered task and a duplicate event, racing on two worker threads
    results = [assemble_followup.delay(appointment.pk, "completed") for _ in range(4)] + [assemble_followup.delay(appointment.pk, "booked")]
    from careplans.models import FollowupAssembly

    assert wait_for(lambda: FollowupAssembly.objects.get(appointment=appointment, event="completed").runs >= 5)
    assert wait_for(lambda: FollowupAssembly.objects.get(appointment=appointment, event="booked").runs >= 2)
    assert (Task.objects.count(), ChecklistItem.objects.count()) == counts
    assert len(results) == 5
