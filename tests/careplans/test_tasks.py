import datetime

import pytest
from django.core import mail
from django.utils import timezone

from careplans.models import Task, TaskEvent
from careplans.selectors import task_queryset_for_user, tasks_for_user
from careplans.services import (
    questionnaire_response_create,
    task_accept,
    task_cancel,
    task_complete,
    task_create,
    task_reassign,
    task_start,
    tasks_escalate_overdue,
)
from core import access
from core.access import Action, Kind
from core.errors import IllegalTransition, PermissionDenied, ValidationFailed
from tests.factories import CarePlanFactory, PatientFactory

pytestmark = pytest.mark.django_db


def test_task_create_is_idempotent_on_its_dedupe_key(patient, plan):
    first = task_create(title="Call", patient=patient, assignee_role="front_desk", source="inbound_sms", dedupe_key="sms:1")
    again = task_create(title="Call again", patient=patient, assignee_role="front_desk", source="inbound_sms", dedupe_key="sms:1")
    assert first.pk == again.pk and Task.objects.count() == 1
    assert first.care_plan == plan  # the patient's active plan
    task_create(title="Other", patient=patient, assignee_role="front_desk")
    task_create(title="Other", patient=patient, assignee_role="front_desk")
    assert Task.objects.count() == 3  # no key, no dedupe


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"title": ""}, "title"),
        ({"assignee_role": ""}, "assignee"),
        ({"assignee_role": "janitor"}, "assignee_role"),
        ({"priority": "high"}, "priority"),
        ({"source": "fax"}, "source"),
    ],
)
def test_invalid_tasks_are_refused_with_field_messages(kwargs, field):
    with pytest.raises(ValidationFailed) as error:
        task_create(**{"title": "x", "assignee_role": "care_coordinator", **kwargs})
    assert field in error.value.field_errors


def test_accepting_a_queue_task_claims_it_and_transitions_are_checked(patient, anesthesiologist):
    task = task_create(title="Review", patient=patient, assignee_role="anesthesiology")
    task = task_accept(task=task, by=anesthesiologist.user)
    assert (task.status, task.assignee_provider, task.assignee_role) == ("accepted", anesthesiologist, "")
    task = task_start(task=task, by=anesthesiologist.user)
    task = task_complete(task=task, by=anesthesiologist.user, note="done")
    assert task.status == "completed" and task.completed_by == anesthesiologist.user
    for move in (task_accept, task_complete, task_cancel):
        with pytest.raises(IllegalTransition):
            move(task=task, by=anesthesiologist.user)
    assert list(TaskEvent.objects.filter(task=task).values_list("to_status", flat=True)) == [
        "requested",
        "accepted",
        "in-progress",
        "completed",
    ]


def test_reassign_resets_status_and_escalation(patient, anesthesiologist, physical_therapist):
    task = task_create(title="Review", patient=patient, assignee_provider=anesthesiologist)
    Task.objects.filter(pk=task.pk).update(escalation_level=1, status="accepted")
    task = task_reassign(task=task, to_provider=physical_therapist, by=anesthesiologist.user, reason="PT question")
    assert (task.assignee_provider, task.status, task.escalation_level) == (physical_therapist, "requested", 0)
    task = task_reassign(task=task, to_role="care_coordinator")
    assert task.assignee_provider is None and task.assignee_role == "care_coordinator"


def test_overdue_task_notifies_assignee_then_the_coordinator_once(patient, anesthesiologist, coordinator_user):
    anesthesiologist.user.email = "marsh@clinic.example"
    anesthesiologist.user.save()
    now = timezone.now()
    task = task_create(title="Call patient", patient=patient, assignee_provider=anesthesiologist, due=now - datetime.timedelta(minutes=5))
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.db.transaction.on_commit", lambda fn, using=None, robust=False: fn())
        assert tasks_escalate_overdue(now=now) == {"notified": 1, "coordinator": 0}
        assert tasks_escalate_overdue(now=now) == {"notified": 0, "coordinator": 0}
        assert [m.to for m in mail.outbox] == [["marsh@clinic.example"]]
        assert "Call patient" not in mail.outbox[0].body  # titles stay in the app
        later = now + datetime.timedelta(hours=25)
        assert tasks_escalate_overdue(now=later) == {"notified": 0, "coordinator": 1}
        assert tasks_escalate_overdue(now=later + datetime.timedelta(hours=1)) == {"notified": 0, "coordinator": 0}
    task.refresh_from_db()
    assert task.escalation_level == 2
    alert = Task.objects.get(source="escalation")
    assert (alert.assignee_role, alert.priority, alert.patient) == ("care_coordinator", "urgent", patient)
    assert mail.outbox[-1].to == [coordinator_user.email]


def test_stat_task_escalates_after_15_minutes(patient):
    now = timezone.now()
    task_create(title="Safety", patient=patient, assignee_role="psychology", priority="stat", due=now)
    tasks_escalate_overdue(now=now + datetime.timedelta(minutes=1))
    assert tasks_escalate_overdue(now=now + datetime.timedelta(minutes=10))["coordinator"] == 0
    assert tasks_escalate_overdue(now=now + datetime.timedelta(minutes=20))["coordinator"] == 1


def test_phq9_item_9_creates_a_stat_task_for_the_teams_psychologist_in_the_same_transaction(patient, plan, psychologist):
    response = questionnaire_response_create(patient=patient, questionnaire="PHQ-9", answers=[1, 1, 1, 1, 1, 1, 1, 1, 2])
    task = Task.objects.get(source="questionnaire")
    assert (task.priority, task.assignee_provider, task.patient, task.care_plan) == ("stat", psychologist, patient, plan)
    assert task.due == response.answered_at
    assert response.score == 10 and response.severity == "moderate"


def test_phq9_item_9_without_a_psychologist_goes_to_the_psychology_queue():
    patient = PatientFactory()
    CarePlanFactory(patient=patient)
    questionnaire_response_create(patient=patient, questionnaire="PHQ-9", answers=[0] * 8 + [1])
    assert Task.objects.get(source="questionnaire").assignee_role == "psychology"


def test_phq9_item_9_zero_creates_no_task(patient, plan):
    questionnaire_response_create(patient=patient, questionnaire="PHQ-9", answers=[3] * 8 + [0])
    assert not Task.objects.exists()


def test_invalid_answers_store_nothing(patient):
    from careplans.models import QuestionnaireResponse

    with pytest.raises(ValidationFailed):
        questionnaire_response_create(patient=patient, questionnaire="PHQ-9", answers=[0] * 8 + [9])
    assert not QuestionnaireResponse.objects.exists() and not Task.objects.exists()


# --- who sees a task, and where it may go ----------------------------------------------------------


def test_a_pts_discipline_queue_shows_only_tasks_of_patients_in_their_care(plan, physical_therapist):
    mine = task_create(title="Home programme review", patient=plan.patient, assignee_role="physical_therapy")
    stranger = task_create(title="Gait assessment", patient=PatientFactory(), assignee_role="physical_therapy")
    queue = tasks_for_user(user=physical_therapist.user, scope="mine", status="open")
    assert list(queue) == [mine]
    assert stranger.pk not in task_queryset_for_user(user=physical_therapist.user).values_list("pk", flat=True)


def test_a_clinical_task_cannot_be_moved_to_the_front_desk_queue(plan, anesthesiologist):
    task = task_create(title="Lumbar radiculopathy: review MRI", patient=plan.patient, assignee_provider=anesthesiologist)
    with pytest.raises(ValidationFailed) as refused:
        task_reassign(task=task, to_role="front_desk", by=anesthesiologist.user)
    assert "assignee_role" in refused.value.field_errors
    queued = task_create(title="Post-procedure call", patient=plan.patient, assignee_role="anesthesiology")
    with pytest.raises(ValidationFailed):
        task_reassign(task=queued, to_role="front_desk")
    task.refresh_from_db()
    assert (task.assignee_provider, task.assignee_role) == (anesthesiologist, "")
    assert list(task.events.values_list("action", flat=True)) == ["created"]


def test_a_front_desk_task_may_go_to_a_clinician(plan, physical_therapist):
    task = task_create(title="Patient asks about exercises", patient=plan.patient, assignee_role="front_desk", source="inbound_sms")
    task = task_reassign(task=task, to_provider=physical_therapist)
    assert task.assignee_provider == physical_therapist


# --- who may work a task (review of issue 9): seeing its patient is not enough ---------------


def test_an_alert_in_my_queue_may_be_accepted_and_completed_though_i_may_not_change_the_record(anesthesiologist):
    stranger = PatientFactory()  # on no team of the anesthesiologist: the urgent task is the only grant
    task = task_create(title="Post-procedure red flag", patient=stranger, assignee_role="anesthesiology", priority="urgent")
    assert not access.can(anesthesiologist.user, Action.CHANGE, patient=stranger, kind=Kind.CLINICAL)
    task = task_accept(task=task, by=anesthesiologist.user)
    task = task_complete(task=task, by=anesthesiologist.user, note="Called, no weakness")
    assert (task.status, task.assignee_provider, task.completed_by) == ("completed", anesthesiologist, anesthesiologist.user)


def test_another_queues_task_is_refused_to_a_clinician_who_may_not_change_its_patient(anesthesiologist):
    stranger = PatientFactory()
    task = task_create(title="Gait assessment", patient=stranger, assignee_role="physical_therapy", priority="urgent")
    for move in (task_accept, task_complete, task_cancel):
        with pytest.raises(PermissionDenied):
            move(task=task, by=anesthesiologist.user)
    with pytest.raises(PermissionDenied):
        task_reassign(task=task, to_role="anesthesiology", by=anesthesiologist.user)
    task.refresh_from_db()
    assert (task.status, task.assignee_role) == ("requested", "physical_therapy")
    assert list(task.events.values_list("action", flat=True)) == ["created"]


def test_a_care_team_member_may_work_another_queues_task_of_their_patient(plan, anesthesiologist):
    task = task_create(title="Home programme review", patient=plan.patient, assignee_role="physical_therapy")
    assert task_cancel(task=task, by=anesthesiologist.user, reason="covered at today's visit").status == "cancelled"


def test_the_front_desk_works_its_own_queue(front_desk_user):
    task = task_create(title="Call back about parking", patient=PatientFactory(), assignee_role="front_desk", source="inbound_sms")
    task = task_accept(task=task, by=front_desk_user)
    assert task_complete(task=task, by=front_desk_user, note="called").status == "completed"
