"""Messaging's rows of the persona walk (tests/persona_walk/registry.py): the outbox and inbound
texts in the admin, an appointment's messages in the API, webhooks and patient link pages."""

from __future__ import annotations

from messaging.models import FailedMessage, InboundSms, Message, ReminderRule
from scheduling.models import Appointment
from tests.persona_walk.registry import NOT_YOUR_PATIENT, Row, admin_app_index_row, admin_model_rows, autocomplete_row


def _obj(model):
    return lambda world: world.obj(model)


ADMIN = [
    admin_app_index_row("messaging"),
    *admin_model_rows(Message, _obj(Message)),
    *admin_model_rows(FailedMessage, lambda world: Message.objects.filter(patient=world.patient, status="failed").first()),
    *admin_model_rows(ReminderRule, _obj(ReminderRule)),
    *admin_model_rows(InboundSms, _obj(InboundSms)),
    autocomplete_row(ReminderRule, "visit_type"),
    Row(
        route="admin/messaging/message/",
        method="POST",
        url="/admin/messaging/message/",
        data=lambda w: {"action": "resend", "_selected_action": [w.pk(Message)], "index": 0},
        label="admin messaging.message action resend",
    ),
]

API = [
    Row(
        route="api/v1/appointments/<int:pk>/messages/",
        operation="GET /api/v1/appointments/{id}/messages/",
        url=lambda w: f"/api/v1/appointments/{w.pk(Appointment)}/messages/",
        expect=NOT_YOUR_PATIENT,
    ),
]

PUBLIC = [
    Row(
        route="webhooks/twilio/sms/",
        method="POST",
        url="/webhooks/twilio/sms/",
        data=lambda w: {"From": str(w.patient.phone), "Body": "C", "MessageSid": "SMwalk2"},
    ),
    Row(
        route="webhooks/twilio/status/",
        method="POST",
        url="/webhooks/twilio/status/",
        data={"MessageSid": "SMwalk", "MessageStatus": "delivered"},
    ),
    Row(route="p/<str:token>/", url=lambda w: w.tokens["link"], label="patient link page (valid token)"),
    Row(route="p/<str:token>/", url="/p/zz.notasignature/", label="patient link page (bad token)"),
    Row(route="p/<str:token>/", url=lambda w: w.tokens["ticket_link"], label="patient booking-ticket page (valid token)"),
]

ROWS = [*ADMIN, *API, *PUBLIC]
