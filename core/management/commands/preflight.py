"""Checks the database and Redis answer before the clinic starts; one plain line on failure."""

from django.core.management.base import BaseCommand, CommandError

from core.health import check_database, check_redis


class Command(BaseCommand):
    help = "Check that the database and Redis are reachable."

    def handle(self, *args, **options):
        db_ok, db_detail = check_database()
        if not db_ok:
            raise CommandError(f"database unreachable ({db_detail}); check DATABASE_URL")
        redis_ok, redis_detail = check_redis()
        if not redis_ok:
            raise CommandError(f"redis unreachable ({redis_detail}); check REDIS_URL")
        self.stdout.write("database and redis reachable")
