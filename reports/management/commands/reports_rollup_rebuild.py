"""Recompute the operational report's rollup from the appointments (safe to run again)."""

from django.core.management.base import BaseCommand

from reports.rollup import rollup_rebuild


class Command(BaseCommand):
    help = "Recompute reports.AppointmentDay from the appointments (after a bulk load with triggers off). Idempotent."

    def add_arguments(self, parser):
        parser.add_argument("--location", type=int, default=None, help="Only this location's rows (default: all).")

    def handle(self, *args, location=None, **options):
        written = rollup_rebuild(location_id=location)
        self.stdout.write(f"reports rollup: {written} rows")
