"""System checks that stop a production start with a secret anyone can read.

Django signs sessions, password-reset tokens and our patient links with SECRET_KEY: with a key
printed in the repository (the development fallback, an old docker-compose default), anyone can
forge a patient link. Django's own `security.W009` is only a warning and only under `--deploy`;
in production this is an error under every command that runs checks (`check`, `check --deploy`,
`migrate`, `runserver`), and config/wsgi.py and the Celery worker run it before serving.
"""

from __future__ import annotations

from django.conf import settings
from django.core import checks
from django.core.exceptions import ImproperlyConfigured

# Keys that were ever published with this code. A leaked key stays on this list for good.
DEVELOPMENT_SECRET_KEY = "dev-only-insecure-key-do-not-use-in-production-0123456789abcdef"
KNOWN_PUBLIC_SECRET_KEYS = frozenset(
    {
        DEVELOPMENT_SECRET_KEY,
        "change-me-in-production-please-0123456789abcdefghijklmnop",  # docker-compose.yml fallback until 2026-11
    }
)
# Django's rule for a strong key (django.core.checks.security.base._check_secret_key).
SECRET_KEY_MIN_LENGTH = 50
SECRET_KEY_MIN_UNIQUE_CHARACTERS = 5
WEAK_SECRET_KEY = "core.E001"


def secret_key_problem(key: str | None) -> str | None:
    """Why `key` must not sign production data, or None when it may."""
    if not key:
        return "SECRET_KEY is not set"
    if key in KNOWN_PUBLIC_SECRET_KEYS:
        return "SECRET_KEY is a published development key"
    if key.startswith("django-insecure"):
        return "SECRET_KEY is a key Django generated for development (django-insecure…)"
    if len(key) < SECRET_KEY_MIN_LENGTH or len(set(key)) < SECRET_KEY_MIN_UNIQUE_CHARACTERS:
        return f"SECRET_KEY is too weak (needs at least {SECRET_KEY_MIN_LENGTH} characters and {SECRET_KEY_MIN_UNIQUE_CHARACTERS} different ones)"
    return None


@checks.register(checks.Tags.security)
def check_production_secret_key(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    if not getattr(settings, "PRODUCTION", False):
        return []
    problem = secret_key_problem(settings.SECRET_KEY)
    if problem is None:
        return []
    return [
        checks.Error(
            f"{problem}; anyone who knows it can forge patient links and sessions.",
            hint='Generate one with: python -c "import secrets; print(secrets.token_urlsafe(50))" '
            "and pass it as SECRET_KEY or SECRET_KEY_FILE.",
            id=WEAK_SECRET_KEY,
        )
    ]


def refuse_weak_production_secret_key() -> None:
    """For processes that never run system checks (gunicorn, Celery)."""
    errors = check_production_secret_key()
    if errors:
        raise ImproperlyConfigured(f"{errors[0].id}: {errors[0].msg}")
