"""Authorizations' part of the access policy.

An authorization, its lines, events and documents' metadata are scheduling data of the patient
(the front desk sees their status, as it sees appointments). The evidence pack and the documents'
contents are clinical: they open to clinicians with a grant for the patient (core.access) and to
authorization coordinators for patients with an authorization in their queue: use for payment,
which HIPAA allows, limited to what the payer asks for. That second door is this module's, not a
clinical grant (a grant would open the whole chart and let its holder change it). Every look
through either door is written to the audit trail with the authorization named."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from authorizations.models import WORKABLE, Authorization, AuthorizationDocument, AuthorizationEvent, AuthorizationLine, LineUse
from core import access
from core.access import Action, Kind
from core.audit import audit_record
from core.errors import PermissionDenied
from core.roles import AUTHORIZATION_COORDINATOR, user_roles


def is_coordinator(user) -> bool:
    return access.is_active_user(user) and AUTHORIZATION_COORDINATOR in user_roles(user)


def in_coordinator_queue(authorization: Authorization) -> bool:
    return authorization.status in WORKABLE


def require_evidence_access(user, *, authorization: Authorization, what: str, now: datetime | None = None) -> None:
    """May `user` open this authorization's evidence (`what`: "evidence pack", "document #3")?
    403 for a role that never may (plain front desk), 404 for a clinician without a grant, as
    the policy answers elsewhere. The look is recorded either way it is allowed."""
    now = now or timezone.now()
    reason = f"prior authorization #{authorization.pk}: {what}"
    if is_coordinator(user) and in_coordinator_queue(authorization):
        audit_record(
            user=user, action="view", obj=authorization, patient_ids=[authorization.patient_id], reason=reason + " (payment)", now=now
        )
        return
    if is_coordinator(user) and not access.may_ever(user, Kind.CLINICAL):
        raise PermissionDenied("This authorization is no longer in the authorization queue; its evidence is closed.")
    if not access.may_ever(user, Kind.CLINICAL):
        raise PermissionDenied("The evidence pack is for clinicians and authorization coordinators.")
    access.require(user, Action.VIEW, patient=authorization.patient_id, kind=Kind.CLINICAL, now=now, record_object=authorization)
    audit_record(user=user, action="view", obj=authorization, patient_ids=[authorization.patient_id], reason=reason, now=now)


def connect() -> None:
    access.protect(Authorization, patient_path="patient", kind=Kind.SCHEDULING)
    access.protect(AuthorizationLine, patient_path="authorization__patient", kind=Kind.SCHEDULING)
    access.protect(AuthorizationEvent, patient_path="authorization__patient", kind=Kind.SCHEDULING)
    access.protect(AuthorizationDocument, patient_path="authorization__patient", kind=Kind.SCHEDULING)
    access.protect(LineUse, patient_path="appointment__patient", kind=Kind.SCHEDULING)
