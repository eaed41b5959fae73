"""Protocol assembly: pre-procedure checklists on booking, follow-up after completion, idempotence,
withdrawal on cancel and moving on reschedule."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from careplans.models import ChecklistItem, FollowupAssembly, Protocol, ProtocolStep, QuestionnaireRequest, Task
from careplans.selectors import checklist_state_for_appointments
from careplans.services import (
    checklist_item_mark,
    checklists_raise_incomplete,
    followup_assemble,
    followup_sweep,
    procedure_record_set,
)
from scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_reschedule,
    appointment_start,
)
from tests.careplans.conftest import local
from tests.factories import set_drugs

pytestmark = pytest.mark.django_db


@pytest.fixture
def outbox(monkeypatch):
    """Records what care plans ask the (real) outbox to send; the messages are still queued."""
    from messaging import services as messaging_services

    real = messaging_services.outbox_enqueue_for_patient
    calls = []

    def spy(**kwargs):
        calls.append(kwargs)
        return real(**kwargs)

    monkeypatch.setattr("messaging.services.outbox_enqueue_for_patient", spy)
    return calls


def book(patient, provider, visit_type, start, capture, region="lumbar"):
    with capture(execute=True):
        return appointment_book(patient=patient, provider=provider, visit_type=visit_type, start=start, region=region)


def complete(appointment, capture, now=None):
    with capture(execute=True):
        appointment_check_in(appointment=appointment, now=appointment.start - datetime.timedelta(minutes=10))
        appointment_start(appointment=appointment)
        return appointment_complete(appointment=appointment, now=now)


def test_default_protocols_ship_with_a_fresh_install():
    codes = set(Protocol.objects.values_list("code", flat=True))
    assert {"pre-procedure-checklist", "ebp", "esi", "mbb", "rfa", "scs-trial", "dural-puncture"} <= codes
    assert ProtocolStep.objects.filter(protocol__code="dural-puncture", when_complication="dural_puncture").exists()


# ASRA 2018 holds before an intermediate-risk procedure (an ESI), as shipped.
@pytest.mark.parametrize(
    "drug,days,text",
    [
        ("warfarin", 5, "5 days"),
        ("clopidogrel", 7, "7 days"),
        ("prasugrel", 7, "7 days"),
        ("ticagrelor", 5, "5 days"),
        ("rivaroxaban", 3, "3 days"),
        ("apixaban", 3, "3 days"),
        ("edoxaban", 3, "3 days"),
        ("dabigatran", 5, "5 days"),
        ("enoxaparin-therapeutic", 1, "24 hours"),
        ("enoxaparin-prophylactic", Decimal("0.5"), "12 hours"),
    ],
)
def test_booking_a_procedure_builds_the_checklist_with_asra_hold_days(
    drug, days, text, patient, working_anesthesiologist, esi, eager_celery, django_capture_on_commit_callbacks, outbox
):
    set_drugs(patient, drug)
    appointment = book(patient, working_anesthesiologist, esi, local(10), django_capture_on_commit_callbacks)
    items = {i.code: i for i in ChecklistItem.objects.filter(appointment=appointment)}
    assert set(items) == {"anticoagulant", "consent", "driver", "npo", "pregnancy", "contrast_allergy"}
    assert items["anticoagulant"].hold_days == days
    assert text in items["anticoagulant"].detail
    hold = Task.objects.get(appointment=appointment, title__startswith="Agree anticoagulant hold")
    assert hold.due == local(10) - datetime.timedelta(days=10) or hold.due >= timezone.now() - datetime.timedelta(minutes=1)
    assert checklist_state_for_appointments(appointment_ids=[appointment.pk]) == {appointment.pk: (0, 6)}


def test_ebp_adds_the_nutrition_screen_and_diabetics_a_glucose_plan(
    patient, working_anesthesiologist, ebp, eager_celery, django_capture_on_commit_callbacks, outbox
):
    patient.diabetic = True
    patient.save()
    appointment = book(patient, working_anesthesiologist, ebp, local(10), django_capture_on_commit_callbacks)
    codes = set(ChecklistItem.objects.filter(appointment=appointment).values_list("code", flat=True))
    assert {"nutrition_screen", "glucose_plan"} <= codes
    assert "hold" not in ChecklistItem.objects.get(appointment=appointment, code="anticoagulant").detail.lower()
    assert Task.objects.filter(appointment=appointment, assignee_role="nutrition").count() == 1
    assert not Task.objects.filter(title__startswith="Agree anticoagulant hold").exists()


def test_completed_ebp_assembles_follow_up_once_however_often_it_runs(
    patient, plan, working_anesthesiologist, ebp, eager_celery, django_capture_on_commit_callbacks, outbox
):
    appointment = book(patient, working_anesthesiologist, ebp, local(5), django_capture_on_commit_callbacks)
    done_at = timezone.now()
    appointment = complete(appointment, django_capture_on_commit_callbacks, now=done_at)
    tasks = Task.objects.filter(appointment=appointment, source="protocol")
    titles = set(tasks.values_list("title", flat=True))
    assert "Next-day phone check after blood patch" in titles
    assert "72-hour check after blood patch (end of flat rest)" in titles
    next_day = tasks.get(title__startswith="Next-day")
    assert next_day.due == done_at + datetime.timedelta(days=1)
    assert next_day.care_plan == plan and next_day.priority == "urgent"
    assert [c["purpose"] for c in outbox] == ["notice"]
    assert outbox[0]["link_path"].startswith("/q/i/")
    before = Task.objects.count(), ChecklistItem.objects.count()

    # a duplicate event, a retried task and a direct re-run add nothing
    for _ in range(2):
        eager_celery.tasks["careplans.tasks.assemble_followup"].delay(appointment.pk, "completed")
        followup_assemble(appointment_id=appointment.pk, event="completed")
        followup_assemble(appointment_id=appointment.pk, event="booked")
    assert (Task.objects.count(), ChecklistItem.objects.count()) == before
    assert FollowupAssembly.objects.get(appointment=appointment, event="completed").runs == 5


def test_completed_esi_sends_a_2_week_questionnaire_and_requests_a_follow_up_visit(
    patient, working_anesthesiologist, esi, eager_celery, django_capture_on_commit_callbacks, outbox
):
    patient.diabetic = True
    patient.save()
    appointment = book(patient, working_anesthesiologist, esi, local(5), django_capture_on_commit_callbacks)
    done_at = timezone.now()
    appointment = complete(appointment, django_capture_on_commit_callbacks, now=done_at)
    request = QuestionnaireRequest.objects.get(appointment=appointment)
    assert (request.questionnaire, request.ask_relief) == ("PEG", True)
    assert request.due_at == done_at + datetime.timedelta(days=14)
    link = [c for c in outbox if c["purpose"] == "questionnaire"][0]
    assert link["link_path"].startswith("/q/") and str(patient.pk) not in link["link_path"].split(":")[0]
    assert link["due_at"] == request.due_at
    visit = Task.objects.get(appointment=appointment, assignee_role="front_desk")
    assert "Book between" in visit.description
    assert [c["purpose"] for c in outbox].count("notice") == 1  # the diabetic glucose warning


def test_dural_puncture_adds_a_csf_leak_check_within_24_hours_once(
    patient, working_anesthesiologist, esi, eager_celery, django_capture_on_commit_callbacks, outbox
):
    appointment = book(patient, working_anesthesiologist, esi, local(5), django_capture_on_commit_callbacks)
    appointment = complete(appointment, django_capture_on_commit_callbacks)
    assert not Task.objects.filter(title__startswith="CSF-leak").exists()
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            procedure_record_set(appointment=appointment, complications=["dural_puncture"])
    check = Task.objects.get(title__startswith="CSF-leak")
    assert check.assignee_role == "anesthesiology" and check.priority == "urgent"
    assert check.due == appointment.completed_at + datetime.timedelta(hours=24)


def test_cancelled_procedure_withdraws_open_work(
    patient, working_anesthesiologist, esi, eager_celery, django_capture_on_commit_callbacks, outbox
):
    set_drugs(patient, "warfarin")
    appointment = book(patient, working_anesthesiologist, esi, local(12), django_capture_on_commit_callbacks)
    assert Task.objects.filter(appointment=appointment, status="requested").count() == 1
    with django_capture_on_commit_callbacks(execute=True):
        appointment_cancel(appointment=appointment, reason="patient unwell")
    assert set(Task.objects.filter(appointment=appointment).values_list("status", flat=True)) == {"cancelled"}
    assert not ChecklistItem.objects.filter(appointment=appointment, status="pending").exists()
    assert checklist_state_for_appointments(appointment_ids=[appointment.pk]) == {appointment.pk: (6, 6)}


def test_rescheduled_procedure_moves_open_work_and_keeps_done_checks(
    patient, working_anesthesiologist, esi, eager_celery, django_capture_on_commit_callbacks, outbox
):
    set_drugs(patient, "clopidogrel")
    old = book(patient, working_anesthesiologist, esi, local(15), django_capture_on_commit_callbacks)
    checklist_item_mark(item=ChecklistItem.objects.get(appointment=old, code="anticoagulant"), status="done")
    checklist_item_mark(item=ChecklistItem.objects.get(appointment=old, code="driver"), status="done")
    with django_capture_on_commit_callbacks(execute=True):
        new = appointment_reschedule(appointment=old, start=local(20))
    hold = Task.objects.get(title__startswith="Agree anticoagulant hold")  # exactly one: moved, not duplicated
    assert hold.appointment_id == new.pk and hold.status == "requested"
    assert hold.due == local(20) - datetime.timedelta(days=10)
    new_items = dict(ChecklistItem.objects.filter(appointment=new).values_list("code", "status"))
    assert new_items["anticoagulant"] == "done"  # not tied to the day
    assert new_items["driver"] == "pending"  # asked again for the new day
    # replaying every event in any order still gives one task
    for event in ("cancelled", "booked", "rescheduled"):
        followup_assemble(appointment_id=old.pk if event == "cancelled" else new.pk, event=event)
    assert Task.objects.filter(title__startswith="Agree anticoagulant hold").count() == 1
    assert Task.objects.get(title__startswith="Agree anticoagulant hold").status == "requested"


def test_incomplete_checklist_24_hours_before_raises_one_urgent_task(
    patient, working_anesthesiologist, esi, eager_celery, django_capture_on_commit_callbacks, outbox
):
    appointment = book(patient, working_anesthesiologist, esi, local(3), django_capture_on_commit_callbacks)
    assert checklists_raise_incomplete(now=appointment.start - datetime.timedelta(hours=30)) == 0
    now = appointment.start - datetime.timedelta(hours=20)
    assert checklists_raise_incomplete(now=now) == 1
    assert checklists_raise_incomplete(now=now + datetime.timedelta(minutes=15)) == 0
    alert = Task.objects.get(source="checklist")
    assert (alert.priority, alert.assignee_role, alert.appointment_id) == ("urgent", "care_coordinator", appointment.pk)
    for item in ChecklistItem.objects.filter(appointment=appointment):
        checklist_item_mark(item=item, status="done", now=now)
    alert.refresh_from_db()
    assert alert.status == "completed"


def test_sweep_runs_assembly_the_broker_never_delivered(
    patient, working_anesthesiologist, esi, outbox, django_capture_on_commit_callbacks, monkeypatch
):
    monkeypatch.setattr("careplans.subscriptions._enqueue", lambda *a: None)  # the broker "lost" it
    appointment = book(patient, working_anesthesiologist, esi, local(8), django_capture_on_commit_callbacks)
    assert not ChecklistItem.objects.filter(appointment=appointment).exists()
    later = timezone.now() + datetime.timedelta(minutes=10)
    assert followup_sweep(now=later) == 1
    assert ChecklistItem.objects.filter(appointment=appointment).count() == 6
    assert followup_sweep(now=later) == 0


def test_rescheduling_withdraws_the_old_dates_checklist_alert(
    patient, working_anesthesiologist, esi, eager_celery, django_capture_on_commit_callbacks, outbox
):
    from scheduling.services import appointment_reschedule

    appointment = book(patient, working_anesthesiologist, esi, local(3), django_capture_on_commit_callbacks)
    assert checklists_raise_incomplete(now=appointment.start - datetime.timedelta(hours=20)) == 1
    alert = Task.objects.get(source="checklist", appointment=appointment)
    with django_capture_on_commit_callbacks(execute=True):
        appointment_reschedule(appointment=appointment, start=local(6))
    alert.refresh_from_db()
    assert alert.status == "cancelled"
