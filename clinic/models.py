"""Who and where: disciplines, providers, patients, locations, rooms, payers."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.db import models
from django.db.models import Func, Value
from django.db.models.functions import Cast, Concat, LPad
from phonenumber_field.modelfields import PhoneNumberField

from clinic.validators import validate_hex_colour, validate_npi, validate_time_zone

TIME_ZONE_CHOICES = sorted((tz, tz) for tz in zoneinfo.available_timezones() if "/" in tz and not tz.startswith("Etc"))


class Discipline(models.Model):
    """A clinical discipline; clinic admins add more (e.g. nursing) without code."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)
    is_procedural = models.BooleanField(default=False, help_text="Performs procedures (e.g. interventional pain).")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Location(models.Model):
    name = models.CharField(max_length=120, unique=True)
    address_line1 = models.CharField(max_length=200)
    address_line2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100)
    state = models.CharField(max_length=50)
    postal_code = models.CharField(max_length=20)
    phone = PhoneNumberField(blank=True)
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, validators=[validate_time_zone])
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class TravelTime(models.Model):
    """Minutes a provider needs between two of the system's locations. One row serves both
    directions unless the reverse has a row of its own; a pair without a row takes
    `TRAVEL_DEFAULT_MINUTES` (clinic.travel.travel_matrix)."""

    origin = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="travel_from")
    destination = models.ForeignKey(Location, on_delete=models.CASCADE, related_name="travel_to")
    minutes = models.PositiveIntegerField(help_text="Travel time kept free between visits at the two locations")

    class Meta:
        ordering = ["origin__name", "destination__name"]
        constraints = [
            models.UniqueConstraint(fields=["origin", "destination"], name="travel_unique_pair"),
            models.CheckConstraint(condition=~models.Q(origin=models.F("destination")), name="travel_between_two_locations"),
        ]

    def __str__(self) -> str:
        return f"{self.origin} → {self.destination}: {self.minutes} min"


class Equipment(models.Model):
    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "equipment"

    def __str__(self) -> str:
        return self.name


class RoomKind(models.TextChoices):
    PROCEDURE_SUITE = "procedure_suite", "Procedure suite"
    CONSULT = "consult", "Consult room"
    PT_GYM = "pt_gym", "PT gym"
    VIRTUAL = "virtual", "Virtual (telehealth)"


class Room(models.Model):
    location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="rooms")
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=RoomKind.choices)
    equipment = models.ManyToManyField(Equipment, blank=True, related_name="rooms")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["location__name", "name"]
        constraints = [models.UniqueConstraint(fields=["location", "name"], name="room_unique_name_per_location")]

    def __str__(self) -> str:
        return self.name


class Payer(models.Model):
    name = models.CharField(max_length=120, unique=True)
    code = models.SlugField(max_length=40, unique=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Credential(models.TextChoices):
    MD = "MD", "MD"
    DO = "DO", "DO"
    DPT = "DPT", "DPT"
    PT = "PT", "PT"
    PHD = "PhD", "PhD"
    PSYD = "PsyD", "PsyD"
    LCSW = "LCSW", "LCSW"
    RD = "RD", "RD"
    RDN = "RDN", "RDN"
    RN = "RN", "RN"
    NP = "NP", "NP"
    PA = "PA", "PA-C"


class Provider(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="provider")
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    discipline = models.ForeignKey(Discipline, on_delete=models.PROTECT, related_name="providers")
    credentials = models.CharField(max_length=40, help_text="e.g. MD, DPT, PsyD, RD")
    npi = models.CharField("NPI", max_length=10, unique=True, validators=[validate_npi])
    home_location = models.ForeignKey(Location, on_delete=models.PROTECT, related_name="providers", null=True, blank=True)
    active = models.BooleanField(default=True)
    color = models.CharField(max_length=7, default="#1f77b4", validators=[validate_hex_colour])
    # Staff alerts (crisis answers, red flags) go to this number by SMS; never shown to patients.
    alert_phone = PhoneNumberField(blank=True, help_text="Mobile for urgent clinical alerts (SMS), E.164")

    class Meta:
        ordering = ["last_name", "first_name"]

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        return f"{self.first_name} {self.last_name}, {self.credentials}"


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Español"


def language_choices() -> list[tuple[str, str]]:
    """The languages patients may be written to in: settings.LANGUAGES, one locale/<code>/
    catalogue each. Callable, so adding a language changes no model and needs no migration."""
    return list(settings.LANGUAGES)


class Channel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"


class PreferredChannel(models.TextChoices):
    SMS = "sms", "SMS"
    EMAIL = "email", "Email"
    BOTH = "both", "SMS and email"
    NONE = "none", "No messages"


class Mobility(models.TextChoices):
    AMBULATORY = "ambulatory", "Ambulatory"
    LIMITED = "limited", "Limited mobility"
    HOME_BOUND = "home_bound", "Home-bound (prefer telehealth / bundled visits)"
    BEDRIDDEN = "bedridden", "Bedridden (e.g. CSF leak)"


class ProcedureRiskTier(models.TextChoices):
    """Bleeding-risk tiers of pain procedures (ASRA 2018 pain guideline, Narouze et al.): the hold
    before a procedure depends on the drug and on the tier of the procedure."""

    LOW = "low", "Low risk"
    INTERMEDIATE = "intermediate", "Intermediate risk"
    HIGH = "high", "High risk"


class DrugClass(models.TextChoices):
    VITAMIN_K_ANTAGONIST = "vka", "Vitamin K antagonist"
    P2Y12_INHIBITOR = "p2y12", "P2Y12 inhibitor (antiplatelet)"
    ASPIRIN = "aspirin", "Aspirin / NSAID"
    FACTOR_XA_INHIBITOR = "xa", "Direct factor Xa inhibitor"
    THROMBIN_INHIBITOR = "thrombin", "Direct thrombin inhibitor"
    HEPARIN = "heparin", "Low-molecular-weight heparin"
    OTHER = "other", "Other"


class AnticoagulantDrug(models.Model):
    """A drug that affects bleeding, with the hold before a procedure per risk tier and the
    restart interval after it. Data the clinic admin edits; the defaults are ASRA 2018's (a data
    migration). A blank hold means no default hold at that tier (the checklist still asks the
    clinician to review the drug)."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    drug_class = models.CharField(max_length=20, choices=DrugClass.choices)
    hold_hours_low = models.PositiveIntegerField(null=True, blank=True, help_text="Hours to hold before a low-risk procedure")
    hold_hours_intermediate = models.PositiveIntegerField(
        null=True, blank=True, help_text="Hours to hold before an intermediate-risk procedure"
    )
    hold_hours_high = models.PositiveIntegerField(null=True, blank=True, help_text="Hours to hold before a high-risk procedure")
    restart_hours = models.PositiveIntegerField(null=True, blank=True, help_text="Earliest restart, hours after the procedure")
    note = models.CharField(max_length=200, blank=True, help_text="Shown on the checklist, e.g. check INR, renal function")
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def hold_hours(self, tier: str) -> int | None:
        return {
            ProcedureRiskTier.LOW: self.hold_hours_low,
            ProcedureRiskTier.INTERMEDIATE: self.hold_hours_intermediate,
            ProcedureRiskTier.HIGH: self.hold_hours_high,
        }.get(tier)


MRN_SEQUENCE = "clinic_patient_mrn_seq"


class Patient(models.Model):
    # The database assigns MRNs from a sequence, so admin, API and imports can never collide.
    mrn = models.CharField(
        "MRN",
        max_length=20,
        unique=True,
        editable=False,
        db_default=Concat(
            Value("MRN"),
            LPad(Cast(Func(Value(MRN_SEQUENCE), function="nextval"), models.TextField()), 7, Value("0")),
            output_field=models.CharField(),
        ),
    )
    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    date_of_birth = models.DateField()
    phone = PhoneNumberField(blank=True, help_text="Stored in E.164, e.g. +16175550123")
    email = models.EmailField(blank=True)
    preferred_channel = models.CharField(max_length=10, choices=PreferredChannel.choices, default=PreferredChannel.SMS)
    sms_consent = models.BooleanField(default=False)
    sms_consent_at = models.DateTimeField(null=True, blank=True, help_text="When SMS consent was last given or withdrawn")
    email_consent = models.BooleanField(default=False)
    email_consent_at = models.DateTimeField(null=True, blank=True, help_text="When email consent was last given or withdrawn")
    time_zone = models.CharField(max_length=64, choices=TIME_ZONE_CHOICES, default="America/New_York", validators=[validate_time_zone])
    language = models.CharField(max_length=5, choices=language_choices, default=Language.ENGLISH)
    mobility = models.CharField(max_length=20, choices=Mobility.choices, default=Mobility.AMBULATORY)
    payer = models.ForeignKey(Payer, on_delete=models.PROTECT, null=True, blank=True, related_name="patients")
    member_id = models.CharField(max_length=40, blank=True)
    preferred_location = models.ForeignKey(
        Location,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        help_text="Where the patient would rather be seen; slot search can put it first (order=preferred)",
    )
    # Clinical facts the pre-procedure checklist reads (providers only; front desk does not see them).
    # Current anticoagulants and antiplatelets are PatientMedication rows (any number of them).
    diabetic = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["last_name", "first_name"], name="patient_name_idx"),
            models.Index(fields=["phone"], name="patient_phone_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.last_name}, {self.first_name} ({self.mrn})"

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}"

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        return zoneinfo.ZoneInfo(self.time_zone)


class ConsentEvent(models.Model):
    """History of consent given or withdrawn, per channel: the clinic can show when and how."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="consent_events")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    granted = models.BooleanField()
    at = models.DateTimeField()
    source = models.CharField(max_length=40, help_text="e.g. front desk, inbound SMS STOP, patient link")
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["patient", "-at"], name="consent_patient_at_idx")]

    def __str__(self) -> str:
        return f"{self.channel} {'granted' if self.granted else 'withdrawn'} at {self.at:%Y-%m-%d %H:%M}"


class PatientMedication(models.Model):
    """A drug the patient takes that the pre-procedure checklist must review. Current while
    `stopped_at` is empty; stopping keeps the row (the history of what was known when)."""

    patient = models.ForeignKey(Patient, on_delete=models.PROTECT, related_name="medications")
    drug = models.ForeignKey(AnticoagulantDrug, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField()
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    stopped_at = models.DateTimeField(null=True, blank=True)
    stopped_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")

    class Meta:
        ordering = ["patient", "drug__name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["patient", "drug"], condition=models.Q(stopped_at__isnull=True), name="patient_medication_one_current_per_drug"
            )
        ]

    def __str__(self) -> str:
        return f"{self.drug} ({'current' if self.stopped_at is None else 'stopped'})"
