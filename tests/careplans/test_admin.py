import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from careplans.models import Protocol
from careplans.services import task_create
from tests.factories import CarePlanFactory, CareTeamMemberFactory

pytestmark = pytest.mark.django_db


def _grow(n, provider):
    for _ in range(n):
        plan = CarePlanFactory()
        CareTeamMemberFactory(care_plan=plan, provider=provider)
        task_create(title="t", patient=plan.patient, assignee_provider=provider)


@pytest.mark.parametrize("model", ["careplan", "task", "careteammember", "protocol", "protocolstep"])
def test_changelist_query_count_does_not_grow_with_rows(model, clinic_admin_user, anesthesiologist):
    client = Client()
    client.force_login(clinic_admin_user)
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
    client.force_login(clinic_admin_user)
    protocol = Protocol.objects.get(code="ebp")
    html = client.get(reverse("admin:careplans_protocol_change", args=[protocol.pk])).content.decode()
    assert "Next-day phone check after blood patch" in html and "steps-TOTAL_FORMS" in html


def test_front_desk_has_no_care_plan_admin(front_desk_user):
    client = Client()
    client.force_login(front_desk_user)
    assert client.get(reverse("admin:careplans_careplan_changelist")).status_code == 403
