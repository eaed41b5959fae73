"""Providers' private calendar feeds: issue, rotate, revoke, and read by token.

The token is the only credential a calendar app can present, and third-party calendar services
keep the URL for as long as the subscription lives. So the token is random (256 bits), only its
SHA-256 is stored, it is handed out once (the issuing screen shows the URL, nothing shows it
again), and it expires after FEED_TOKEN_TTL_DAYS. Every read is an audited view of the
patients on the feed, recorded against the provider whose feed it is."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from core.audit import audit_record
from core.errors import NotFound
from scheduling.ical import provider_feed_ics
from scheduling.models import CalendarFeed

TOKEN_BYTES = 32
PREFIX_LENGTH = 6


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def calendar_feed_url(token: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("provider-feed", args=[token])


@transaction.atomic
def calendar_feed_issue(*, provider, show_details: bool = False, by=None, now: datetime | None = None) -> CalendarFeed:
    """A new feed. The returned instance carries `issued_token`, the only copy of the token:
    show it (calendar_feed_url) to the person who asked, once, and keep it nowhere."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(TOKEN_BYTES)
    feed = CalendarFeed(
        provider=provider,
        token_hash=_hash(token),
        token_prefix=token[:PREFIX_LENGTH],
        show_details=show_details,
        expires_at=now + timedelta(days=settings.FEED_TOKEN_TTL_DAYS),
    )
    feed.issued_token = token  # not a field: never saved
    feed.save()
    audit_record(user=by, action="create", obj=feed, reason="calendar feed issued", now=now)
    return feed


@transaction.atomic
def calendar_feed_revoke(*, feed: CalendarFeed, by=None, now: datetime | None = None) -> None:
    now = now or timezone.now()
    if CalendarFeed.objects.filter(pk=feed.pk, revoked_at__isnull=True).update(revoked_at=now):
        audit_record(user=by, action="change", obj=feed, reason="calendar feed revoked", now=now)


@transaction.atomic
def calendar_feed_rotate(*, feed: CalendarFeed, by=None, now: datetime | None = None) -> CalendarFeed:
    """Revoke `feed` and issue its replacement (same provider and detail setting): for a URL
    that may have leaked, or one about to expire."""
    calendar_feed_revoke(feed=feed, by=by, now=now)
    return calendar_feed_issue(provider=feed.provider, show_details=feed.show_details, by=by, now=now)


def calendar_feed_read(*, token: str, now: datetime | None = None) -> bytes:
    """The feed's .ics for the calendar app presenting `token`; NotFound for an unknown,
    revoked or expired token alike, so the answer tells a guesser nothing."""
    now = now or timezone.now()
    feed = (
        CalendarFeed.objects.select_related("provider__user")
        .filter(token_hash=_hash(token), revoked_at__isnull=True, expires_at__gt=now)
        .first()
    )
    if feed is None:
        raise NotFound("No such calendar feed.")
    body, patient_ids = provider_feed_ics(feed=feed, now=now)
    audit_record(user=feed.provider.user, action="view", obj=feed, patient_ids=patient_ids, reason="calendar feed", now=now)
    return body
