"""The workspace's patient search (scoped by the access policy, every look audited), goal marks
and care-plan status changes through the services (legal moves only, each recorded), and the
timeline's kind filter with messages folded away by default."""

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careplans.models import CarePlan, CarePlanEvent, Goal, Task
from core.models import AuditEvent
from messaging.models import Message
from tests.factories import PatientFactory, sign_in

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


SEARCH = reverse("workspace:patient-search")


def test_an_on_team_clinician_finds_their_patient_and_the_look_is_audited(plan, anesthesiologist):
    PatientFactory(last_name=plan.patient.last_name + "x")  # not on any team of theirs: not found
    before = AuditEvent.objects.count()
    response = login(anesthesiologist.user).get(SEARCH, {"q": plan.patient.last_name})
    assert response.status_code == 200
    assert [p.pk for p in response.context["results"]] == [plan.patient.pk]
    assert reverse("workspace:patient", args=[plan.patient.pk]) in response.content.decode()
    assert AuditEvent.objects.count() > before
    assert plan.patient.pk in AuditEvent.objects.latest("id").patients


def test_an_off_team_clinician_finds_no_one_elses_patient(plan, dietitian):
    response = login(dietitian.user).get(SEARCH, {"q": plan.patient.last_name})
    assert response.status_code == 200 and response.context["results"] == []
    html = response.content.decode()
    assert "No patient of yours matches." in html and reverse("workspace:patient", args=[plan.patient.pk]) not in html


def test_the_front_desk_is_refused_the_clinical_search(plan, front_desk_user):
    response = login(front_desk_user).get(SEARCH, {"q": plan.patient.last_name})
    assert response.status_code == 403 and plan.patient.last_name not in response.content.decode()


def test_search_by_mrn_and_an_empty_search_lists_nobody(plan, anesthesiologist):
    client = login(anesthesiologist.user)
    assert [p.pk for p in client.get(SEARCH, {"q": plan.patient.mrn}).context["results"]] == [plan.patient.pk]
    assert client.get(SEARCH).context["results"] == []


def test_search_reads_a_fixed_number_of_queries(plan, anesthesiologist, django_assert_max_num_queries):
    client = login(anesthesiologist.user)
    for _ in range(30):
        PatientFactory(last_name="Samename")
    with django_assert_max_num_queries(20):
        client.get(SEARCH, {"q": "Samename"})


def test_a_team_member_marks_a_goal_achieved_and_it_is_recorded(plan, anesthesiologist):
    goal = Goal.objects.create(care_plan=plan, description="Walk 30 minutes")
    url = reverse("workspace:goal-achievement", args=[goal.pk])
    response = login(anesthesiologist.user).post(url, {"status": "achieved"})
    assert response.status_code == 302
    goal.refresh_from_db()
    assert goal.achievement_status == "achieved"
    event = CarePlanEvent.objects.get(subject=CarePlanEvent.Subject.GOAL, object_id=goal.pk)
    assert (event.to_status, event.by) == ("achieved", anesthesiologist.user)
    login(anesthesiologist.user).post(url, {"status": "not-achieved"})
    goal.refresh_from_db()
    assert goal.achievement_status == "not-achieved"


def test_an_off_team_clinician_and_the_front_desk_cannot_mark_a_goal(plan, dietitian, front_desk_user):
    goal = Goal.objects.create(care_plan=plan, description="Walk 30 minutes")
    url = reverse("workspace:goal-achievement", args=[goal.pk])
    for user in (dietitian.user, front_desk_user):
        response = login(user).post(url, {"status": "achieved"}, follow=True)
        assert any(m.level_tag == "error" for m in response.context["messages"])
    goal.refresh_from_db()
    assert goal.achievement_status != "achieved" and not CarePlanEvent.objects.filter(subject=CarePlanEvent.Subject.GOAL).exists()


def test_care_plan_status_moves_through_the_services_legal_moves_only(plan, anesthesiologist):
    client = login(anesthesiologist.user)
    plan.refresh_from_db()
    assert plan.status == CarePlan.Status.ACTIVE
    status = lambda: CarePlan.objects.get(pk=plan.pk).status  # noqa: E731
    held = client.post(reverse("workspace:careplan-status", args=[plan.pk, "hold"]), {"reason": "patient travelling"}, follow=True)
    assert [m.message for m in held.context["messages"]] == ["Care plan on hold."]
    assert status() == CarePlan.Status.ON_HOLD
    refused = client.post(reverse("workspace:careplan-status", args=[plan.pk, "hold"]), {"reason": "again"}, follow=True)
    assert status() == CarePlan.Status.ON_HOLD and any(m.level_tag == "error" for m in refused.context["messages"])
    client.post(reverse("workspace:careplan-status", args=[plan.pk, "resume"]))
    assert status() == CarePlan.Status.ACTIVE
    no_reason = client.post(reverse("workspace:careplan-status", args=[plan.pk, "revoke"]), {"reason": " "}, follow=True)
    assert status() == CarePlan.Status.ACTIVE and any("why" in m.message for m in no_reason.context["messages"])
    client.post(reverse("workspace:careplan-status", args=[plan.pk, "complete"]))
    assert status() == CarePlan.Status.COMPLETED
    moves = list(CarePlanEvent.objects.filter(subject=CarePlanEvent.Subject.CARE_PLAN).values_list("to_status", "by"))
    assert moves[-3:] == [
        ("on-hold", anesthesiologist.user.pk),
        ("active", anesthesiologist.user.pk),
        ("completed", anesthesiologist.user.pk),
    ]
    assert client.post(reverse("workspace:careplan-status", args=[plan.pk, "explode"])).status_code == 302  # unknown move: a message


def test_an_off_team_clinician_cannot_change_the_plans_status(plan, dietitian):
    response = login(dietitian.user).post(reverse("workspace:careplan-status", args=[plan.pk, "complete"]), follow=True)
    assert any(m.level_tag == "error" for m in response.context["messages"])
    assert CarePlan.objects.get(pk=plan.pk).status == CarePlan.Status.ACTIVE


def test_timeline_folds_messages_and_filters_by_kind(plan, anesthesiologist):
    from careplans.services import task_create

    task_create(title="Call back about the block", patient=plan.patient, assignee_provider=anesthesiologist)
    for i in range(3):
        Message.objects.create(
            patient=plan.patient, channel="sms", purpose="reminder", due_at=timezone.now(), idempotency_key=f"t-{i}", body="Reminder"
        )
    url = reverse("workspace:patient", args=[plan.patient.pk])
    client = login(anesthesiologist.user)
    html = client.get(url).content.decode()
    shown, folded = html.split('<details class="timeline-messages">', 1)
    assert 'data-kind="Message"' not in shown.split('id="timeline"', 1)[1]
    assert "3 messages to the patient" in folded.split("</summary>", 1)[0]
    assert '<details class="timeline-messages">' in html and "<details open" not in html  # collapsed by default
    only_tasks = client.get(url, {"kind": "Task"})
    assert [item["kind"] for item in only_tasks.context["timeline"]] == ["Task"] and only_tasks.context["timeline_messages"] == []
    only_messages = client.get(url, {"kind": "Message"})
    assert [item["kind"] for item in only_messages.context["timeline"]] == ["Message"] * 3
    assert client.get(url, {"kind": "<script>"}).context["timeline_kind"] == ""
    assert Task.objects.filter(patient=plan.patient).count() == 1
