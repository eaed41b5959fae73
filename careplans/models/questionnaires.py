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
            models.CheckConstraint(condition=Q(relief_percent__isnull=True) | Q(relief_percent__lte=100), name="qr_relief_percent_range")
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} {self.score} at {self.answered_at:%Y-%m-%d}"
