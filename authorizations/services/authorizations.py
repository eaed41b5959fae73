"""Authorizations and their lifecycle: one function per transition, each locking the row,
checking the move is legal, recording who/when/why (AuthorizationEvent, plus the audit trail
through the access policy's write hooks) and then re-deciding the patient's appointments.

draft → submitted → pended → approved | partially-approved | denied → appealed → …;
approved and partially-approved → expired (the beat task); any open state → void.
"""

from __future__ import annotations

import logging
import mimetypes
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from authorizations.codes import CODE_FAMILY, CODE_PATTERN, MODIFIERS, UTN_PATTERN
from authorizations.models import (
    Authorization,
    AuthorizationDocument,
    AuthorizationEvent,
    AuthorizationLine,
    AuthorizationStatus,
    PayerAuthorizationTerms,
    PlaceOfService,
    ReferenceKind,
    Urgency,
)
from authorizations.services.coverage import appointments_reevaluate, units_used
from core import access
from core.access import Kind
from core.errors import IllegalTransition, PermissionDenied, ValidationFailed
from core.inputs import text_clean
from scheduling.models import ProcedureFamily, SpinalRegion

log = logging.getLogger(__name__)
S = AuthorizationStatus

LEGAL_TRANSITIONS: dict[str, set[str]] = {
    S.DRAFT: {S.SUBMITTED, S.VOID},
    S.SUBMITTED: {S.PENDED, S.APPROVED, S.PARTIALLY_APPROVED, S.DENIED, S.VOID},
    S.PENDED: {S.SUBMITTED, S.APPROVED, S.PARTIALLY_APPROVED, S.DENIED, S.VOID},
    S.APPROVED: {S.EXPIRED, S.VOID},
    S.PARTIALLY_APPROVED: {S.APPEALED, S.EXPIRED, S.VOID},
    S.DENIED: {S.APPEALED, S.VOID},
    S.APPEALED: {S.APPROVED, S.PARTIALLY_APPROVED, S.DENIED, S.VOID},
    S.EXPIRED: set(),
    S.VOID: set(),
}

WORK_PERMISSION = "authorizations.change_authorization"
MAX_UNITS = 100


def require_worker(by) -> None:
    """Authorization coordinators and clinic admins work authorizations; the front desk sees their
    status only. `by=None` is the system (beat tasks, demo data)."""
    if by is not None and not by.has_perm(WORK_PERMISSION):
        raise PermissionDenied("Authorizations are worked by authorization coordinators and clinic admins.")


def terms_for(payer_id: int) -> PayerAuthorizationTerms:
    return PayerAuthorizationTerms.objects.filter(payer_id=payer_id).first() or PayerAuthorizationTerms(payer_id=payer_id)


def decision_due(*, payer_id: int, urgency: str, requested_at: datetime) -> datetime:
    """CMS-0057-F: 72 hours for an expedited request, 7 calendar days for a standard one, unless
    the payer's terms say otherwise."""
    terms = terms_for(payer_id)
    if urgency == Urgency.EXPEDITED:
        return requested_at + timedelta(hours=terms.expedited_hours)
    return requested_at + timedelta(days=terms.standard_days)


def _clean_number(kind: str, number: str, field: str = "number") -> str:
    number = text_clean(field, number, max_length=40).strip()
    if kind == ReferenceKind.UTN and number:
        number = number.upper()
        if not UTN_PATTERN.match(number):
            raise ValidationFailed("A Medicare UTN is 14 letters and digits.", field_errors={field: ["Enter the 14-character UTN."]})
    return number


def _clean_line(raw: dict, index: int) -> dict:
    errors: dict[str, list[str]] = {}
    code = str(raw.get("code", "")).strip().upper()
    if not CODE_PATTERN.match(code):
        errors["code"] = ["Enter a 5-character CPT or HCPCS code, e.g. 62323 or L8680."]
    family = raw.get("procedure_family") or CODE_FAMILY.get(code, "")
    if family not in ProcedureFamily.values or not family:
        errors.setdefault("procedure_family", []).append("Name the procedure family this code is booked as.")
    modifiers = [str(m).strip().upper() for m in raw.get("modifiers") or []]
    if any(m not in dict(MODIFIERS) for m in modifiers) or len(set(modifiers)) != len(modifiers):
        errors["modifiers"] = ["Use LT, RT or 50, each once."]
    region = str(raw.get("region") or "").strip().lower()
    if region and region not in SpinalRegion.values:
        errors["region"] = [f"Choose one of {', '.join(SpinalRegion.values)}."]
    units = raw.get("requested_units", 1)
    if not isinstance(units, int) or not 1 <= units <= MAX_UNITS:
        errors["requested_units"] = [f"Enter 1 to {MAX_UNITS}."]
    if errors:
        raise ValidationFailed(f"Line {index + 1} is not valid.", field_errors={f"lines[{index}].{k}": v for k, v in errors.items()})
    return {
        "code": code,
        "procedure_family": family,
        "modifiers": modifiers,
        "region": region,
        "levels": text_clean("levels", raw.get("levels") or "", max_length=60),
        "requested_units": units,
    }


def authorization_create(
    *,
    patient,
    lines: list[dict],
    by=None,
    payer=None,
    member_id: str | None = None,
    reference_kind: str | None = None,
    urgency: str = Urgency.STANDARD,
    ordering_provider=None,
    rendering_location=None,
    place_of_service: str = PlaceOfService.OFFICE,
    notes: str = "",
    now: datetime | None = None,
) -> Authorization:
    """A draft request with its lines (code, modifiers, region, levels, units requested). The payer
    and member id default to the patient's."""
    now = now or timezone.now()
    require_worker(by)
    access.require_change(by, patient=patient.pk, kind=Kind.SCHEDULING, now=now)
    payer = payer or patient.payer
    errors: dict[str, list[str]] = {}
    if payer is None:
        errors["payer"] = ["The patient has no payer on file; choose one."]
    if urgency not in Urgency.values:
        errors["urgency"] = [f"Choose one of {', '.join(Urgency.values)}."]
    if place_of_service not in PlaceOfService.values:
        errors["place_of_service"] = [f"Choose one of {', '.join(PlaceOfService.values)}."]
    if not lines:
        errors["lines"] = ["Request at least one procedure code."]
    if errors:
        raise ValidationFailed("The authorization request is not valid.", field_errors=errors)
    cleaned = [_clean_line(line, i) for i, line in enumerate(lines)]
    kind = reference_kind or terms_for(payer.pk).reference_kind
    if kind not in ReferenceKind.values:
        raise ValidationFailed(
            "Unknown reference kind.", field_errors={"reference_kind": [f"Choose one of {', '.join(ReferenceKind.values)}."]}
        )
    with transaction.atomic():
        authorization = Authorization.objects.create(
            patient=patient,
            payer=payer,
            member_id=text_clean("member_id", member_id if member_id is not None else patient.member_id, max_length=40),
            reference_kind=kind,
            urgency=urgency,
            ordering_provider=ordering_provider,
            rendering_location=rendering_location,
            place_of_service=place_of_service,
            notes=text_clean("notes", notes, max_length=4000),
            created_by=by,
            created_at=now,
        )
        AuthorizationLine.objects.bulk_create([AuthorizationLine(authorization=authorization, **line) for line in cleaned])
        AuthorizationEvent.objects.create(authorization=authorization, to_status=S.DRAFT, at=now, by=by, reason="requested")
        appointments_reevaluate(patient_id=patient.pk, authorization_id=authorization.pk, now=now)
    return authorization


def _transition(authorization_id: int, *, to: str, by=None, reason: str = "", now: datetime | None = None, detail=None, apply=None):
    now = now or timezone.now()
    require_worker(by)
    with transaction.atomic():
        locked = Authorization.objects.select_for_update().get(pk=authorization_id)
        current = locked.status
        if to not in LEGAL_TRANSITIONS[current]:
            raise IllegalTransition(
                f"An authorization that is {S(current).label.lower()} cannot become {S(to).label.lower()}.", status=current
            )
        if apply is not None:
            apply(locked)
        locked.status = to
        if reason:
            locked.status_reason = reason[:500]
        locked.save()
        AuthorizationEvent.objects.create(
            authorization=locked, from_status=current, to_status=to, at=now, by=by, reason=reason[:500], detail=detail or {}
        )
        appointments_reevaluate(patient_id=locked.patient_id, authorization_id=locked.pk, now=now)
    log.info("authorization %s", to, extra={"event": f"authorization.{to}", "authorization_id": locked.pk})
    return locked


def _reason(reason: str, *, required: bool, what: str) -> str:
    reason = text_clean("reason", reason or "", max_length=500).strip()
    if required and not reason:
        raise ValidationFailed(f"Say why the authorization is {what}.", field_errors={"reason": ["A reason is required."]})
    return reason


def authorization_submit(*, authorization: Authorization, by=None, urgency: str | None = None, now: datetime | None = None):
    """Sent to the payer: the decision is due after the payer's turnaround for its urgency."""
    now = now or timezone.now()
    if urgency is not None and urgency not in Urgency.values:
        raise ValidationFailed("Unknown urgency.", field_errors={"urgency": [f"Choose one of {', '.join(Urgency.values)}."]})

    def apply(row):
        row.urgency = urgency or row.urgency
        if row.requested_at is None or row.status == S.DRAFT:
            row.requested_at = now
        row.decision_due_at = decision_due(payer_id=row.payer_id, urgency=row.urgency, requested_at=now)

    return _transition(authorization.pk, to=S.SUBMITTED, by=by, now=now, apply=apply)


def authorization_pend(*, authorization: Authorization, reason: str = "", by=None, now: datetime | None = None):
    """The payer asked for more information; the decision clock stays the payer's."""
    return _transition(authorization.pk, to=S.PENDED, by=by, reason=_reason(reason, required=False, what="pended"), now=now)


def authorization_approve(
    *,
    authorization: Authorization,
    number: str,
    valid_from: date,
    valid_to: date,
    lines: list[dict] | None = None,
    by=None,
    now: datetime | None = None,
):
    """The payer's decision: its number (a 14-character UTN for Medicare), the dates, and the
    units approved per line (`lines`: [{"id", "approved_units"}]; a line not named gets what was
    requested). Fewer units than requested on any line makes it partially approved."""
    now = now or timezone.now()
    errors: dict[str, list[str]] = {}
    number = _clean_number(authorization.reference_kind, number or "")
    if not number:
        errors["number"] = ["Enter the payer's authorization number."]
    if valid_from is None:
        errors["valid_from"] = ["Enter the first day the approval covers."]
    if valid_to is None:
        errors["valid_to"] = ["Enter the last day the approval covers."]
    if valid_from and valid_to and valid_to < valid_from:
        errors["valid_to"] = ["The approval cannot end before it starts."]
    existing = {line.pk: line for line in authorization.lines.all()}
    approved: dict[int, int] = {pk: line.requested_units for pk, line in existing.items()}
    for i, entry in enumerate(lines or []):
        pk, units = entry.get("id"), entry.get("approved_units")
        if pk not in existing:
            errors[f"lines[{i}].id"] = ["Not a line of this authorization."]
        elif not isinstance(units, int) or not 0 <= units <= MAX_UNITS:
            errors[f"lines[{i}].approved_units"] = [f"Enter 0 to {MAX_UNITS}."]
        else:
            approved[pk] = units
    if errors:
        raise ValidationFailed("The approval is not valid.", field_errors=errors)
    if existing and not any(approved.values()):
        raise ValidationFailed("An approval with no units is a denial.", field_errors={"lines": ["Approve at least one unit, or deny."]})
    partial = any(approved[pk] < line.requested_units for pk, line in existing.items())

    def apply(row):
        for pk, units in approved.items():
            AuthorizationLine.objects.filter(pk=pk).update(approved_units=units)
        row.number, row.valid_from, row.valid_to, row.decided_at = number, valid_from, valid_to, now

    return _transition(
        authorization.pk,
        to=S.PARTIALLY_APPROVED if partial else S.APPROVED,
        by=by,
        now=now,
        apply=apply,
        detail={"approved_units": {str(pk): units for pk, units in approved.items()}},
    )


def authorization_deny(*, authorization: Authorization, reason: str, by=None, now: datetime | None = None):
    now = now or timezone.now()

    def apply(row):
        row.decided_at = now

    return _transition(authorization.pk, to=S.DENIED, by=by, reason=_reason(reason, required=True, what="denied"), now=now, apply=apply)


def authorization_appeal(*, authorization: Authorization, reason: str, by=None, now: datetime | None = None):
    """A denial (or a partial approval) goes back to the payer; a new decision is due."""
    now = now or timezone.now()

    def apply(row):
        row.decision_due_at = decision_due(payer_id=row.payer_id, urgency=row.urgency, requested_at=now)

    return _transition(authorization.pk, to=S.APPEALED, by=by, reason=_reason(reason, required=True, what="appealed"), now=now, apply=apply)


def authorization_void(*, authorization: Authorization, reason: str, by=None, now: datetime | None = None):
    """Entered in error or withdrawn: its lines stop covering anything not yet done."""
    return _transition(authorization.pk, to=S.VOID, by=by, reason=_reason(reason, required=True, what="voided"), now=now)


def authorization_expire(*, authorization: Authorization, now: datetime | None = None):
    """Its last valid day has passed (the beat task). Units of visits already done stay used."""
    return _transition(authorization.pk, to=S.EXPIRED, by=None, reason="past its last valid day", now=now)


def line_units_used(line: AuthorizationLine) -> int:
    return units_used(line.pk)


ALLOWED_DOCUMENT_TYPES = {"application/pdf", "image/png", "image/jpeg", "image/tiff", "text/plain"}
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024


def authorization_document_add(*, authorization: Authorization, upload, title: str, kind: str, by=None, now: datetime | None = None):
    """Attach a document; stored privately (PRIOR_AUTH_DOCUMENT_ROOT), never under a served path."""
    now = now or timezone.now()
    require_worker(by)
    title = text_clean("title", title or getattr(upload, "name", ""), max_length=200).strip()
    content_type = (getattr(upload, "content_type", "") or mimetypes.guess_type(upload.name)[0] or "").split(";")[0]
    errors: dict[str, list[str]] = {}
    if not title:
        errors["title"] = ["A title is required."]
    if kind not in AuthorizationDocument.Kind.values:
        errors["kind"] = [f"Choose one of {', '.join(AuthorizationDocument.Kind.values)}."]
    if content_type not in ALLOWED_DOCUMENT_TYPES:
        errors["file"] = ["Attach a PDF, image or text file."]
    elif upload.size > MAX_DOCUMENT_BYTES:
        errors["file"] = ["Files up to 20 MB."]
    if errors:
        raise ValidationFailed("The document is not valid.", field_errors=errors)
    document = AuthorizationDocument(
        authorization=authorization, kind=kind, title=title, content_type=content_type, size=upload.size, uploaded_by=by, uploaded_at=now
    )
    # A name of our own: the uploaded file name may carry the patient's name.
    document.file.save(
        f"authorization-{authorization.pk}-{now:%Y%m%d%H%M%S%f}{mimetypes.guess_extension(content_type) or ''}", upload, save=False
    )
    document.save()
    return document
