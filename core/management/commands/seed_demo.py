"""Load the demo clinic. Idempotent: a second run keeps the data and adds nothing twice.

Each app contributes a `demo.seed(out=...)` function; they run in dependency order."""

from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

SEEDERS = ["clinic.demo", "scheduling.demo", "messaging.demo", "careplans.demo"]


class Command(BaseCommand):
    help = "Create or complete the demo clinic (safe to run again)."

    def handle(self, *args, **options):
        for dotted in SEEDERS:
            try:
                module = import_module(dotted)
            except ModuleNotFoundError as exc:
                if exc.name == dotted:
                    continue
                raise
            with transaction.atomic():
                module.seed(out=self.stdout.write)
