"""A proceduralist records relief and a dural puncture in a real browser (Playwright + chromium).
Set SCREENSHOT_DIR to keep screenshots of the pages (outside the repository)."""

import datetime
import os
from pathlib import Path

import pytest
from django.utils import timezone

from careplans.models import ProcedureRecord, QuestionnaireResponse, Task
from careplans.services import questionnaire_response_create
from scheduling.models import Appointment
from scheduling.services import appointment_book, appointment_check_in, appointment_complete, appointment_start
from tests.careplans.conftest import local, procedure_type

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def _shot(page, name: str) -> None:
    if os.environ.get("SCREENSHOT_DIR"):
        page.screenshot(path=str(Path(os.environ["SCREENSHOT_DIR"]) / f"{name}.png"), full_page=True)


def test_relief_task_form_and_dural_puncture_from_the_workspace(live_server, page, plan, working_anesthesiologist, esi, eager_celery):
    provider, patient = working_anesthesiologist, plan.patient
    user = provider.user
    user.set_password("pass-word-123")
    user.save()
    # An ESI three weeks ago, with NRS before (8, 6, 3) and after it (4, then 2).
    done_at = timezone.now() - datetime.timedelta(weeks=3)
    Appointment.objects.create(
        patient=patient,
        provider=provider,
        visit_type=esi,
        location=provider.home_location,
        start=done_at - datetime.timedelta(minutes=30),
        end=done_at,
        room_start=done_at - datetime.timedelta(minutes=30),
        room_end=done_at,
        status="completed",
        completed_at=done_at,
    )
    for weeks, value in ((10, 8), (6, 6), (4, 3), (2, 4), (1, 2)):
        r = questionnaire_response_create(patient=patient, questionnaire="NRS", answers=[value])
        QuestionnaireResponse.objects.filter(pk=r.pk).update(answered_at=timezone.now() - datetime.timedelta(weeks=weeks))

    page.goto(f"{live_server.url}/admin/login/?next=/workspace/patients/{patient.pk}/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**/workspace/patients/{patient.pk}/")
    chart = page.locator("svg#pain-chart")
    assert chart.locator("circle[data-baseline]").count() == 1
    assert chart.locator("circle.point.worsened").count() == 1 and chart.locator("circle.point.improved").count() == 1
    _shot(page, "patient-page-chart")

    # A diagnostic block today: its "Record % relief" task carries the relief form.
    mbb = procedure_type(provider, "mbb")
    block = appointment_book(patient=patient, provider=provider, visit_type=mbb, start=local(2), region="lumbar")
    appointment_check_in(appointment=block, now=block.start - datetime.timedelta(minutes=10))
    appointment_start(appointment=block, by=user)
    appointment_complete(appointment=block, by=user)
    task = Task.objects.get(appointment=block, title__startswith="Record % relief")
    page.reload()
    _shot(page, "patient-page-relief-task-form")

    page.locator(f"#relief-{task.pk}").fill("85")
    with page.expect_navigation():
        page.get_by_role("button", name=f"Record relief and complete: {task.title}").click()
    assert "Task completed" in page.get_by_role("status").inner_text()
    task.refresh_from_db()
    assert task.status == "completed" and Appointment.objects.get(pk=block.pk).relief_percent == 85

    page.goto(f"{live_server.url}/workspace/appointments/{block.pk}/procedure-record/")
    page.get_by_label("Inadvertent dural puncture").check()
    page.get_by_label("Note").fill("Wet tap at L4-5, patient informed.")
    with page.expect_navigation():
        page.get_by_role("button", name="Save a new version").click()
    assert "version 2" in page.get_by_role("status").inner_text()
    assert Task.objects.filter(appointment=block, title__startswith="CSF-leak", assignee_role="anesthesiology").count() == 1
    assert list(ProcedureRecord.objects.filter(appointment=block).values_list("version", "relief_percent", "complications")) == [
        (2, 85, ["dural_puncture"]),  # the form starts from the latest version
        (1, 85, []),
    ]
    assert page.get_by_role("table").locator("tbody tr").count() == 2
    _shot(page, "procedure-record-page")
