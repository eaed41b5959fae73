"""Every environment variable the product reads is in the README's configuration table: an
operator setting up another site reads that table, not the settings module."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
READS = re.compile(r"""(?:env_(?:str|int|bool|list)|os\.environ\.get|os\.getenv|os\.environ\[)\(?\s*["']([A-Z][A-Z0-9_]+)["']""")
# Variables of developer tools, not of the product.
TOOLING = {"CHROMIUM"}  # scripts/screenshots.py


def _variables_read() -> set[str]:
    names: set[str] = set()
    for path in ROOT.glob("**/*.py"):
        parts = path.relative_to(ROOT).parts
        if parts[0] in {".venv", "tests", "benchmarks", ".local"} or "site-packages" in parts:
            continue
        names |= set(READS.findall(path.read_text(encoding="utf-8")))
    return names - {"DJANGO_SETTINGS_MODULE"}


def _documented() -> set[str]:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("\n## Configuration\n", 1)[1].split("\n## ", 1)[0]
    first_columns = [line.split("|")[1] for line in table.splitlines() if line.startswith("| `")]
    return {name for column in first_columns for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", column)}


def test_every_variable_the_product_reads_is_in_the_configuration_table():
    read = _variables_read()
    assert {"DATABASE_URL", "TRUSTED_PROXY_COUNT", "WEBHOOK_STATUS_RATE", "TEST_DB_SUFFIX"} <= read  # the scan finds them
    assert sorted(read - TOOLING - _documented()) == []
