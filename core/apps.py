from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "core"
    verbose_name = "Operations"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in, user_login_failed
        from django.db.models.signals import post_delete, post_save

        from core import audit_hooks

        post_save.connect(audit_hooks.note_saved, dispatch_uid="core.audit.saved")
        post_delete.connect(audit_hooks.note_deleted, dispatch_uid="core.audit.deleted")
        user_logged_in.connect(audit_hooks.note_signed_in, dispatch_uid="core.audit.signed_in")
        user_login_failed.connect(audit_hooks.note_sign_in_failed, dispatch_uid="core.audit.sign_in_failed")
