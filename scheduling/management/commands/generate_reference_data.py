"""The reference dataset the benchmarks run on (DESIGN.md §4): 60 providers, 12 rooms, 5,000
patients and 50,000 appointments over about a year (ten months back, three ahead, thinning out
into the future as real books do).

`--scale N` builds N locations, each such a dataset ("Reference Pain Center", then "… 2" to
"… N", each with its own providers, rooms and patients); the first is exactly the `--scale 1`
dataset, so figures at ×1 and ×10 compare. `--small` shrinks every location (8 providers,
200 patients, 1,000 appointments over six weeks) for tests. Appointments go in with COPY.

Run it in a database of its own, never the dev or test one, e.g.
    createdb clinic_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench .venv/bin/python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/clinic_bench .venv/bin/python manage.py generate_reference_data
(the benchmark scripts do this themselves through benchmarks/common.py).

Rows are bulk-inserted (appointments with PostgreSQL's COPY, triggers off: no field history for
generated rows) for speed, so the generator itself keeps providers, rooms and patients free of
overlaps; the exclusion constraints check the time-holding ones on insert anyway. Idempotent: a second run sees each location's dataset and
skips it; --reset deletes every reference location and rebuilds.
"""

from __future__ import annotations

import random
import time as clock
from datetime import UTC, date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, models, transaction
from django.utils import timezone

from clinic.demo import DISCIPLINES, EQUIPMENT, make_npi
from clinic.models import Discipline, Equipment, Location, Patient, Provider, Room, RoomKind
from scheduling.demo import seed_catalogue
from scheduling.models import Appointment, AppointmentStatus, AvailabilityTemplate

S = AppointmentStatus
LOCATION = "Reference Pain Center"
PATIENT_DOMAIN = "@reference.example"
PROVIDERS = {"interventional-pain": 20, "physical-therapy": 18, "psychology": 12, "nutrition": 10}
# name, kind, equipment
ROOMS = [
    ("Ref Fluoro 1", RoomKind.PROCEDURE_SUITE, ["fluoroscopy", "rf-generator"]),
    ("Ref Fluoro 2", RoomKind.PROCEDURE_SUITE, ["fluoroscopy"]),
    ("Ref Fluoro 3", RoomKind.PROCEDURE_SUITE, ["fluoroscopy"]),
    *[(f"Ref Consult {i}", RoomKind.CONSULT, []) for i in range(1, 5)],
    ("Ref Gym 1", RoomKind.PT_GYM, ["treadmill"]),
    ("Ref Gym 2", RoomKind.PT_GYM, []),
    *[(f"Ref Virtual {i}", RoomKind.VIRTUAL, ["video"]) for i in range(1, 4)],
]
OPEN, CLOSE = time(7), time(19)
WORKDAYS = range(6)  # Monday to Saturday
PAST_DAYS, FUTURE_DAYS = 300, 90  # 12 rooms fill up: a little over a year yields 50,000, trimmed to the exact size
TARGET = 50_000
PATIENTS = 5_000


class Size:
    """How big one location's dataset is: the reference (DESIGN.md §4) or --small for tests."""

    def __init__(self, *, small: bool = False):
        self.providers = {code: 2 for code in PROVIDERS} if small else PROVIDERS
        self.patients = 200 if small else PATIENTS
        self.target = 1_000 if small else TARGET
        self.past_days, self.future_days = (28, 14) if small else (PAST_DAYS, FUTURE_DAYS)


def location_name(number: int) -> str:
    return LOCATION if number == 1 else f"{LOCATION} {number}"


def provider_prefix(number: int) -> str:
    return "ref.provider." if number == 1 else f"ref.l{number:02d}.provider."


def patient_email(number: int, index: int) -> str:
    return f"p{index}{PATIENT_DOMAIN}" if number == 1 else f"l{number}.p{index}{PATIENT_DOMAIN}"


def copy_rows(model, objs) -> int:
    """Insert unsaved instances with COPY … FROM STDIN (psycopg 3), values prepared as
    bulk_create would; about five times faster than multi-row INSERTs here. No ids come back."""
    fields = [f for f in model._meta.concrete_fields if not isinstance(f, models.AutoField) and not getattr(f, "generated", False)]
    quote = connection.ops.quote_name
    sql = f"COPY {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN"
    count = 0
    with connection.cursor() as cursor, cursor.cursor.copy(sql) as copy:
        for obj in objs:
            copy.write_row([f.get_db_prep_save(f.pre_save(obj, add=True), connection) for f in fields])
            count += 1
    return count


class Command(BaseCommand):
    help = "Create the benchmark reference dataset (60 providers, 12 rooms, 5,000 patients, 50,000 appointments)."

    def add_arguments(self, parser):
        parser.add_argument("--reset", action="store_true", help="Delete the reference dataset first and rebuild it.")
        parser.add_argument("--seed", type=int, default=20261123)
        parser.add_argument("--scale", type=int, default=1, help="Number of locations, each a full reference dataset (default 1).")
        parser.add_argument("--small", action="store_true", help="A small dataset per location (tests): 8 providers, 1,000 appointments.")

    def handle(self, *args, reset: bool = False, seed: int = 20261123, scale: int = 1, small: bool = False, **options):
        if scale < 1:
            raise CommandError("--scale must be at least 1")
        started = clock.perf_counter()
        if reset:
            self._reset()
        size = Size(small=small)
        built = []
        for number in range(1, scale + 1):
            location = Location.objects.filter(name=location_name(number)).first()
            # Each location is built in one transaction, so one with appointments is complete.
            if location and Appointment.objects.filter(location=location).exists():
                continue
            if location:
                self._reset(number)
            # Location 1 draws exactly what `--scale 1` always drew; the others their own sequence.
            with transaction.atomic():
                self._skip_triggers()
                counts = self._build(random.Random(seed if number == 1 else seed + number), number=number, size=size)
            built.append(counts)
            self.stdout.write(f"location {number}/{scale}: {counts} ({clock.perf_counter() - started:.1f} s)")
        if not built:
            self.stdout.write("reference dataset already present (use --reset to rebuild)")
            return
        # COPY ran with triggers off, so the reports' rollup did not follow: recompute it (by the
        # command's name: scheduling does not import the apps above it).
        call_command("reports_rollup_rebuild")
        # Fresh planner statistics: without them PostgreSQL plans the new rows as if empty.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(f"reference dataset: {len(built)} location(s) built in {clock.perf_counter() - started:.1f} s")

    @staticmethod
    def _skip_triggers() -> None:
        """Half the insert time went to triggers: the field-history snapshot of every generated
        row (nobody changed them; there is no history to keep) and foreign-key checks of ids
        the generator just read from the database. For this transaction only, where the role
        may (a superuser, as on benchmark servers); the exclusion constraints are indexes, not
        triggers, and still check every row."""
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL session_replication_role = replica")
        except DatabaseError:
            pass  # not allowed: the triggers run, the build is slower

    def _reset(self, number: int | None = None):
        """Delete one reference location's dataset, or (None) every reference location's."""
        if number is None:
            locations = list(Location.objects.filter(name__startswith=LOCATION))
            providers = Provider.objects.filter(user__username__startswith="ref.")
            patients = Patient.objects.filter(email__endswith=PATIENT_DOMAIN)
        else:
            locations = list(Location.objects.filter(name=location_name(number)))
            providers = Provider.objects.filter(user__username__startswith=provider_prefix(number))
            patients = Patient.objects.filter(email__in=[patient_email(number, i) for i in range(PATIENTS)])
        with transaction.atomic():
            Appointment.objects.filter(location__in=locations).delete()
            AvailabilityTemplate.objects.filter(location__in=locations).delete()
            Room.objects.filter(location__in=locations).delete()
            users = list(providers.values_list("user_id", flat=True))
            providers.delete()
            get_user_model().objects.filter(pk__in=users).delete()
            patients.delete()
            Location.objects.filter(pk__in=[loc.pk for loc in locations]).delete()

    def _build(self, rng: random.Random, *, number: int, size: Size) -> dict:
        disciplines = {
            code: Discipline.objects.get_or_create(code=code, defaults={"name": n, "is_procedural": p})[0] for code, n, p in DISCIPLINES
        }
        equipment = {code: Equipment.objects.get_or_create(code=code, defaults={"name": n})[0] for code, n in EQUIPMENT}
        visit_types = seed_catalogue()
        location = Location.objects.create(
            name=location_name(number),
            address_line1="1 Benchmark Way",
            city="Boston",
            state="MA",
            postal_code="02114",
            time_zone="America/New_York",
        )
        rooms = []
        for name, kind, kit in ROOMS:
            room = Room.objects.create(location=location, name=name, kind=kind)
            room.equipment.set([equipment[c] for c in kit])
            rooms.append((room, set(kit)))

        User = get_user_model()
        users = User.objects.bulk_create(
            [User(username=f"{provider_prefix(number)}{i:02d}", password="!", is_staff=True) for i in range(sum(size.providers.values()))]
        )
        providers, index = [], 0
        for code, count in size.providers.items():
            for _ in range(count):
                providers.append(
                    Provider(
                        user=users[index],
                        first_name=f"Ref{index:02d}",
                        last_name="Provider",
                        discipline=disciplines[code],
                        credentials="MD",
                        npi=make_npi(900_000 + (number - 1) * 1_000 + index),
                        home_location=location,
                    )
                )
                index += 1
        providers = Provider.objects.bulk_create(providers)
        today = timezone.now().astimezone(location.zone).date()
        first_day, last_day = today - timedelta(days=size.past_days), today + timedelta(days=size.future_days)
        day_off = {p.pk: i % 6 for i, p in enumerate(providers)}  # each works five of the six days
        AvailabilityTemplate.objects.bulk_create(
            [
                AvailabilityTemplate(provider=p, location=location, weekday=d, start_time=OPEN, end_time=CLOSE, valid_from=first_day)
                for p in providers
                for d in WORKDAYS
                if d != day_off[p.pk]
            ]
        )
        patients = Patient.objects.bulk_create(
            [
                Patient(
                    first_name=f"Ref{i}",
                    last_name="Patient",
                    date_of_birth=date(1950, 1, 1) + timedelta(days=i * 3),
                    email=patient_email(number, i),
                )
                for i in range(size.patients)
            ]
        )
        appointments = self._appointments(rng, location, rooms, providers, patients, visit_types, day_off, first_day, last_day, today, size)
        copy_rows(Appointment, appointments)
        return {"providers": len(providers), "rooms": len(rooms), "patients": len(patients), "appointments": len(appointments)}

    def _appointments(self, rng, location, rooms, providers, patients, visit_types, day_off, first_day, last_day, today, size):
        by_discipline: dict[int, list[Provider]] = {}
        for p in providers:
            by_discipline.setdefault(p.discipline_id, []).append(p)
        required = {vt.pk: set(vt.required_equipment.values_list("code", flat=True)) for vt in visit_types.values()}
        now = timezone.now()
        zone = location.zone
        made: list[Appointment] = []
        day = first_day
        while day <= last_day:
            if day.weekday() not in WORKDAYS:
                day += timedelta(days=1)
                continue
            ahead = (day - today).days
            # Past days are nearly full; the books thin out over the coming three months.
            fill = 0.97 if ahead < 0 else max(0.3, 0.9 - 0.6 * ahead / size.future_days)
            provider_busy: dict[int, list[tuple[datetime, datetime]]] = {}
            patients_today: set[int] = set()
            opening = datetime.combine(day, OPEN, tzinfo=zone).astimezone(UTC)
            closing = datetime.combine(day, CLOSE, tzinfo=zone).astimezone(UTC)
            for room, kit in rooms:
                fits = [vt for vt in visit_types.values() if vt.room_kind == room.kind and required[vt.pk] <= kit]
                cursor = opening
                while fits:
                    vt = rng.choice(fits)
                    start = cursor + timedelta(minutes=vt.buffer_before_minutes)
                    start += timedelta(minutes=(-start.minute) % 15)
                    end = start + timedelta(minutes=vt.duration_minutes)
                    room_end = end + timedelta(minutes=vt.buffer_after_minutes)
                    if room_end > closing:
                        break
                    if rng.random() > fill:
                        cursor += timedelta(minutes=15)
                        continue
                    provider = self._free_provider(rng, by_discipline[vt.discipline_id], day_off, day, provider_busy, start, end)
                    patient = next((p for p in (rng.choice(patients) for _ in range(5)) if p.pk not in patients_today), None)
                    if provider is None or patient is None:
                        cursor += timedelta(minutes=15)
                        continue
                    provider_busy.setdefault(provider.pk, []).append((start, end))
                    patients_today.add(patient.pk)
                    made.append(self._appointment(rng, vt, provider, patient, location, room, start, end, room_end, now))
                    cursor = room_end
            day += timedelta(days=1)
        if len(made) > size.target:
            # Trim at random to the exact size; removing rows never creates an overlap.
            made = [made[i] for i in sorted(rng.sample(range(len(made)), size.target))]
        return made

    @staticmethod
    def _free_provider(rng, candidates, day_off, day, busy, start, end):
        for provider in rng.sample(candidates, min(6, len(candidates))):
            if day_off[provider.pk] == day.weekday():
                continue
            if all(e <= start or end <= s for s, e in busy.get(provider.pk, [])):
                return provider
        return None

    @staticmethod
    def _appointment(rng, vt, provider, patient, location, room, start, end, room_end, now) -> Appointment:
        roll = rng.random()
        if end <= now:
            status = S.COMPLETED if roll < 0.85 else (S.CANCELLED if roll < 0.93 else S.NO_SHOW)
        else:
            status = S.BOOKED if roll < 0.6 else (S.CONFIRMED if roll < 0.95 else S.CANCELLED)
        spinal = vt.procedure_family in ("esi", "mbb", "rfa", "ebp", "facet")
        return Appointment(
            patient=patient,
            provider=provider,
            visit_type=vt,
            location=location,
            room=room,
            start=start,
            end=end,
            room_start=start - timedelta(minutes=vt.buffer_before_minutes),
            room_end=room_end,
            status=status,
            region=("cervical" if vt.code == "cervical-esi" else "lumbar") if spinal else "",
            relief_percent=rng.choice([30, 50, 70, 85]) if status == S.COMPLETED and vt.is_procedure else None,
            completed_at=end if status == S.COMPLETED else None,
            cancelled_at=start - timedelta(days=1) if status == S.CANCELLED else None,
            cancel_reason="reference data" if status == S.CANCELLED else "",
            notes="reference",
        )
