"""FHIR Slot search and Appointment/$find beside the native slots endpoint, on the reference
dataset (60 providers, 12 rooms, 5,000 patients, 50,000 appointments over a year).

Each case asks the same question three ways, in-process through Django's test client with the
same knox token: the earliest 10 slots of a visit type across its discipline in a 4-week window.
Target: FHIR p95 within 1.5x of the native endpoint's.

Run: .venv/bin/python benchmarks/bench_fhir.py. Database: BENCH_DATABASE (default bench_fhir), a
copy of the reference dataset the script makes itself (CREATE DATABASE … TEMPLATE clinic_bench, or
the BENCH_DATABASE_PREFIX copy) when it does not exist, the dataset generated there when there is
nothing to copy; it migrates the copy and never touches the reference itself."""

from __future__ import annotations

import json
import os
import random
import sys
import time
from datetime import UTC, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bench_database, describe_machine, ensure_reference_data, percentile, setup_django, summary_ms  # noqa: E402

RUNS = 40
CASES = [
    ("interventional-pain", "follow-up"),
    ("physical-therapy", "pt-session"),
    ("psychology", "cbt-session"),
    ("nutrition", "nutrition-consult"),
]


def main() -> int:
    setup_django(os.environ.get("BENCH_DATABASE", "bench_fhir"), template=bench_database(1))
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone
    from knox.models import AuthToken
    from rest_framework.test import APIClient

    from clinic.roles import FRONT_DESK
    from scheduling.models import Appointment

    ensure_reference_data(1)  # a no-op on a copy of the reference dataset
    user, _ = get_user_model().objects.get_or_create(username="bench-fhir", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name=FRONT_DESK))
    _, token = AuthToken.objects.create(user=user)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    rng = random.Random(11)
    now = timezone.now()
    print(f"machine: {describe_machine()}")
    print(f"dataset: {Appointment.objects.count()} appointments")

    def native(code, discipline, start, end):
        return client.get(
            "/api/v1/slots/",
            {"visit_type": code, "discipline": discipline, "start": start.isoformat(), "end": end.isoformat(), "limit": 10},
        )

    def fhir_slot(code, discipline, start, end):
        query = {"service-type": code, "start": [f"ge{start:%Y-%m-%dT%H:%M:%SZ}", f"lt{end:%Y-%m-%dT%H:%M:%SZ}"], "_count": 10}
        return client.get("/fhir/R4/Slot", query)

    def fhir_find(code, discipline, start, end):
        body = {
            "resourceType": "Parameters",
            "parameter": [
                {"name": "start", "valueDateTime": f"{start:%Y-%m-%dT%H:%M:%SZ}"},
                {"name": "end", "valueDateTime": f"{end:%Y-%m-%dT%H:%M:%SZ}"},
                {"name": "appointment-type", "valueCode": code},
                {"name": "_count", "valueInteger": 10},
            ],
        }
        return client.generic("POST", "/fhir/R4/Appointment/$find", json.dumps(body), content_type="application/fhir+json")

    ways = {"native /api/v1/slots/": native, "FHIR Slot search": fhir_slot, "FHIR $find": fhir_find}
    every = {name: [] for name in ways}
    ok = True
    for discipline, code in CASES:
        starts = [
            (now + timedelta(hours=rng.randrange(1, 24 * 7))).astimezone(UTC).replace(second=0, microsecond=0) for _ in range(RUNS + 3)
        ]
        line = [f"{discipline:20} {code:18}"]
        for name, way in ways.items():
            samples = []
            for run, start in enumerate(starts):
                began = time.perf_counter()
                response = way(code, discipline, start, start + timedelta(days=28))
                elapsed = time.perf_counter() - began
                assert response.status_code == 200, (name, response.content[:300])
                if run >= 3:
                    samples.append(elapsed)
            with CaptureQueriesContext(connection) as queries:
                way(code, discipline, starts[0], starts[0] + timedelta(days=28))
            every[name].extend(samples)
            line.append(
                f"{name}: p50 {percentile([s * 1000 for s in samples], 50):.1f} ms p95 {percentile([s * 1000 for s in samples], 95):.1f} ms q={len(queries)}"
            )
        print(" | ".join(line))
    native_p95 = percentile([s * 1000 for s in every["native /api/v1/slots/"]], 95)
    for name, samples in every.items():
        p95 = percentile([s * 1000 for s in samples], 95)
        ratio = p95 / native_p95
        print(f"all disciplines, {name}: {summary_ms(samples)} (p95 {ratio:.2f}x native)")
        ok = ok and ratio <= 1.5
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
