"""Follow-up protocols as data, pre-procedure checklists, procedure records and the assembly log."""

from __future__ import annotations

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.db import models

from careplans.models.tasks import RoleQueue, Task
from scheduling.models import Appointment, ProcedureFamily, SpinalRegion, VisitType


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
    # Follow-up visits: the booking ticket's visit type and count (a PT series: visits 12, 2 a
    # week). Empty visit type: the front desk gets a task to book it, as before tickets.
    visit_type = models.ForeignKey(
        VisitType,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        help_text="Follow-up visits: opens a booking ticket for this visit type (self-schedulable ones send the patient a link)",
    )
    visits = models.PositiveSmallIntegerField(default=1, help_text="Follow-up visits: how many to book")
    per_week = models.PositiveSmallIntegerField(default=1, help_text="Follow-up visits: visits a week when more than one")
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
    detail = models.CharField(max_length=1000, blank=True, help_text="e.g. the hold for each anticoagulant the patient takes")
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
    """One version of what was recorded about a procedure: relief, complications, a note. Every
    entry is a new row (version 1, 2, … per appointment), so a correction never erases what was
    there before. The appointment's effective outcome (what payer rules read) is derived from these
    rows by careplans.services.records: a provider's entry wins over a patient-reported one."""

    class Source(models.TextChoices):
        PROVIDER = "provider", "Entered by a provider"
        DIARY = "diary", "Computed from the patient's pain diary"
        PATIENT = "patient", "Patient's questionnaire answer"

    appointment = models.ForeignKey(Appointment, on_delete=models.PROTECT, related_name="procedure_records")
    version = models.PositiveIntegerField(default=1)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.PROVIDER)
    relief_percent = models.PositiveSmallIntegerField(null=True, blank=True, help_text="% relief from the procedure (0–100)")
    relief_weeks = models.PositiveSmallIntegerField(null=True, blank=True, help_text="How long the relief lasted, in weeks")
    functional_improvement = models.BooleanField(null=True, blank=True, help_text="Documented functional improvement")
    complications = ArrayField(models.CharField(max_length=30, choices=Complication.choices), blank=True, default=list)
    note = models.TextField(blank=True)
    questionnaire_response = models.ForeignKey(
        "careplans.QuestionnaireResponse",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="The diary or questionnaire a patient-reported value came from",
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    recorded_at = models.DateTimeField()

    class Meta:
        ordering = ["appointment_id", "-version"]
        constraints = [
            models.UniqueConstraint(fields=["appointment", "version"], name="procedure_record_unique_version"),
            models.CheckConstraint(
                condition=models.Q(relief_percent__isnull=True) | models.Q(relief_percent__lte=100), name="procedure_record_relief_range"
            ),
        ]

    def __str__(self) -> str:
        return f"Procedure record v{self.version} for appointment {self.appointment_id}"

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
