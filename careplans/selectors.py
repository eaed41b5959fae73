"""Care-plan reads scoped by user (the care-plans issue fills these in)."""

from __future__ import annotations


def checklist_state_for_appointments(*, appointment_ids: list[int]) -> dict[int, tuple[int, int]]:
    """Pre-procedure checklist progress per appointment: {appointment_id: (done, total)}, in one
    query. Appointments without a checklist are absent. Used by the day sheet and My day."""
    return {}
