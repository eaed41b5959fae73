"""Checks the database and Redis answer before the clinic starts; one plain line on failure.
In production it also warns when the database role could alter the tables (see app_role_grant)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from core.health import check_database, check_redis, database_role_can_alter_tables


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
        # Migrations run as the owner, so only production's web, worker and beat are warned.
        if settings.PRODUCTION and database_role_can_alter_tables():
            self.stderr.write(
                "warning: DATABASE_URL connects as a superuser or the owner of the tables; web, worker and beat "
                "should use the application role (manage.py app_role_grant, README: Two database roles)"
            )
