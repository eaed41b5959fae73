"""When: visit types, availability, appointments, series, bundles, waitlist, payer rules.

Every appointment state that holds time (held, booked, confirmed, checked-in, in-progress) sits
inside PostgreSQL exclusion constraints for the provider, the room (with turnover buffers) and
the patient, so double bookings are impossible whatever happens concurrently.
"""

from __future__ import annotations

import re

from django.conf import settings
from django.contrib.postgres.constraints import ExclusionConstraint
from django.contrib.postgres.fields import ArrayField, RangeBoundary, RangeOperators
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, Q

from clinic.models import Discipline, Equipment, Location, Patient, Payer, ProcedureRiskTier, Provider, Room, RoomKind
from core.models import StatusTrail

_BILLING_CODE = re.compile(r"^(\d{4}[0-9FTU]|[A-V]\d{4})$")


def validate_billing_code(value: str) -> None:
    """A CPT code (five digits, or four and F/T/U) or a HCPCS Level II code (a letter and four digits)."""
    if not _BILLING_CODE.match(value or ""):
        raise ValidationError(f"{value!r} is not a CPT or HCPCS code (e.g. 64483, 0275T, J1040).")


def validate_billing_codes(values: list[str]) -> None:
    for value in values:
        validate_billing_code(value)


class TsTzRange(Func):
    function = "TSTZRANGE"
    output_field = models.DateTimeField()  # only used inside constraints


class ProcedureFamily(models.TextChoices):
    NONE = "", "Not a procedure"
    EBP = "ebp", "Epidural blood patch"
    ESI = "esi", "Epidural steroid injection"
    # Distinct families: payer rules read relief from medial branch blocks (the diagnostic test
    # before an RFA), never from an intra-articular injection of the joint itself.
    FACET = "facet", "Intra-articular facet injection"
    MBB = "mbb", "Diagnostic medial branch block"
    RFA = "rfa", "Radiofrequency ablation"
    NERVE_BLOCK = "nerve_block", "Peripheral nerve block"
    SCS_TRIAL = "scs_trial", "Spinal cord stimulator trial"
    SCS_REMOVAL = "scs_removal", "SCS trial lead removal"


# The bleeding-risk tier a new procedure visit type starts with (ASRA 2018); the clinic admin
# may change it per visit type.
DEFAULT_RISK_BY_FAMILY = {
    ProcedureFamily.EBP: ProcedureRiskTier.INTERMEDIATE,
    ProcedureFamily.ESI: ProcedureRiskTier.INTERMEDIATE,
    ProcedureFamily.FACET: ProcedureRiskTier.INTERMEDIATE,
    ProcedureFamily.MBB: ProcedureRiskTier.INTERMEDIATE,
    ProcedureFamily.RFA: ProcedureRiskTier.INTERMEDIATE,
    ProcedureFamily.SCS_TRIAL: ProcedureRiskTier.HIGH,
    ProcedureFamily.NERVE_BLOCK: ProcedureRiskTier.LOW,
    ProcedureFamily.SCS_REMOVAL: ProcedureRiskTier.LOW,
}


class VisitType(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=120)
    discipline = models.ForeignKey(Discipline, on_delete=models.PROTECT, related_name="visit_types")
    duration_minutes = models.PositiveIntegerField()
    buffer_before_minutes = models.PositiveIntegerField(default=0, help_text="Room set-up before the visit")
    buffer_after_minutes = models.PositiveIntegerField(default=0, help_text="Room turnover after the visit")
    room_kind = models.CharField(max_length=20, choices=RoomKind.choices)
    required_equipment = models.ManyToManyField(Equipment, blank=True, related_name="visit_types")
    locations = models.ManyToManyField(
        "clinic.Location",
        blank=True,
        related_name="visit_types",
        help_text="Locations that offer this visit type; none chosen = every location",
    )
    is_procedure = models.BooleanField(default=False)
    procedure_family = models.CharField(max_length=20, choices=ProcedureFamily.choices, blank=True, default="")
    procedure_risk = models.CharField(
        max_length=12,
        choices=ProcedureRiskTier.choices,
        blank=True,
        help_text="Bleeding-risk tier (ASRA 2018) that sets anticoagulant holds; a procedure left blank is treated as high risk",
    )
    telehealth = models.BooleanField(default=False, help_text="Held by video; gets a video link and a virtual room")
    telehealth_capable = models.BooleanField(default=False)
    requires_driver = models.BooleanField(default=False)
    requires_consent = models.BooleanField(default=False)
    requires_npo = models.BooleanField(default=False)
    prep_text_en = models.TextField("Preparation (English)", blank=True)
    prep_text_es = models.TextField("Preparation (Spanish)", blank=True)
    min_notice_minutes = models.PositiveIntegerField(default=120, help_text="Earliest bookable time after now")
    # The procedure codes the clinic bills this visit with, as entered (FHIR HealthcareService and
    # Appointment carry them); not a payer-rule input (payer rules count procedure families).
    billing_codes = ArrayField(
        models.CharField(max_length=5),
        blank=True,
        validators=[validate_billing_codes],
        default=list,
        help_text="CPT or HCPCS codes, comma-separated, e.g. 64483,77003",
    )
    # Patients book (from a booking ticket's link) and move (from a reminder's link) visits of
    # this type themselves. Procedures never do: they need checklists and a clinician's judgement.
    self_schedulable = models.BooleanField(
        default=False, help_text="Patients may book and reschedule this visit type themselves from a link (never procedures)"
    )
    self_reschedule_cutoff_hours = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Patients may move a visit online until this many hours before it; empty: SELF_RESCHEDULE_CUTOFF_HOURS",
    )
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["discipline__name", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(is_procedure=False) | Q(self_schedulable=False), name="visit_type_procedure_not_self_schedulable"
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def bleeding_risk(self) -> str:
        """The tier the checklist applies: unset on a procedure means high (the safe side)."""
        return self.procedure_risk or ProcedureRiskTier.HIGH

    def prep_text(self, language: str) -> str:
        return (self.prep_text_es if language == "es" else "") or self.prep_text_en


class AvailabilityTemplate(models.Model):
    """A weekly block in wall-clock time of the location's zone (so 08:00 stays 08:00 across DST)."""

    class Weekday(models.IntegerChoices):
        MONDAY = 0, "Monday"
        TUESDAY = 1, "Tuesday"
        WEDNESDAY = 2, "Wednesday"
        THURSDAY = 3, "Thursday"
        FRIDAY = 4, "Friday"
        SATURDAY = 5, "Saturday"
        SUNDAY = 6, "Sunday"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="templates")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="templates")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    start_time = models.TimeField()
    end_time = models.TimeField()
    visit_types = models.ManyToManyField(VisitType, blank=True, help_text="Empty means every visit type of the provider's discipline")
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)

    class Meta:
        ordering = ["provider", "weekday", "start_time"]
        constraints = [models.CheckConstraint(condition=Q(end_time__gt=F("start_time")), name="template_end_after_start")]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.start_time:%H:%M}-{self.end_time:%H:%M}"


class AvailabilityException(models.Model):
    class Kind(models.TextChoices):
        TIME_OFF = "time_off", "Time off"
        EXTRA = "extra", "Extra session"

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="exceptions")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    start = models.DateTimeField()
    end = models.DateTimeField()
    location = models.ForeignKey(Location, on_delete=models.PROTECT, null=True, blank=True, help_text="For extra sessions")
    reason = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start"]
        constraints = [models.CheckConstraint(condition=Q(end__gt=F("start")), name="exception_end_after_start")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.start:%Y-%m-%d %H:%M}"


class ClinicClosure(models.Model):
    location = models.ForeignKey(Location, on_delete=models.CASCADE, null=True, blank=True, help_text="Empty: every location")
    date = models.DateField()
    reason = models.CharField(max_length=200)

    class Meta:
        ordering = ["date"]

    def __str__(self) -> str:
        return f"{self.date}: {self.reason}"


class SpinalRegion(models.TextChoices):
    CERVICAL = "cervical", "Cervical"
    THORACIC = "thoracic", "Thoracic"
    LUMBAR = "lumbar", "Lumbar"
    SACRAL = "sacral", "Sacral"


class BillingRegion(models.Model):
    """Spinal levels that payers count as one region for frequency limits, as the CPT families
    bill them (62320/62321 cervical–thoracic, 62322/62323 lumbar–sacral, and the same pairing for
    transforaminal, facet and RFA codes). The appointment keeps the finer level; a level in no
    billing region counts on its own."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    spinal_regions = ArrayField(
        models.CharField(max_length=10, choices=SpinalRegion.choices), help_text="Spinal levels counted together (each in one region only)"
    )
    source = models.CharField(max_length=200, blank=True, help_text="e.g. the CPT codes that bill these levels together")

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        levels = list(self.spinal_regions or [])
        if len(set(levels)) != len(levels):
            raise ValidationError({"spinal_regions": "List each spinal level once."})
        taken = BillingRegion.objects.exclude(pk=self.pk).filter(spinal_regions__overlap=levels)
        for other in taken:
            shared = sorted(set(other.spinal_regions) & set(levels))
            raise ValidationError({"spinal_regions": f"{', '.join(shared)} already counts in {other.name}."})


class Laterality(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BILATERAL = "bilateral", "Bilateral"
    MIDLINE = "midline", "Midline"


class AppointmentStatus(models.TextChoices):
    HELD = "held", "Held"
    BOOKED = "booked", "Booked"
    CONFIRMED = "confirmed", "Confirmed"
    CHECKED_IN = "checked-in", "Checked in"
    IN_PROGRESS = "in-progress", "In progress"
    COMPLETED = "completed", "Completed"
    CANCELLED = "cancelled", "Cancelled"
    NO_SHOW = "noshow", "No-show"


# States that hold time; every one of them is inside the overlap constraints (Cal.com #10789).
TIME_HOLDING = [
    AppointmentStatus.HELD,
    AppointmentStatus.BOOKED,
    AppointmentStatus.CONFIRMED,
    AppointmentStatus.CHECKED_IN,
    AppointmentStatus.IN_PROGRESS,
]
_HOLDING = Q(status__in=TIME_HOLDING)
# Visits that count as the patient's (payer frequency rules, calendar feeds): holding time or done.
HOLDING_OR_COMPLETED = [*TIME_HOLDING, AppointmentStatus.COMPLETED]


class AppointmentSeries(models.Model):
    """'PT twice a week for 6 weeks': a row plus materialised occurrences (Appointment.series)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="series")
    visit_type = models.ForeignKey(VisitType, on_delete=models.PROTECT)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, null=True, blank=True)
    per_week = models.PositiveSmallIntegerField()
    weeks = models.PositiveSmallIntegerField()
    start_date = models.DateField()
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "appointment series"

    def __str__(self) -> str:
        return f"{self.visit_type} ×{self.per_week}/week for {self.weeks} weeks"


class AppointmentBundle(models.Model):
    """Several visits of different disciplines on one day for one patient, booked all-or-nothing."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="bundles")
    date = models.DateField()
    max_gap_minutes = models.PositiveIntegerField(default=30)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Same-day bundle on {self.date}"


class AuthorizationStatus(models.TextChoices):
    """Whether the payer's prior authorization covers the appointment: an attribute of the
    appointment, written by the prior-authorization app through
    scheduling.services.appointment_authorization_set (never an appointment status: the
    time-holding statuses and the exclusion constraints do not depend on it)."""

    NOT_REQUIRED = "not-required", "Not required"
    MISSING = "missing", "Authorization required"
    PENDING = "pending", "Authorization pending"
    APPROVED = "approved", "Authorized"
    DENIED = "denied", "Authorization denied"
    EXPIRED = "expired", "Authorization expired"
    OVERRIDDEN = "overridden", "Authorization overridden"


# Authorization states that let a procedure be checked in and started.
AUTHORIZATION_CLEARED = frozenset({AuthorizationStatus.NOT_REQUIRED, AuthorizationStatus.APPROVED, AuthorizationStatus.OVERRIDDEN})


class Appointment(models.Model):
    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="appointments")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="appointments")
    visit_type = models.ForeignKey(VisitType, on_delete=models.PROTECT, related_name="appointments")
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="appointments")
    room = models.ForeignKey(Room, on_delete=models.PROTECT, related_name="appointments", null=True, blank=True)
    start = models.DateTimeField()
    end = models.DateTimeField()
    # The room is held from set-up to turnover; copied from the visit type at booking so later
    # catalogue edits do not change history.
    room_start = models.DateTimeField()
    room_end = models.DateTimeField()
    status = models.CharField(max_length=20, choices=AppointmentStatus.choices, default=AppointmentStatus.BOOKED)
    hold_expires_at = models.DateTimeField(null=True, blank=True)
    region = models.CharField(max_length=10, choices=SpinalRegion.choices, blank=True)
    laterality = models.CharField(max_length=10, choices=Laterality.choices, blank=True)
    # The effective outcome of a procedure, which payer rules read: the latest procedure record
    # (careplans keeps every version and writes the current one here through
    # appointment_outcome_set).
    relief_percent = models.PositiveSmallIntegerField(null=True, blank=True, help_text="Recorded relief after a procedure (0–100)")
    relief_weeks = models.PositiveSmallIntegerField(null=True, blank=True, help_text="How long the relief lasted, in weeks")
    functional_improvement = models.BooleanField(null=True, blank=True, help_text="Documented functional improvement")
    video_url = models.URLField(blank=True)
    notes = models.CharField(max_length=500, blank=True, help_text="Scheduling note (no clinical content)")
    series = models.ForeignKey(AppointmentSeries, on_delete=models.SET_NULL, null=True, blank=True, related_name="appointments")
    bundle = models.ForeignKey(AppointmentBundle, on_delete=models.SET_NULL, null=True, blank=True, related_name="appointments")
    rescheduled_from = models.OneToOneField("self", on_delete=models.SET_NULL, null=True, blank=True, related_name="rescheduled_to")
    override_reason = models.CharField(max_length=500, blank=True)
    overridden_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    booked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    cancel_reason = models.CharField(max_length=500, blank=True)
    authorization_status = models.CharField(
        max_length=12, choices=AuthorizationStatus.choices, default=AuthorizationStatus.NOT_REQUIRED, help_text="Payer prior authorization"
    )
    # The authorizations app's Authorization id (no foreign key: scheduling sits below that app).
    authorization_ref = models.PositiveIntegerField(null=True, blank=True, help_text="The prior authorization covering this visit")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    checked_in_at = models.DateTimeField(null=True, blank=True)
    started_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    no_show_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["start", "id"]
        permissions = [("override_payer_rule", "Can override payer frequency rules with a reason")]
        indexes = [
            models.Index(fields=["provider", "start"], name="appt_provider_start_idx"),
            models.Index(fields=["patient", "start"], name="appt_patient_start_idx"),
            models.Index(fields=["room", "start"], name="appt_room_start_idx"),  # slot search loads room time by range
            models.Index(fields=["start", "id"], name="appt_start_id_idx"),  # lists page in (start, id) order
            # One location's list (×10: a tenth of the rows): its page in (start, id) order and its
            # count (`end` included, so an index-only scan) without reading the other locations.
            models.Index(fields=["location", "start", "id"], include=["end"], name="appt_location_start_idx"),
            models.Index(fields=["status", "start"], name="appt_status_start_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(end__gt=F("start")), name="appointment_end_after_start"),
            models.CheckConstraint(
                condition=Q(room_start__lte=F("start"), room_end__gte=F("end")), name="appointment_room_span_covers_visit"
            ),
            models.CheckConstraint(
                condition=Q(relief_percent__isnull=True) | Q(relief_percent__lte=100), name="appointment_relief_percent_range"
            ),
            ExclusionConstraint(
                name="appointment_no_provider_overlap",
                expressions=[(TsTzRange("start", "end", RangeBoundary()), RangeOperators.OVERLAPS), ("provider", RangeOperators.EQUAL)],
                condition=_HOLDING,
            ),
            ExclusionConstraint(
                name="appointment_no_room_overlap",
                expressions=[
                    (TsTzRange("room_start", "room_end", RangeBoundary()), RangeOperators.OVERLAPS),
                    ("room", RangeOperators.EQUAL),
                ],
                condition=_HOLDING & Q(room__isnull=False),
            ),
            ExclusionConstraint(
                name="appointment_no_patient_overlap",
                expressions=[(TsTzRange("start", "end", RangeBoundary()), RangeOperators.OVERLAPS), ("patient", RangeOperators.EQUAL)],
                condition=_HOLDING,
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.visit_type_id} at {self.start:%Y-%m-%d %H:%M} UTC"

    @property
    def holds_time(self) -> bool:
        return self.status in TIME_HOLDING


class AppointmentEvent(StatusTrail):
    """Audit trail of every status change: who, when, from what to what, and why. `detail` holds
    scheduling-level facts only (e.g. the payer rules an override overrode): the front desk reads
    this trail."""

    appointment = models.ForeignKey(Appointment, on_delete=models.CASCADE, related_name="events")


class FrequencyRule(models.Model):
    """A payer (or, with no payer, every payer's default) limit on repeated procedures.

    Sessions are counted by date of service in the location's zone, per billing region
    (BillingRegion); windows are calendar months, intervals calendar days, relief durations weeks
    (the unit the procedure record uses)."""

    name = models.CharField(max_length=160)
    payer = models.ForeignKey(
        Payer, on_delete=models.CASCADE, null=True, blank=True, related_name="frequency_rules", help_text="Empty: applies to every payer"
    )
    procedure_families = ArrayField(
        models.CharField(max_length=20, choices=ProcedureFamily.choices), help_text="Procedure families counted together"
    )
    max_sessions = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="Sessions allowed per billing region in any rolling window"
    )
    window_months = models.PositiveSmallIntegerField(
        default=12, help_text="Rolling window in calendar months, inclusive: 12 months before 2028-03-15 starts on 2027-03-15"
    )
    min_interval_days = models.PositiveIntegerField(
        null=True, blank=True, help_text="Minimum calendar days between dates of service in the billing region"
    )
    repeat_min_relief_percent = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="A repeat session needs at least this % relief recorded for the previous one in the region"
    )
    repeat_min_relief_weeks = models.PositiveSmallIntegerField(
        null=True, blank=True, help_text="…lasting at least this many weeks (empty: any duration)"
    )
    repeat_accepts_functional_improvement = models.BooleanField(
        default=False, help_text="Documented functional improvement counts instead of the % relief"
    )
    prerequisite_family = models.CharField(
        max_length=20, choices=ProcedureFamily.choices, blank=True, help_text="e.g. diagnostic blocks before a first RFA"
    )
    prerequisite_count = models.PositiveSmallIntegerField(null=True, blank=True)
    prerequisite_min_relief_percent = models.PositiveSmallIntegerField(null=True, blank=True)
    source = models.CharField(max_length=200, blank=True, help_text="e.g. Medicare LCD L39240")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(condition=Q(window_months__gte=1), name="frequency_rule_window_months_positive"),
            models.CheckConstraint(
                condition=Q(repeat_min_relief_percent__isnull=True) | Q(repeat_min_relief_percent__lte=100),
                name="frequency_rule_repeat_relief_percent_range",
            ),
            models.CheckConstraint(
                condition=Q(prerequisite_min_relief_percent__isnull=True) | Q(prerequisite_min_relief_percent__lte=100),
                name="frequency_rule_prerequisite_relief_percent_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def asks_for_relief(self) -> bool:
        return (
            self.repeat_min_relief_percent is not None
            or self.repeat_min_relief_weeks is not None
            or self.repeat_accepts_functional_improvement
        )


class WaitlistEntry(models.Model):
    class Status(models.TextChoices):
        WAITING = "waiting", "Waiting"
        OFFERED = "offered", "Offered"
        BOOKED = "booked", "Booked"
        EXPIRED = "expired", "Expired"
        REMOVED = "removed", "Removed"

    class Priority(models.IntegerChoices):
        ROUTINE = 0, "Routine"
        SOON = 1, "Soon"
        URGENT = 2, "Urgent"

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="waitlist_entries")
    visit_type = models.ForeignKey(VisitType, on_delete=models.PROTECT)
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, null=True, blank=True)
    earliest_date = models.DateField()
    latest_date = models.DateField()
    weekdays = ArrayField(models.PositiveSmallIntegerField(), blank=True, default=list, help_text="0=Monday; empty means any day")
    earliest_time = models.TimeField(null=True, blank=True)
    latest_time = models.TimeField(null=True, blank=True)
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.ROUTINE)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.WAITING)
    offered_appointment = models.ForeignKey(Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="waitlist_offers")
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    notes = models.CharField(max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-priority", "created_at"]
        verbose_name_plural = "waitlist entries"

    def __str__(self) -> str:
        return f"Waitlist: {self.visit_type} ({self.get_status_display()})"


# Entries still in play: waiting for time, or holding an offered slot.
WAITLIST_OPEN = [WaitlistEntry.Status.WAITING, WaitlistEntry.Status.OFFERED]


class WaitlistEvent(models.Model):
    """Audit trail of every waitlist status change: who, when, from what to what, why, and the
    held appointment an offer or a booking concerns."""

    entry = models.ForeignKey(WaitlistEntry, on_delete=models.CASCADE, related_name="events")
    from_status = models.CharField(max_length=10, choices=WaitlistEntry.Status.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=WaitlistEntry.Status.choices)
    at = models.DateTimeField()
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    appointment = models.ForeignKey(Appointment, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reason = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["at", "id"]


class CalendarFeed(models.Model):
    """A provider's private iCalendar feed. The token in the URL is the credential: only its
    SHA-256 is stored (a copy of the database or an admin screen shows no usable URL), the
    token itself is shown once when issued, and it expires (FEED_TOKEN_TTL_DAYS) and can be
    revoked. scheduling/services/feeds.py issues, rotates, revokes and reads feeds."""

    provider = models.ForeignKey(Provider, on_delete=models.CASCADE, related_name="calendar_feeds")
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(
        max_length=8, editable=False, help_text="The first characters of the token, to tell feeds apart; not enough to use it."
    )
    show_details = models.BooleanField(
        default=False,
        help_text="Put the visit type in event titles. Off, events read only 'Appointment · Consult A' (the room). Never patient names or initials.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"Calendar feed {self.token_prefix}… for provider {self.provider_id}"


class BookingTicket(models.Model):
    """An order for visits the patient (or the front desk) still has to book: "follow-up visit
    2–4 weeks after the ESI", "PT twice a week for six weeks". A protocol step, a care-plan
    activity or staff open it (scheduling/services/tickets.py); booking goes through the same
    appointment_book / series_book as any other visit, so every rule applies."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        BOOKED = "booked", "Booked"
        EXPIRED = "expired", "Expired"
        CANCELLED = "cancelled", "Cancelled"

    class Source(models.TextChoices):
        PROTOCOL = "protocol", "Protocol"
        PLAN = "plan", "Care plan"
        STAFF = "staff", "Staff"

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="booking_tickets")
    visit_type = models.ForeignKey(VisitType, on_delete=models.PROTECT, related_name="booking_tickets")
    discipline = models.ForeignKey(Discipline, on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, null=True, blank=True, related_name="booking_tickets")
    earliest = models.DateField(help_text="First day a visit may be booked")
    latest = models.DateField(help_text="Last day; the ticket expires after it")
    visits = models.PositiveSmallIntegerField(default=1, help_text="Visits to book (more than one: a series)")
    per_week = models.PositiveSmallIntegerField(default=1, help_text="For a series: visits a week")
    booked = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    source = models.CharField(max_length=10, choices=Source.choices)
    # What opened it, e.g. "proc:12:esi:follow-up-visit": a re-run of the protocol finds the
    # ticket instead of opening a second one.
    source_key = models.CharField(max_length=120, unique=True, null=True, blank=True)
    source_label = models.CharField(max_length=200, blank=True, help_text="e.g. the protocol step's title (no clinical detail)")
    appointments = models.ManyToManyField(Appointment, blank=True, related_name="booking_tickets")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    created_at = models.DateTimeField()
    updated_at = models.DateTimeField(auto_now=True)
    reminded_at = models.DateTimeField(null=True, blank=True, help_text="When the patient was reminded (once)")
    escalated_at = models.DateTimeField(null=True, blank=True, help_text="When the front desk got a 'follow-up not booked' task")
    closed_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["latest", "id"]
        indexes = [
            models.Index(fields=["patient", "status"], name="ticket_patient_status_idx"),
            models.Index(fields=["latest"], condition=Q(status="open"), name="ticket_open_latest_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(latest__gte=F("earliest")), name="ticket_latest_after_earliest"),
            models.CheckConstraint(condition=Q(visits__gte=1) & Q(booked__lte=F("visits")), name="ticket_booked_within_visits"),
            models.CheckConstraint(condition=Q(per_week__gte=1) & Q(per_week__lte=7), name="ticket_per_week_range"),
        ]

    def __str__(self) -> str:
        return f"Ticket #{self.pk}: {self.visit_type} ({self.get_status_display()})"

    @property
    def is_series(self) -> bool:
        return self.visits > 1
