from django.apps import AppConfig
from django.db.models.signals import post_migrate

from clinic.roles import sync_role_permissions


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic: people and places"

    def ready(self) -> None:
        # policy imports models, which exist only once the app registry is ready.
        from clinic import policy

        policy.connect()
        # Permissions of every app exist only after migrate finishes, so role grants are
        # (re)applied here; the groups themselves come from a data migration.
        post_migrate.connect(sync_role_permissions, dispatch_uid="clinic.sync_role_permissions")
