"""A provider's morning in a real browser (Playwright + Debian's chromium)."""

import datetime

import pytest
from django.utils import timezone

from careplans.models import ChecklistItem, QuestionnaireResponse, Task
from careplans.services import questionnaire_response_create, task_create
from scheduling.models import Appointment

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


def test_provider_opens_day_and_patient_completes_a_task_and_sees_the_chart(live_server, page, plan, working_anesthesiologist, esi):
    user = working_anesthesiologist.user
    user.set_password("pass-word-123")
    user.save()
    zone = working_anesthesiologist.home_location.zone
    start = timezone.localtime(timezone.now(), zone).replace(hour=23, minute=0, second=0, microsecond=0)
    appointment = Appointment.objects.create(
        patient=plan.patient,
        provider=working_anesthesiologist,
        visit_type=esi,
        location=working_anesthesiologist.home_location,
        start=start,
        end=start + datetime.timedelta(minutes=30),
        room_start=start,
        room_end=start + datetime.timedelta(minutes=30),
    )
    ChecklistItem.objects.create(appointment=appointment, code="consent", label="Consent signed")
    for weeks, value in ((12, 8), (8, 7), (4, 5), (1, 4)):
        r = questionnaire_response_create(patient=plan.patient, questionnaire="NRS", answers=[value])
        QuestionnaireResponse.objects.filter(pk=r.pk).update(answered_at=timezone.now() - datetime.timedelta(weeks=weeks))
    task = task_create(title="Review 2-week PEG", patient=plan.patient, assignee_provider=working_anesthesiologist)

    page.goto(f"{live_server.url}/admin/login/?next=/workspace/")
    page.get_by_label("Username").fill(user.username)
    page.get_by_label("Password").fill("pass-word-123")
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url("**/workspace/")
    assert page.get_by_role("heading", level=1).inner_text().startswith("My day")
    assert "incomplete 0/1" in page.content()

    # keyboard: the skip link is the first stop
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to main content"

    page.get_by_role("link", name=f"{plan.patient.last_name}, {plan.patient.first_name}").first.click()
    page.wait_for_url(f"**/workspace/patients/{plan.patient_id}/")
    with page.expect_navigation():
        page.get_by_role("button", name="Complete: Review 2-week PEG").click()
    assert "Completed: Review 2-week PEG" in page.get_by_role("status").inner_text()
    task.refresh_from_db()
    assert task.status == Task.Status.COMPLETED

    chart = page.locator("svg#pain-chart")
    assert chart.is_visible()
    assert chart.locator("circle.point").count() == 4
    assert chart.locator("circle.point.improved").count() >= 1
