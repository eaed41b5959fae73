"""The demo clinic's people and places. Idempotent: every object is found by a natural key
before it is created, so a second run adds nothing."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from clinic.demo_logins import DEMO_PASSWORD, DEMO_USERS
from clinic.models import (
    Channel,
    ConsentEvent,
    Discipline,
    Equipment,
    Language,
    Location,
    Mobility,
    Patient,
    Payer,
    PreferredChannel,
    Provider,
    Room,
    RoomKind,
)
from clinic.roles import ON_CALL, PROVIDER
from clinic.validators import luhn_ok
from core import two_factor

DISCIPLINES = [
    ("interventional-pain", "Interventional pain (anesthesiology)", True),
    ("physical-therapy", "Physical therapy", False),
    ("psychology", "Psychology", False),
    ("nutrition", "Nutrition", False),
]

EQUIPMENT = [
    ("fluoroscopy", "Fluoroscopy C-arm"),
    ("ultrasound", "Ultrasound"),
    ("rf-generator", "RF generator"),
    ("treadmill", "Treadmill"),
    ("video", "Video visit kit"),
]

ROOMS = [
    ("Fluoroscopy Suite 1", RoomKind.PROCEDURE_SUITE, ["fluoroscopy", "rf-generator"]),
    ("Fluoroscopy Suite 2", RoomKind.PROCEDURE_SUITE, ["fluoroscopy"]),
    ("Ultrasound Procedure Room", RoomKind.PROCEDURE_SUITE, ["ultrasound"]),
    ("Consult 1", RoomKind.CONSULT, []),
    ("Consult 2", RoomKind.CONSULT, []),
    ("Consult 3", RoomKind.CONSULT, []),
    ("Consult 4", RoomKind.CONSULT, []),
    ("PT Gym", RoomKind.PT_GYM, ["treadmill"]),
    ("PT Gym Annex", RoomKind.PT_GYM, []),
    ("Virtual Room 1", RoomKind.VIRTUAL, ["video"]),
    ("Virtual Room 2", RoomKind.VIRTUAL, ["video"]),
    ("Virtual Room 3", RoomKind.VIRTUAL, ["video"]),
]

# (username, first, last, credentials, discipline code)
PROVIDERS = [
    ("provider", "Elena", "Marsh", "MD", "interventional-pain"),
    ("dr.okafor", "Chidi", "Okafor", "MD", "interventional-pain"),
    ("dr.lindqvist", "Sara", "Lindqvist", "DO", "interventional-pain"),
    ("dr.patel", "Ravi", "Patel", "MD", "interventional-pain"),
    ("pt.romero", "Lucia", "Romero", "DPT", "physical-therapy"),
    ("pt.nguyen", "Minh", "Nguyen", "DPT", "physical-therapy"),
    ("pt.brennan", "Aoife", "Brennan", "DPT", "physical-therapy"),
    ("psy.goldberg", "Miriam", "Goldberg", "PhD", "psychology"),
    ("psy.achebe", "Tobenna", "Achebe", "PsyD", "psychology"),
    ("psy.silva", "Marina", "Silva", "PhD", "psychology"),
    ("rd.kowalski", "Anna", "Kowalski", "RD", "nutrition"),
    ("rd.haddad", "Omar", "Haddad", "RDN", "nutrition"),
]
COLOURS = [
    "#1f77b4",
    "#ff7f0e",
    "#2ca02c",
    "#d62728",
    "#9467bd",
    "#8c564b",
    "#e377c2",
    "#7f7f7f",
    "#bcbd22",
    "#17becf",
    "#393b79",
    "#637939",
]

PAYERS = [("medicare", "Medicare"), ("bcbs-ma", "Blue Cross Blue Shield of Massachusetts"), ("aetna", "Aetna"), ("self-pay", "Self-pay")]

FIRST_NAMES = [
    "James",
    "Maria",
    "Robert",
    "Linda",
    "Michael",
    "Patricia",
    "William",
    "Jennifer",
    "David",
    "Elizabeth",
    "Jose",
    "Carmen",
    "Luis",
    "Ana",
    "Thomas",
    "Susan",
    "Daniel",
    "Jessica",
    "Kevin",
    "Sofia",
    "Brian",
    "Nancy",
    "George",
    "Rosa",
    "Edward",
    "Karen",
    "Juan",
    "Lisa",
    "Hector",
    "Grace",
]
LAST_NAMES = [
    "Smith",
    "Garcia",
    "Johnson",
    "Martinez",
    "Brown",
    "Rodriguez",
    "Davis",
    "Lopez",
    "Miller",
    "Hernandez",
    "Wilson",
    "Gonzalez",
    "Moore",
    "Perez",
    "Taylor",
    "Sanchez",
    "Anderson",
    "Ramirez",
    "Thomas",
    "Torres",
    "Jackson",
    "Flores",
    "White",
    "Rivera",
    "Harris",
    "Murphy",
    "Clark",
    "Sullivan",
    "Lewis",
    "Walsh",
]
AREA_CODES = ["617", "781", "857", "508", "978"]
PATIENT_COUNT = 300


def make_npi(seed: int) -> str:
    """A valid NPI for demo providers: nine digits then the Luhn check digit over 80840+NPI."""
    body = f"1{seed:08d}"
    for check in range(10):
        candidate = body + str(check)
        if luhn_ok("80840" + candidate):
            return candidate
    raise AssertionError("unreachable")


def seed(*, out=print) -> None:
    User = get_user_model()
    disciplines = {}
    for code, name, procedural in DISCIPLINES:
        disciplines[code], _ = Discipline.objects.get_or_create(code=code, defaults={"name": name, "is_procedural": procedural})
    equipment = {}
    for code, name in EQUIPMENT:
        equipment[code], _ = Equipment.objects.get_or_create(code=code, defaults={"name": name})
    location, _ = Location.objects.get_or_create(
        name="Riverside Pain Center",
        defaults={
            "address_line1": "100 Riverside Avenue",
            "city": "Boston",
            "state": "MA",
            "postal_code": "02114",
            "phone": "+16175550100",
            "time_zone": "America/New_York",
        },
    )
    for name, kind, kit in ROOMS:
        room, created = Room.objects.get_or_create(location=location, name=name, defaults={"kind": kind})
        if created and kit:
            room.equipment.set([equipment[c] for c in kit])
    for code, name in PAYERS:
        Payer.objects.get_or_create(code=code, defaults={"name": name})

    groups = {g.name: g for g in Group.objects.all()}
    for username, role in DEMO_USERS.items():
        user, created = User.objects.get_or_create(username=username, defaults={"is_staff": True, "email": f"{username}@clinic.example"})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.add(groups[role])
        if two_factor.second_factor_required(user):
            # A newcomer signs in at once with the code `make run` prints; never in production.
            two_factor.development_code_device_ensure(user=user)
    for index, (username, first, last, creds, discipline) in enumerate(PROVIDERS):
        user, created = User.objects.get_or_create(
            username=username, defaults={"is_staff": True, "first_name": first, "last_name": last, "email": f"{username}@clinic.example"}
        )
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
            user.groups.add(groups[PROVIDER])
            if index == 0:  # the demo's "provider" covers crises: on call, with an alert phone
                user.groups.add(groups[ON_CALL])
        Provider.objects.get_or_create(
            user=user,
            defaults={
                "first_name": first,
                "last_name": last,
                "credentials": creds,
                "discipline": disciplines[discipline],
                "npi": make_npi(100 + index),
                "home_location": location,
                "color": COLOURS[index % len(COLOURS)],
                "alert_phone": "+16175550190" if index == 0 else "",
            },
        )
    _seed_patients()
    out(f"demo clinic: {Provider.objects.count()} providers, {Patient.objects.count()} patients, {Room.objects.count()} rooms")


def _seed_patients() -> None:
    rng = random.Random(20261123)
    payers = list(Payer.objects.order_by("code"))
    existing = set(Patient.objects.filter(email__endswith="@patients.example").values_list("email", flat=True))
    now = timezone.now()
    new_patients = []
    for i in range(PATIENT_COUNT):
        email = f"patient{i:03d}@patients.example"
        # draw every random value even for existing rows so the sequence is stable
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        dob = date(1940, 1, 1) + timedelta(days=rng.randrange(0, 365 * 62))
        spanish = rng.random() < 0.25
        sms, mail = rng.random() < 0.75, rng.random() < 0.6
        mobility = rng.choices([Mobility.AMBULATORY, Mobility.LIMITED, Mobility.HOME_BOUND, Mobility.BEDRIDDEN], [70, 15, 10, 5])[0]
        payer = rng.choice(payers)
        if email in existing:
            continue
        new_patients.append(
            Patient(
                first_name=first,
                last_name=last,
                date_of_birth=dob,
                email=email,
                phone=f"+1{AREA_CODES[i // 100]}5550{100 + i % 100}",  # fictional 555-01xx numbers
                preferred_channel=PreferredChannel.SMS if sms else (PreferredChannel.EMAIL if mail else PreferredChannel.NONE),
                sms_consent=sms,
                sms_consent_at=now if sms else None,
                email_consent=mail,
                email_consent_at=now if mail else None,
                language=Language.SPANISH if spanish else Language.ENGLISH,
                mobility=mobility,
                payer=payer,
                member_id=f"{payer.code[:3].upper()}{100000 + i}",
            )
        )
    created = Patient.objects.bulk_create(new_patients)
    ConsentEvent.objects.bulk_create(
        [ConsentEvent(patient=p, channel=Channel.SMS, granted=True, at=now, source="registration") for p in created if p.sms_consent]
        + [ConsentEvent(patient=p, channel=Channel.EMAIL, granted=True, at=now, source="registration") for p in created if p.email_consent]
    )
