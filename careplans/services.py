"""Care-plan commands (the care-plans issue fills these in; the signatures are the contract
other apps call)."""

from __future__ import annotations

from datetime import datetime


def followup_on_appointment_event(*, appointment, event: str, now: datetime) -> None:
    """Called by scheduling services inside their transaction; protocol assembly is enqueued
    with transaction.on_commit and runs in Celery. `event` as in
    messaging.services.outbox_on_appointment_event."""
    return None


def task_create(
    *,
    title: str,
    patient=None,
    care_plan=None,
    assignee_provider=None,
    assignee_role: str = "",
    priority: str = "routine",
    source: str = "manual",
    description: str = "",
    due: datetime | None = None,
    created_by=None,
    dedupe_key: str = "",
    now: datetime | None = None,
):
    """Create a worklist task for a provider or a role queue ("front_desk", "care_coordinator",
    "anesthesiology", "physical_therapy", "psychology", "nutrition"…). Sources: protocol,
    inbound_sms, questionnaire, manual, checklist. Idempotent on a non-empty dedupe_key."""
    return None
