from django.apps import AppConfig
from django.contrib.auth.signals import user_logged_in, user_login_failed


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Operations"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        # sessions imports django_otp's models, which exist only once the registry is ready.
        from core import (
            audit_hooks,
            checks,  # noqa: F401 - registers the production secret-key check
            sessions,
        )

        # Every sign-in (the admin's page, the API's, the test client's) starts the session's
        # clocks and its second-factor state.
        user_logged_in.connect(sessions.on_sign_in, dispatch_uid="core.sessions.on_sign_in")
        post_save.connect(audit_hooks.note_saved, dispatch_uid="core.audit.saved")
        post_delete.connect(audit_hooks.note_deleted, dispatch_uid="core.audit.deleted")
        user_logged_in.connect(audit_hooks.note_signed_in, dispatch_uid="core.audit.signed_in")
        user_login_failed.connect(audit_hooks.note_sign_in_failed, dispatch_uid="core.audit.sign_in_failed")
