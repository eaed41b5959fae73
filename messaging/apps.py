from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Patient messaging"

    def ready(self) -> None:
        # These import models, which exist only once the app registry is ready.
        from messaging import policy, subscriptions

        policy.connect()
        subscriptions.connect()
