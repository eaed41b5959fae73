"""The operational and outcome reports on the reference dataset (60 providers, 12 rooms, 5,000
patients, 50,000 appointments over a year), through the API as the clinic admin.

Targets (shared/DESIGN.md §4): each report p95 ≤ 300 ms; the query count the same for a month
and for the whole year.
Run: .venv/bin/python benchmarks/bench_reports.py
Database: BENCH_DATABASE (default bench_reports), a copy of the reference dataset, e.g.
`createdb -T clinic_bench bench_reports`; generated there when empty. The script adds
questionnaire answers around the completed procedures (baseline and four follow-ups) when the
copy has none, so the registry has rows to read; it never touches clinic_bench itself."""

from __future__ import annotations

import os
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import describe_machine, percentile, setup_django, summary_ms  # noqa: E402

RUNS = int(os.environ.get("BENCH_RUNS", "30"))
DATABASE = os.environ.get("BENCH_DATABASE", "bench_reports")

# One answer before each completed procedure and one near each follow-up window, NRS 0–10.
ANSWERS_SQL = """
INSERT INTO careplans_questionnaireresponse (patient_id, questionnaire, answers, score, severity, answered_at, source)
SELECT a.patient_id, q.code, ARRAY[s.score]::smallint[], s.score, '', a.start + s.offset_days * interval '1 day', 'link'
FROM scheduling_appointment a
JOIN scheduling_visittype vt ON vt.id = a.visit_type_id AND vt.is_procedure
CROSS JOIN (VALUES ('NRS'), ('PEG'), ('ODI')) AS q(code)
CROSS JOIN LATERAL (VALUES (-5, 7 + (a.id % 3)), (14, 3 + (a.id % 5)), (42, 4 + (a.id % 4)), (91, 4 + (a.id % 5)), (182, 5 + (a.id % 4)))
    AS s(offset_days, score)
WHERE a.status = 'completed' AND (a.id + s.offset_days) % 4 <> 0
"""


def main() -> int:
    setup_django(DATABASE)
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Group
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    from careplans.models import QuestionnaireResponse
    from clinic.roles import CLINIC_ADMIN
    from scheduling.models import Appointment

    if Appointment.objects.count() < 50_000:
        call_command("generate_reference_data")
    if not QuestionnaireResponse.objects.exists():
        with connection.cursor() as cursor:
            cursor.execute(ANSWERS_SQL)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    user, _ = get_user_model().objects.get_or_create(username="bench-clinicadmin", defaults={"is_staff": True})
    user.groups.add(Group.objects.get(name=CLINIC_ADMIN))
    client = APIClient()
    client.force_authenticate(user=user)

    first, last = (
        Appointment.objects.order_by("start").values_list("start", flat=True).first(),
        Appointment.objects.order_by("-start").values_list("start", flat=True).first(),
    )
    year = {"start": first.date().isoformat(), "end": last.date().isoformat()}
    month = {"start": (last - timedelta(days=120)).date().isoformat(), "end": (last - timedelta(days=90)).date().isoformat()}
    reports = [("/api/v1/reports/operations/", {}), ("/api/v1/reports/outcomes/", {"instrument": "nrs"})]
    print(f"machine: {describe_machine()} (shared with other agents' tests and servers: figures are noisy)")
    print(f"dataset: {Appointment.objects.count()} appointments, {QuestionnaireResponse.objects.count()} questionnaire answers")
    ok = True
    for url, extra in reports:
        client.get(url, {**month, **extra})  # warm-up: per-process caches (content types, zones) fill on the first request
        counts = {}
        for label, span in (("month", month), ("year", year)):
            with CaptureQueriesContext(connection) as queries:
                response = client.get(url, {**span, **extra})
            assert response.status_code == 200, response.content[:300]
            counts[label] = len(queries)
        for label, span in (("month", month), ("year", year)):
            samples = []
            for _ in range(RUNS):
                started = time.perf_counter()
                client.get(url, {**span, **extra})
                samples.append(time.perf_counter() - started)
            p95 = percentile([s * 1000 for s in samples], 95)
            print(f"GET {url} ({label}): {summary_ms(samples)}")
            ok = ok and p95 <= 300
        print(f"  queries: {counts}")
        ok = ok and counts["month"] == counts["year"]
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
