"""The registry's follow-up windows (the only configuration the reports keep in the database) and
the operational rollup, which only a database trigger writes (reports/rollup.py).

Otherwise reports read the other apps' tables and write nothing; their definitions are in
README.md ("Reports")."""

from __future__ import annotations

from django.db import models
from django.db.models import F, Q


class OutcomeWindow(models.Model):
    """A follow-up time point of the outcome registry, e.g. "6w": the answer closest to 42 days
    after the procedure, taken between day 29 and day 56. The clinic admin edits them; the API's
    window keys are these keys."""

    key = models.SlugField(max_length=10, unique=True, help_text='Short key used in the API and CSV, e.g. "6w"')
    label = models.CharField(max_length=40, help_text='e.g. "6 weeks"')
    target_days = models.PositiveSmallIntegerField(help_text="Days after the procedure the follow-up aims at")
    from_days = models.PositiveSmallIntegerField(help_text="Earliest answer that counts, in days after the procedure")
    to_days = models.PositiveSmallIntegerField(help_text="Latest answer that counts, in days after the procedure (inclusive)")

    class Meta:
        ordering = ["target_days", "key"]
        constraints = [
            models.CheckConstraint(
                condition=Q(from_days__gte=1, from_days__lte=F("target_days"), to_days__gte=F("target_days")),
                name="outcome_window_brackets_target",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.label} ({self.from_days}–{self.to_days} days)"


class OperationsReport(models.Model):
    """No table: the admin's "Reports › Operations" entry (reports/admin.py draws the page)."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = "operations report"
        verbose_name_plural = "operations"


class OutcomeReport(models.Model):
    """No table: the admin's "Reports › Outcomes" entry."""

    class Meta:
        managed = False
        default_permissions = ()
        verbose_name = "outcome report"
        verbose_name_plural = "outcomes"


class AppointmentDay(models.Model):
    """The operational report's rollup: appointments counted per local date and everything the
    report groups or filters by. A PostgreSQL trigger on scheduling_appointment keeps it in the
    writing transaction (reports/rollup.py has the SQL and says why a trigger), so whatever
    writes an appointment (services, the admin, a data migration, a test's direct insert) moves
    its count from one row to another. `reports_rollup_rebuild` recomputes it from the
    appointments (after COPY-loaded data, where triggers were off). Never written by Python."""

    day = models.DateField(help_text="Local date of the start, in the location's zone")
    location_id = models.BigIntegerField()
    provider_id = models.BigIntegerField()
    room_id = models.BigIntegerField(null=True)
    visit_type_id = models.BigIntegerField()
    status = models.CharField(max_length=20)
    lead = models.SmallIntegerField(help_text="Local days from booking to visit: 0 same day, 1 1–7, 2 8–30, 3 over 30")
    notice_hours = models.SmallIntegerField(
        null=True, help_text="Cancelled: whole hours of notice rounded up, 0 for none or after the start, 169 for over a week"
    )
    n = models.IntegerField()
    visit_micros = models.BigIntegerField(help_text="Sum of end − start, microseconds")
    room_micros = models.BigIntegerField(help_text="Sum of room_end − room_start, microseconds")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["day", "location_id", "provider_id", "room_id", "visit_type_id", "status", "lead", "notice_hours"],
                nulls_distinct=False,
                name="reports_appointmentday_key",
            ),
        ]
