"""Compile every locale/<lang>/LC_MESSAGES/*.po into its .mo with polib (pure Python): a fresh
machine has no GNU gettext, and the compiled .mo files are committed. `make messages` runs this
after makemessages; tests/core/test_translations.py checks every .mo is current."""

from __future__ import annotations

import sys
from pathlib import Path

import polib

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    for po_path in sorted((ROOT / "locale").glob("*/LC_MESSAGES/*.po")):
        polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
        print(f"compiled {po_path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
