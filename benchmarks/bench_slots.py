"""Earliest 10 slots for a visit type across a discipline in a 4-week window, on the reference
dataset (60 providers, 12 rooms, 5,000 patients, 50,000 appointments over a year).

Targets (issue 15): p95 ≤ 10 ms at ×1 and ≤ 15 ms at ×10 within one location, and at most 1.5×
the time PostgreSQL needs to read the search's inputs: each search's statements are recorded and
executed again, fetched but without the engine's Python, and both p95s and their ratio printed.
A fixed number of SQL queries (one per input kind, busy time in at most three widening chunks).
Run: .venv/bin/python benchmarks/bench_slots.py [--scale N]   (database clinic_bench, or
clinic_bench_xN for N reference locations, on DATABASE_URL's server; the dataset is generated on
first use with `manage.py generate_reference_data --scale N`). At ×N the search is within the
first location (`locations=[...]`), and also across all of them."""

from __future__ import annotations

import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bench_database, describe_machine, ensure_reference_data, figure, percentile, scale_from_argv, setup_django, summary_ms  # noqa: E402

RUNS_PER_DISCIPLINE = int(os.environ.get("BENCH_RUNS", "60"))  # fewer for a quick look
CASES = [
    ("interventional-pain", "follow-up"),
    ("physical-therapy", "pt-session"),
    ("psychology", "cbt-session"),
    ("nutrition", "nutrition-consult"),
]


def _replay(connection, statements) -> float:
    """Seconds PostgreSQL takes to run and return `statements` again (no engine work)."""
    began = time.perf_counter()
    with connection.cursor() as cursor:
        for sql, params in statements:
            cursor.execute(sql, params)
            cursor.fetchall()
    return time.perf_counter() - began


def _search_cases(label, find_slots, connection, cases, patient_ids, rng, now, within, every, every_sql):
    for discipline, visit_type in cases:
        samples, sql_samples, found = [], [], []
        for run in range(RUNS_PER_DISCIPLINE + 3):
            start = now + timedelta(hours=rng.randrange(0, 24 * 7))
            patient = patient_ids[rng.randrange(len(patient_ids))]
            statements = []

            def record(execute, sql, params, many, context, statements=statements):
                statements.append((sql, params))
                return execute(sql, params, many, context)

            with connection.execute_wrapper(record):
                began = time.perf_counter()
                slots = find_slots(
                    visit_type=visit_type,
                    start=start,
                    end=start + timedelta(days=28),
                    discipline=visit_type.discipline,
                    patient=patient,
                    limit=10,
                    now=now,
                    **within,
                )
                elapsed = time.perf_counter() - began
            sql_elapsed = _replay(connection, statements)
            if run >= 3:  # the first runs warm caches and connections
                samples.append(elapsed)
                sql_samples.append(sql_elapsed)
                found.append(len(slots))
        p95, sql_p95 = percentile([s * 1000 for s in samples], 95), percentile([s * 1000 for s in sql_samples], 95)
        print(
            f"{discipline:20} {summary_ms(samples)}; its SQL alone p95={sql_p95:.1f} ms, ratio {p95 / sql_p95:.2f}; "
            f"slots found min={min(found)}"
        )
        figure(f"slots{label}.{discipline}.p95", p95)
        every.extend(samples)
        every_sql.extend(sql_samples)


def main() -> int:
    scale = scale_from_argv()
    setup_django(bench_database(scale))
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from clinic.models import Patient
    from scheduling.models import Appointment, VisitType
    from scheduling.slots import find_slots

    location = ensure_reference_data(scale)
    rng = random.Random(7)
    # The first location's patients: the same people at ×1 and ×N.
    patient_ids = list(
        Patient.objects.filter(email__endswith="@reference.example", email__startswith="p").order_by("pk").values_list("id", flat=True)
    )
    patients = [Patient(pk=pk) for pk in patient_ids]
    now = timezone.now()
    print(f"scale: x{scale}")
    print(f"machine: {describe_machine()}")
    print(f"dataset: {Appointment.objects.count()} appointments")
    cases = [(discipline, VisitType.objects.select_related("discipline").get(code=code)) for discipline, code in CASES]
    print(f"-- within location 1 (locations=[{location.pk}])")
    every, every_sql = [], []
    _search_cases("", find_slots, connection, cases, patients, rng, now, {"locations": [location.pk]}, every, every_sql)
    for _, visit_type in cases[:1]:
        with CaptureQueriesContext(connection) as queries:
            find_slots(visit_type=visit_type, start=now, end=now + timedelta(days=28), patient=patients[0], limit=10, now=now)
        print(f"queries for one search: {len(queries)}")
    p95, sql_p95 = percentile([s * 1000 for s in every], 95), percentile([s * 1000 for s in every_sql], 95)
    print(f"all disciplines: {summary_ms(every)}; SQL alone p95={sql_p95:.1f} ms; ratio {p95 / sql_p95:.2f}")
    figure("slots.all.p95", p95)
    figure("slots.all.sql_p95", sql_p95)
    ok = p95 <= (10 if scale == 1 else 15) and p95 <= 1.5 * sql_p95
    if scale > 1:
        print(f"-- across all {scale} locations (no location filter)")
        across, across_sql = [], []
        _search_cases(".across", find_slots, connection, cases, patients, rng, now, {}, across, across_sql)
        print(f"all disciplines, across all: {summary_ms(across)}")
        figure("slots.across.all.p95", percentile([s * 1000 for s in across], 95))
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
