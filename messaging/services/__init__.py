"""Outbox commands. Other apps call the three contract functions below; admin, API views,
webhooks, patient links and tasks call the rest."""

from messaging.services.planning import (  # noqa: F401
    appointment_plan,
    outbox_enqueue_for_patient,
    outbox_on_appointment_event,
    outbox_waitlist_offer,
)
