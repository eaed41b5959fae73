"""200 concurrent API bookings racing for 20 slots, through gunicorn over HTTP.

Target: exactly 20 × 201, 180 × 409, 0 overlapping time-holding appointments in the table.
Run: .venv/bin/python benchmarks/bench_booking_race.py   (uses database clinic_bench_race)"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, describe_machine, setup_django  # noqa: E402

REQUESTS, SLOTS = 200, 20


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare():
    import zoneinfo

    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group

    from clinic.models import Discipline, Location, Patient, Provider, Room, RoomKind
    from clinic.roles import FRONT_DESK
    from core.tokens import api_token_issue
    from scheduling.models import AvailabilityTemplate, VisitType

    User = get_user_model()
    discipline = Discipline.objects.create(code="interventional-pain", name="Interventional pain")
    location = Location.objects.create(name="Bench", address_line1="1", city="B", state="MA", postal_code="0", time_zone="America/New_York")
    Room.objects.create(location=location, name="Consult", kind=RoomKind.CONSULT)
    user = User.objects.create_user("bench-provider")
    provider = Provider.objects.create(
        user=user,
        first_name="Bench",
        last_name="Provider",
        discipline=discipline,
        credentials="MD",
        npi="1234567893",
        home_location=location,
    )
    for weekday in range(7):
        AvailabilityTemplate.objects.create(
            provider=provider, location=location, weekday=weekday, start_time=dtime(8), end_time=dtime(18), valid_from=date(2020, 1, 1)
        )
    visit = VisitType.objects.create(
        code="follow-up", name="Follow-up", discipline=discipline, duration_minutes=30, room_kind=RoomKind.CONSULT, min_notice_minutes=0
    )
    patients = Patient.objects.bulk_create(
        [Patient(first_name="P", last_name=f"Bench{i}", date_of_birth=date(1970, 1, 1)) for i in range(REQUESTS)]
    )
    desk = User.objects.create_user("bench-desk", is_staff=True)
    desk.groups.add(Group.objects.get(name=FRONT_DESK))
    _, token = api_token_issue(user=desk, by=None)
    zone = zoneinfo.ZoneInfo("America/New_York")
    day = date.today() + timedelta(days=7)
    slots = [datetime.combine(day, dtime(8), tzinfo=zone) + timedelta(minutes=30 * i) for i in range(SLOTS)]
    return token, provider.pk, visit.code, [p.pk for p in patients], slots


def main() -> int:
    url = setup_django("clinic_bench_race", fresh=True)
    token, provider_id, visit_code, patient_ids, slots = prepare()
    port = _free_port()
    env = {**os.environ, "DATABASE_URL": url, "LOG_LEVEL": "ERROR"}
    server = subprocess.Popen(
        [
            str(Path(sys.executable).parent / "gunicorn"),
            "config.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "4",
            "--threads",
            "8",
            "--log-level",
            "error",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.time() + 30
        while time.time() < deadline:
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                conn.request("GET", "/admin/login/")
                if conn.getresponse().status == 200:
                    break
            except OSError:
                time.sleep(0.3)
        barrier = threading.Barrier(REQUESTS)
        statuses: list[int] = []
        lock = threading.Lock()

        def book(i: int) -> None:
            body = json.dumps(
                {"patient": patient_ids[i], "provider": provider_id, "visit_type": visit_code, "start": slots[i % SLOTS].isoformat()}
            )
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
            barrier.wait()
            conn.request(
                "POST", "/api/v1/appointments/", body=body, headers={"Authorization": f"Token {token}", "Content-Type": "application/json"}
            )
            status = conn.getresponse().status
            with lock:
                statuses.append(status)

        started = time.perf_counter()
        threads = [threading.Thread(target=book, args=(i,)) for i in range(REQUESTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        server.terminate()
        server.wait(10)

    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM scheduling_appointment a JOIN scheduling_appointment b
               ON a.id < b.id AND a.provider_id = b.provider_id AND tstzrange(a.start, a."end") && tstzrange(b.start, b."end")
               WHERE a.status IN ('held','booked','confirmed','checked-in','in-progress')
                 AND b.status IN ('held','booked','confirmed','checked-in','in-progress')"""
        )
        overlaps = cursor.fetchone()[0]
        cursor.execute("SELECT count(*) FROM scheduling_appointment WHERE status = 'booked'")
        booked = cursor.fetchone()[0]
    counts = Counter(statuses)
    print(f"machine: {describe_machine()}")
    print(f"{REQUESTS} concurrent POST /api/v1/appointments/ for {SLOTS} slots in {elapsed:.2f} s")
    print(f"responses: {dict(sorted(counts.items()))}; booked rows: {booked}; overlapping pairs: {overlaps}")
    ok = counts.get(201) == SLOTS and counts.get(409) == REQUESTS - SLOTS and overlaps == 0 and booked == SLOTS
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
