"""Run by tests/scheduling/test_replica_streaming.py in a process of its own, with DATABASE_URL on an
embedded primary and DATABASE_REPLICA_URL on its streaming replica (migrated, empty). Prints one
JSON object with what it saw. Not a test module: it needs a real primary/replica pair."""

from __future__ import annotations

import datetime
import json
import os
import time
import zoneinfo

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.db import connections  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402
from knox.models import AuthToken  # noqa: E402

from clinic.models import RoomKind  # noqa: E402
from clinic.roles import FRONT_DESK  # noqa: E402
from core.errors import SlotTaken  # noqa: E402
from scheduling.models import Appointment  # noqa: E402
from scheduling.services import appointment_book  # noqa: E402
from tests.factories import (  # noqa: E402
    DisciplineFactory,
    LocationFactory,
    PatientFactory,
    ProviderFactory,
    RoomFactory,
    UserFactory,
    VisitTypeFactory,
    weekly_templates,
)

NY = zoneinfo.ZoneInfo("America/New_York")


def lsn(alias: str, sql: str) -> int:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SELECT ({sql}) - '0/0'::pg_lsn")
        return int(cursor.fetchone()[0])


def wait_replayed(timeout: float = 20) -> float:
    target = lsn("default", "pg_current_wal_lsn()")
    started = time.monotonic()
    while lsn("replica", "pg_last_wal_replay_lsn()") < target:
        if time.monotonic() - started > timeout:
            raise SystemExit("the replica did not catch up")
        time.sleep(0.02)
    return time.monotonic() - started


def replica_sql(sql: str) -> None:
    with connections["replica"].cursor() as cursor:
        cursor.execute(sql)


def main() -> dict:
    out: dict = {"replica_in_recovery": None}
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        out["replica_in_recovery"] = cursor.fetchone()[0]

    location = LocationFactory(time_zone="America/New_York")
    provider = ProviderFactory(discipline=DisciplineFactory(code="interventional-pain"), credentials="MD", home_location=location)
    RoomFactory(location=location, kind=RoomKind.CONSULT, name="Consult 1")
    weekly_templates(provider, location)
    visit = VisitTypeFactory(code="follow-up", discipline=provider.discipline, duration_minutes=30)
    first, second = PatientFactory(), PatientFactory()
    desk = UserFactory(username="desk", role=FRONT_DESK)
    _, token = AuthToken.objects.create(desk)
    out["caught_up_seconds"] = round(wait_replayed(), 3)

    day = datetime.date.today() + datetime.timedelta(days=7)
    window = {
        "visit_type": "follow-up",
        "start": datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=NY).isoformat(),
        "end": datetime.datetime.combine(day + datetime.timedelta(days=1), datetime.time(0, 0), tzinfo=NY).isoformat(),
        "limit": 3,
    }
    client = Client(HTTP_AUTHORIZATION=f"Token {token}")

    def search() -> tuple[list[dict], list[str]]:
        with CaptureQueriesContext(connections["replica"]) as on_replica:
            response = client.get("/api/v1/slots/", window)
        assert response.status_code == 200, response.content
        return response.json(), [q["sql"] for q in on_replica.captured_queries]

    def listed() -> tuple[int, bool]:
        with CaptureQueriesContext(connections["replica"]) as on_replica:
            response = client.get("/api/v1/appointments/")
        assert response.status_code == 200, response.content
        body = response.json()
        return len(body["results"] if isinstance(body, dict) else body), bool(on_replica.captured_queries)

    slots, replica_queries = search()
    out["slots_before"] = [s["start"] for s in slots]
    out["search_queries_on_replica"] = len(replica_queries)
    out["search_read_appointments_on_replica"] = any('"scheduling_appointment"' in sql for sql in replica_queries)

    # The replica stops replaying: whatever is booked now, it still offers the old free times.
    replica_sql("SELECT pg_wal_replay_pause()")
    start = datetime.datetime.fromisoformat(slots[0]["start"])
    booked = appointment_book(patient=first, provider=provider, visit_type=visit, start=start)
    out["first_booking"] = booked.status
    time.sleep(0.3)
    stale, on_replica = search()
    out["stale_search_read_the_replica"] = bool(on_replica)
    out["stale_list_count"], out["stale_list_read_the_replica"] = listed()
    out["replica_still_offers_the_booked_time"] = slots[0]["start"] in [s["start"] for s in stale]
    # A second booking at that time, as the stale search suggests: the primary refuses it.
    try:
        appointment_book(patient=second, provider=provider, visit_type=visit, start=start)
        out["second_booking"] = "booked"
    except SlotTaken as refusal:
        out["second_booking"] = f"refused: {refusal.__class__.__name__}"
    # The API's booking (a POST: reads and writes on the primary) refuses it too.
    response = client.post(
        "/api/v1/appointments/",
        {"patient": second.pk, "provider": provider.pk, "visit_type": "follow-up", "start": slots[0]["start"]},
        content_type="application/json",
    )
    out["api_second_booking_status"] = response.status_code
    out["appointments_on_primary_at_that_time"] = Appointment.objects.filter(provider=provider, start=start).count()

    # That user just wrote (an unsafe request): their searches read the primary for a while,
    # and see the booking although the replica still does not have it.
    after_write, on_replica = search()
    out["sticky_search_read_the_replica"] = bool(on_replica)
    out["sticky_search_offers_the_booked_time"] = slots[0]["start"] in [s["start"] for s in after_write]
    out["sticky_list_count"], out["sticky_list_read_the_replica"] = listed()

    replica_sql("SELECT pg_wal_replay_resume()")
    wait_replayed()
    with connections["replica"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM scheduling_appointment WHERE start = %s", [start])
        out["appointments_on_replica_after_replay"] = cursor.fetchone()[0]
    return out


if __name__ == "__main__":
    print(json.dumps(main()))
