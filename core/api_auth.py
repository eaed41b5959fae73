"""How the API knows who is calling: a knox token (Authorization: Token …), or the browser's
session once it is fully signed in (the TOTP code given where one is needed). A token is itself
the credential, minted after a verified sign-in (core.api_login), so token requests are not asked
for a code. Kept free of view imports: REST_FRAMEWORK's settings import this module."""

from __future__ import annotations

from drf_spectacular.authentication import SessionScheme
from rest_framework.authentication import SessionAuthentication
from rest_framework.permissions import BasePermission

from core import two_factor


class VerifiedSessionAuthentication(SessionAuthentication):
    """Django's session, but not one still waiting for its second factor (core.two_factor)."""

    def authenticate(self, request):
        result = super().authenticate(request)
        if result is None:
            return None
        if two_factor.session_state(request._request) == two_factor.PENDING:
            return None
        return result


class VerifiedSessionScheme(SessionScheme):
    """The OpenAPI description of it: Django's session cookie, as for the class it narrows."""

    target_class = "core.api_auth.VerifiedSessionAuthentication"


class IsStaff(BasePermission):
    """Staff, signed in or holding a token: the API's description is for the clinic's people."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        return bool(user and user.is_authenticated and user.is_active and user.is_staff)
