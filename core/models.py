"""Operations records that belong to no one app: the audit trail of looks at patient data, and the
abstract status trail the apps' event rows share."""

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


class StatusTrail(models.Model):
    """One status change of something with a state machine: who, when, from what to what, and
    why. The trail rows of scheduling (AppointmentEvent) and authorizations (AuthorizationEvent)
    share these columns; each adds the foreign key to what changed."""

    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=500, blank=True)
    # Structured facts behind the reason (e.g. for a payer-rule override each rule overridden with
    # the counts it saw).
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        abstract = True
        ordering = ["at", "id"]


# The development-only second-factor device lives in its own module; Django finds models here.
from core.devices import DevelopmentCodeDevice  # noqa: E402, F401
