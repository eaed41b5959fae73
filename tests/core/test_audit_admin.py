"""The audit trail in the admin: the clinic admin and superusers read it; nobody writes it."""

import datetime

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_record
from core.models import AuditEvent
from tests.factories import PatientFactory, UserFactory, sign_in

pytestmark = pytest.mark.django_db
CHANGELIST = reverse("admin:core_auditevent_changelist")


def login(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser("root", "root@clinic.example", "pass-word-123")


@pytest.fixture
def trail(anesthesiologist):
    patient = PatientFactory()
    looked = audit_record(user=anesthesiologist.user, action="view", obj=patient, patient_ids=[patient.pk], reason="open urgent task")
    exported = audit_record(
        user=UserFactory(username="exporter"), action="export", patient_ids=[patient.pk], now=timezone.now() - datetime.timedelta(days=40)
    )
    return looked, exported


@pytest.mark.parametrize("persona", ["clinic_admin_user", "superuser"])
def test_clinic_admin_and_superuser_read_the_trail_filtered_and_searched(request, persona, trail, anesthesiologist):
    looked, exported = trail
    client = login(request.getfixturevalue(persona))
    # (signing in wrote a "login" row of its own)
    assert {e.pk for e in client.get(CHANGELIST).context["cl"].result_list if e.action != "login"} == {looked.pk, exported.pk}
    assert [e.pk for e in client.get(CHANGELIST, {"action": "export"}).context["cl"].result_list] == [exported.pk]
    assert [e.pk for e in client.get(CHANGELIST, {"q": anesthesiologist.user.username}).context["cl"].result_list] == [looked.pk]
    since = (timezone.now() - datetime.timedelta(days=7)).isoformat()
    recent = client.get(CHANGELIST, {"at__gte": since}).context["cl"].result_list
    assert [e.pk for e in recent if e.action != "login"] == [looked.pk]
    assert client.get(reverse("admin:core_auditevent_change", args=[looked.pk])).status_code == 200
    assert "/admin/core/auditevent/" in client.get(reverse("admin:index")).content.decode()


@pytest.mark.parametrize("persona", ["clinic_admin_user", "superuser"])
def test_nobody_adds_changes_or_deletes_audit_rows(request, persona, trail):
    looked, _ = trail
    client = login(request.getfixturevalue(persona))
    assert client.get(reverse("admin:core_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:core_auditevent_add"), {"action": "view"}).status_code == 403
    assert client.post(reverse("admin:core_auditevent_change", args=[looked.pk]), {"action": "nothing"}).status_code == 403
    assert client.post(reverse("admin:core_auditevent_delete", args=[looked.pk]), {"post": "yes"}).status_code == 403
    bulk = client.post(CHANGELIST, {"action": "delete_selected", "_selected_action": [looked.pk], "post": "yes"})
    # The only action offered is the (audited) CSV export; delete_selected is refused, nothing is deleted.
    assert bulk.status_code == 302
    offered = client.get(CHANGELIST).context["action_form"].fields["action"].choices
    assert [name for name, _ in offered] == ["", "export_csv"]
    assert AuditEvent.objects.filter(pk=looked.pk, action="view").exists()
    assert not AuditEvent.objects.filter(action__in=["view", "export"]).exclude(pk__in=[r.pk for r in trail]).exists()


@pytest.mark.parametrize("persona", ["front_desk_user", "coordinator_user"])
def test_other_staff_do_not_see_the_trail(request, persona, trail):
    client = login(request.getfixturevalue(persona))
    assert client.get(CHANGELIST).status_code == 403
    assert "core/auditevent" not in client.get(reverse("admin:index")).content.decode()


def test_a_user_who_is_not_staff_is_sent_to_the_login_page(outsider_user, trail):
    response = login(outsider_user).get(CHANGELIST)
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))


def test_a_provider_does_not_see_the_trail(anesthesiologist, trail):
    looked, _ = trail
    client = login(anesthesiologist.user)
    assert client.get(CHANGELIST).status_code == 403
    assert client.get(reverse("admin:core_auditevent_change", args=[looked.pk])).status_code == 403
    assert "core/auditevent" not in client.get(reverse("admin:index")).content.decode()


def test_the_patient_filter_finds_rows_naming_several_patients(clinic_admin_user, trail):
    looked, exported = trail
    patient = looked.patients[0]
    several = audit_record(user=None, action="view", patient_ids=[patient, patient + 1000])
    client = login(clinic_admin_user)
    found = {e.pk for e in client.get(CHANGELIST, {"patient": patient}).context["cl"].result_list}
    assert found == {looked.pk, exported.pk, several.pk}
    assert not client.get(CHANGELIST, {"patient": "x1"}).context["cl"].result_list


def test_the_csv_export_is_itself_audited(clinic_admin_user, trail):
    looked, exported = trail
    client = login(clinic_admin_user)
    response = client.post(CHANGELIST, {"action": "export_csv", "_selected_action": [looked.pk, exported.pk]})
    assert response.status_code == 200 and response["Content-Type"] == "text/csv"
    lines = b"".join(response.streaming_content).decode().splitlines()
    assert lines[0] == "id,at,user,action,object_type,object_id,patients,ip,user_agent,reason,request_id" and len(lines) == 3
    row = AuditEvent.objects.get(action="export", user=clinic_admin_user)
    assert row.patients == looked.patients and row.reason == "audit trail CSV export (2 rows)" and row.ip == "127.0.0.1"
