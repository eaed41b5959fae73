"""Same-day bundle of 3 disciplines (PT evaluation, psychology intake, nutrition consult) for
one patient, first day that works within a 2-week window, on the reference dataset.

Target: p95 ≤ 30 ms (issue 15), ≤ 1.5× that at ×10 for a bundle within location 1.
Run: .venv/bin/python benchmarks/bench_bundle.py [--scale N]   (database as bench_slots.py)."""

from __future__ import annotations

import random
import sys
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import bench_database, describe_machine, ensure_reference_data, figure, percentile, scale_from_argv, setup_django, summary_ms  # noqa: E402

RUNS = 60


def main() -> int:
    scale = scale_from_argv()
    setup_django(bench_database(scale))
    from django.utils import timezone

    from clinic.models import Patient
    from scheduling.bundles import bundle_find_days
    from scheduling.models import Appointment, VisitType

    location = ensure_reference_data(scale)
    rng = random.Random(11)
    # The first location's patients: the same people at ×1 and ×N.
    patients = list(Patient.objects.filter(email__endswith="@reference.example", email__startswith="p"))
    visit_types = [VisitType.objects.get(code=c) for c in ("pt-evaluation", "psychology-intake", "nutrition-consult")]
    now = timezone.now()
    today = now.date()
    samples, days = [], []
    for run in range(RUNS + 3):
        first = today + timedelta(days=1 + rng.randrange(0, 14))
        began = time.perf_counter()
        options = bundle_find_days(
            patient=rng.choice(patients),
            visit_types=visit_types,
            start_date=first,
            end_date=first + timedelta(days=13),
            max_gap_minutes=30,
            location=location if scale > 1 else None,
            now=now,
        )
        elapsed = time.perf_counter() - began
        if run >= 3:
            samples.append(elapsed)
            days.append((options[0].date - first).days if options else None)
    print(f"machine: {describe_machine()}")
    print(f"dataset: {Appointment.objects.count()} appointments")
    print(f"scale: x{scale}")
    print(f"bundle of 3 disciplines over 2 weeks: {summary_ms(samples)}")
    figure("bundle.p95", percentile([s * 1000 for s in samples], 95))
    print(
        f"options found in {sum(d is not None for d in days)}/{len(days)} runs; days searched before a fit: max {max((d for d in days if d is not None), default='-')}"
    )
    ok = percentile([s * 1000 for s in samples], 95) <= 30 and all(d is not None for d in days)
    print("RESULT:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
