"""API tokens (django-rest-knox): stored as SHA-512 digests, shown once when issued, expiring after
API_TOKEN_TTL_DAYS, revocable. Issued to a user by that user (the API sign-in) or by the system
(`manage.py drf_create_token`); a superuser may issue one for another account in the admin.
Nobody else mints a token for someone else: a token is a way to act as its user."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from knox.models import AuthToken

from core.errors import PermissionDenied


def api_token_issue(*, user, by, now=None) -> tuple[AuthToken, str]:
    """A new token for `user`. Returns the stored row (its digest) and the token itself, which
    exists nowhere else: show it once. `by=None` is the system (the management command)."""
    if by is not None and by.pk != user.pk and not by.is_superuser:
        raise PermissionDenied("Only a superuser may issue an API token for another user.")
    if not user.is_active:
        raise PermissionDenied("This account is inactive.")
    expires_at = (now or timezone.now()) + datetime.timedelta(days=settings.API_TOKEN_TTL_DAYS)
    # knox takes a lifetime counted from its own clock; ours is counted from `now`.
    return AuthToken.objects.create(user=user, expiry=expires_at - timezone.now())


def api_tokens_revoke(*, user, by) -> int:
    """Revoke every token of `user`; the number revoked."""
    if by is not None and by.pk != user.pk and not by.is_superuser:
        raise PermissionDenied("Only a superuser may revoke another user's API tokens.")
    with transaction.atomic():
        deleted, _ = AuthToken.objects.filter(user=user).delete()
    return deleted
