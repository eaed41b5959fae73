"""`make benchmark`: run every benchmark script; each prints its figures and PASS/FAIL."""

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

failed = []
for script in sorted(HERE.glob("bench_*.py")):
    print(f"\n=== {script.name} ===", flush=True)
    if subprocess.run([sys.executable, str(script)]).returncode != 0:
        failed.append(script.name)
print("\nfailed:" if failed else "\nall benchmarks passed", " ".join(failed))
sys.exit(1 if failed else 0)
