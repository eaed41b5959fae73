"""`make benchmark`: run every benchmark script; each prints its figures and PASS/FAIL.

The scripts that read the reference dataset (slots, bundle, appointment list) run once per scale
(`SCALES`, default "1 10": one reference location, then ten) and a table puts each figure at ×1
beside ×N with their ratio. The others (booking race, reminders) do not depend on the dataset's
size and run once. `make benchmark SCALES=1` skips the ×10 dataset (a few minutes to generate).
"""

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
SCALED = {"bench_slots.py", "bench_bundle.py", "bench_appointment_list.py"}
scales = [int(s) for s in os.environ.get("SCALES", "1 10").split()]

failed = []
figures: dict[str, dict[int, float]] = {}
for script in sorted(HERE.glob("bench_*.py")):
    for scale in scales if script.name in SCALED else [None]:
        label = script.name if scale is None else f"{script.name} x{scale}"
        print(f"\n=== {label} ===", flush=True)
        command = [sys.executable, str(script), *([] if scale is None else ["--scale", str(scale)])]
        result = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        print(result.stdout, end="", flush=True)
        for line in result.stdout.splitlines():
            if line.startswith("FIGURE ") and scale is not None:
                _, name, value = line.split()
                figures.setdefault(name, {})[scale] = float(value)
        if result.returncode != 0:
            failed.append(label)

if len(scales) > 1 and figures:
    base, *others = scales
    print(f"\n=== x{base} beside {', '.join(f'x{s}' for s in others)} (p95, ms) ===")
    header = f"{'figure':32} {'x' + str(base):>9}" + "".join(f" {'x' + str(s):>9} {'ratio':>6}" for s in others)
    print(header)
    for name, by_scale in figures.items():
        row = f"{name:32} {by_scale.get(base, float('nan')):9.1f}"
        for s in others:
            value = by_scale.get(s, float("nan"))
            ratio = value / by_scale[base] if by_scale.get(base) else float("nan")
            row += f" {value:9.1f} {ratio:6.2f}"
        print(row)
print("\nfailed:" if failed else "\nall benchmarks passed", " ".join(failed))
sys.exit(1 if failed else 0)
