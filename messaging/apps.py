from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Patient messaging"

    def ready(self) -> None:
        from messaging import policy, subscriptions

        policy.connect()
        subscriptions.connect()
