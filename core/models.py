"""Operations records that belong to no one app: the audit trail of looks at patient data."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models


class AuditEvent(models.Model):
    """Who did what to which patients' data, when and why. Written, never edited: the admin shows
    it read-only. (The privacy issue makes it append-only in PostgreSQL itself.)"""

    at = models.DateTimeField(db_index=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    action = models.CharField(max_length=20)
    object_type = models.CharField(max_length=60, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    patients = ArrayField(models.BigIntegerField(), default=list, blank=True)
    reason = models.CharField(max_length=500, blank=True)
    ip = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=300, blank=True)
    request_id = models.CharField(max_length=64, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["user", "at"], name="audit_user_at_idx")]

    def __str__(self) -> str:
        return f"{self.action} {self.object_type} {self.object_id} at {self.at:%Y-%m-%d %H:%M}"


# The development-only second-factor device lives in its own module; Django finds models here.
from core.devices import DevelopmentCodeDevice  # noqa: E402, F401
