"""Care plans: the plan, its problems (ICD-10-CM), goals, care team, activities, team notes and
the audit of their status changes (CarePlanEvent)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from clinic.models import Discipline, Patient, Provider
from scheduling.models import Appointment, VisitType


class CarePlan(models.Model):
    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        ACTIVE = "active", "Active"
        ON_HOLD = "on-hold", "On hold"
        COMPLETED = "completed", "Completed"
        REVOKED = "revoked", "Revoked"

    class Intent(models.TextChoices):
        PLAN = "plan", "Plan"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="care_plans")
    title = models.CharField(max_length=200)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.DRAFT)
    intent = models.CharField(max_length=10, choices=Intent.choices, default=Intent.PLAN)
    description = models.TextField(blank=True)
    period_start = models.DateField()
    period_end = models.DateField(null=True, blank=True)
    status_reason = models.CharField(max_length=300, blank=True)
    status_changed_at = models.DateTimeField(null=True, blank=True)
    status_changed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_start", "id"]
        indexes = [models.Index(fields=["patient", "status"], name="careplan_patient_status_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(period_end__isnull=True) | Q(period_end__gte=models.F("period_start")), name="careplan_period_ordered"
            )
        ]

    def __str__(self) -> str:
        return self.title


class Problem(models.Model):
    """A condition the plan addresses, coded in ICD-10-CM (e.g. G97.1, G96.00, M54.16)."""

    care_plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="problems")
    code = models.CharField("ICD-10-CM code", max_length=10)
    text = models.CharField(max_length=200)
    onset = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["care_plan", "code"], name="problem_unique_code_per_plan")]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class Measure(models.TextChoices):
    PEG = "PEG", "Pain, enjoyment, general activity (PEG)"
    NRS = "NRS", "Pain intensity (NRS)"
    ODI = "ODI", "Oswestry Disability Index"
    PHQ9 = "PHQ-9", "PHQ-9 depression"
    GAD7 = "GAD-7", "GAD-7 anxiety"
    OTHER = "other", "Other (described)"


class Goal(models.Model):
    class Achievement(models.TextChoices):
        IN_PROGRESS = "in-progress", "In progress"
        IMPROVING = "improving", "Improving"
        WORSENING = "worsening", "Worsening"
        NO_CHANGE = "no-change", "No change"
        ACHIEVED = "achieved", "Achieved"
        NOT_ACHIEVED = "not-achieved", "Not achieved"

    class Comparator(models.TextChoices):
        AT_MOST = "<=", "≤"
        AT_LEAST = ">=", "≥"

    care_plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="goals")
    description = models.CharField(max_length=300, help_text='e.g. "Average pain (PEG) ≤ 4" or "Walk 30 minutes"')
    measure = models.CharField(max_length=10, choices=Measure.choices, default=Measure.OTHER)
    target_comparator = models.CharField(max_length=2, choices=Comparator.choices, blank=True)
    target_value = models.DecimalField(max_digits=6, decimal_places=2, null=True, blank=True)
    target_text = models.CharField(max_length=100, blank=True, help_text='For measures without a number, e.g. "30 minutes"')
    target_date = models.DateField(null=True, blank=True)
    achievement_status = models.CharField(max_length=20, choices=Achievement.choices, default=Achievement.IN_PROGRESS)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.description

    @property
    def target_display(self) -> str:
        if self.target_value is not None and self.target_comparator:
            return f"{self.measure} {self.get_target_comparator_display()} {self.target_value.normalize():f}"
        return self.target_text


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
            models.CheckConstraint(condition=Q(provider__isnull=False) | Q(user__isnull=False), name="careteam_member_is_someone"),
        ]

    def __str__(self) -> str:
        return self.get_role_display()


class Activity(models.Model):
    class Kind(models.TextChoices):
        VISIT_SERIES = "visit_series", "Visit series"
        PROCEDURE = "procedure", "Procedure"
        EDUCATION = "education", "Education"
        HOME_PROGRAMME = "home_programme", "Home programme"
        QUESTIONNAIRE = "questionnaire", "Questionnaire"

    class Status(models.TextChoices):
        NOT_STARTED = "not-started", "Not started"
        SCHEDULED = "scheduled", "Scheduled"
        IN_PROGRESS = "in-progress", "In progress"
        ON_HOLD = "on-hold", "On hold"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"
        STOPPED = "stopped", "Stopped"

    care_plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="activities")
    title = models.CharField(max_length=200)
    discipline = models.ForeignKey(Discipline, on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    visit_type = models.ForeignKey(VisitType, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    questionnaire = models.CharField(max_length=10, blank=True, help_text="For questionnaire activities: NRS, PEG, ODI, PHQ-9, GAD-7")
    planned_count = models.PositiveSmallIntegerField(default=1)
    per_week = models.PositiveSmallIntegerField(null=True, blank=True)
    weeks = models.PositiveSmallIntegerField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NOT_STARTED)
    appointments = models.ManyToManyField(Appointment, blank=True, related_name="care_activities")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "activities"

    def __str__(self) -> str:
        return self.title

    @property
    def frequency_display(self) -> str:
        if self.per_week and self.weeks:
            return f"{self.per_week}×/week for {self.weeks} weeks"
        return ""


class TeamNote(models.Model):
    """A hand-off between disciplines: who wrote what, when. Never edited after the fact."""

    care_plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="notes")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    at = models.DateTimeField()
    text = models.TextField()

    class Meta:
        ordering = ["-at", "-id"]

    def __str__(self) -> str:
        return f"Note at {self.at:%Y-%m-%d %H:%M}"


class CarePlanEvent(models.Model):
    """Audit of every status change of a care plan, a goal's achievement or an activity's status:
    what, who, when, why. Written only by the transition functions in careplans.services.plans."""

    class Subject(models.TextChoices):
        CARE_PLAN = "careplan", "Care plan"
        GOAL = "goal", "Goal"
        ACTIVITY = "activity", "Activity"

    care_plan = models.ForeignKey(CarePlan, on_delete=models.CASCADE, related_name="events")
    subject = models.CharField(max_length=10, choices=Subject.choices)
    object_id = models.PositiveBigIntegerField()
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["subject", "object_id"], name="careplanevent_subject_idx")]

    def __str__(self) -> str:
        return f"{self.get_subject_display()} #{self.object_id}: {self.from_status or '—'} → {self.to_status}"
