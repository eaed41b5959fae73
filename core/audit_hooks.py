"""Signal receivers that feed the audit trail (connected in CoreConfig.ready()): creates,
changes and deletes of rows the access policy protects, and sign-ins."""

from __future__ import annotations

from core import access, audit


def note_saved(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if raw or access.protected(sender) is None:
        return
    audit.wrote("create" if created else "change", instance, [access.patient_of(instance)])


def note_deleted(sender, instance, **kwargs) -> None:
    if access.protected(sender) is None:
        return
    audit.wrote("delete", instance, [access.patient_of(instance)])


def note_signed_in(sender, request, user, **kwargs) -> None:
    audit.record_sign_in(user=user, object_id=user.get_username())


def note_sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # Django has already masked secrets in `credentials`; only the login name is kept.
    audit.record_sign_in(user=None, object_id=str(credentials.get("username", "")), failed=True)
