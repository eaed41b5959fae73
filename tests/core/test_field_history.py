"""Field history by trigger (django-pghistory): who changed what, from what, to what, for
patients, consent, appointments, care plans and their parts, tasks, notes and questionnaire
responses, with the acting user and the request id of the audit row (issue 9)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from careplans.services import task_create
from clinic.models import Patient
from core.models import AuditEvent
from history.models import TRACKED, PatientHistory, TaskHistory
from tests.factories import CarePlanFactory, CareTeamMemberFactory, PatientFactory, sign_in

pytestmark = pytest.mark.django_db


def test_every_record_the_issue_names_is_tracked():
    names = {model._meta.label for model in TRACKED}
    assert names == {
        "clinic.Patient",
        "clinic.ConsentEvent",
        "scheduling.Appointment",
        "careplans.CarePlan",
        "careplans.Problem",
        "careplans.Goal",
        "careplans.CareTeamMember",
        "careplans.Activity",
        "careplans.Task",
        "careplans.TeamNote",
        "careplans.QuestionnaireResponse",
        # Prior authorization (issue 12): the request and its lines, as the payer saw them.
        "authorizations.Authorization",
        "authorizations.AuthorizationLine",
    }


def test_a_raw_update_is_recorded_with_the_values_before_and_after():
    patient = PatientFactory(first_name="Ana")
    Patient.objects.filter(pk=patient.pk).update(first_name="Anna")  # no save(), no signal: the trigger sees it
    snapshots = list(PatientHistory.objects.filter(pgh_obj=patient).order_by("pgh_id").values_list("pgh_label", "first_name"))
    assert snapshots == [("insert", "Ana"), ("update", "Anna")]


def test_a_change_through_the_workspace_names_who_and_the_request(anesthesiologist):
    patient = PatientFactory()
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=patient), provider=anesthesiologist)
    task = task_create(title="Call the patient", patient=patient, assignee_provider=anesthesiologist)
    client = Client()
    sign_in(client, anesthesiologist.user)
    response = client.post(
        reverse("workspace:task-action", args=[task.pk, "cancel"]), {"reason": "duplicate"}, HTTP_X_REQUEST_ID="req-cancel-1"
    )
    assert response.status_code == 302
    change = TaskHistory.objects.filter(pgh_obj=task, pgh_label="update").select_related("pgh_context").get()
    assert change.status == "cancelled"
    before = TaskHistory.objects.filter(pgh_obj=task, pgh_label="insert").get()
    assert before.status == "requested"
    context = change.pgh_context.metadata
    assert context["user"] == anesthesiologist.user.pk and context["request_id"] == "req-cancel-1"
    assert context["url"] == reverse("workspace:task-action", args=[task.pk, "cancel"])
    assert AuditEvent.objects.get(action="change").request_id == "req-cancel-1"


def test_reads_leave_no_history(front_desk_user, api_for):
    patient = PatientFactory()
    assert api_for(front_desk_user).get(f"/api/v1/patients/{patient.pk}/").status_code == 200
    assert PatientHistory.objects.filter(pgh_obj=patient).count() == 1  # its insert only
