"""Prior authorization: a payer's approval for procedures, with its lines (code, region, units)
and the rules that say when a booking needs one.

Units used are never typed: a line's use is a row per appointment that took one of its units
(LineUse), and the count is of those whose appointment still holds its time or was completed
(cancelled and no-show appointments release their unit without anyone editing a number)."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.core.files.storage import FileSystemStorage
from django.db import models
from django.db.models import F, Q
from django.utils.functional import LazyObject

from authorizations.codes import MODIFIERS
from clinic.models import Location, Patient, Payer, Provider
from core.models import StatusTrail
from scheduling.models import Appointment, ProcedureFamily, SpinalRegion, VisitType


class PrivateStorage(LazyObject):
    """Attachments live under PRIOR_AUTH_DOCUMENT_ROOT, outside any served directory; they are
    streamed by a view that checks access and records the look (authorizations.views)."""

    def _setup(self):
        self._wrapped = FileSystemStorage(location=settings.PRIOR_AUTH_DOCUMENT_ROOT, base_url=None)


_private_storage = PrivateStorage()


def private_storage() -> PrivateStorage:
    """The field's storage as a callable, so migrations name this function instead of one
    machine's PRIOR_AUTH_DOCUMENT_ROOT (a path would make every checkout see a changed field)."""
    return _private_storage


class AuthorizationStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SUBMITTED = "submitted", "Submitted"
    PENDED = "pended", "Pended (payer asked for more)"
    APPROVED = "approved", "Approved"
    PARTIALLY_APPROVED = "partially-approved", "Partially approved"
    DENIED = "denied", "Denied"
    APPEALED = "appealed", "Appealed"
    EXPIRED = "expired", "Expired"
    VOID = "void", "Void"


# Approvals whose lines may be consumed (within their dates).
GRANTING = [AuthorizationStatus.APPROVED, AuthorizationStatus.PARTIALLY_APPROVED]
# Requests still waiting for the payer.
AWAITING = [AuthorizationStatus.DRAFT, AuthorizationStatus.SUBMITTED, AuthorizationStatus.PENDED, AuthorizationStatus.APPEALED]
# Authorizations someone still works: the authorization coordinator's queue.
WORKABLE = [*AWAITING, *GRANTING, AuthorizationStatus.DENIED]


class ReferenceKind(models.TextChoices):
    PAYER_NUMBER = "payer-number", "Payer authorization number"
    UTN = "utn", "Medicare Unique Tracking Number (UTN)"


class Urgency(models.TextChoices):
    STANDARD = "standard", "Standard"
    EXPEDITED = "expedited", "Expedited"


class PlaceOfService(models.TextChoices):
    OFFICE = "11", "11 Office"
    OFF_CAMPUS_OUTPATIENT = "19", "19 Off-campus outpatient hospital"
    ON_CAMPUS_OUTPATIENT = "22", "22 On-campus outpatient hospital"
    ASC = "24", "24 Ambulatory surgical center"


class PayerAuthorizationTerms(models.Model):
    """How long a payer takes to decide (CMS-0057-F: 72 hours expedited, 7 calendar days
    standard, the defaults when a payer has no row) and how long its approvals last."""

    payer = models.OneToOneField(Payer, on_delete=models.CASCADE, related_name="authorization_terms")
    standard_days = models.PositiveSmallIntegerField(default=7, help_text="Calendar days to decide a standard request")
    expedited_hours = models.PositiveSmallIntegerField(default=72, help_text="Hours to decide an expedited request")
    reference_kind = models.CharField(max_length=12, choices=ReferenceKind.choices, default=ReferenceKind.PAYER_NUMBER)
    validity_days = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="How long an approval lasts when the payer gives no end date (Medicare OPD: 120)"
    )

    class Meta:
        verbose_name = "payer authorization terms"
        verbose_name_plural = "payer authorization terms"

    def __str__(self) -> str:
        return f"Authorization terms of {self.payer}"


class RequirementRule(models.Model):
    """Payer × visit type (or procedure family, or code) × optional states and place of service
    → prior authorization required (or, with required off, explicitly not). The most specific
    active rule that matches decides."""

    name = models.CharField(max_length=160)
    payer = models.ForeignKey(Payer, on_delete=models.CASCADE, null=True, blank=True, related_name="+", help_text="Empty: every payer")
    visit_type = models.ForeignKey(VisitType, on_delete=models.CASCADE, null=True, blank=True, related_name="+")
    procedure_family = models.CharField(max_length=20, choices=ProcedureFamily.choices, blank=True)
    code = models.CharField("CPT/HCPCS code", max_length=5, blank=True, help_text="Matches visit types of the code's procedure family")
    states = ArrayField(models.CharField(max_length=2), blank=True, default=list, help_text="Two-letter states; empty means every state")
    place_of_service = models.CharField(max_length=2, choices=PlaceOfService.choices, blank=True, help_text="Empty: any")
    required = models.BooleanField(default=True)
    active = models.BooleanField(default=True)
    source = models.CharField(max_length=200, blank=True, help_text="e.g. the CMS program or payer policy")

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=~Q(visit_type__isnull=True, procedure_family="", code=""), name="requirement_rule_names_what_it_covers"
            )
        ]

    def __str__(self) -> str:
        return self.name


class Authorization(models.Model):
    Status = AuthorizationStatus

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="authorizations")
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, related_name="authorizations")
    member_id = models.CharField(max_length=40, blank=True)
    reference_kind = models.CharField(max_length=12, choices=ReferenceKind.choices, default=ReferenceKind.PAYER_NUMBER)
    number = models.CharField(max_length=40, blank=True, help_text="The payer's authorization number or the 14-character UTN")
    status = models.CharField(max_length=20, choices=AuthorizationStatus.choices, default=AuthorizationStatus.DRAFT)
    urgency = models.CharField(max_length=10, choices=Urgency.choices, default=Urgency.STANDARD)
    requested_at = models.DateTimeField(null=True, blank=True, help_text="When it was submitted to the payer")
    decision_due_at = models.DateTimeField(null=True, blank=True, help_text="The payer's decision deadline (its turnaround)")
    decided_at = models.DateTimeField(null=True, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    ordering_provider = models.ForeignKey(Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    rendering_location = models.ForeignKey(Location, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    place_of_service = models.CharField(max_length=2, choices=PlaceOfService.choices, default=PlaceOfService.OFFICE)
    notes = models.TextField(blank=True, help_text="Administrative notes (calls with the payer); no clinical narrative")
    status_reason = models.CharField(max_length=500, blank=True, help_text="Why it was pended, denied, appealed or voided")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "decision_due_at"], name="auth_status_due_idx"),
            models.Index(fields=["status", "valid_to"], name="auth_status_valid_to_idx"),
            models.Index(fields=["patient", "status"], name="auth_patient_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(valid_from__isnull=True) | Q(valid_to__isnull=True) | Q(valid_to__gte=F("valid_from")),
                name="authorization_valid_to_after_from",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=GRANTING) | Q(valid_from__isnull=False, valid_to__isnull=False),
                name="authorization_approval_has_dates",
            ),
        ]
        permissions = [("override_authorization", "Can let a procedure go ahead without an approved authorization, with a reason")]

    def __str__(self) -> str:
        return f"Authorization #{self.pk}"


class AuthorizationLine(models.Model):
    authorization = models.ForeignKey(Authorization, on_delete=models.CASCADE, related_name="lines")
    code = models.CharField("CPT/HCPCS code", max_length=5)
    procedure_family = models.CharField(
        max_length=20, choices=ProcedureFamily.choices, blank=True, help_text="The visit types this line covers; from the code when blank"
    )
    modifiers = ArrayField(models.CharField(max_length=2, choices=MODIFIERS), blank=True, default=list)
    region = models.CharField(max_length=10, choices=SpinalRegion.choices, blank=True, help_text="Empty: any region")
    levels = models.CharField(max_length=60, blank=True, help_text="e.g. L4-L5, L5-S1")
    requested_units = models.PositiveSmallIntegerField(default=1)
    approved_units = models.PositiveSmallIntegerField(null=True, blank=True)

    class Meta:
        ordering = ["authorization", "id"]
        constraints = [models.CheckConstraint(condition=Q(requested_units__gte=1), name="authorization_line_requests_a_unit")]

    def __str__(self) -> str:
        return f"{self.code}{' ' + ' '.join(self.modifiers) if self.modifiers else ''}"


class LineUse(models.Model):
    """An appointment that took a unit of a line. Whether it still counts is read from the
    appointment's status (CONSUMING), never stored: cancelling releases the unit by itself."""

    line = models.ForeignKey(AuthorizationLine, on_delete=models.CASCADE, related_name="uses")
    appointment = models.OneToOneField(Appointment, on_delete=models.CASCADE, related_name="authorization_use")
    created_at = models.DateTimeField()


class AuthorizationEvent(StatusTrail):
    """Every status change of an authorization: who, when, from what to what, and why."""

    authorization = models.ForeignKey(Authorization, on_delete=models.CASCADE, related_name="events")


class AuthorizationDocument(models.Model):
    """A document sent to or received from the payer (clinical notes, the decision letter),
    stored privately and streamed only to staff who may open the evidence."""

    class Kind(models.TextChoices):
        CLINICAL = "clinical", "Clinical documentation"
        PAYER_LETTER = "payer-letter", "Payer decision letter"
        APPEAL = "appeal", "Appeal"
        OTHER = "other", "Other"

    authorization = models.ForeignKey(Authorization, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.CLINICAL)
    title = models.CharField(max_length=200)
    file = models.FileField(storage=private_storage, upload_to="authorizations/%Y/%m/", max_length=300)
    content_type = models.CharField(max_length=100, blank=True)
    size = models.PositiveIntegerField(default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    uploaded_at = models.DateTimeField()

    class Meta:
        ordering = ["uploaded_at", "id"]

    def __str__(self) -> str:
        return self.title
