import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careplans.models import Activity, CarePlan, Goal, Problem, Task
from careplans.services import task_create
from tests.factories import CarePlanFactory, CareTeamMemberFactory, PatientFactory, TaskFactory

pytestmark = pytest.mark.django_db


def test_get_careplans_nests_problems_goals_team_and_activities(api_for, anesthesiologist, plan, physical_therapist):
    Problem.objects.create(care_plan=plan, code="M54.16", text="Radiculopathy, lumbar region")
    Goal.objects.create(care_plan=plan, description="Average pain (PEG) ≤ 4", measure="PEG", target_comparator="<=", target_value=4)
    Activity.objects.create(
        care_plan=plan, title="PT", discipline=physical_therapist.discipline, kind="visit_series", planned_count=12, per_week=2, weeks=6
    )
    body = api_for(anesthesiologist.user).get(f"/api/v1/careplans/?patient={plan.patient_id}").json()
    [item] = body["results"]
    assert item["problems"][0]["code"] == "M54.16"
    assert item["goals"][0]["target_value"] == "4.00"
    assert {m["role"] for m in item["team"]} == {"lead_physician", "psychologist", "physical_therapist"}
    assert item["activities"][0] | {} == item["activities"][0] and (item["activities"][0]["done"], item["activities"][0]["planned"]) == (
        0,
        12,
    )


def test_post_careplan_creates_for_a_visible_patient(api_for, coordinator_user):
    patient = PatientFactory()
    # The coordinator coordinates the patient's earlier plan: that care team is their grant.
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=patient), provider=None, user=coordinator_user, role="care_coordinator")
    response = api_for(coordinator_user).post("/api/v1/careplans/", {"patient": patient.pk, "title": "CSF leak recovery"}, format="json")
    assert response.status_code == 201, response.json()
    assert response.json()["status"] == "draft" and response.json()["goals"] == []
    assert api_for(coordinator_user).post("/api/v1/careplans/", {"patient": patient.pk}, format="json").status_code == 400


def test_post_careplan_for_a_patient_outside_the_coordinators_care_is_404(api_for, coordinator_user):
    stranger = PatientFactory()
    response = api_for(coordinator_user).post("/api/v1/careplans/", {"patient": stranger.pk, "title": "x"}, format="json")
    assert response.status_code == 404
    assert not CarePlan.objects.filter(patient=stranger).exists()


def test_front_desk_and_outsiders_are_refused_clinical_content(api_for, front_desk_user, outsider_user, plan):
    desk = api_for(front_desk_user)
    assert desk.get(f"/api/v1/careplans/?patient={plan.patient_id}").status_code == 403
    assert desk.post("/api/v1/careplans/", {"patient": plan.patient_id, "title": "x"}, format="json").status_code == 403
    answers = {"patient": plan.patient_id, "questionnaire": "NRS", "answers": [5]}
    assert desk.post("/api/v1/questionnaire-responses/", answers, format="json").status_code == 403
    assert api_for(outsider_user).get("/api/v1/careplans/").status_code == 403
    assert api_for(outsider_user).get("/api/v1/tasks/").json()["results"] == []


def test_provider_sees_only_their_care_team_patients(api_for, anesthesiologist, plan, dietitian):
    other = CarePlanFactory()
    CareTeamMemberFactory(care_plan=other, provider=dietitian)
    assert [p["id"] for p in api_for(anesthesiologist.user).get("/api/v1/careplans/").json()["results"]] == [plan.pk]
    response = api_for(anesthesiologist.user).post(
        "/api/v1/questionnaire-responses/", {"patient": other.patient_id, "questionnaire": "NRS", "answers": [5]}, format="json"
    )
    assert response.status_code == 404


def test_task_list_contract_and_filters(api_for, coordinator_user, plan, anesthesiologist):
    CareTeamMemberFactory(care_plan=plan, provider=None, user=coordinator_user, role="care_coordinator")
    mine = task_create(title="Review MRI", patient=plan.patient, assignee_provider=anesthesiologist, priority="urgent")
    TaskFactory(title="Other")
    client = api_for(coordinator_user)
    [row] = client.get(f"/api/v1/tasks/?patient={plan.patient_id}").json()["results"]
    assert set(row) >= {"id", "title", "status", "priority", "due", "patient", "source"}
    assert (row["id"], row["priority"], row["patient"], row["source"]) == (mine.pk, "urgent", plan.patient_id, "manual")
    assert len(client.get(f"/api/v1/tasks/?assignee={anesthesiologist.pk}&status=requested").json()["results"]) == 1
    assert client.get(f"/api/v1/tasks/?assignee={anesthesiologist.pk}&status=completed").json()["results"] == []
    assert client.get("/api/v1/tasks/?status=bogus").status_code == 400
    assert client.get("/api/v1/tasks/?patient=abc").status_code == 400


def test_front_desk_sees_only_its_queue(api_for, front_desk_user, plan):
    task_create(title="Patient replied by SMS", patient=plan.patient, assignee_role="front_desk", source="inbound_sms")
    task_create(title="CSF-leak check", patient=plan.patient, assignee_role="anesthesiology")
    rows = api_for(front_desk_user).get("/api/v1/tasks/").json()["results"]
    assert [r["title"] for r in rows] == ["Patient replied by SMS"]


def test_task_actions_and_illegal_transition_is_409(api_for, anesthesiologist, plan, front_desk_user):
    task = task_create(title="Call", patient=plan.patient, assignee_role="anesthesiology")
    client = api_for(anesthesiologist.user)
    assert client.post(f"/api/v1/tasks/{task.pk}/accept/").json()["status"] == "accepted"
    assert client.post(f"/api/v1/tasks/{task.pk}/complete/").json()["status"] == "completed"
    conflict = client.post(f"/api/v1/tasks/{task.pk}/cancel/")
    assert conflict.status_code == 409 and conflict.json()["code"] == "illegal_transition"
    assert client.post(f"/api/v1/tasks/{task.pk}/accept/").status_code == 409
    assert client.post("/api/v1/tasks/999999/accept/").status_code == 404
    # the front desk cannot touch a clinical task it cannot see
    other = task_create(title="Review", patient=plan.patient, assignee_role="anesthesiology")
    assert api_for(front_desk_user).post(f"/api/v1/tasks/{other.pk}/cancel/").status_code == 404


@pytest.mark.parametrize(
    "questionnaire,answers,score,severity",
    [
        ("NRS", [7], 7, None),
        ("PEG", [5, 6, 6], 5.67, None),
        ("ODI", [2] * 10, 40, "moderate"),
        ("ODI", [3, 3, 3, 3, 3, 3, 3, None, 3, 3], 60, "severe"),
        ("PHQ-9", [2, 2, 2, 2, 1, 1, 0, 0, 0], 10, "moderate"),
        ("GAD-7", [3] * 7, 21, "severe"),
    ],
)
def test_questionnaire_response_is_scored(api_for, anesthesiologist, plan, questionnaire, answers, score, severity):
    response = api_for(anesthesiologist.user).post(
        "/api/v1/questionnaire-responses/", {"patient": plan.patient_id, "questionnaire": questionnaire, "answers": answers}, format="json"
    )
    assert response.status_code == 201, response.json()
    assert response.json()["score"] == score and response.json()["severity"] == severity


@pytest.mark.parametrize(
    "payload,field",
    [
        ({"questionnaire": "PEG", "answers": [1, 2]}, "answers"),
        ({"questionnaire": "NRS", "answers": [11]}, "answers"),
        ({"questionnaire": "GAD-7", "answers": [0, 0, 0, 0, 0, 0, -1]}, "answers"),
        ({"questionnaire": "GAD-7", "answers": ["a"] * 7}, "answers"),
        ({"questionnaire": "GAD-7", "answers": "0000000"}, "answers"),
        ({"questionnaire": "GAD-7", "answers": []}, "answers"),
        ({"questionnaire": "BDI", "answers": [1]}, "questionnaire"),
        ({"questionnaire": "NRS"}, "answers"),
        ({"questionnaire": "NRS", "answers": [1], "patient": "x"}, "patient"),
    ],
)
def test_bad_questionnaire_input_is_400_with_field_messages(api_for, anesthesiologist, plan, payload, field):
    response = api_for(anesthesiologist.user).post(
        "/api/v1/questionnaire-responses/", {"patient": plan.patient_id, **payload}, format="json"
    )
    assert response.status_code == 400
    assert field in response.json()


def test_phq9_item_9_over_the_api_creates_a_stat_task(api_for, anesthesiologist, plan, psychologist):
    api_for(anesthesiologist.user).post(
        "/api/v1/questionnaire-responses/", {"patient": plan.patient_id, "questionnaire": "PHQ-9", "answers": [0] * 8 + [1]}, format="json"
    )
    assert Task.objects.get(priority="stat").assignee_provider == psychologist


def _count(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx)


def test_list_query_counts_do_not_depend_on_rows(
    api_for, coordinator_user, anesthesiologist, physical_therapist, django_assert_max_num_queries
):
    client = api_for(coordinator_user)

    def add_plans(n):
        for _ in range(n):
            plan = CarePlanFactory()
            CareTeamMemberFactory(care_plan=plan, provider=anesthesiologist)
            Goal.objects.create(care_plan=plan, description="Walk 30 minutes")
            Problem.objects.create(care_plan=plan, code="M47.816", text="Spondylosis")
            Activity.objects.create(care_plan=plan, title="PT", discipline=physical_therapist.discipline, kind="visit_series")
            task_create(title="t", patient=plan.patient, assignee_provider=anesthesiologist)

    add_plans(2)
    client.get("/api/v1/careplans/")  # warm per-process caches (content types, permissions)
    few = (_count(client, "/api/v1/careplans/"), _count(client, "/api/v1/tasks/"))
    add_plans(25)
    many = (_count(client, "/api/v1/careplans/?page_size=100"), _count(client, "/api/v1/tasks/?page_size=100"))
    assert few == many
    with django_assert_max_num_queries(10):
        client.get("/api/v1/careplans/?page_size=100")
    with django_assert_max_num_queries(6):
        client.get("/api/v1/tasks/?page_size=100")


def test_task_action_with_a_non_object_body_is_400_not_500(api_for, coordinator_user):
    # An open task in the coordinator queue is the coordinator's grant on the patient.
    task = task_create(title="Call", patient=PatientFactory(), assignee_role="care_coordinator")
    response = api_for(coordinator_user).post(f"/api/v1/tasks/{task.pk}/complete/", [1, 2], format="json")
    assert response.status_code == 400 and "body" in response.json()
    task.refresh_from_db()
    assert task.status == "requested"
    long_note = api_for(coordinator_user).post(f"/api/v1/tasks/{task.pk}/cancel/", {"reason": "x" * 400}, format="json")
    assert long_note.status_code == 400
