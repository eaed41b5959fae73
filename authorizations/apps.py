from django.apps import AppConfig


class AuthorizationsConfig(AppConfig):
    name = "authorizations"
    verbose_name = "Prior authorization"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from authorizations import policy, subscriptions

        policy.connect()
        subscriptions.connect()
