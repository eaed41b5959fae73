from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ClinicConfig(AppConfig):
    name = "clinic"
    verbose_name = "Clinic: people and places"

    def ready(self) -> None:
        from clinic import policy
        from clinic.roles import sync_role_permissions

        policy.connect()
        # Permissions of every app exist only after migrate finishes, so role grants are
        # (re)applied here; the groups themselves come from a data migration.
        post_migrate.connect(sync_role_permissions, dispatch_uid="clinic.sync_role_permissions")
