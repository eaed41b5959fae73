"""`make restore FILE=backups/clinic-….dump [CONFIRM=yes]`: replace the database's content
(DATABASE_URL, or the embedded server) with a backup, in one transaction (config/backup.py).

A database that already has tables is only overwritten with CONFIRM=yes. Stop the web server,
worker and beat first: they would write into a database that is being replaced."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("file", help="a custom-format archive written by make backup")
    parser.add_argument("--confirm", action="store_true", help="replace a database that already has tables")
    args = parser.parse_args(argv)
    if not args.file:
        parser.error("give the backup file: make restore FILE=backups/clinic-….dump")

    from config.backup import BackupError, configured_target, restore
    from config.env import ConfigError

    try:
        target = configured_target()
        restore(archive=Path(args.file), target=target, confirm=args.confirm)
    except (BackupError, ConfigError) as error:
        sys.stderr.write(f"restore failed: {error}\n")
        return 1
    print(f"restored {args.file} into database {target.dbname!r}; run `python manage.py migrate` if the code is newer than the backup")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
