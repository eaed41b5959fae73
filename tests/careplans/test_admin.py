import datetime

import pytest
from django.contrib.admin import site
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careplans.models import (
    Activity,
    CarePlan,
    CarePlanEvent,
    CareTeamMember,
    Goal,
    Problem,
    ProcedureRecord,
    Protocol,
    Task,
    TaskEvent,
    TeamNote,
)
from careplans.services import procedure_record_set, task_create, team_member_add
from core.errors import NotFound, PermissionDenied
from scheduling.models import Appointment
from scheduling.services import appointment_book, appointment_check_in, appointment_complete, appointment_start
from tests.careplans.conftest import local
from tests.factories import CarePlanFactory, CareTeamMemberFactory, LocationFactory, UserFactory, VisitTypeFactory, sign_in

pytestmark = pytest.mark.django_db


def _grow(n, provider):
    for _ in range(n):
        plan = CarePlanFactory()
        CareTeamMemberFactory(care_plan=plan, provider=provider)
        task_create(title="t", patient=plan.patient, assignee_provider=provider)


@pytest.mark.parametrize("model", ["careplan", "task", "careteammember", "protocol", "protocolstep"])
def test_changelist_query_count_does_not_grow_with_rows(model, clinic_admin_user, anesthesiologist):
    client = Client()
    sign_in(client, clinic_admin_user)
    url = reverse(f"admin:careplans_{model}_changelist")
    _grow(2, anesthesiologist)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _grow(20, anesthesiologist)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_protocol_change_page_edits_steps_inline(clinic_admin_user):
    client = Client()
    sign_in(client, clinic_admin_user)
    protocol = Protocol.objects.get(code="ebp")
    html = client.get(reverse("admin:careplans_protocol_change", args=[protocol.pk])).content.decode()
    assert "Next-day phone check after blood patch" in html and "steps-TOTAL_FORMS" in html


def test_front_desk_has_no_care_plan_admin(front_desk_user):
    client = Client()
    sign_in(client, front_desk_user)
    assert client.get(reverse("admin:careplans_careplan_changelist")).status_code == 403


# --- the admin is a client of the services -------------------------------------------------------


def admin_client(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def add_url(model: str) -> str:
    return reverse(f"admin:careplans_{model}_add")


def change_url(model: str, pk: int) -> str:
    return reverse(f"admin:careplans_{model}_change", args=[pk])


def test_admin_problem_add_goes_through_problem_add_and_refuses_a_non_icd10_code(anesthesiologist, plan):
    client = admin_client(anesthesiologist.user)
    response = client.post(add_url("problem"), {"care_plan": plan.pk, "code": "BANANA", "text": "Not a code"})
    assert response.status_code == 200 and "Use an ICD-10-CM code" in response.content.decode()
    assert not Problem.objects.filter(care_plan=plan).exists()
    response = client.post(add_url("problem"), {"care_plan": plan.pk, "code": " m54.16 ", "text": "Radiculopathy, lumbar"})
    assert response.status_code == 302
    assert Problem.objects.get(care_plan=plan).code == "M54.16"  # normalised by the service


def test_admin_procedure_record_with_a_complication_triggers_its_follow_up(
    patient, working_anesthesiologist, esi, eager_celery, django_capture_on_commit_callbacks
):
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=patient), provider=working_anesthesiologist)
    with django_capture_on_commit_callbacks(execute=True):
        appointment = appointment_book(patient=patient, provider=working_anesthesiologist, visit_type=esi, start=local(5), region="lumbar")
    with django_capture_on_commit_callbacks(execute=True):
        appointment_check_in(appointment=appointment, now=appointment.start - datetime.timedelta(minutes=10))
        appointment_start(appointment=appointment)
        appointment_complete(appointment=appointment)
    user = working_anesthesiologist.user
    user.user_permissions.add(*Permission.objects.filter(codename__in=["add_procedurerecord", "change_procedurerecord"]))
    client = admin_client(user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(add_url("procedurerecord"), {"appointment": appointment.pk, "complications": ["dural_puncture"], "note": ""})
    assert response.status_code == 302, response.content.decode()[:2000]
    record = ProcedureRecord.objects.get(appointment=appointment)
    assert record.complications == ["dural_puncture"] and record.recorded_by == user
    assert Task.objects.get(title__startswith="CSF-leak").appointment == appointment


def test_admin_procedure_record_for_a_patient_without_clinical_access_is_refused(clinic_admin_user, anesthesiologist, patient):
    start = local(-1)
    appointment = Appointment.objects.create(
        patient=patient,
        provider=anesthesiologist,
        visit_type=VisitTypeFactory(discipline=anesthesiologist.discipline, is_procedure=True),
        location=LocationFactory(),
        start=start,
        end=start + datetime.timedelta(minutes=30),
        room_start=start,
        room_end=start + datetime.timedelta(minutes=30),
        status="completed",
    )
    response = admin_client(clinic_admin_user).post(
        add_url("procedurerecord"), {"appointment": appointment.pk, "complications": ["bleeding"]}
    )
    assert response.status_code == 200 and not ProcedureRecord.objects.exists()
    with pytest.raises(PermissionDenied):
        procedure_record_set(appointment=appointment, complications=["bleeding"], by=clinic_admin_user)


def test_admin_task_reassignment_goes_through_task_reassign_with_an_event(anesthesiologist, physical_therapist, plan):
    task = task_create(title="Review MRI", patient=plan.patient, assignee_provider=anesthesiologist)
    client = admin_client(anesthesiologist.user)
    response = client.post(
        change_url("task", task.pk), {"assignee_provider": physical_therapist.pk, "assignee_role": "", "reason": "PT question"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    task.refresh_from_db()
    assert task.assignee_provider == physical_therapist and task.status == "requested"
    event = TaskEvent.objects.get(task=task, action="reassigned")
    assert event.by == anesthesiologist.user and "PT question" in event.detail


def test_admin_task_title_cannot_be_rewritten_raw(anesthesiologist, plan):
    task = task_create(title="Review MRI", patient=plan.patient, assignee_provider=anesthesiologist)
    admin_client(anesthesiologist.user).post(
        change_url("task", task.pk), {"title": "Something else", "assignee_provider": anesthesiologist.pk, "assignee_role": ""}
    )
    task.refresh_from_db()
    assert task.title == "Review MRI" and list(task.events.values_list("action", flat=True)) == ["created"]


def test_admin_task_add_goes_through_task_create(anesthesiologist, plan):
    client = admin_client(anesthesiologist.user)
    response = client.post(add_url("task"), {"title": "Call back", "patient": plan.patient_id, "assignee_role": "", "priority": "routine"})
    assert response.status_code == 200 and "Assign the task to a provider or a role queue" in response.content.decode()
    response = client.post(
        add_url("task"), {"title": "Call back", "patient": plan.patient_id, "assignee_role": "anesthesiology", "priority": "routine"}
    )
    assert response.status_code == 302
    task = Task.objects.get(title="Call back")
    assert (task.source, task.created_by, task.care_plan) == ("manual", anesthesiologist.user, plan)
    assert list(task.events.values_list("action", flat=True)) == ["created"]


def test_admin_care_team_add_for_a_patient_the_provider_cannot_see_is_refused(dietitian, plan):
    client = admin_client(dietitian.user)
    response = client.post(add_url("careteammember"), {"care_plan": plan.pk, "role": "dietitian", "provider": dietitian.pk})
    assert response.status_code == 200
    assert not CareTeamMember.objects.filter(provider=dietitian).exists()
    assert client.get(f"/workspace/patients/{plan.patient_id}/").status_code == 404
    # The service itself refuses, whatever client calls it.
    with pytest.raises(NotFound):
        team_member_add(care_plan=plan, role="dietitian", provider=dietitian, by=dietitian.user)


def test_admin_care_team_add_goes_through_team_member_add(anesthesiologist, dietitian, plan):
    response = admin_client(anesthesiologist.user).post(
        add_url("careteammember"), {"care_plan": plan.pk, "role": "dietitian", "provider": dietitian.pk}
    )
    assert response.status_code == 302
    assert CareTeamMember.objects.filter(care_plan=plan, provider=dietitian, role="dietitian").exists()
    assert admin_client(dietitian.user).get(f"/workspace/patients/{plan.patient_id}/").status_code == 200


def test_admin_goal_add_and_achievement_go_through_the_services_with_an_event(anesthesiologist, plan):
    client = admin_client(anesthesiologist.user)
    bad = {"care_plan": plan.pk, "description": "PEG ≤ 4", "measure": "PEG", "target_comparator": "", "target_value": "4"}
    response = client.post(add_url("goal"), bad)
    assert response.status_code == 200 and "Choose &lt;= or &gt;= for a numeric target." in response.content.decode()
    response = client.post(add_url("goal"), bad | {"target_comparator": "<="})
    assert response.status_code == 302
    goal = Goal.objects.get(care_plan=plan)
    response = client.post(change_url("goal", goal.pk), {"achievement_status": "improving", "description": "rewritten"})
    assert response.status_code == 302
    goal.refresh_from_db()
    assert (goal.achievement_status, goal.description) == ("improving", "PEG ≤ 4")
    event = CarePlanEvent.objects.get(subject="goal", object_id=goal.pk)
    assert (event.from_status, event.to_status, event.by) == ("in-progress", "improving", anesthesiologist.user)


def test_admin_activity_add_and_status_go_through_the_services(anesthesiologist, physical_therapist, plan):
    client = admin_client(anesthesiologist.user)
    data = {"care_plan": plan.pk, "title": "PT", "discipline": physical_therapist.discipline_id, "kind": "visit_series", "planned_count": 0}
    response = client.post(add_url("activity"), data)
    assert response.status_code == 200 and "Plan at least one." in response.content.decode()
    assert client.post(add_url("activity"), data | {"per_week": 2, "weeks": 6}).status_code == 302
    activity = Activity.objects.get(care_plan=plan)
    assert activity.planned_count == 12  # computed by activity_add
    assert client.post(change_url("activity", activity.pk), {"status": "completed"}).status_code == 302
    response = client.post(change_url("activity", activity.pk), {"status": "in-progress"})
    assert response.status_code == 200 and "cannot become in progress" in response.content.decode()
    activity.refresh_from_db()
    assert activity.status == "completed"
    assert list(CarePlanEvent.objects.filter(subject="activity").values_list("from_status", "to_status")) == [("not-started", "completed")]


def test_admin_team_note_add_is_written_by_the_user(anesthesiologist, plan):
    client = admin_client(anesthesiologist.user)
    assert client.post(add_url("teamnote"), {"care_plan": plan.pk, "text": "   "}).status_code == 200
    assert client.post(add_url("teamnote"), {"care_plan": plan.pk, "text": "Discussed at MDT"}).status_code == 302
    note = TeamNote.objects.get(care_plan=plan)
    assert (note.author, note.text) == (anesthesiologist.user, "Discussed at MDT")


def test_admin_care_plan_add_goes_through_careplan_create_for_patients_in_care_only(anesthesiologist, clinic_admin_user, plan):
    response = admin_client(anesthesiologist.user).post(
        add_url("careplan"), {"patient": plan.patient_id, "title": "CSF leak recovery", "period_start": "2026-01-05"}
    )
    assert response.status_code == 302
    new = CarePlan.objects.get(title="CSF leak recovery")
    assert (new.status, new.created_by) == ("draft", anesthesiologist.user)
    assert CarePlanEvent.objects.filter(care_plan=new, subject="careplan", to_status="draft").exists()
    response = admin_client(clinic_admin_user).post(
        add_url("careplan"), {"patient": plan.patient_id, "title": "x", "period_start": "2026-01-05"}
    )
    assert response.status_code == 200 and "Select a valid choice" in response.content.decode()
    assert not CarePlan.objects.filter(title="x").exists()


def test_admin_care_plan_actions_are_the_transition_services(anesthesiologist, plan):
    client = admin_client(anesthesiologist.user)
    response = client.post(reverse("admin:careplans_careplan_changelist"), {"action": "complete", "_selected_action": [plan.pk]})
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.status == "completed"
    event = CarePlanEvent.objects.get(care_plan=plan, subject="careplan")
    assert (event.to_status, event.by) == ("completed", anesthesiologist.user)


@pytest.mark.parametrize(
    "model",
    [
        "careplan",
        "problem",
        "goal",
        "careteammember",
        "activity",
        "teamnote",
        "task",
        "checklistitem",
        "procedurerecord",
        "questionnaireresponse",
        "questionnairerequest",
    ],
)
def test_clinical_records_cannot_be_deleted_from_the_admin(model, clinic_admin_user):
    admin_site_model = {m._meta.model_name: a for m, a in site._registry.items() if m._meta.app_label == "careplans"}[model]
    request = RequestFactory().get("/")
    request.user = clinic_admin_user
    assert admin_site_model.has_delete_permission(request) is False
    superuser = UserFactory(username="root", is_superuser=True)
    request.user = superuser
    assert admin_site_model.has_delete_permission(request) is False


@pytest.mark.parametrize(
    "model", ["problem", "careteammember", "teamnote", "checklistitem", "questionnaireresponse", "questionnairerequest"]
)
def test_clinical_records_cannot_be_changed_raw_from_the_admin(model):
    admin_site_model = {m._meta.model_name: a for m, a in site._registry.items() if m._meta.app_label == "careplans"}[model]
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_superuser=True)
    assert admin_site_model.has_change_permission(request, object()) is False


@pytest.mark.parametrize("model", ["checklistitem", "questionnaireresponse", "questionnairerequest"])
def test_records_made_by_protocols_and_patients_cannot_be_added_from_the_admin(model):
    admin_site_model = {m._meta.model_name: a for m, a in site._registry.items() if m._meta.app_label == "careplans"}[model]
    request = RequestFactory().get("/")
    request.user = UserFactory(username="root", is_superuser=True)
    assert admin_site_model.has_add_permission(request) is False


def test_front_desk_task_admin_shows_no_clinical_text(front_desk_user, anesthesiologist, patient):
    plan = CarePlanFactory(patient=patient, title="Lumbar radiculopathy after L4-5 fusion")
    CareTeamMemberFactory(care_plan=plan, provider=anesthesiologist)
    desk_task = task_create(title="Book RFA follow-up", patient=patient, assignee_role="front_desk", source="protocol")
    clinical = task_create(title="Review MRI", patient=patient, assignee_provider=anesthesiologist)
    assert desk_task.care_plan == plan  # attached by the service, as for every task
    client = admin_client(front_desk_user)
    listing = client.get(reverse("admin:careplans_task_changelist")).content.decode()
    assert "Book RFA follow-up" in listing and "Review MRI" not in listing
    page = client.get(change_url("task", desk_task.pk))
    assert page.status_code == 200
    html = page.content.decode()
    assert "Book RFA follow-up" in html and "Lumbar radiculopathy" not in html
    assert client.get(change_url("task", clinical.pk)).status_code == 302  # not found: back to the admin index
    # A clinician sees the plan it belongs to.
    assert "Lumbar radiculopathy" in admin_client(anesthesiologist.user).get(change_url("task", clinical.pk)).content.decode()


def test_admin_refuses_to_move_a_clinical_task_to_the_front_desk(anesthesiologist, plan):
    task = task_create(title="Review MRI", patient=plan.patient, assignee_provider=anesthesiologist)
    response = admin_client(anesthesiologist.user).post(
        change_url("task", task.pk), {"assignee_provider": "", "assignee_role": "front_desk"}
    )
    assert response.status_code == 200 and "A clinical task cannot go to the front desk" in response.content.decode()
    task.refresh_from_db()
    assert task.assignee_provider == anesthesiologist


def test_every_care_plan_admin_page_opens_for_a_clinician_on_the_team(anesthesiologist, plan, physical_therapist):
    """Add and change pages render (read-only where nothing may change) for a clinician of the
    patient: none answers 500."""
    task = task_create(title="Review MRI", patient=plan.patient, assignee_provider=anesthesiologist)
    rows = {
        "careplan": plan,
        "problem": Problem.objects.create(care_plan=plan, code="M54.16", text="Radiculopathy"),
        "goal": Goal.objects.create(care_plan=plan, description="Walk 30 minutes"),
        "careteammember": plan.team.first(),
        "activity": Activity.objects.create(care_plan=plan, title="PT", discipline=physical_therapist.discipline, kind="education"),
        "teamnote": TeamNote.objects.create(care_plan=plan, author=anesthesiologist.user, text="MDT", at=task.created_at),
        "task": task,
    }
    client = admin_client(anesthesiologist.user)
    for model, row in rows.items():
        assert client.get(add_url(model)).status_code == 200, model
        assert client.get(change_url(model, row.pk)).status_code == 200, model


def test_front_desk_hands_its_task_to_a_clinician_through_task_reassign(front_desk_user, physical_therapist, plan):
    task = task_create(title="Patient asks about exercises", patient=plan.patient, assignee_role="front_desk", source="inbound_sms")
    response = admin_client(front_desk_user).post(
        change_url("task", task.pk), {"assignee_provider": physical_therapist.pk, "assignee_role": "", "reason": "exercise question"}
    )
    assert response.status_code == 302
    event = TaskEvent.objects.get(task=task, action="reassigned")
    assert event.by == front_desk_user and "exercise question" in event.detail
