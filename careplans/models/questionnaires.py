"""Outcome questionnaires: requests (signed links) and scored responses."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from careplans.models.plans import CarePlan
from clinic.models import Patient
from scheduling.models import Appointment


class QuestionnaireRequest(models.Model):
    """A questionnaire sent to a patient by signed link; answering it once closes it."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="questionnaire_requests")
    care_plan = models.ForeignKey(CarePlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    appointment = models.ForeignKey(Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    questionnaire = models.CharField(max_length=10)
    ask_relief = models.BooleanField(default=False)
    due_at = models.DateTimeField()
    expires_at = models.DateTimeField()
    dedupe_key = models.CharField(max_length=200, unique=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_at", "id"]

    def __str__(self) -> str:
        return f"{self.questionnaire} due {self.due_at:%Y-%m-%d}"


class QuestionnaireResponse(models.Model):
    class Source(models.TextChoices):
        STAFF = "staff", "Entered by staff"
        LINK = "link", "Patient's link"
        API = "api", "API"
        # The patient's own answers to a questionnaire sent to them, read out (on the phone) and
        # typed in by a staff member, who is kept in entered_by: never passed off as the patient's
        # own submission through their link.
        ON_BEHALF = "on_behalf", "Entered by staff for the patient"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="questionnaire_responses")
    care_plan = models.ForeignKey(CarePlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    request = models.OneToOneField(QuestionnaireRequest, on_delete=models.SET_NULL, null=True, blank=True, related_name="response")
    appointment = models.ForeignKey(
        Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", help_text="The procedure it follows up"
    )
    questionnaire = models.CharField(max_length=10)
    answers = ArrayField(models.SmallIntegerField(null=True))
    score = models.DecimalField(max_digits=6, decimal_places=2)
    severity = models.CharField(max_length=30, blank=True)
    relief_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    answered_at = models.DateTimeField()
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.STAFF)
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-answered_at", "-id"]
        indexes = [models.Index(fields=["patient", "questionnaire", "answered_at"], name="qr_patient_instrument_at_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(relief_percent__isnull=True) | Q(relief_percent__lte=100), name="qr_relief_percent_range"),
            # The patient's link is the patient alone: a staff member's name on it would mean
            # someone acted as the patient.
            models.CheckConstraint(condition=~Q(source="link") | Q(entered_by__isnull=True), name="qr_link_entered_by_nobody"),
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} {self.score} at {self.answered_at:%Y-%m-%d}"

    @property
    def entered_by_display(self) -> str:
        """Who typed the answers in, for the chart ("" for the patient's own link)."""
        if self.source == self.Source.LINK or self.entered_by_id is None:
            return ""
        provider = getattr(self.entered_by, "provider", None)
        name = provider.display_name if provider is not None else self.entered_by.get_full_name() or self.entered_by.get_username()
        return f"entered by {name} for the patient" if self.source == self.Source.ON_BEHALF else f"entered by {name}"
