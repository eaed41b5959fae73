from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Operations"

    def ready(self) -> None:
        # sessions imports django_otp's models, which exist only once the registry is ready.
        from core import (
            checks,  # noqa: F401 - registers the production secret-key check
            sessions,
        )

        # Every sign-in (the admin's page, the API's, the test client's) starts the session's
        # clocks and its second-factor state.
        user_logged_in.connect(sessions.on_sign_in, dispatch_uid="core.sessions.on_sign_in")
