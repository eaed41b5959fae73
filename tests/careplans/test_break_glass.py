"""Break-glass (issue 9): a clinician who may not see a patient opens the record by saying why;
the opening and every look under it are audited with its id, the clinic admins are told at once
(a task in their queue, an e-mail through a real SMTP server), and it ends by itself."""

from __future__ import annotations

import datetime
import re
import socket

import pytest
import time_machine
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message as MessageHandler
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from careplans.models import BreakGlass, QuestionnaireResponse, RoleQueue, Task
from careplans.selectors import task_queryset_for_user
from careplans.services import break_glass_notify, break_glass_open, task_create, task_reassign, tasks_escalate_overdue
from core import access
from core.access import Action, Kind
from core.errors import ValidationFailed
from core.models import AuditEvent
from tests.factories import CarePlanFactory, CareTeamMemberFactory, PatientFactory, UserFactory, sign_in

pytestmark = pytest.mark.django_db

REASON = "Seen in recovery with new leg weakness; covering for the lead physician."
T0 = datetime.datetime(2026, 11, 25, 14, 0, tzinfo=datetime.UTC)


def login(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def url(patient_id: int) -> str:
    return f"/api/v1/patients/{patient_id}/break-glass/"


@pytest.fixture
def outside_patient(db):
    """A patient with a care team the clinician is not on."""
    patient = PatientFactory(first_name="Zelinda", last_name="Quarrington")
    CarePlanFactory(patient=patient, title="Lumbar radiculopathy plan")
    return patient


@pytest.fixture
def clinician(anesthesiologist):
    user = anesthesiologist.user
    user.first_name, user.last_name = "Ines", "Okafor"
    user.save()
    return user


def without_csrf(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def view_rows(user, patient) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(user=user, action="view", patients__contains=[patient.pk]).order_by("id"))


# --- the API contract -------------------------------------------------------------------------


def test_a_clinician_outside_the_team_breaks_the_glass_and_gets_201(api_for, clinician, outside_patient):
    assert not access.can(clinician, Action.VIEW, patient=outside_patient, kind=Kind.CLINICAL)
    with time_machine.travel(T0, tick=False):
        response = api_for(clinician).post(url(outside_patient.pk), {"reason": REASON}, format="json")
    assert response.status_code == 201, response.content
    glass = BreakGlass.objects.get()
    assert response.json() == {"id": glass.pk, "patient": outside_patient.pk, "expires_at": "2026-11-25T18:00:00Z"}
    assert (glass.user, glass.patient, glass.reason) == (clinician, outside_patient, REASON)
    opened = AuditEvent.objects.get(action="break-glass")
    assert (opened.user, opened.patients, opened.reason) == (clinician, [outside_patient.pk], REASON)
    assert (opened.object_type, opened.object_id) == ("careplans.breakglass", str(glass.pk))


def test_break_glass_lasts_break_glass_minutes(api_for, clinician, outside_patient, settings):
    settings.BREAK_GLASS_MINUTES = 30
    with time_machine.travel(T0, tick=False):
        response = api_for(clinician).post(url(outside_patient.pk), {"reason": REASON}, format="json")
    assert response.json()["expires_at"] == "2026-11-25T14:30:00Z"


@pytest.mark.parametrize("reason", ["", "   ", "emergency", "fourteen chars", " " * 20 + "too short" + " " * 20])
def test_a_reason_under_15_characters_is_400_and_opens_nothing(api_for, clinician, outside_patient, reason):
    response = api_for(clinician).post(url(outside_patient.pk), {"reason": reason}, format="json")
    assert response.status_code == 400
    assert "at least 15 characters" in response.json()["reason"][0]
    assert not BreakGlass.objects.exists() and not AuditEvent.objects.filter(action="break-glass").exists()


def test_a_body_without_reason_or_not_an_object_is_400(api_for, clinician, outside_patient):
    client = api_for(clinician)
    assert client.post(url(outside_patient.pk), {}, format="json").status_code == 400
    assert client.post(url(outside_patient.pk), ["x"], format="json").status_code == 400
    assert client.post(url(outside_patient.pk), {"reason": 12345678901234567}, format="json").status_code == 400


@pytest.mark.parametrize("persona", ["front_desk_user", "clinic_admin_user", "outsider_user"])
def test_front_desk_and_clinic_admin_are_refused_with_403(api_for, persona, outside_patient, request):
    user = request.getfixturevalue(persona)
    response = api_for(user).post(url(outside_patient.pk), {"reason": REASON}, format="json")
    assert response.status_code == 403
    assert not BreakGlass.objects.exists()


def test_an_unknown_patient_is_404(api_for, clinician, outside_patient):
    response = api_for(clinician).post(url(outside_patient.pk + 1000), {"reason": REASON}, format="json")
    assert response.status_code == 404
    assert not BreakGlass.objects.exists()


def test_anonymous_is_401(outside_patient):
    assert APIClient().post(url(outside_patient.pk), {"reason": REASON}, format="json").status_code == 401


def test_a_repeat_while_open_returns_the_same_one_with_200_and_raises_no_new_alarm(api_for, clinician, outside_patient):
    client = api_for(clinician)
    with time_machine.travel(T0, tick=False):
        first = client.post(url(outside_patient.pk), {"reason": REASON}, format="json")
    with time_machine.travel(T0 + datetime.timedelta(hours=1), tick=False):
        again = client.post(url(outside_patient.pk), {"reason": "Still in recovery, checking the plan again."}, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json() == first.json()
    assert BreakGlass.objects.count() == 1
    assert Task.objects.filter(source=Task.Source.BREAK_GLASS).count() == 1
    assert AuditEvent.objects.filter(action="break-glass").count() == 1


def test_after_expiry_a_new_break_glass_is_a_new_one(clinician, outside_patient):
    first, created = break_glass_open(patient_id=outside_patient.pk, by=clinician, reason=REASON, now=T0)
    later = T0 + datetime.timedelta(hours=4, minutes=1)
    second, created_again = break_glass_open(patient_id=outside_patient.pk, by=clinician, reason=REASON, now=later)
    assert created and created_again and second.pk != first.pk


def test_a_clinician_who_already_sees_the_record_is_told_so_with_409(api_for, clinician, outside_patient):
    CareTeamMemberFactory(care_plan=outside_patient.care_plans.get(), provider=clinician.provider)
    response = api_for(clinician).post(url(outside_patient.pk), {"reason": REASON}, format="json")
    assert response.status_code == 409
    assert "already have access" in response.json()["detail"]
    assert not BreakGlass.objects.exists()


def test_another_clinicians_break_glass_opens_nothing_for_me(clinician, physical_therapist, outside_patient):
    break_glass_open(patient_id=outside_patient.pk, by=physical_therapist.user, reason=REASON, now=T0)
    assert not access.can(clinician, Action.VIEW, patient=outside_patient, kind=Kind.CLINICAL, now=T0)
    assert access.can(physical_therapist.user, Action.VIEW, patient=outside_patient, kind=Kind.CLINICAL, now=T0)


# --- access while open, and after -------------------------------------------------------------


def test_it_opens_every_kind_for_looking_never_for_changing(clinician, outside_patient):
    break_glass_open(patient_id=outside_patient.pk, by=clinician, reason=REASON, now=T0)
    during = T0 + datetime.timedelta(hours=3, minutes=59)
    for kind in Kind:
        assert access.can(clinician, Action.VIEW, patient=outside_patient, kind=kind, now=during), kind
        assert not access.can(clinician, Action.CHANGE, patient=outside_patient, kind=kind, now=during), kind
    after = T0 + datetime.timedelta(hours=4)
    assert not access.can(clinician, Action.VIEW, patient=outside_patient, kind=Kind.CLINICAL, now=after)


def test_every_look_while_open_is_audited_with_the_break_glass_id_and_none_after(clinician, outside_patient):
    client = login(clinician)
    page = reverse("workspace:patient", args=[outside_patient.pk])
    with time_machine.travel(T0, tick=False):
        glass, _ = break_glass_open(patient_id=outside_patient.pk, by=clinician, reason=REASON)
    for minutes in (1, 90, 239):
        with time_machine.travel(T0 + datetime.timedelta(minutes=minutes), tick=False):
            assert client.get(page).status_code == 200
    rows = view_rows(clinician, outside_patient)
    assert len(rows) == 3
    assert {row.reason for row in rows} == {f"break-glass #{glass.pk}: {REASON}"}
    with time_machine.travel(T0 + datetime.timedelta(minutes=241), tick=False):
        response = client.get(page)
    assert response.status_code == 404
    assert "Lumbar radiculopathy plan" not in response.content.decode()
    assert len(view_rows(clinician, outside_patient)) == 3  # a refusal is not a look


def test_the_api_reads_under_break_glass_are_audited_too(api_for, clinician, outside_patient):
    client = api_for(clinician)
    assert client.get(f"/api/v1/patients/{outside_patient.pk}/").status_code == 404
    glass, _ = break_glass_open(patient_id=outside_patient.pk, by=clinician, reason=REASON)
    assert client.get(f"/api/v1/patients/{outside_patient.pk}/").status_code == 200
    plans = client.get(f"/api/v1/careplans/?patient={outside_patient.pk}")
    assert [p["title"] for p in plans.json()["results"]] == ["Lumbar radiculopathy plan"]
    assert [row.reason for row in view_rows(clinician, outside_patient)] == [f"break-glass #{glass.pk}: {REASON}"] * 2


def test_a_change_under_break_glass_is_refused(clinician, outside_patient):
    break_glass_open(patient_id=outside_patient.pk, by=clinician, reason=REASON)
    plan = outside_patient.care_plans.get()
    response = login(clinician).post(reverse("workspace:team-note", args=[plan.pk]), {"text": "Adding myself to this plan"})
    assert response.status_code == 302
    assert not plan.notes.exists()


# --- the clinic admin is told at once ---------------------------------------------------------


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server in-process (aiosmtpd); Django's SMTP backend talks to it."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    received: list = []

    class Collect(MessageHandler):
        def handle_message(self, message) -> None:
            received.append(message)

    controller = Controller(Collect(), hostname="127.0.0.1", port=port)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    yield received
    controller.stop()


def test_the_clinic_admins_get_a_review_task_and_an_email_at_once(
    api_for, clinician, outside_patient, clinic_admin_user, front_desk_user, smtp_server, eager_celery, django_capture_on_commit_callbacks
):
    second_admin = UserFactory(username="privacy-officer", role="Clinic admin")
    UserFactory(username="retired-admin", role="Clinic admin", is_active=False)
    with django_capture_on_commit_callbacks(execute=True):
        response = api_for(clinician).post(url(outside_patient.pk), {"reason": REASON}, format="json")
    glass = BreakGlass.objects.get(pk=response.json()["id"])

    task = Task.objects.get(source=Task.Source.BREAK_GLASS)
    assert (task.assignee_role, task.patient_id, task.dedupe_key) == (RoleQueue.CLINIC_ADMIN, None, f"break-glass:{glass.pk}")
    assert f"patient #{outside_patient.pk}" in task.title and "Ines Okafor" in task.title
    assert task in task_queryset_for_user(user=clinic_admin_user)
    assert task not in task_queryset_for_user(user=front_desk_user)
    assert task not in task_queryset_for_user(user=clinician)

    assert sorted(to for m in smtp_server for to in m["X-RcptTo"].split(", ")) == sorted([clinic_admin_user.email, second_admin.email])
    for message in smtp_server:
        text = message["Subject"] + message.get_payload()
        assert f"patient #{outside_patient.pk}" in text and f"/admin/careplans/breakglass/{glass.pk}/change/" in text
        for secret in ("Zelinda", "Quarrington", "leg weakness", outside_patient.mrn):
            assert secret not in text  # no name, no reason: minimum necessary outside the clinic's systems
    glass.refresh_from_db()
    assert glass.notified_at is not None
    assert break_glass_notify(break_glass_id=glass.pk) == 0  # a retried task sends nothing twice
    assert len(smtp_server) == 2


def test_the_review_task_never_escalates_to_the_care_coordinators(clinician, outside_patient, coordinator_user):
    break_glass_open(patient_id=outside_patient.pk, by=clinician, reason=REASON, now=T0)
    tasks_escalate_overdue(now=T0 + datetime.timedelta(days=2))
    tasks_escalate_overdue(now=T0 + datetime.timedelta(days=4))
    assert not Task.objects.filter(assignee_role=RoleQueue.CARE_COORDINATOR).exists()
    assert Task.objects.get(source=Task.Source.BREAK_GLASS).escalation_level == 1


def test_a_clinical_task_cannot_be_handed_to_the_clinic_admin_queue(anesthesiologist, outside_patient):
    task = task_create(title="Review MRI", patient=outside_patient, assignee_provider=anesthesiologist)
    with pytest.raises(ValidationFailed, match="clinic admin queue"):
        task_reassign(task=task, to_role=RoleQueue.CLINIC_ADMIN)


# --- the workspace: a button on the refusal page ----------------------------------------------


def test_the_refusal_page_offers_break_glass_and_looks_the_same_for_an_unknown_patient(clinician, outside_patient):
    client = login(clinician)
    refused = client.get(reverse("workspace:patient", args=[outside_patient.pk]))
    unknown = client.get(reverse("workspace:patient", args=[outside_patient.pk + 1000]))
    assert refused.status_code == unknown.status_code == 404
    html = refused.content.decode()
    assert "Break the glass" in html and 'name="reason"' in html and "csrfmiddlewaretoken" in html
    assert "<script" not in html
    same = without_csrf(unknown.content.decode()).replace(str(outside_patient.pk + 1000), "ID")
    assert without_csrf(html).replace(str(outside_patient.pk), "ID") == same
    assert "Zelinda" not in html


@pytest.mark.parametrize("persona", ["front_desk_user", "clinic_admin_user"])
def test_the_refusal_offers_no_break_glass_to_the_front_desk_or_clinic_admin(persona, outside_patient, request):
    response = login(request.getfixturevalue(persona)).get(reverse("workspace:patient", args=[outside_patient.pk]))
    assert response.status_code == 403
    assert "Break the glass" not in response.content.decode()


def test_the_button_opens_the_record_with_an_emergency_banner(clinician, outside_patient):
    client = login(clinician)
    with time_machine.travel(T0, tick=False):
        response = client.post(reverse("workspace:break-glass", args=[outside_patient.pk]), {"reason": REASON})
        assert response.status_code == 302
        assert response["Location"] == reverse("workspace:patient", args=[outside_patient.pk])
        page = client.get(response["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    glass = BreakGlass.objects.get()
    until = timezone.localtime(glass.expires_at, clinician.provider.home_location.zone).strftime("%H:%M")
    assert f"Emergency access until {until}, recorded" in html
    assert "Lumbar radiculopathy plan" in html
    assert view_rows(clinician, outside_patient)[0].reason.startswith(f"break-glass #{glass.pk}:")


def test_the_button_with_a_short_reason_shows_the_refusal_again_with_the_error(clinician, outside_patient):
    response = login(clinician).post(reverse("workspace:break-glass", args=[outside_patient.pk]), {"reason": "urgent"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "at least 15 characters" in html and ">urgent</textarea>" in html
    assert not BreakGlass.objects.exists()


def test_the_button_for_an_unknown_patient_gets_the_same_404_refusal(clinician, outside_patient):
    client = login(clinician)
    unknown = outside_patient.pk + 1000
    posted = client.post(reverse("workspace:break-glass", args=[unknown]), {"reason": REASON})
    shown = client.get(reverse("workspace:patient", args=[unknown]))
    assert posted.status_code == 404
    assert without_csrf(posted.content.decode()) == without_csrf(shown.content.decode())


def test_the_button_is_refused_to_the_front_desk(front_desk_user, outside_patient):
    response = login(front_desk_user).post(reverse("workspace:break-glass", args=[outside_patient.pk]), {"reason": REASON})
    assert response.status_code == 403
    assert not BreakGlass.objects.exists()


# --- the report -------------------------------------------------------------------------------


def test_the_clinic_admin_reviews_break_glass_in_a_read_only_report(
    clinician, outside_patient, clinic_admin_user, django_assert_max_num_queries
):
    glass, _ = break_glass_open(patient_id=outside_patient.pk, by=clinician, reason=REASON)
    other = PatientFactory()
    break_glass_open(patient_id=other.pk, by=clinician, reason="Second emergency, covering the weekend call.")
    client = login(clinician)
    client.get(reverse("workspace:patient", args=[outside_patient.pk]))
    client.get(reverse("workspace:patient", args=[outside_patient.pk]))

    admin = login(clinic_admin_user)
    listing = reverse("admin:careplans_breakglass_changelist")
    with django_assert_max_num_queries(12):
        response = admin.get(listing)
    assert response.status_code == 200
    html = response.content.decode()
    assert REASON[:40] in html and f"#{outside_patient.pk}" in html and "Zelinda" not in html
    row = response.context["cl"].result_list
    assert {g.pk: g.look_count for g in row} == {glass.pk: 2, glass.pk + 1: 0}
    assert admin.get(listing, {"user__id__exact": clinician.pk}).status_code == 200
    detail = admin.get(reverse("admin:careplans_breakglass_change", args=[glass.pk]))
    assert detail.status_code == 200 and REASON in detail.content.decode()
    assert admin.get(reverse("admin:careplans_breakglass_add")).status_code == 403
    assert admin.get(reverse("admin:careplans_breakglass_delete", args=[glass.pk])).status_code == 403


@pytest.mark.parametrize("persona", ["front_desk_user", "coordinator_user"])
def test_the_report_is_the_clinic_admins_only(persona, request, clinician, outside_patient):
    break_glass_open(patient_id=outside_patient.pk, by=clinician, reason=REASON)
    response = login(request.getfixturevalue(persona)).get(reverse("admin:careplans_breakglass_changelist"))
    assert response.status_code == 403
    assert login(clinician).get(reverse("admin:careplans_breakglass_changelist")).status_code == 403


# --- break-glass is for looking: review findings on issue 9 ------------------------------------


def test_an_unknown_patient_with_a_short_reason_is_404_before_the_reason_is_checked(api_for, clinician, outside_patient):
    response = api_for(clinician).post(url(outside_patient.pk + 1000), {"reason": "urgent"}, format="json")
    assert response.status_code == 404
    assert not BreakGlass.objects.exists()


def test_a_questionnaire_response_under_break_glass_is_refused_and_nothing_is_stored(api_for, clinician, outside_patient):
    break_glass_open(patient_id=outside_patient.pk, by=clinician, reason=REASON)
    crisis = {"patient": outside_patient.pk, "questionnaire": "PHQ-9", "answers": [0] * 8 + [3]}
    response = api_for(clinician).post("/api/v1/questionnaire-responses/", crisis, format="json")
    assert response.status_code == 403
    assert "not change it" in response.json()["detail"]
    assert not QuestionnaireResponse.objects.exists()
    assert not Task.objects.filter(patient=outside_patient).exclude(assignee_role=RoleQueue.CLINIC_ADMIN).exists()


def test_another_queues_task_cannot_be_worked_under_break_glass(api_for, clinician, outside_patient):
    task = task_create(title="Review home exercise", patient=outside_patient, assignee_role=RoleQueue.PHYSICAL_THERAPY)
    break_glass_open(patient_id=outside_patient.pk, by=clinician, reason=REASON)
    history = list(task.events.values_list("action", flat=True))
    client = api_for(clinician)
    assert [row["id"] for row in client.get(f"/api/v1/tasks/?patient={outside_patient.pk}").json()["results"]] == [task.pk]
    for action in ("accept", "complete", "cancel"):
        response = client.post(f"/api/v1/tasks/{task.pk}/{action}/", {}, format="json")
        assert response.status_code == 403, (action, response.content)
    page = login(clinician).post(
        reverse("workspace:task-action", args=[task.pk, "reassign"]), {"assignee": f"queue:{RoleQueue.ANESTHESIOLOGY}"}, follow=True
    )
    assert "you may look at it, not work it" in page.content.decode()
    task.refresh_from_db()
    assert (task.status, task.assignee_role, task.assignee_provider_id) == (Task.Status.REQUESTED, RoleQueue.PHYSICAL_THERAPY, None)
    assert list(task.events.values_list("action", flat=True)) == history


def test_the_task_list_under_break_glass_is_audited_with_its_reason_only(api_for, clinician, outside_patient):
    task_create(title="Review home exercise", patient=outside_patient, assignee_role=RoleQueue.PHYSICAL_THERAPY)
    glass, _ = break_glass_open(patient_id=outside_patient.pk, by=clinician, reason=REASON)
    body = api_for(clinician).get(f"/api/v1/tasks/?patient={outside_patient.pk}").json()
    assert [row["title"] for row in body["results"]] == ["Review home exercise"]
    assert [row.reason for row in view_rows(clinician, outside_patient)] == [f"break-glass #{glass.pk}: {REASON}"]
