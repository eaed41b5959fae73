"""Reminder dispatch benchmark: 10,000 due SMS reminders through real Redis and ONE Celery worker
process (`celery -A config worker`, file SMS backend), end to end from the first beat tick to the
last 'sent'. Then again with the worker SIGKILLed (whole process group) once in the middle and
restarted. Then the same two runs with TWO worker processes sharing the queue (aggregate
messages/s); in the kill run one of them is SIGKILLed and not restarted, the other finishes.
Prints messages/s, duplicates and lost for every run. tests/messaging/test_two_workers.py runs
`run()` on a small batch with two workers and a kill.

Uses its own database (clinic_bench_msg on the DATABASE_URL server) and its own Celery queue, so
it never touches development or test data. Needs DATABASE_URL and REDIS_URL (or the embedded ones).

    .venv/bin/python benchmarks/bench_reminders.py [--messages 10000] [--concurrency 4] [--workers 1 2]
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BENCH_DB = os.environ.get("BENCH_REMINDERS_DB", "clinic_bench_msg")  # another name keeps parallel runs apart


def prepare_environment(args) -> dict:
    from urllib.parse import urlsplit, urlunsplit

    base = os.environ.get("DATABASE_URL")
    if not base:
        from config import embedded

        db = embedded.ensure_postgres()
        base = f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
    parts = urlsplit(base)
    import psycopg

    admin_dsn = urlunsplit(parts._replace(path="/postgres"))
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]).fetchone():
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
    sms_dir = tempfile.mkdtemp(prefix="bench-sms-")
    env = {
        "DATABASE_URL": urlunsplit(parts._replace(path=f"/{BENCH_DB}")),
        "SMS_BACKEND": "file",
        "SMS_FILE_PATH": sms_dir,
        "CELERY_QUEUE": f"bench-msg-{os.getpid()}",
        # A short lease so the kill run re-claims within seconds (production: 300 s).
        "MESSAGING_LEASE_SECONDS": str(args.lease),
        "MESSAGING_MAX_IN_FLIGHT": str(args.in_flight),
        # The benchmark runs at any hour; quiet hours are measured by the tests, not here.
        "QUIET_HOURS_START": "00:00",
        "QUIET_HOURS_END": "00:00",
        "LOG_LEVEL": "WARNING",
    }
    os.environ.update(env)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    return env


def seed(count: int) -> list[int]:
    """`count` patients, each with one future appointment (one provider, back to back, so the
    exclusion constraints hold) and one SMS reminder due now. Rebuilt on every run."""
    import datetime

    from django.contrib.auth import get_user_model
    from django.db import connection
    from django.utils import timezone

    from clinic.demo import make_npi
    from clinic.models import Discipline, Location, Patient, Provider
    from messaging.models import Message, PatientLink
    from scheduling.models import Appointment, AppointmentEvent, VisitType

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE messaging_message, messaging_patientlink, messaging_inboundsms, scheduling_appointmentevent CASCADE")
    Appointment.objects.all().delete()
    assert not Message.objects.exists() and not PatientLink.objects.exists() and not AppointmentEvent.objects.exists()
    discipline, _ = Discipline.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    location, _ = Location.objects.get_or_create(
        name="Bench clinic",
        defaults=dict(address_line1="1 Main St", city="Boston", state="MA", postal_code="02114", time_zone="America/New_York"),
    )
    user, _ = get_user_model().objects.get_or_create(username="bench-provider")
    provider, _ = Provider.objects.get_or_create(
        user=user, defaults=dict(first_name="B", last_name="Ench", discipline=discipline, credentials="MD", npi=make_npi(990_001))
    )
    visit_type, _ = VisitType.objects.get_or_create(
        code="bench-visit", defaults=dict(name="Bench visit", discipline=discipline, duration_minutes=20, room_kind="consult")
    )
    have = Patient.objects.filter(last_name="Bench").count()
    Patient.objects.bulk_create(
        [
            Patient(
                first_name=f"P{i}",
                last_name="Bench",
                date_of_birth=datetime.date(1970, 1, 1),
                phone=f"+1617{2000000 + i:07d}",
                sms_consent=True,
                sms_consent_at=timezone.now(),
            )  # fmt: skip
            for i in range(have, count)
        ],
        batch_size=2000,
    )
    patients = list(Patient.objects.filter(last_name="Bench").order_by("id").values_list("id", flat=True)[:count])
    now = timezone.now()
    first = now + timedelta(days=30)
    appointments = Appointment.objects.bulk_create(
        [
            Appointment(
                patient_id=pid,
                provider=provider,
                visit_type=visit_type,
                location=location,
                start=first + timedelta(minutes=30 * i),
                end=first + timedelta(minutes=30 * i + 20),
                room_start=first + timedelta(minutes=30 * i),
                room_end=first + timedelta(minutes=30 * i + 20),
                status="booked",
            )  # fmt: skip
            for i, pid in enumerate(patients)
        ],
        batch_size=2000,
    )
    body = "Bench Pain Clinic: visit Tue Dec 22, 9:00 AM. Reply C to confirm. Can't come? https://clinic.example/p/{key}/ +1 617-555-0100"
    Message.objects.bulk_create(
        [
            Message(
                appointment=a,
                patient_id=a.patient_id,
                channel="sms",
                purpose="reminder",
                offset_minutes=1440,
                due_at=now - timedelta(seconds=1),
                idempotency_key=f"appt:{a.pk}:reminder:sms:1440",
                body=body.format(key=f"{a.pk:x}.bench"),
            )  # fmt: skip
            for a in appointments
        ],
        batch_size=2000,
    )
    return [a.pk for a in appointments]


def start_worker(env: dict, concurrency: int, name: str = "bench") -> subprocess.Popen:
    command = [str(Path(sys.executable).parent / "celery"), "-A", "config", "worker", "-Q", env["CELERY_QUEUE"], "-c", str(concurrency),
               "-P", "prefork", "-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]  # fmt: skip
    return subprocess.Popen(command, cwd=ROOT, env={**os.environ, **env}, start_new_session=True, stdout=subprocess.DEVNULL)


def wait_ready(app, count: int = 1, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(app.control.ping(timeout=0.5)) >= count:
            return
    raise SystemExit(f"{count} worker(s) did not start")


def kill(worker: subprocess.Popen) -> None:
    os.killpg(worker.pid, signal.SIGKILL)  # the whole pool, mid-send, no warm shutdown
    worker.wait()


def run(env: dict, count: int, concurrency: int, kill_at: float | None, workers: int = 1, tick: float = 1.0) -> dict:
    """Seed `count` due reminders, start `workers` worker processes and tick the dispatcher until
    every message is sent (or 600 s). With kill_at, the first worker's whole process group is
    SIGKILLed once that share is sent; with one worker it is restarted, with more the others
    finish. Counts what reached the file gateway against what should have."""
    from django.db.models import Count

    from config.celery import app
    from messaging.models import Message
    from messaging.tasks import dispatch_due

    seed(count)
    sms_file = Path(env["SMS_FILE_PATH"]) / "sms.jsonl"
    sms_file.unlink(missing_ok=True)
    app.conf.task_default_queue = env["CELERY_QUEUE"]
    with app.connection_for_write() as conn:
        conn.default_channel.queue_purge(env["CELERY_QUEUE"])
    running = [start_worker(env, concurrency, name=f"bench{n}-{os.getpid()}") for n in range(workers)]
    wait_ready(app, workers)
    killed_at = None
    started = time.monotonic()
    last_tick = 0.0
    try:
        while True:
            now = time.monotonic()
            if now - last_tick >= tick:  # the beat, sped up from 60 s
                dispatch_due()
                last_tick = now
            sent = Message.objects.filter(status="sent").count()
            if sent >= count:
                break
            if kill_at is not None and killed_at is None and sent >= count * kill_at:
                kill(running.pop(0))
                killed_at = sent
                if not running:
                    running.append(start_worker(env, concurrency, name=f"bench-restarted-{os.getpid()}"))
                    wait_ready(app)
            if now - started > 600:
                break
            time.sleep(0.1)
        elapsed = time.monotonic() - started
    finally:
        for worker in running:
            kill(worker)
    keys = collections.Counter(json.loads(line)["key"] for line in sms_file.read_text().splitlines())
    expected = set(Message.objects.values_list("idempotency_key", flat=True))
    statuses = dict(Message.objects.values_list("status").annotate(n=Count("id")))
    return {
        "messages": count,
        "workers": workers,
        "seconds": round(elapsed, 2),
        "per_second": round(count / elapsed, 1),
        "gateway_lines": sum(keys.values()),
        "duplicates": sum(n - 1 for n in keys.values() if n > 1),
        "lost": len(expected - set(keys)),
        "statuses": statuses,
        "killed_after_sent": killed_at,
        "recovered": Message.objects.filter(attempts__gt=1).count(),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--lease", type=int, default=15)
    parser.add_argument("--in-flight", type=int, default=2000)
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker processes per run, e.g. --workers 2")
    args = parser.parse_args()
    env = prepare_environment(args)
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    failed = False
    for workers in args.workers:
        print(
            f"reminder dispatch: {args.messages} SMS, {workers} worker process(es) x {args.concurrency} (prefork), file backend, cores={os.cpu_count()}"
        )
        clean = run(env, args.messages, args.concurrency, kill_at=None, workers=workers)
        print(f"clean run ({workers}w):        ", json.dumps(clean))
        killed = run(env, args.messages, args.concurrency, kill_at=0.4, workers=workers)
        print(f"worker SIGKILLed ({workers}w): ", json.dumps(killed))
        failed |= any(r["lost"] or r["duplicates"] for r in (clean, killed))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
