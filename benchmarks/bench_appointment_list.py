"""Appointment list API, 100 rows a page, on the reference dataset (60 providers, 12 rooms,
5,000 patients, 50,000 appointments over a year).

Targets: ≤ 10 SQL queries whatever the page size; p95 ≤ 30 ms (issue 15; the first round asked ≤ 100 ms),
≤ 1.5× that at ×10 for one location (run_all.py prints the ratio).
Run: .venv/bin/python benchmarks/bench_appointment_list.py   (database clinic_bench)"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bench_database, describe_machine, ensure_reference_data, figure, percentile, scale_from_argv, setup_django, summary_ms  # noqa: E402

RUNS = 100


def main() -> int:
    scale = scale_from_argv()
    setup_django(bench_database(scale))
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from clinic.roles import FRONT_DESK
    from scheduling.models import Appointment

    location = ensure_reference_data(scale)
    user, _ = get_user_model().objects.get_or_create(username="bench-frontdesk", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name=FRONT_DESK))
    client = Client()
    client.force_login(user)

    first = Appointment.objects.order_by("start").values_list("start", flat=True).first()
    params = {"page_size": 100, "start": first.isoformat(), **({"location": location.pk} if scale > 1 else {})}
    counts = {}
    for size in (10, 100, 500):
        with CaptureQueriesContext(connection) as queries:
            response = client.get("/api/v1/appointments/", {**params, "page_size": size})
        assert response.status_code == 200, response.content[:300]
        counts[size] = len(queries)
    samples = []
    for run in range(RUNS):
        started = time.perf_counter()
        response = client.get("/api/v1/appointments/", {**params, "page": 1 + run % 20})
        samples.append(time.perf_counter() - started)
        assert len(response.json()["results"]) == 100
    print(f"machine: {describe_machine()}")
    print(f"dataset: {Appointment.objects.count()} appointments")
    print(f"queries by page size: {counts}")
    print(f"scale: x{scale}{' (one location)' if scale > 1 else ''}")
    print(f"GET /api/v1/appointments/ (100 rows): {summary_ms(samples)}")
    p95 = percentile(samples, 95) * 1000  # the same p95 summary_ms prints
    figure("appointment_list.p95", p95)
    ok = max(counts.values()) <= 10 and len(set(counts.values())) == 1 and p95 <= 30
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
