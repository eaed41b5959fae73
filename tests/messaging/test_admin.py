"""The messaging admin: read-only, scoped by who may see the patient's messages, and its one write
(resend) goes through messaging.services.transitions.message_resend."""

import pytest
from django.test import Client
from django.urls import reverse

from messaging.models import InboundSms, Message
from tests.factories import CarePlanFactory, CareTeamMemberFactory, PatientFactory, sign_in
from tests.messaging.conftest import at

pytestmark = pytest.mark.django_db
NOW = at(2026, 11, 2, 10)


def login(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def failed_message(patient, key="f1") -> Message:
    return Message.objects.create(
        patient=patient,
        channel="sms",
        purpose="notice",
        due_at=NOW,
        idempotency_key=key,
        body="See you Tuesday",
        status="failed",
        attempts=5,
    )


def on_team_of(patient, coordinator):
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=patient), provider=None, user=coordinator, role="care_coordinator")


def test_front_desk_resends_a_failed_message_from_their_worklist(front_desk_user):
    failed = failed_message(PatientFactory())
    client = login(front_desk_user)
    assert client.get(reverse("admin:messaging_failedmessage_changelist")).status_code == 200
    response = client.post(reverse("admin:messaging_failedmessage_changelist"), {"action": "resend", "_selected_action": [failed.pk]})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.status_reason) == ("pending", 0, "resent by desk")


def test_a_provider_who_sees_the_message_cannot_resend_it(anesthesiologist):
    patient = PatientFactory()
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=patient), provider=anesthesiologist)
    failed = failed_message(patient)
    client = login(anesthesiologist.user)
    listed = client.get(reverse("admin:messaging_message_changelist"))
    assert [m.pk for m in listed.context["cl"].result_list] == [failed.pk]
    assert listed.context["action_form"] is None  # no action offered: resend needs messaging.change_message
    client.post(reverse("admin:messaging_message_changelist"), {"action": "resend", "_selected_action": [failed.pk]})
    failed.refresh_from_db()
    assert failed.status == "failed"


@pytest.mark.parametrize("persona", ["front_desk_user", "coordinator_user", "clinic_admin_user"])
def test_outbox_rows_cannot_be_edited_raw(request, persona):
    user = request.getfixturevalue(persona)
    patient = PatientFactory()
    on_team_of(patient, request.getfixturevalue("coordinator_user"))
    message = failed_message(patient)
    client = login(user)
    url = reverse("admin:messaging_message_change", args=[message.pk])
    assert client.get(url).status_code == 200  # shown read-only
    assert client.post(url, {"status": "sent", "body": "edited"}).status_code == 403
    assert client.post(reverse("admin:messaging_message_delete", args=[message.pk]), {"post": "yes"}).status_code == 403
    message.refresh_from_db()
    assert (message.status, message.body) == ("failed", "See you Tuesday")


@pytest.mark.parametrize("persona", ["front_desk_user", "clinic_admin_user"])
def test_inbound_texts_cannot_be_edited_raw(request, persona):
    inbound = InboundSms.objects.create(
        provider_message_id="SM1", from_number="+16175550101", patient=PatientFactory(), body="STOP", action="opt_out", received_at=NOW
    )
    client = login(request.getfixturevalue(persona))
    url = reverse("admin:messaging_inboundsms_change", args=[inbound.pk])
    assert client.get(url).status_code == 200
    assert client.post(url, {"body": "YES", "action": "opt_in"}).status_code == 403
    assert client.post(reverse("admin:messaging_inboundsms_delete", args=[inbound.pk]), {"post": "yes"}).status_code == 403
    inbound.refresh_from_db()
    assert (inbound.body, inbound.action) == ("STOP", "opt_out")


def test_a_coordinator_sees_only_messages_of_patients_they_may_see(coordinator_user):
    mine, stranger = PatientFactory(), PatientFactory()
    on_team_of(mine, coordinator_user)
    theirs, not_theirs = failed_message(mine, "m1"), failed_message(stranger, "m2")
    client = login(coordinator_user)
    for name in ("message", "failedmessage"):
        listed = client.get(reverse(f"admin:messaging_{name}_changelist"))
        assert [m.pk for m in listed.context["cl"].result_list] == [theirs.pk], name
    assert client.get(reverse("admin:messaging_message_change", args=[not_theirs.pk])).status_code == 302  # "no such message"


def test_front_desk_cannot_filter_messages_by_a_patients_clinical_facts(front_desk_user):
    failed_message(PatientFactory(diabetic=True))
    client = login(front_desk_user)
    assert client.get(reverse("admin:messaging_message_changelist"), {"patient__diabetic": "1"}).status_code == 400


def test_front_desk_filters_messages_held_back_by_the_sms_limit_and_reads_why(front_desk_user):
    patient = PatientFactory(sms_consent=True)
    reason = "SMS limit: 1 a day; the cancellation notice goes first"
    held = Message.objects.create(patient=patient, channel="sms", purpose="reminder", due_at=NOW, idempotency_key="h1", body="b",
                                  status_reason=reason)  # fmt: skip
    Message.objects.create(patient=patient, channel="sms", purpose="notice", due_at=NOW, idempotency_key="h2", body="b",
                           status="sent")  # fmt: skip
    response = login(front_desk_user).get(reverse("admin:messaging_message_changelist") + "?held_back=sms_limit")
    assert response.status_code == 200
    assert [row.pk for row in response.context["cl"].result_list] == [held.pk]
    assert reason in response.content.decode()
