"""Free text in care plans is checked in the services (core.inputs.text_clean), so one bad value
gets one refusal through every door: the service itself, the API, the admin and the workspace.
A NUL byte used to reach PostgreSQL from the workspace's note form (a 500); an over-long problem
or goal was silently cut."""

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from careplans.models import CarePlan, Goal, Problem, TeamNote
from careplans.services import careplan_create, goal_add, problem_add, team_note_add
from core.errors import ValidationFailed
from core.inputs import NUL_MESSAGE
from tests.factories import sign_in

pytestmark = pytest.mark.django_db

LONG = "x" * 301


def _client(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


# (text, the service's field message, the admin form's message, the workspace's message)
NOTE_CASES = [
    ("Hand-off\x00 to PT", NUL_MESSAGE, NUL_MESSAGE, NUL_MESSAGE),
    ("   ", "Write the note.", "This field is required.", "The note is empty."),
]


@pytest.mark.parametrize(("text", "service_says", "admin_says", "workspace_says"), NOTE_CASES, ids=["nul", "blank"])
@pytest.mark.parametrize("door", ["service", "admin", "workspace"])
def test_a_bad_team_note_is_refused_through_every_door(door, text, service_says, admin_says, workspace_says, anesthesiologist, plan):
    if door == "service":
        with pytest.raises(ValidationFailed) as refused:
            team_note_add(care_plan=plan, author=anesthesiologist.user, text=text)
        assert refused.value.field_errors["text"] == [service_says]
    elif door == "admin":
        response = _client(anesthesiologist.user).post(reverse("admin:careplans_teamnote_add"), {"care_plan": plan.pk, "text": text})
        assert response.status_code == 200  # the form again, with the refusal on it
        assert admin_says in response.content.decode()
    else:
        response = _client(anesthesiologist.user).post(reverse("workspace:team-note", args=[plan.pk]), {"text": text})
        assert response.status_code == 302
        assert [str(m) for m in get_messages(response.wsgi_request)] == [workspace_says]
    assert not TeamNote.objects.filter(care_plan=plan).exists()


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", "Lumbar\x00 plan"), ("title", "x" * 201), ("description", "Plan\x00")],
    ids=["nul-title", "long-title", "nul-description"],
)
@pytest.mark.parametrize("door", ["service", "api", "admin"])
def test_a_bad_care_plan_text_is_refused_through_every_door(door, field, value, anesthesiologist, patient, plan, api_for):
    data = {"patient": patient.pk, "title": "Neck pain plan", "description": "", field: value}
    before = CarePlan.objects.count()
    if door == "service":
        with pytest.raises(ValidationFailed) as refused:
            careplan_create(patient=patient, title=data["title"], description=data["description"], created_by=anesthesiologist.user)
        assert field in refused.value.field_errors
    elif door == "api":
        response = api_for(anesthesiologist.user).post("/api/v1/careplans/", data, format="json")
        assert response.status_code == 400 and field in response.json()
    else:
        response = _client(anesthesiologist.user).post(reverse("admin:careplans_careplan_add"), {**data, "period_start": "2027-01-04"})
        assert response.status_code == 200 and 'class="errorlist' in response.content.decode()
    assert CarePlan.objects.count() == before


def test_over_long_problem_and_goal_text_is_refused_not_cut(plan):
    with pytest.raises(ValidationFailed) as refused:
        problem_add(care_plan=plan, code="M54.16", text="x" * 201)
    assert "text" in refused.value.field_errors
    with pytest.raises(ValidationFailed) as refused:
        goal_add(care_plan=plan, description=LONG)
    assert "description" in refused.value.field_errors
    assert not Problem.objects.filter(care_plan=plan).exists() and not Goal.objects.filter(care_plan=plan).exists()
