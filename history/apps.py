from django.apps import AppConfig


class HistoryConfig(AppConfig):
    name = "history"
    verbose_name = "Field history"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from core.append_only import retain
        from history.models import TRACKED

        # audit_prune trims the field history with the audit trail, after AUDIT_RETENTION_DAYS.
        for model in TRACKED:
            retain(f"history.{model.__name__}History", time_field="pgh_created_at")
        retain("pghistory.Context", time_field="created_at")
