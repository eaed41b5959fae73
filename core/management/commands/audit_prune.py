"""Enforce AUDIT_RETENTION_DAYS: delete audit and field-history rows older than the retention.

Run as the database role that OWNS the tables (the one that runs migrations): the append-only
triggers refuse every other role, and refuse the owner too outside this command's transaction.
The command records its own audit row (action "delete", the counts in the reason)."""

from __future__ import annotations

from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, transaction

from core.append_only import RETAINED, allow_retention_deletes
from core.audit import audit_record


class Command(BaseCommand):
    help = "Delete audit-trail and field-history rows older than AUDIT_RETENTION_DAYS (run as the table owner)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=None, help="override AUDIT_RETENTION_DAYS for this run")

    def handle(self, *args, days=None, **options):
        days = settings.AUDIT_RETENTION_DAYS if days is None else days
        # --days may keep the trail longer for one run, never shorter: a typo must not erase it.
        if days < settings.AUDIT_RETENTION_DAYS:
            raise CommandError(
                f"--days {days} is below AUDIT_RETENTION_DAYS ({settings.AUDIT_RETENTION_DAYS}); the trail is kept at least that long."
            )
        removed: dict[str, int] = {}
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    allow_retention_deletes(cursor, days=days)
                    # The triggers count from the transaction's now(); so do we.
                    cursor.execute("SELECT now()")
                    now = cursor.fetchone()[0]
                cutoff = now - timedelta(days=days)
                for label, time_field in RETAINED.items():
                    model = apps.get_model(label)
                    # _raw_delete: one DELETE statement, no Python-side cascade collection.
                    old = model._base_manager.filter(**{f"{time_field}__lt": cutoff})
                    removed[label] = old._raw_delete(old.db)
        except DatabaseError as error:
            raise CommandError(
                f"PostgreSQL refused the deletion ({error.__cause__ or error}); run audit_prune as the owner of the tables."
            ) from error
        counts = ", ".join(f"{label} {count}" for label, count in removed.items())
        audit_record(user=None, action="delete", reason=f"retention {days} days: removed rows before {cutoff:%Y-%m-%d} ({counts})", now=now)
        self.stdout.write(f"audit retention {days} days: {counts}")
