"""Worklist tasks: role queues, tasks and their audit (TaskEvent)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from careplans.models.plans import CarePlan
from clinic.models import Patient, Provider
from scheduling.models import Appointment


class RoleQueue(models.TextChoices):
    """Work queues a task can be assigned to instead of a named provider."""

    FRONT_DESK = "front_desk", "Front desk"
    CARE_COORDINATOR = "care_coordinator", "Care coordinator"
    ANESTHESIOLOGY = "anesthesiology", "Anesthesiology"
    PHYSICAL_THERAPY = "physical_therapy", "Physical therapy"
    PSYCHOLOGY = "psychology", "Psychology"
    NUTRITION = "nutrition", "Nutrition"
    ON_CALL = "on_call", "On-call clinician"
    CLINIC_ADMIN = "clinic_admin", "Clinic admin"
    AUTHORIZATION = "authorization", "Authorization coordinator"


# Queues whose members may not read clinical content: a clinical task never goes there.
NON_CLINICAL_QUEUES = frozenset({RoleQueue.FRONT_DESK, RoleQueue.CLINIC_ADMIN, RoleQueue.AUTHORIZATION})

# Discipline codes (clinic.Discipline.code) to the role queue their providers work from.
DISCIPLINE_QUEUE = {
    "interventional-pain": RoleQueue.ANESTHESIOLOGY,
    "physical-therapy": RoleQueue.PHYSICAL_THERAPY,
    "psychology": RoleQueue.PSYCHOLOGY,
    "nutrition": RoleQueue.NUTRITION,
}


# Protocol step codes whose task is done by recording relief in the procedure record.
RELIEF_STEP_SUFFIX = ":record-relief"


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
        RED_FLAG = "red_flag", "Red flag reported by the patient"
        BREAK_GLASS = "break_glass", "Break-glass review"
        AUTHORIZATION = "authorization", "Prior authorization"

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

    @property
    def records_relief(self) -> bool:
        """A protocol task whose work is recording a procedure's % relief (the diagnostic block's
        "Record % relief" step): the workspace offers the relief form on it, which completes it.
        Read from the task's key (proc:<episode>:<protocol>:<step>), so lists need no join."""
        return self.source == self.Source.PROTOCOL and bool(self.appointment_id) and self.dedupe_key.endswith(RELIEF_STEP_SUFFIX)

    @property
    def is_clinical(self) -> bool:
        """Held by a clinician (a provider or a clinical queue): its title, description and the
        reasons written on it there may carry clinical detail, so it never goes to the front desk."""
        return self.assignee_provider_id is not None or (bool(self.assignee_role) and self.assignee_role not in NON_CLINICAL_QUEUES)


OPEN_TASK_STATUSES = [Task.Status.REQUESTED, Task.Status.ACCEPTED, Task.Status.IN_PROGRESS, Task.Status.ON_HOLD]
# Tasks raised by a patient's crisis answer (PHQ-9 item 9) or a red flag after an EBP: their
# alerts go to phones at once and climb when nobody accepts them (careplans.services.crisis).
CRISIS_SOURCES = [Task.Source.QUESTIONNAIRE, Task.Source.RED_FLAG]


class TaskEventAction(models.TextChoices):
    CREATED = "created", "Created"
    STATUS = "status", "Status changed"
    REASSIGNED = "reassigned", "Reassigned"
    ESCALATED = "escalated", "Escalated"
    MOVED = "moved", "Moved with its appointment"


class TaskEvent(models.Model):
    """Audit of every task status change, reassignment and escalation: who, when, why."""

    Action = TaskEventAction

    task = models.ForeignKey(Task, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(max_length=30, choices=TaskEventAction.choices)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    detail = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
