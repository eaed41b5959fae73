"""Shared set-up for benchmarks: each runs in a database of its own (never the dev or test
database), on DATABASE_URL's server or the private embedded one."""

from __future__ import annotations

import os
import platform
import statistics
import sys
from datetime import date
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def bench_database_url(name: str, *, fresh: bool = False, template: str | None = None) -> str:
    """Create (or with fresh=True re-create) database `name` and return a URL for it. With
    `template`, a new database is a copy of that one when it exists (CREATE DATABASE … TEMPLATE:
    a file copy, seconds, where generating the dataset takes minutes)."""
    import psycopg

    base = os.environ.get("DATABASE_URL")
    if base:
        parts = urlsplit(base)
        admin_conninfo = dict(
            host=parts.hostname or "",
            port=parts.port or 5432,
            user=parts.username or "postgres",
            password=parts.password or "",
            dbname="postgres",
        )
        url = urlunsplit(parts._replace(path=f"/{name}"))
    else:
        from config import embedded

        settings = embedded.ensure_postgres()
        admin_conninfo = dict(host=settings["HOST"], port=int(settings["PORT"]), user="postgres", dbname="postgres")
        url = f"postgres://postgres@/{name}?host={settings['HOST']}"
    with psycopg.connect(**admin_conninfo, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if exists and fresh:
            conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')
            exists = None
        if not exists:
            copy = template and conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [template]).fetchone()
            conn.execute(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if copy else ""))
    return url


def setup_django(database: str, *, fresh: bool = False, migrate: bool = True, template: str | None = None) -> str:
    url = bench_database_url(database, fresh=fresh, template=template)
    os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    if migrate:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
    return url


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered) + 0.5) - 1))
    return ordered[index]


def describe_machine() -> str:
    return f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}, {date.today().isoformat()}"


def summary_ms(samples_s: list[float]) -> str:
    ms = [s * 1000 for s in samples_s]
    return f"n={len(ms)} p50={statistics.median(ms):.1f} ms p95={percentile(ms, 95):.1f} ms max={max(ms):.1f} ms"


# --- ×1 and ×10: the same scripts on a dataset of N reference locations ------------------------
def scale_from_argv() -> int:
    """`--scale N` on the command line (default 1): N reference locations (generate_reference_data)."""
    if "--scale" in sys.argv:
        return int(sys.argv[sys.argv.index("--scale") + 1])
    return 1


def bench_database(scale: int) -> str:
    """×1 keeps its historical database name; ×N has its own. BENCH_DATABASE_PREFIX names a copy
    instead (`createdb -T clinic_bench my_bench`: prefix `my_bench`), leaving the reference alone."""
    prefix = os.environ.get("BENCH_DATABASE_PREFIX")
    if prefix:
        return prefix if scale == 1 else f"{prefix}_x{scale}"
    return "clinic_bench" if scale == 1 else f"clinic_bench_x{scale}"


def ensure_reference_data(scale: int):
    """Generate what is missing of the ×`scale` dataset; return location 1, the one searched
    within (its data is the ×1 dataset whatever the scale)."""
    from django.core.management import call_command

    from clinic.models import Location
    from scheduling.management.commands.generate_reference_data import LOCATION
    from scheduling.models import Appointment

    if Appointment.objects.filter(location__name__startswith=LOCATION).count() < 50_000 * scale:
        call_command("generate_reference_data", "--scale", str(scale))
    return Location.objects.get(name=LOCATION)


def figure(name: str, value_ms: float) -> None:
    """One machine-readable line run_all.py collects to put ×1 and ×N side by side."""
    print(f"FIGURE {name} {value_ms:.1f}")
