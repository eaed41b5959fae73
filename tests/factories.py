"""factory_boy factories for every app; tests build their worlds from these."""

from __future__ import annotations

import datetime

import factory
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from clinic.demo import make_npi
from clinic.medications import medications_apply
from clinic.models import AnticoagulantDrug, Discipline, Equipment, Location, Patient, Payer, Provider, Room, RoomKind
from clinic.roles import CARE_COORDINATOR, CLINIC_ADMIN, FRONT_DESK, PROVIDER
from core import two_factor


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda o: f"{o.username}@clinic.example")
    is_staff = True

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or "pass-word-123")
        if create:
            self.save(update_fields=["password"])

    @factory.post_generation
    def role(self, create, extracted, **kwargs):
        if create and extracted:
            self.groups.add(Group.objects.get(name=extracted))


class DisciplineFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Discipline
        django_get_or_create = ("code",)

    code = "interventional-pain"
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())
    is_procedural = factory.LazyAttribute(lambda o: o.code == "interventional-pain")


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location
        django_get_or_create = ("name",)

    name = "Test Pain Center"
    address_line1 = "1 Main St"
    city = "Boston"
    state = "MA"
    postal_code = "02114"
    time_zone = "America/New_York"


class EquipmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Equipment
        django_get_or_create = ("code",)

    code = "fluoroscopy"
    name = factory.LazyAttribute(lambda o: o.code.title())


class RoomFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Room
        skip_postgeneration_save = True

    location = factory.SubFactory(LocationFactory)
    name = factory.Sequence(lambda n: f"Room {n}")
    kind = RoomKind.CONSULT

    @factory.post_generation
    def equipment(self, create, extracted, **kwargs):
        if create and extracted:
            self.equipment.set(extracted)


class PayerFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Payer
        django_get_or_create = ("code",)

    code = "medicare"
    name = "Medicare"


class ProviderFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Provider

    user = factory.SubFactory(UserFactory, role=PROVIDER)
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    discipline = factory.SubFactory(DisciplineFactory)
    credentials = "MD"
    npi = factory.Sequence(lambda n: make_npi(50_000 + n))
    home_location = factory.SubFactory(LocationFactory)


class PatientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Patient
        skip_postgeneration_save = True

    first_name = factory.Faker("first_name")
    # The log guard treats every test patient's surname as PHI, matched as a word: Faker's
    # surnames include everyday words ("Key", "Page", "Case") that PostgreSQL and Django write into
    # log lines, and a provider could carry the same surname. A fixed ending keeps each one a name
    # no log line, page chrome or generated provider can contain by chance.
    last_name = factory.LazyAttribute(lambda _: f"{factory.Faker._get_faker().last_name()}ovic")
    date_of_birth = datetime.date(1975, 6, 15)
    phone = factory.Sequence(lambda n: f"+1617555{n % 10000:04d}")
    email = factory.Sequence(lambda n: f"patient{n}@patients.example")
    time_zone = "America/New_York"

    @factory.post_generation
    def anticoagulant(self, create, extracted, **kwargs):
        """`anticoagulant="warfarin"` or a list of drug codes: the patient's current drugs."""
        if create and extracted and extracted != "none":
            set_drugs(self, *([extracted] if isinstance(extracted, str) else extracted))


def set_drugs(patient, *codes: str) -> None:
    """Make these drug codes (clinic.AnticoagulantDrug, shipped by a migration) the patient's
    current list, as the system (no access check)."""
    drugs = list(AnticoagulantDrug.objects.filter(code__in=codes))
    assert len(drugs) == len(set(codes)), f"unknown drug code in {codes}"
    medications_apply(patient=patient, drugs=drugs, by=None, now=timezone.now())


ROLE_USERS = {"frontdesk": FRONT_DESK, "coordinator": CARE_COORDINATOR, "clinicadmin": CLINIC_ADMIN}


# --- scheduling ------------------------------------------------------------------------------
from scheduling.models import DEFAULT_RISK_BY_FAMILY, AvailabilityTemplate, VisitType  # noqa: E402


class VisitTypeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = VisitType
        django_get_or_create = ("code",)
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"visit-{n}")
    name = factory.LazyAttribute(lambda o: o.code.replace("-", " ").title())
    discipline = factory.SubFactory(DisciplineFactory)
    duration_minutes = 30
    room_kind = RoomKind.CONSULT
    min_notice_minutes = 0
    procedure_family = ""
    procedure_risk = factory.LazyAttribute(lambda o: DEFAULT_RISK_BY_FAMILY.get(o.procedure_family, ""))

    @factory.post_generation
    def required_equipment(self, create, extracted, **kwargs):
        if create and extracted:
            self.required_equipment.set(extracted)


class AvailabilityTemplateFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = AvailabilityTemplate
        skip_postgeneration_save = True

    provider = factory.SubFactory(ProviderFactory)
    location = factory.SubFactory(LocationFactory)
    weekday = 0
    start_time = datetime.time(8, 0)
    end_time = datetime.time(17, 0)
    valid_from = datetime.date(2020, 1, 1)

    @factory.post_generation
    def visit_types(self, create, extracted, **kwargs):
        if create and extracted:
            self.visit_types.set(extracted)


def weekly_templates(provider, location=None, weekdays=range(7), start=datetime.time(8, 0), end=datetime.time(17, 0)):
    """Give a provider the same hours on the given weekdays (all week by default)."""
    location = location or provider.home_location
    return [AvailabilityTemplateFactory(provider=provider, location=location, weekday=d, start_time=start, end_time=end) for d in weekdays]


# --- careplans -------------------------------------------------------------------------------
from careplans.models import CarePlan, CareTeamMember, Task  # noqa: E402


class CarePlanFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CarePlan

    patient = factory.SubFactory(PatientFactory)
    title = "Chronic low back pain: interdisciplinary plan"
    status = CarePlan.Status.ACTIVE
    period_start = factory.LazyFunction(lambda: datetime.date.today() - datetime.timedelta(days=90))


class CareTeamMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CareTeamMember

    care_plan = factory.SubFactory(CarePlanFactory)
    provider = factory.SubFactory(ProviderFactory)
    role = CareTeamMember.Role.LEAD_PHYSICIAN


class TaskFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Task

    title = factory.Sequence(lambda n: f"Follow-up call {n}")
    patient = factory.SubFactory(PatientFactory)
    assignee_role = "care_coordinator"
    created_at = factory.LazyFunction(lambda: datetime.datetime.now(datetime.UTC))


def patient_admin_data(patient, **changes) -> dict:
    """What the patient admin's change form posts for `patient`, with `changes` on top (a value of
    None leaves the field out, as an unticked box is left out)."""
    data = {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": "1975-06-15",
        "language": "en",
        "time_zone": "America/New_York",
        "mobility": "ambulatory",
        "phone": str(patient.phone),
        "email": patient.email,
        "preferred_channel": "sms",
        "member_id": "",
        "consent_events-TOTAL_FORMS": "0",
        "consent_events-INITIAL_FORMS": "0",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def sign_in(client, user):
    """Sign a staff user into Django's test client (admin and workspace pages). Every test that
    needs a signed-in browser session calls this, never client.force_login directly, so the one
    place that knows what a complete sign-in is (a second factor where one is required) is here."""
    client.force_login(user)
    session = client.session
    if session.get(two_factor.SESSION_KEY) == two_factor.PENDING:
        # What the code page does after a right code: this user's TOTP device accepted one.
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="Test authenticator", confirmed=True
        )
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session[two_factor.SESSION_KEY] = two_factor.VERIFIED
        session.save()
    return client
