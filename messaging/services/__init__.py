"""Outbox commands. Other apps call the contract functions below (scheduling's announcements
reach the planner through messaging/subscriptions.py); admin, API views, webhooks, patient links
and tasks call the rest."""

from messaging.services.planning import (  # noqa: F401
    outbox_enqueue_for_patient,
    outbox_on_appointment_event,
    outbox_plan_appointment_messages,
    outbox_waitlist_offer,
)
from messaging.services.staff_alerts import StaffContact, staff_alert_plan  # noqa: F401, E402
