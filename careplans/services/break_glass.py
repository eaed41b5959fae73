"""Break-glass: a clinician opens, for BREAK_GLASS_MINUTES, a patient's record that no grant gives
them, by saying why. Opening is audited (action "break-glass"), every look it alone allows is
audited with its id (careplans.policy registers the grant), and the clinic admins are told at
once: a review task in their queue (same transaction) and an e-mail (after commit, through a
Celery task, so a mail server outage neither loses the notice nor fails the opening).

Who may: the clinical roles (provider, care coordinator), who may see clinical records at all.
The front desk and the clinic admin may not (403): break-glass opens clinical content, which
their roles never see. A clinician who already sees the record is told so (409) instead of
raising an alarm nobody needs to review.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from careplans.events import CareplansHappened, announce
from careplans.models import BreakGlass, RoleQueue, Task
from careplans.services.tasks import task_create
from clinic.models import Patient
from core import access
from core.access import Action, Kind
from core.audit import audit_record
from core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from core.inputs import text_clean
from core.roles import CLINIC_ADMIN, user_roles

log = logging.getLogger(__name__)

REASON_MIN_LENGTH = 15
REASON_MAX_LENGTH = 1000
REVIEW_WITHIN = timedelta(days=1)  # the review task's due time; overdue escalation e-mails the admins again


def may_break_glass(user) -> bool:
    """Only a clinical role: break-glass opens clinical records, which other roles never see."""
    return access.is_active_user(user) and bool(user_roles(user) & access.CLINICAL_ROLES)


def break_glass_live(*, user, patient_id: int, now: datetime | None = None) -> BreakGlass | None:
    """The user's break-glass on this patient that is still open, if any."""
    now = now or timezone.now()
    return BreakGlass.objects.filter(user=user, patient_id=patient_id, expires_at__gt=now).order_by("-expires_at", "-id").first()


def break_glass_open(*, patient_id, by, reason: str, now: datetime | None = None) -> tuple[BreakGlass, bool]:
    """Open a patient's record to `by` for BREAK_GLASS_MINUTES. Returns (break_glass, created):
    a repeat while one is open returns that one (created=False) and raises no new alarm.

    Checked in this order: 403 for a role that may not break glass, 404 for a patient that does
    not exist, 400 for a reason under 15 characters, 409 when `by` already sees the record. The patient row is locked
    so that two clicks at once open one break-glass."""
    now = now or timezone.now()
    if not may_break_glass(by):
        raise PermissionDenied("Break-glass access is for clinicians and care coordinators.")
    try:
        patient_pk = int(patient_id)
    except (TypeError, ValueError):
        raise NotFound("No such patient.") from None
    if not Patient.objects.filter(pk=patient_pk).exists():
        raise NotFound("No such patient.")
    reason = text_clean("reason", reason, max_length=REASON_MAX_LENGTH)
    if len(reason) < REASON_MIN_LENGTH:
        message = f"Say why you need this record (at least {REASON_MIN_LENGTH} characters)."
        raise ValidationFailed(message, field_errors={"reason": [message]})
    with transaction.atomic():
        patient = Patient.objects.select_for_update().filter(pk=patient_pk).first()
        if patient is None:
            raise NotFound("No such patient.")
        live = break_glass_live(user=by, patient_id=patient.pk, now=now)
        if live is not None:
            return live, False
        if access.can(by, Action.VIEW, patient=patient, kind=Kind.CLINICAL, now=now):
            raise Conflict("You already have access to this patient's record; no break-glass is needed.")
        glass = BreakGlass.objects.create(
            user=by, patient=patient, reason=reason, opened_at=now, expires_at=now + timedelta(minutes=settings.BREAK_GLASS_MINUTES)
        )
        audit_record(user=by, action="break-glass", obj=glass, patient_ids=[patient.pk], reason=reason, now=now)
        task_create(
            title=f"Break-glass review: patient #{patient.pk} opened by {_staff_name(by)}",
            description=(
                f"{_staff_name(by)} opened the record of patient #{patient.pk} by break-glass at {now:%Y-%m-%d %H:%M} UTC, "
                f"until {glass.expires_at:%H:%M} UTC. Review the reason and the looks recorded: {review_url(glass)}"
            ),
            assignee_role=RoleQueue.CLINIC_ADMIN,
            source=Task.Source.BREAK_GLASS,
            due=now + REVIEW_WITHIN,
            dedupe_key=f"break-glass:{glass.pk}",
            created_by=by,
            now=now,
        )
        announce(CareplansHappened.BREAK_GLASS_OPENED, break_glass=glass, now=now)
    log.info("break-glass opened", extra={"event": "break_glass.opened", "break_glass_id": glass.pk, "patient_id": patient.pk})
    return glass, True


def review_url(glass: BreakGlass) -> str:
    return settings.PUBLIC_BASE_URL + reverse("admin:careplans_breakglass_change", args=[glass.pk])


def _staff_name(user) -> str:
    return user.get_full_name() or user.get_username()


def break_glass_notify(*, break_glass_id: int, now: datetime | None = None) -> int:
    """E-mail every active clinic admin about a break-glass (patient id, who, until when, a link
    to the review page; no patient name, no reason: the e-mail leaves the clinic's systems).
    Returns how many were sent. Safe to run twice: notified_at is set by compare-and-set once
    the mail went out, and a run that finds it set sends nothing."""
    now = now or timezone.now()
    glass = BreakGlass.objects.select_related("user").filter(pk=break_glass_id, notified_at__isnull=True).first()
    if glass is None:
        return 0
    admins = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=CLINIC_ADMIN)
        .exclude(email="")
        .values_list("email", flat=True)
        .distinct()
    )
    recipients = sorted(admins)
    subject = f"Break-glass #{glass.pk}: a record was opened in an emergency"
    body = (
        f"{_staff_name(glass.user)} opened the record of patient #{glass.patient_id} by break-glass at "
        f"{glass.opened_at:%Y-%m-%d %H:%M} UTC; access ends {glass.expires_at:%Y-%m-%d %H:%M} UTC.\n\n"
        f"Review the reason given and every look recorded: {review_url(glass)}\n"
    )
    for email in recipients:
        # One message per admin: no admin learns the others' addresses.
        send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email])
    BreakGlass.objects.filter(pk=glass.pk, notified_at__isnull=True).update(notified_at=now)
    log.info("break-glass notified", extra={"event": "break_glass.notified", "break_glass_id": glass.pk, "recipients": len(recipients)})
    return len(recipients)
