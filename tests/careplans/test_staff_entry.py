"""Staff who act for a patient (answers read out on the phone) do it through a staff form that
records who entered them (issue 9: a PEG was once submitted through the patient's own link by a
staff member, and recorded as the patient's own answer)."""

from __future__ import annotations

import datetime

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from careplans.models import CareTeamMember, QuestionnaireRequest, QuestionnaireResponse, Task
from careplans.services import break_glass_open, questionnaire_answer_for_patient, questionnaire_link_for, questionnaire_request_create
from core.errors import Conflict, NotFound, PermissionDenied
from tests.factories import sign_in

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


@pytest.fixture
def peg_request(plan):
    return questionnaire_request_create(
        patient=plan.patient, questionnaire="PEG", due_at=timezone.now() - datetime.timedelta(hours=1), dedupe_key="peg-2w", care_plan=plan
    )


@pytest.fixture
def on_team(plan, anesthesiologist):
    return anesthesiologist.user


PEG = {"item0": "6", "item1": "5", "item2": "4", "confirm_read_out": "1"}


def test_a_clinician_enters_the_patients_answers_and_is_recorded_as_having_entered_them(on_team, peg_request):
    client = login(on_team)
    page = reverse("workspace:patient", args=[peg_request.patient_id])
    assert reverse("workspace:questionnaire-enter", args=[peg_request.pk]) in client.get(page).content.decode()
    form = client.get(reverse("workspace:questionnaire-enter", args=[peg_request.pk]))
    assert form.status_code == 200 and "The patient gave me these answers themselves" in form.content.decode()

    response = client.post(reverse("workspace:questionnaire-enter", args=[peg_request.pk]), PEG)
    assert response.status_code == 302
    answer = QuestionnaireResponse.objects.get()
    assert (answer.source, answer.entered_by, answer.request_id, answer.answers) == (
        QuestionnaireResponse.Source.ON_BEHALF,
        on_team,
        peg_request.pk,
        [6, 5, 4],
    )
    peg_request.refresh_from_db()
    assert peg_request.answered_at is not None  # the patient's link is used up: no second answer
    timeline = client.get(page).content.decode()
    assert "PEG 5" in timeline and f"entered by {on_team.provider.display_name} for the patient" in timeline


def test_the_patients_own_link_records_nobody_as_entering_it(peg_request):
    token_path = questionnaire_link_for(peg_request)
    response = Client().post(token_path, {"item0": "6", "item1": "5", "item2": "4"})
    assert response.status_code == 200
    answer = QuestionnaireResponse.objects.get()
    assert (answer.source, answer.entered_by) == (QuestionnaireResponse.Source.LINK, None)
    assert answer.entered_by_display == ""


def test_the_database_refuses_a_link_answer_with_a_staff_member_on_it(on_team, peg_request):
    with pytest.raises(IntegrityError), transaction.atomic():
        QuestionnaireResponse.objects.create(
            patient=peg_request.patient,
            questionnaire="NRS",
            answers=[3],
            score=3,
            answered_at=timezone.now(),
            source="link",
            entered_by=on_team,
        )


def test_without_confirming_the_patient_gave_the_answers_nothing_is_stored(on_team, peg_request):
    response = login(on_team).post(reverse("workspace:questionnaire-enter", args=[peg_request.pk]), {**PEG, "confirm_read_out": ""})
    assert response.status_code == 400
    assert "Confirm that the patient gave you these answers" in response.content.decode()
    assert not QuestionnaireResponse.objects.exists()


def test_out_of_range_answers_show_the_form_again(on_team, peg_request):
    response = login(on_team).post(reverse("workspace:questionnaire-enter", args=[peg_request.pk]), {**PEG, "item0": "11"})
    assert response.status_code == 400
    assert not QuestionnaireResponse.objects.exists()


def test_a_coordinator_is_named_by_their_own_name(coordinator_user, plan, peg_request):
    coordinator_user.first_name, coordinator_user.last_name = "Maya", "Lindqvist"
    coordinator_user.save()
    CareTeamMember.objects.create(care_plan=plan, user=coordinator_user, role=CareTeamMember.Role.CARE_COORDINATOR)
    answer = questionnaire_answer_for_patient(request_id=peg_request.pk, answers=[6, 5, 4], by=coordinator_user)
    assert answer.entered_by_display == "entered by Maya Lindqvist for the patient"


def test_a_phq9_entered_for_the_patient_raises_the_same_alert_as_the_link(on_team, plan):
    request = questionnaire_request_create(patient=plan.patient, questionnaire="PHQ-9", due_at=timezone.now(), dedupe_key="phq")
    questionnaire_answer_for_patient(request_id=request.pk, answers=[1, 1, 1, 1, 1, 1, 1, 1, 2], by=on_team)
    assert Task.objects.filter(source=Task.Source.QUESTIONNAIRE, priority=Task.Priority.STAT, patient=plan.patient).exists()


@pytest.mark.parametrize("persona", ["front_desk_user", "clinic_admin_user"])
def test_front_desk_and_clinic_admin_are_refused_with_403(persona, peg_request, request):
    user = request.getfixturevalue(persona)
    client = login(user)
    url = reverse("workspace:questionnaire-enter", args=[peg_request.pk])
    assert client.get(url).status_code == 403
    assert client.post(url, PEG).status_code == 403
    with pytest.raises(PermissionDenied):
        questionnaire_answer_for_patient(request_id=peg_request.pk, answers=[6, 5, 4], by=user)
    assert not QuestionnaireResponse.objects.exists()


def test_a_clinician_off_the_team_gets_404_as_for_no_such_questionnaire(dietitian, peg_request):
    client = login(dietitian.user)
    assert client.post(reverse("workspace:questionnaire-enter", args=[peg_request.pk]), PEG).status_code == 404
    assert client.get(reverse("workspace:questionnaire-enter", args=[peg_request.pk + 1000])).status_code == 404
    assert not QuestionnaireResponse.objects.exists()


def test_a_look_only_break_glass_does_not_let_a_clinician_enter_answers(dietitian, peg_request):
    break_glass_open(patient_id=peg_request.patient_id, by=dietitian.user, reason="Patient called the nutrition line in distress.")
    with pytest.raises(PermissionDenied):
        questionnaire_answer_for_patient(request_id=peg_request.pk, answers=[6, 5, 4], by=dietitian.user)


def test_an_answered_or_expired_questionnaire_cannot_be_entered_again(on_team, peg_request):
    questionnaire_answer_for_patient(request_id=peg_request.pk, answers=[6, 5, 4], by=on_team)
    with pytest.raises(Conflict):
        questionnaire_answer_for_patient(request_id=peg_request.pk, answers=[1, 1, 1], by=on_team)
    QuestionnaireRequest.objects.filter(pk=peg_request.pk).update(
        answered_at=None, expires_at=timezone.now() - datetime.timedelta(minutes=1)
    )
    with pytest.raises(Conflict):
        questionnaire_answer_for_patient(request_id=peg_request.pk, answers=[1, 1, 1], by=on_team)
    with pytest.raises(NotFound):
        questionnaire_answer_for_patient(request_id="x", answers=[1], by=on_team)
