"""Care-plan, goal and activity status: one transition function each, each change an event."""

import pytest

from careplans.models import Activity, CarePlanEvent, CareTeamMember, Goal
from careplans.services import (
    activity_add,
    activity_link_appointment,
    activity_set_status,
    careplan_activate,
    careplan_create,
    careplan_hold,
    careplan_revoke,
    goal_add,
    goal_set_achievement,
    problem_add,
    task_create,
    team_member_add,
)
from careplans.services.plans import activity_record_progress
from core import access
from core.access import Kind
from core.errors import IllegalTransition, NotFound, PermissionDenied, ValidationFailed
from tests.careplans.conftest import local
from tests.careplans.test_workspace import _appointment
from tests.factories import CarePlanFactory, CareTeamMemberFactory, PatientFactory

pytestmark = pytest.mark.django_db


def events(plan):
    return list(CarePlanEvent.objects.filter(care_plan=plan).values_list("subject", "from_status", "to_status", "reason"))


def test_care_plan_status_changes_are_each_an_event(anesthesiologist):
    patient = PatientFactory()
    plan = careplan_create(patient=patient, title="Neck pain plan")
    # Status changes are clinical writes: the clinician making them is on the plan's team.
    CareTeamMemberFactory(care_plan=plan, provider=anesthesiologist, role=CareTeamMember.Role.LEAD_PHYSICIAN)
    plan = careplan_activate(care_plan=plan, by=anesthesiologist.user)
    plan = careplan_hold(care_plan=plan, reason="surgery first", by=anesthesiologist.user)
    with pytest.raises(IllegalTransition):
        careplan_activate(care_plan=careplan_revoke(care_plan=plan, reason="moved away"))
    assert events(plan) == [
        ("careplan", "", "draft", "created"),
        ("careplan", "draft", "active", ""),
        ("careplan", "active", "on-hold", "surgery first"),
        ("careplan", "on-hold", "revoked", "moved away"),
    ]
    assert CarePlanEvent.objects.filter(care_plan=plan, by=anesthesiologist.user).count() == 2


def test_an_off_team_clinician_cannot_change_a_plans_status(plan, dietitian):
    with pytest.raises(NotFound):
        careplan_hold(care_plan=plan, reason="not mine", by=dietitian.user)
    plan.refresh_from_db()
    assert plan.status == "active"


def test_goal_achievement_changes_through_one_function_with_an_event(plan, anesthesiologist):
    goal = goal_add(care_plan=plan, description="Walk 30 minutes")
    goal_set_achievement(goal=goal, status=Goal.Achievement.IMPROVING, by=anesthesiologist.user, reason="walks 20")
    goal_set_achievement(goal=goal, status=Goal.Achievement.IMPROVING)  # no change, no event
    with pytest.raises(ValidationFailed):
        goal_set_achievement(goal=goal, status="great")
    assert events(plan) == [("goal", "in-progress", "improving", "walks 20")]


def test_activity_status_is_checked_and_recorded_including_progress_from_visits(plan, physical_therapist):
    activity = activity_add(care_plan=plan, title="PT", discipline=physical_therapist.discipline, kind="visit_series", planned_count=2)
    activity_record_progress(activity=activity, done=1)
    activity_record_progress(activity=activity, done=2)
    activity.refresh_from_db()
    assert activity.status == Activity.Status.COMPLETED
    with pytest.raises(IllegalTransition):
        activity_set_status(activity=activity, status=Activity.Status.IN_PROGRESS)
    assert activity_record_progress(activity=activity, done=1).status == Activity.Status.COMPLETED  # final stays
    assert events(plan) == [
        ("activity", "not-started", "in-progress", "1 of 2 done"),
        ("activity", "in-progress", "completed", "2 of 2 done"),
    ]


def test_linking_a_booking_schedules_the_activity_with_an_event(plan, working_anesthesiologist, esi):
    activity = activity_add(care_plan=plan, title="ESI", discipline=working_anesthesiologist.discipline, kind="procedure")
    appointment = _appointment(plan.patient, working_anesthesiologist, esi, local(3))
    activity_link_appointment(activity=activity, appointment=appointment)
    activity_link_appointment(activity=activity, appointment=appointment)  # idempotent
    assert events(plan) == [("activity", "not-started", "scheduled", f"appointment #{appointment.pk} booked")]


def test_problem_add_refuses_a_code_that_is_not_icd10(plan):
    with pytest.raises(ValidationFailed) as refused:
        problem_add(care_plan=plan, code="BANANA", text="x")
    assert "code" in refused.value.field_errors


def test_nobody_joins_the_care_team_of_a_patient_they_may_not_see(plan, dietitian, anesthesiologist):
    with pytest.raises(NotFound):
        team_member_add(care_plan=plan, role="dietitian", provider=dietitian, by=dietitian.user)
    member = team_member_add(care_plan=plan, role="dietitian", provider=dietitian, by=anesthesiologist.user)
    assert member.provider == dietitian


def test_alert_access_does_not_let_a_clinician_join_the_care_team(physical_therapist):
    plan = CarePlanFactory()
    task_create(title="Fall at home", patient=plan.patient, assignee_role="physical_therapy", priority="stat")
    assert plan.patient in access.patients(physical_therapist.user, Kind.CLINICAL)  # may look while the task is open
    with pytest.raises(PermissionDenied):
        team_member_add(care_plan=plan, role="physical_therapist", provider=physical_therapist, by=physical_therapist.user)
    assert not plan.team.exists()
