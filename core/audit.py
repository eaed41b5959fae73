"""Writing the audit trail. One row per look or change, naming every patient it touched."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.utils import timezone

from core.models import AuditEvent


def audit_record(
    *, user, action: str, obj=None, patient_ids: Iterable[int] = (), reason: str = "", now: datetime | None = None
) -> AuditEvent:
    return AuditEvent.objects.create(
        at=now or timezone.now(),
        user=user if getattr(user, "is_authenticated", False) else None,
        action=action,
        object_type=obj._meta.label_lower if obj is not None else "",
        object_id=str(obj.pk) if obj is not None else "",
        patients=sorted({int(p) for p in patient_ids}),
        reason=reason[:500],
    )
