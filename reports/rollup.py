"""The operational report's rollup (reports.AppointmentDay): appointments counted per local date,
location, provider, room, visit type, status, lead time and cancellation notice.

Kept by a PostgreSQL trigger on scheduling_appointment, not by a subscriber to the appointment
events: the count must follow every write of an appointment, and not every write is an event
(the admin's and data migrations' edits, tests' direct inserts, a created_at corrected by
`update()`). The trigger moves one count from the row the appointment was counted in to the row
it is counted in now, in the writing transaction, so the rollup cannot drift from the table it
summarises. Bulk loads with triggers off (the reference-data generator's COPY) rebuild it
afterwards. The SQL (definitions included) is in reports/migrations/0004_appointment_day_trigger.py."""

from __future__ import annotations

from django.db import connection, transaction


def rollup_rebuild(*, location_id: int | None = None) -> int:
    """Recompute the rollup from the appointments, of one location or of all. Idempotent; takes a
    lock that makes appointment writers wait until it commits. Returns the rows written."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT reports_appointmentday_rebuild(%s)", [location_id])
        (written,) = cursor.fetchone()
    return written
