"""Procedure records as versions: relief (with its duration and functional improvement) and
complications, recorded through one service from the API, the workspace, the completion and the
patient's diary; the effective outcome the payer rules read; the CSF-leak check after a dural
puncture, once."""

import datetime

import pytest
from django.test import Client
from django.utils import timezone

from careplans.models import ProcedureRecord, QuestionnaireRequest, Task
from careplans.services import procedure_record_add, questionnaire_response_create
from core.models import AuditEvent
from scheduling.models import Appointment
from scheduling.services import appointment_book, appointment_check_in, appointment_complete, appointment_start
from tests.careplans.conftest import local, procedure_type
from tests.factories import CarePlanFactory, CareTeamMemberFactory, sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture
def mbb(working_anesthesiologist):
    return procedure_type(working_anesthesiologist, "mbb")


@pytest.fixture
def on_team(patient, working_anesthesiologist):
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=patient), provider=working_anesthesiologist)
    return working_anesthesiologist


def _completed(patient, provider, visit_type, capture, *, by=None, relief=None) -> Appointment:
    with capture(execute=True):
        appointment = appointment_book(patient=patient, provider=provider, visit_type=visit_type, start=local(3), region="lumbar")
    with capture(execute=True):
        appointment_check_in(appointment=appointment, now=appointment.start - datetime.timedelta(minutes=10))
        appointment_start(appointment=appointment, by=by)
        appointment_complete(appointment=appointment, by=by, relief_percent=relief)
    return Appointment.objects.get(pk=appointment.pk)


def _url(appointment) -> str:
    return f"/api/v1/appointments/{appointment.pk}/procedure-record/"


@pytest.fixture
def esi_done(patient, on_team, esi, eager_celery, django_capture_on_commit_callbacks):
    return _completed(patient, on_team, esi, django_capture_on_commit_callbacks)


# --- the API ------------------------------------------------------------------------------------


def test_each_post_is_a_new_version_and_the_latest_is_what_get_and_the_payer_rules_read(esi_done, on_team, api_for):
    api = api_for(on_team.user)
    first = api.post(
        _url(esi_done), {"relief_percent": 40, "relief_weeks": 2, "functional_improvement": False, "note": "early"}, format="json"
    )
    assert first.status_code == 201, first.content
    body = first.json()
    assert {
        k: body[k] for k in ("version", "recorded_by", "relief_percent", "relief_weeks", "functional_improvement", "complications")
    } == {
        "version": 1,
        "recorded_by": on_team.user.pk,
        "relief_percent": 40,
        "relief_weeks": 2,
        "functional_improvement": False,
        "complications": [],
    }
    assert body["id"] and body["recorded_at"] and body["note"] == "early" and body["source"] == "provider"
    # A correction after completion: the later value replaces the first (the first used to win).
    second = api.post(_url(esi_done), {"relief_percent": 85, "relief_weeks": 14, "functional_improvement": True}, format="json")
    assert second.status_code == 201 and second.json()["version"] == 2
    latest = api.get(_url(esi_done))
    assert latest.status_code == 200
    assert latest.json()["version"] == 2 and latest.json()["relief_percent"] == 85
    esi_done.refresh_from_db()
    assert (esi_done.relief_percent, esi_done.relief_weeks, esi_done.functional_improvement) == (85, 14, True)
    assert list(ProcedureRecord.objects.filter(appointment=esi_done).values_list("version", "relief_percent")) == [(2, 85), (1, 40)]
    assert AuditEvent.objects.filter(action="create", object_type="careplans.procedurerecord", patients=[esi_done.patient_id]).count() == 2


def test_get_before_anything_is_recorded_is_404(esi_done, on_team, api_for):
    assert api_for(on_team.user).get(_url(esi_done)).status_code == 404


@pytest.mark.parametrize(
    "persona,status",
    [("front_desk_user", 403), ("clinic_admin_user", 403), ("physical_therapist", 404)],
)
def test_procedure_record_is_refused_to_who_may_not_write_it(persona, status, esi_done, api_for, request):
    who = request.getfixturevalue(persona)
    user = getattr(who, "user", who)
    api = api_for(user)
    assert api.post(_url(esi_done), {"relief_percent": 90, "complications": ["dural_puncture"]}, format="json").status_code == status
    assert api.get(_url(esi_done)).status_code == status
    assert not ProcedureRecord.objects.exists()
    assert Appointment.objects.get(pk=esi_done.pk).relief_percent is None


def test_unknown_appointment_is_404_for_a_provider_and_403_for_the_front_desk(on_team, front_desk_user, api_for):
    assert api_for(on_team.user).post("/api/v1/appointments/999999/procedure-record/", {}, format="json").status_code == 404
    assert api_for(front_desk_user).post("/api/v1/appointments/999999/procedure-record/", {}, format="json").status_code == 403


@pytest.mark.parametrize(
    "body,field",
    [
        ({"relief_percent": 101}, "relief_percent"),
        ({"relief_percent": -1}, "relief_percent"),
        ({"relief_weeks": 999}, "relief_weeks"),
        ({"functional_improvement": "maybe"}, "functional_improvement"),
        ({"complications": ["banana"]}, "complications"),
        ({"complications": "dural_puncture"}, "complications"),
        ({"note": "bad\x00byte"}, "note"),
    ],
)
def test_bad_input_is_400_with_the_field_named_and_nothing_stored(body, field, esi_done, on_team, api_for):
    response = api_for(on_team.user).post(_url(esi_done), body, format="json")
    assert response.status_code == 400
    assert field in str(response.json())
    assert not ProcedureRecord.objects.exists()


def test_a_body_that_is_not_an_object_is_400(esi_done, on_team, api_for):
    assert api_for(on_team.user).post(_url(esi_done), [1, 2], format="json").status_code == 400


def test_the_endpoint_reads_a_fixed_number_of_queries(esi_done, on_team, api_for, django_assert_max_num_queries):
    api = api_for(on_team.user)
    for relief in (10, 20, 30):
        api.post(_url(esi_done), {"relief_percent": relief}, format="json")
    with django_assert_max_num_queries(12):
        assert api.get(_url(esi_done)).json()["version"] == 3


# --- complications ------------------------------------------------------------------------------


def test_dural_puncture_posted_twice_creates_one_csf_leak_check_for_anesthesiology_within_24_hours(esi_done, on_team, api_for):
    api = api_for(on_team.user)
    before = timezone.now()
    for _ in range(2):  # no on-commit callbacks run: the task exists in the recording transaction
        assert api.post(_url(esi_done), {"complications": ["dural_puncture"]}, format="json").status_code == 201
    checks = Task.objects.filter(appointment=esi_done, title__startswith="CSF-leak")
    assert checks.count() == 1
    check = checks.get()
    assert check.assignee_role == "anesthesiology" and check.assignee_provider_id is None and check.priority == "urgent"
    assert check.due <= max(esi_done.completed_at, before) + datetime.timedelta(hours=24)
    assert ProcedureRecord.objects.filter(appointment=esi_done).count() == 2


def test_a_relief_only_entry_keeps_the_complications_recorded_before(esi_done, on_team, api_for):
    api = api_for(on_team.user)
    api.post(_url(esi_done), {"complications": ["dural_puncture"], "note": "wet tap at L4-5"}, format="json")
    later = api.post(_url(esi_done), {"relief_percent": 60}, format="json").json()
    assert later["complications"] == ["dural_puncture"]
    cleared = api.post(_url(esi_done), {"complications": []}, format="json").json()
    assert cleared["complications"] == [] and cleared["version"] == 3


def test_a_complication_recorded_before_completion_runs_its_steps_at_completion(
    patient, on_team, esi, eager_celery, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        appointment = appointment_book(patient=patient, provider=on_team, visit_type=esi, start=local(3), region="lumbar")
    with django_capture_on_commit_callbacks(execute=True):
        appointment_check_in(appointment=appointment, now=appointment.start - datetime.timedelta(minutes=10))
        appointment_start(appointment=appointment, by=on_team.user)
        procedure_record_add(appointment=appointment, complications=["dural_puncture"], by=on_team.user)
    assert not Task.objects.filter(title__startswith="CSF-leak").exists()
    with django_capture_on_commit_callbacks(execute=True):
        appointment_complete(appointment=appointment, by=on_team.user)
    assert Task.objects.filter(appointment=appointment, title__startswith="CSF-leak").count() == 1


# --- completion, questionnaires, the diary ----------------------------------------------------


def test_relief_sent_with_completion_is_a_provider_version_by_the_completing_user(
    patient, on_team, esi, eager_celery, django_capture_on_commit_callbacks
):
    appointment = _completed(patient, on_team, esi, django_capture_on_commit_callbacks, by=on_team.user, relief=70)
    record = ProcedureRecord.objects.get(appointment=appointment)
    assert (record.version, record.source, record.relief_percent, record.recorded_by) == (1, "provider", 70, on_team.user)
    assert appointment.relief_percent == 70


def test_front_desk_cannot_start_or_complete_a_procedure_visit(esi, patient, on_team, front_desk_user, api_for):
    appointment = appointment_book(patient=patient, provider=on_team, visit_type=esi, start=local(3), region="lumbar")
    appointment_check_in(appointment=appointment, now=appointment.start - datetime.timedelta(minutes=10))
    api = api_for(front_desk_user)
    assert api.post(f"/api/v1/appointments/{appointment.pk}/start/", {}, format="json").status_code == 403
    appointment_start(appointment=appointment, by=on_team.user)
    assert api.post(f"/api/v1/appointments/{appointment.pk}/complete/", {"relief_percent": 80}, format="json").status_code == 403
    assert Appointment.objects.get(pk=appointment.pk).status == "in-progress"


def _answer_diary(appointment, answers):
    request = QuestionnaireRequest.objects.get(appointment=appointment, questionnaire="DIARY")
    return questionnaire_response_create(patient=appointment.patient, questionnaire="DIARY", answers=answers, request=request)


DIARY_8_TO_1 = [8, 6, 3, 2, 1, 1, 2, 4, 6, 7, 8, None, None]  # before: 8, lowest after: 1 → 88 %


def test_the_block_diary_computes_peak_relief_which_the_rfa_rule_reads(
    patient, on_team, mbb, eager_celery, django_capture_on_commit_callbacks
):
    appointment = _completed(patient, on_team, mbb, django_capture_on_commit_callbacks)
    request = QuestionnaireRequest.objects.get(appointment=appointment, questionnaire="DIARY")
    assert request.due_at == appointment.completed_at + datetime.timedelta(hours=10)
    response = _answer_diary(appointment, DIARY_8_TO_1)
    assert response.score == 88
    record = ProcedureRecord.objects.get(appointment=appointment)
    assert (record.source, record.relief_percent, record.recorded_by, record.questionnaire_response) == ("diary", 88, None, response)
    assert Appointment.objects.get(pk=appointment.pk).relief_percent == 88


def test_a_providers_relief_wins_over_the_diary_and_both_are_kept(
    patient, on_team, mbb, eager_celery, django_capture_on_commit_callbacks, api_for
):
    appointment = _completed(patient, on_team, mbb, django_capture_on_commit_callbacks)
    api_for(on_team.user).post(_url(appointment), {"relief_percent": 60}, format="json")
    _answer_diary(appointment, DIARY_8_TO_1)  # the diary arrives after the provider's entry
    assert list(ProcedureRecord.objects.filter(appointment=appointment).values_list("version", "source", "relief_percent")) == [
        (2, "diary", 88),
        (1, "provider", 60),
    ]
    assert Appointment.objects.get(pk=appointment.pk).relief_percent == 60
    assert api_for(on_team.user).get(_url(appointment)).json()["effective"]["relief_percent"] == 60


def test_a_patients_questionnaire_relief_is_kept_and_a_provider_correction_replaces_it(esi_done, on_team, patient, api_for):
    questionnaire_response_create(patient=patient, questionnaire="PEG", answers=[3, 3, 3], relief_percent=30, appointment=esi_done)
    assert Appointment.objects.get(pk=esi_done.pk).relief_percent == 30
    api_for(on_team.user).post(_url(esi_done), {"relief_percent": 55}, format="json")
    questionnaire_response_create(patient=patient, questionnaire="PEG", answers=[3, 3, 3], relief_percent=20, appointment=esi_done)
    assert Appointment.objects.get(pk=esi_done.pk).relief_percent == 55
    assert list(ProcedureRecord.objects.filter(appointment=esi_done).values_list("source", flat=True)) == ["patient", "provider", "patient"]


# --- the workspace -----------------------------------------------------------------------------


def _browser(user) -> Client:
    return sign_in(Client(), user)


def test_workspace_form_records_a_dural_puncture_and_the_csf_leak_check_follows(esi_done, on_team):
    url = f"/workspace/appointments/{esi_done.pk}/procedure-record/"
    browser = _browser(on_team.user)
    page = browser.get(url)
    assert page.status_code == 200 and "Record relief and complications" in page.content.decode()
    response = browser.post(
        url,
        {
            "relief_percent": "75",
            "relief_weeks": "",
            "functional_improvement": "yes",
            "complications_shown": "1",
            "complications": ["dural_puncture"],
            "note": "wet tap",
        },
    )
    assert response.status_code == 302
    record = ProcedureRecord.objects.get(appointment=esi_done)
    assert (record.relief_percent, record.functional_improvement, record.complications, record.recorded_by) == (
        75,
        True,
        ["dural_puncture"],
        on_team.user,
    )
    assert Task.objects.filter(appointment=esi_done, title__startswith="CSF-leak", assignee_role="anesthesiology").count() == 1
    history = browser.get(url).content.decode()
    assert "Inadvertent dural puncture" in history and "wet tap" in history and "Entered by a provider" in history
    patient_page = browser.get(f"/workspace/patients/{esi_done.patient_id}/").content.decode()
    assert f'<a href="{url}">Procedure record</a>' in patient_page and "Inadvertent dural puncture" in patient_page
    # The timeline shows the record as it stands now: a later version without the complication.
    browser.post(url, {"relief_percent": "75", "complications_shown": "1"})
    assert "Inadvertent dural puncture" not in browser.get(f"/workspace/patients/{esi_done.patient_id}/").content.decode()


def test_workspace_form_shows_errors_and_stores_nothing_on_bad_input(esi_done, on_team):
    response = _browser(on_team.user).post(f"/workspace/appointments/{esi_done.pk}/procedure-record/", {"relief_percent": "lots"})
    assert response.status_code == 400 and "Enter a whole number from 0 to 100." in response.content.decode()
    assert not ProcedureRecord.objects.exists()


@pytest.mark.parametrize("persona,status", [("front_desk_user", 403), ("clinic_admin_user", 403), ("physical_therapist", 404)])
def test_workspace_form_is_refused_to_who_may_not_write_it(persona, status, esi_done, request):
    who = request.getfixturevalue(persona)
    browser = _browser(getattr(who, "user", who))
    url = f"/workspace/appointments/{esi_done.pk}/procedure-record/"
    assert browser.get(url).status_code == status
    browser.post(url, {"relief_percent": "80", "complications_shown": "1", "complications": ["dural_puncture"]})
    assert not ProcedureRecord.objects.exists() and not Task.objects.filter(title__startswith="CSF-leak").exists()


def test_the_record_relief_task_offers_the_form_which_records_and_completes_it(
    patient, on_team, mbb, eager_celery, django_capture_on_commit_callbacks
):
    appointment = _completed(patient, on_team, mbb, django_capture_on_commit_callbacks)
    task = Task.objects.get(appointment=appointment, title__startswith="Record % relief")
    assert task.records_relief and task.assignee_role == "anesthesiology"
    browser = _browser(on_team.user)
    page = browser.get(f"/workspace/patients/{patient.pk}/").content.decode()
    assert f'action="/workspace/appointments/{appointment.pk}/procedure-record/"' in page and "Record relief" in page
    response = browser.post(
        f"/workspace/appointments/{appointment.pk}/procedure-record/",
        {"task": str(task.pk), "relief_percent": "85", "next": f"/workspace/patients/{patient.pk}/"},
    )
    assert response.status_code == 302 and response["Location"] == f"/workspace/patients/{patient.pk}/"
    task.refresh_from_db()
    assert task.status == "completed" and task.completed_by == on_team.user
    assert Appointment.objects.get(pk=appointment.pk).relief_percent == 85


def test_the_task_is_not_completed_when_the_record_is_refused(patient, on_team, mbb, eager_celery, django_capture_on_commit_callbacks):
    appointment = _completed(patient, on_team, mbb, django_capture_on_commit_callbacks)
    task = Task.objects.get(appointment=appointment, title__startswith="Record % relief")
    for relief in ("", "120"):
        _browser(on_team.user).post(
            f"/workspace/appointments/{appointment.pk}/procedure-record/", {"task": str(task.pk), "relief_percent": relief}
        )
    task.refresh_from_db()
    assert task.is_open and not ProcedureRecord.objects.exists()


def test_the_form_completes_only_the_record_relief_task_not_another_task_of_the_visit(esi_done, on_team, api_for):
    api_for(on_team.user).post(_url(esi_done), {"complications": ["dural_puncture"]}, format="json")
    csf = Task.objects.get(appointment=esi_done, title__startswith="CSF-leak")
    response = _browser(on_team.user).post(
        f"/workspace/appointments/{esi_done.pk}/procedure-record/", {"task": str(csf.pk), "relief_percent": "80"}
    )
    assert response.status_code == 400 and "Record % relief" in response.content.decode()
    csf.refresh_from_db()
    assert csf.is_open and ProcedureRecord.objects.filter(appointment=esi_done).count() == 1


def test_a_task_parameter_that_is_not_an_ascii_number_is_ignored_not_a_500(esi_done, on_team):
    browser = _browser(on_team.user)
    url = f"/workspace/appointments/{esi_done.pk}/procedure-record/"
    assert browser.get(url + "?task=%C2%B2").status_code == 200
    assert browser.post(url, {"task": "\u00b2", "relief_percent": "70"}).status_code == 302
    assert ProcedureRecord.objects.get(appointment=esi_done).relief_percent == 70
