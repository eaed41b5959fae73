"""What and why: care plans, problems, goals, team, activities, tasks, follow-up protocols,
pre-procedure checklists, procedure records and outcome questionnaires.

Statuses follow FHIR R4 (CarePlan, Task, activity status, Goal achievement). Status changes go
through careplans.services, one function per transition; nothing here has domain flow in save().
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models
from django.db.models import Q

from clinic.models import Discipline, Patient, Provider
from scheduling.models import Appointment, ProcedureFamily, SpinalRegion, VisitType


class RoleQueue(models.TextChoices):
    """Work queues a task can be assigned to instead of a named provider."""

    FRONT_DESK = "front_desk", "Front desk"
    CARE_COORDINATOR = "care_coordinator", "Care coordinator"
    ANESTHESIOLOGY = "anesthesiology", "Anesthesiology"
    PHYSICAL_THERAPY = "physical_therapy", "Physical therapy"
    PSYCHOLOGY = "psychology", "Psychology"
    NUTRITION = "nutrition", "Nutrition"


# Discipline codes (clinic.Discipline.code) to the role queue their providers work from.
DISCIPLINE_QUEUE = {
    "interventional-pain": RoleQueue.ANESTHESIOLOGY,
    "physical-therapy": RoleQueue.PHYSICAL_THERAPY,
    "psychology": RoleQueue.PSYCHOLOGY,
    "nutrition": RoleQueue.NUTRITION,
}


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


class Task(models.Model):
    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        ACCEPTED = "accepted", "Accepted"
        IN_PROGRESS = "in-progress", "In progress"
        ON_HOLD = "on-hold", "On hold"
        COMPLETED = "completed", "Completed"
        CANCELLED = "cancelled", "Cancelled"

    class Priority(models.TextChoices):
        ROUTINE = "routine", "Routine"
        URGENT = "urgent", "Urgent"
        ASAP = "asap", "ASAP"
        STAT = "stat", "STAT"

    class Source(models.TextChoices):
        PROTOCOL = "protocol", "Protocol step"
        INBOUND_SMS = "inbound_sms", "Inbound SMS"
        QUESTIONNAIRE = "questionnaire", "Questionnaire alert"
        MANUAL = "manual", "Manual"
        CHECKLIST = "checklist", "Pre-procedure checklist"
        ESCALATION = "escalation", "Escalation"
        PATIENT_LINK = "patient_link", "Patient link request"

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks")
    care_plan = models.ForeignKey(CarePlan, on_delete=models.SET_NULL, null=True, blank=True, related_name="tasks")
    appointment = models.ForeignKey(Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="care_tasks")
    assignee_provider = models.ForeignKey(Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="tasks")
    assignee_role = models.CharField(max_length=30, choices=RoleQueue.choices, blank=True)
    due = models.DateTimeField(null=True, blank=True)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.ROUTINE)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.REQUESTED)
    source = models.CharField(max_length=20, choices=Source.choices, default=Source.MANUAL)
    protocol_step = models.ForeignKey("ProtocolStep", on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    dedupe_key = models.CharField(max_length=200, blank=True, help_text="Makes automatic creation idempotent")
    escalation_level = models.PositiveSmallIntegerField(default=0, help_text="0 none, 1 assignee notified, 2 coordinator alerted")
    escalated_at = models.DateTimeField(null=True, blank=True)
    status_reason = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    accepted_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    completed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    cancelled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due", "id"]
        indexes = [
            models.Index(fields=["status", "due"], name="task_status_due_idx"),
            models.Index(fields=["assignee_provider", "status"], name="task_assignee_status_idx"),
            models.Index(fields=["assignee_role", "status"], name="task_role_status_idx"),
            models.Index(fields=["patient", "status"], name="task_patient_status_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["dedupe_key"], condition=~Q(dedupe_key=""), name="task_unique_dedupe_key"),
            models.CheckConstraint(
                condition=Q(assignee_provider__isnull=False) | ~Q(assignee_role=""), name="task_assigned_to_provider_or_queue"
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES

    @property
    def assignee_display(self) -> str:
        if self.assignee_provider_id:
            return str(self.assignee_provider)
        return RoleQueue(self.assignee_role).label + " queue" if self.assignee_role else ""


OPEN_TASK_STATUSES = [Task.Status.REQUESTED, Task.Status.ACCEPTED, Task.Status.IN_PROGRESS, Task.Status.ON_HOLD]


class TaskEvent(models.Model):
    """Audit of every task status change, reassignment and escalation: who, when, why."""

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]


class Protocol(models.Model):
    """Follow-up work as data: which appointments it applies to and its steps. Clinic admins edit
    these in the admin; the defaults ship in a data migration."""

    code = models.SlugField(max_length=60, unique=True)
    name = models.CharField(max_length=160)
    description = models.TextField(blank=True)
    all_procedures = models.BooleanField(default=False, help_text="Applies to every procedure visit type")
    procedure_families = ArrayField(
        models.CharField(max_length=20, choices=ProcedureFamily.choices),
        blank=True,
        default=list,
        help_text="Procedure families it applies to",
    )
    visit_types = models.ManyToManyField(VisitType, blank=True, related_name="protocols", help_text="Further visit types it applies to")
    source = models.CharField(max_length=200, blank=True, help_text="Guideline or consensus it follows")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class ProtocolStep(models.Model):
    class Anchor(models.TextChoices):
        BOOKED = "booked", "Booking"
        START = "start", "Scheduled procedure start"
        COMPLETED = "completed", "Procedure completion"

    class Kind(models.TextChoices):
        TASK = "task", "Task for a role"
        PATIENT_MESSAGE = "patient_message", "Patient message"
        QUESTIONNAIRE = "questionnaire", "Questionnaire"
        FOLLOW_UP_VISIT = "follow_up_visit", "Follow-up visit request"
        CHECKLIST = "checklist", "Pre-procedure checklist item"

    protocol = models.ForeignKey(Protocol, on_delete=models.CASCADE, related_name="steps")
    order = models.PositiveSmallIntegerField(default=0)
    code = models.SlugField(max_length=60, help_text="Stable name within the protocol; keeps assembly idempotent across edits")
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    anchor = models.CharField(max_length=10, choices=Anchor.choices, default=Anchor.COMPLETED)
    offset_minutes = models.IntegerField(default=0, help_text="From the anchor; negative means before (e.g. -1440 = a day before)")
    window_minutes = models.PositiveIntegerField(default=0, help_text="For follow-up visits: the booking window after the offset")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    assignee_role = models.CharField(max_length=30, choices=RoleQueue.choices, blank=True)
    priority = models.CharField(max_length=10, choices=Task.Priority.choices, default=Task.Priority.ROUTINE)
    questionnaire = models.CharField(max_length=10, blank=True, help_text="NRS, PEG, ODI, PHQ-9 or GAD-7")
    ask_relief = models.BooleanField(default=False, help_text="Questionnaire also asks the % relief since the procedure")
    message_purpose = models.CharField(max_length=60, blank=True, help_text="Messaging template purpose for patient messages")
    checklist_code = models.CharField(max_length=30, blank=True)
    # Conditions on what was recorded; empty / unknown means "always".
    when_complication = models.CharField(max_length=30, blank=True, help_text="Only if this complication was recorded")
    when_region = models.CharField(max_length=10, choices=SpinalRegion.choices, blank=True)
    when_diabetic = models.BooleanField(null=True, blank=True)
    when_anticoagulated = models.BooleanField(null=True, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["protocol", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["protocol", "code"], name="protocolstep_unique_code")]

    def __str__(self) -> str:
        return self.title


class ChecklistItem(models.Model):
    class Code(models.TextChoices):
        ANTICOAGULANT = "anticoagulant", "Anticoagulant review"
        CONSENT = "consent", "Consent signed"
        DRIVER = "driver", "Driver arranged"
        NPO = "npo", "NPO instructions given"
        PREGNANCY = "pregnancy", "Pregnancy check"
        CONTRAST_ALLERGY = "contrast_allergy", "Contrast / local anaesthetic allergy"
        GLUCOSE_PLAN = "glucose_plan", "Diabetic glucose plan"
        NUTRITION_SCREEN = "nutrition_screen", "Nutrition screen (B12, iron, vitamin K)"

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        DONE = "done", "Done"
        NOT_APPLICABLE = "n/a", "Not applicable"

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="checklist_items")
    code = models.CharField(max_length=30, choices=Code.choices)
    label = models.CharField(max_length=200)
    detail = models.CharField(max_length=300, blank=True, help_text="e.g. the hold days for the recorded anticoagulant")
    hold_days = models.DecimalField(max_digits=4, decimal_places=1, null=True, blank=True)
    assignee_role = models.CharField(max_length=30, choices=RoleQueue.choices, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    done_at = models.DateTimeField(null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    note = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["appointment", "id"]
        constraints = [models.UniqueConstraint(fields=["appointment", "code"], name="checklist_unique_code_per_appointment")]

    def __str__(self) -> str:
        return self.label


class Complication(models.TextChoices):
    DURAL_PUNCTURE = "dural_puncture", "Inadvertent dural puncture"
    VASOVAGAL = "vasovagal", "Vasovagal reaction"
    BLEEDING = "bleeding", "Bleeding / hematoma"
    INTRAVASCULAR = "intravascular", "Intravascular uptake"
    OTHER = "other", "Other"


class ProcedureRecord(models.Model):
    """What was recorded at a procedure that follow-up depends on (complications)."""

    appointment = models.OneToOneField(Appointment, on_delete=models.PROTECT, related_name="procedure_record")
    complications = ArrayField(models.CharField(max_length=30, choices=Complication.choices), blank=True, default=list)
    note = models.TextField(blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"Procedure record for appointment {self.appointment_id}"

    @property
    def complication_labels(self) -> list[str]:
        return [Complication(c).label if c in Complication.values else c for c in self.complications]


class FollowupAssembly(models.Model):
    """Marks that protocol assembly ran for an appointment event. The unique keys on what it
    creates are what make assembly idempotent; this row lets the sweep find events whose
    Celery task never ran (Redis lost) and lets staff see when it happened."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="followup_assemblies")
    event = models.CharField(max_length=20)
    runs = models.PositiveIntegerField(default=1)
    first_run_at = models.DateTimeField()
    last_run_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["appointment", "event"], name="followup_assembly_unique_event")]


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
    source = models.CharField(max_length=10, default="staff", help_text="staff, link or api")
    entered_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["-answered_at", "-id"]
        indexes = [models.Index(fields=["patient", "questionnaire", "answered_at"], name="qr_patient_instrument_at_idx")]
        constraints = [
            models.CheckConstraint(condition=Q(relief_percent__isnull=True) | Q(relief_percent__lte=100), name="qr_relief_percent_range")
        ]

    def __str__(self) -> str:
        return f"{self.questionnaire} {self.score} at {self.answered_at:%Y-%m-%d}"
