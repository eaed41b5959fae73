"""`make test`: lint, migration check and the whole pytest suite against real PostgreSQL and
Redis (DATABASE_URL / REDIS_URL, or the private ones, which are stopped again if this started
them). Extra arguments go to pytest."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
BIN = Path(sys.executable).parent


def step(title: str, command: list[str]) -> None:
    print(f"==> {title}", flush=True)
    result = subprocess.run(command, cwd=ROOT)
    if result.returncode != 0:
        print(f"FAILED: {title}", flush=True)
        raise SystemExit(result.returncode)


def chromium_path() -> str | None:
    for name in ("chromium", "chromium-browser"):
        if found := shutil.which(name):
            return found
    return None


def main() -> int:
    from config import embedded

    started = []
    if not os.environ.get("DATABASE_URL") and not embedded.postgres_running():
        started.append(embedded.stop_postgres)
    if not os.environ.get("REDIS_URL") and embedded._redis_pid() is None:
        started.append(embedded.stop_redis)
    try:
        step("ruff check", [str(BIN / "ruff"), "check", "."])
        step("ruff format --check", [str(BIN / "ruff"), "format", "--check", "."])
        step("import contract (lint-imports)", [str(BIN / "lint-imports"), "--no-cache"])
        step("makemigrations --check", [sys.executable, "manage.py", "makemigrations", "--check", "--dry-run"])
        if chromium_path() is None:
            print("SKIPPED browser tests: chromium is not installed (apt-get install -y chromium)", flush=True)
        # Both cores: the suite is split over two workers (pytest-xdist), each with its own test database.
        workers = [] if any(a.startswith("-n") for a in sys.argv[1:]) else ["-n", "2"]
        step("pytest", [sys.executable, "-m", "pytest", "-q", *workers, *sys.argv[1:]])
        return 0
    finally:
        for stop in started:
            stop()


if __name__ == "__main__":
    sys.exit(main())
