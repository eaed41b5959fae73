"""Load the demo clinic. Idempotent: a second run keeps the data and adds nothing twice.

Each app contributes a `demo.seed(out=...)` function; they run in dependency order."""

from importlib import import_module

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

# reports.demo runs last: it recomputes the report rollup from every appointment written before.
# authorizations.demo_approvals runs before scheduling books its history, so the check-in gate
# finds the approvals that history needs; authorizations.demo adds one request in every state.
SEEDERS = [
    "clinic.demo",
    "authorizations.demo_approvals",
    "scheduling.demo",
    "messaging.demo",
    "careplans.demo",
    "authorizations.demo",
    "reports.demo",
]


class Command(BaseCommand):
    help = "Create or complete the demo clinic (safe to run again)."

    def handle(self, *args, **options):
        # The demo creates `admin` with the password printed in the README: never on real data.
        if settings.PRODUCTION:
            raise CommandError("seed_demo creates users with published passwords and refuses to run when APP_ENV=production.")
        for dotted in SEEDERS:
            try:
                module = import_module(dotted)
            except ModuleNotFoundError as exc:
                if exc.name == dotted:
                    continue
                raise
            with transaction.atomic():
                module.seed(out=self.stdout.write)
