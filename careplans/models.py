"""What and why: care plans, goals, team, activities, tasks, protocols, questionnaires.

(This module starts with the care plan and its team, which patient access depends on; the
care-plans issue fills in the rest.)"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from clinic.models import Patient, Provider


class CarePlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ON_HOLD = "on-hold", "On hold"
        COMPLETED = "completed", "Completed"
        REVOKED = "revoked", "Revoked"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_plans")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    period_start = models.DateField()
    period_end = models.DateField(null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start", "id"]

    def __str__(self) -> str:
        return self.title


class CareTeamMember(models.Model):
    class Role(models.TextChoices):
        LEAD_PHYSICIAN = "lead_physician", "Lead physician"
        PHYSICAL_THERAPIST = "physical_therapist", "Physical therapist"
        PSYCHOLOGIST = "psychologist", "Psychologist"
        DIETITIAN = "dietitian", "Dietitian"
        CARE_COORDINATOR = "care_coordinator", "Care coordinator"
        OTHER = "other", "Other"

    care_plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="team")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="care_team_memberships")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="For members who are not providers (coordinators)",
    )
    role = models.CharField(max_length=30, choices=Role.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["care_plan", "provider", "role"], name="careteam_unique_provider_role"),
        ]

    def __str__(self) -> str:
        return self.get_role_display()
