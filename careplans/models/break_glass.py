"""Break-glass: a clinician opens a record no grant gives them, saying why. The row is the grant
(careplans.policy), the reason is what the clinic admin reviews; rows are never changed or
deleted (PROTECT on both sides, read-only in the admin)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q

from clinic.models import Patient


class BreakGlass(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField()
    opened_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    # Set once the clinic admins were e-mailed (the task in their queue exists from the start).
    notified_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "break-glass access"
        verbose_name_plural = "break-glass report"
        ordering = ["-opened_at", "-id"]
        indexes = [models.Index(fields=["user", "patient", "expires_at"], name="breakglass_live_idx")]
        constraints = [models.CheckConstraint(condition=Q(expires_at__gt=F("opened_at")), name="breakglass_expires_after_opening")]

    def __str__(self) -> str:
        return f"Break-glass #{self.pk}"
