"""Session limits and the second-factor gate, as middleware after AuthenticationMiddleware.

- Idle timeout (SESSION_IDLE_SECONDS) and absolute age (SESSION_MAX_AGE_SECONDS, counted from
  sign-in, not from the last request): past either, the session is signed out and the page the
  user asked for sends them to the sign-in page with a message saying why.
- A session whose user must give a TOTP code (core.two_factor) and has not yet reaches only the
  code, enrolment and sign-out pages; the API refuses it (core.api_auth).

Both read only the session (no query per request); the last-activity time is written at most
once a minute, so a busy page does not rewrite its session row on every request.
"""

from __future__ import annotations

import time
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.http import HttpResponseRedirect
from django.urls import reverse

from core import two_factor

SIGNED_IN_AT = "signed_in_at"
LAST_SEEN_AT = "last_seen_at"
# Activity closer together than this does not rewrite the session.
ACTIVITY_RESOLUTION_SECONDS = 60

# Reachable with the password accepted but the code not yet given. The API (/api/) answers for
# itself: its session authentication refuses such a session.
_OPEN_BEFORE_SECOND_FACTOR = ("/account/two-factor/verify/", "/account/two-factor/enrol/", "/admin/logout/", "/api/")
_NOT_STAFF_PAGES = ("/static/", "/healthz", "/p/", "/q/", "/calendar/", "/webhooks/")


def on_sign_in(sender, request, user, **kwargs) -> None:
    """user_logged_in receiver: start the session's clocks and its second-factor state."""
    session = getattr(request, "session", None)
    if session is None or "_auth_user_id" not in session or getattr(request, "issues_api_token", False):
        return  # a token sign-in (core.api_login) starts no session and leaves the browser's alone
    now = int(time.time())
    session[SIGNED_IN_AT] = now
    session[LAST_SEEN_AT] = now
    session[two_factor.SESSION_KEY] = two_factor.second_factor_state_at_sign_in(user)


class SessionLimitsMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = request.session
        if "_auth_user_id" in session:
            now = int(time.time())
            signed_in_at = session.get(SIGNED_IN_AT, now)
            last_seen_at = session.get(LAST_SEEN_AT, now)
            reason = None
            if now - signed_in_at >= settings.SESSION_MAX_AGE_SECONDS:
                reason = f"You were signed out {settings.SESSION_MAX_AGE_SECONDS // 3600} hours after signing in. Please sign in again."
            elif now - last_seen_at >= settings.SESSION_IDLE_SECONDS:
                reason = f"You were signed out after {settings.SESSION_IDLE_SECONDS // 60} minutes without activity. Please sign in again."
            if reason:
                logout(request)  # flushes the session; the page asked for now sees an anonymous user
                messages.info(request, reason)
            else:
                if SIGNED_IN_AT not in session:
                    session[SIGNED_IN_AT] = signed_in_at
                if now - last_seen_at >= ACTIVITY_RESOLUTION_SECONDS or LAST_SEEN_AT not in session:
                    session[LAST_SEEN_AT] = now
        return self.get_response(request)


class SecondFactorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        path = request.path_info
        if (
            "_auth_user_id" in request.session
            and not path.startswith(_OPEN_BEFORE_SECOND_FACTOR + _NOT_STAFF_PAGES)
            and two_factor.session_state(request) == two_factor.PENDING
        ):
            return second_factor_redirect(request, next_url=request.get_full_path())
        return self.get_response(request)


def second_factor_redirect(request, *, next_url: str) -> HttpResponseRedirect:
    """To the code page, or to enrolment for a user who must have a device and has none."""
    has_device = any(True for _ in two_factor.devices_for_user(request.user, confirmed=True))
    target = reverse("two-factor-verify" if has_device else "two-factor-enrol")
    return HttpResponseRedirect(f"{target}?{urlencode({'next': next_url})}")
