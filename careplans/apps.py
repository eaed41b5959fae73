from django.apps import AppConfig


class CareplansConfig(AppConfig):
    name = "careplans"
    verbose_name = "Care plans and follow-up"

    def ready(self) -> None:
        from careplans import policy, subscriptions

        policy.connect()
        subscriptions.connect()
