"""`make backup`: dump the clinic's database (DATABASE_URL, or the embedded server) to
backups/clinic-<UTC timestamp>.dump in pg_dump's custom format (config/backup.py).

BACKUP_DIR changes the directory. The archive holds every patient's record: it is written
readable by its owner only; keep it encrypted wherever it goes next."""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main() -> int:
    from config.backup import BackupError, backup, configured_target
    from config.env import ConfigError

    try:
        path = backup(target=configured_target(), directory=Path(os.environ.get("BACKUP_DIR") or ROOT / "backups"))
    except (BackupError, ConfigError) as error:
        sys.stderr.write(f"backup failed: {error}\n")
        return 1
    print(f"backup written: {path} ({path.stat().st_size} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
