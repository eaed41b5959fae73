"""Patient links: signed, expiring, single-purpose, single-use, and short enough for an SMS.

The URL carries `<row id in base 36>.<signature>` and nothing else: no name, no date, no
appointment id in clear. The signature is Django's signing HMAC over the row id with a salt per
purpose, cut to 16 characters (96 bits) to fit a 160-character text; a token minted for one
purpose never verifies for another. Expiry and single use live on the row, so the clinic can
also revoke a link.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare

from core.errors import DomainError, NotFound
from messaging.models import PatientLink

LinkPurpose = PatientLink.LinkPurpose
SIGNATURE_LENGTH = 16


class LinkGone(DomainError):
    """The link was valid but is used up or expired: the page says so plainly (HTTP 410)."""

    http_status = 410
    code = "link_gone"


def _signature(pk: int, purpose: str) -> str:
    return signing.Signer(salt=f"messaging.link.{purpose}").signature(str(pk))[:SIGNATURE_LENGTH]


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    out = ""
    while True:
        number, rest = divmod(number, 36)
        out = digits[rest] + out
        if not number:
            return out


def link_token(link: PatientLink) -> str:
    return f"{_base36(link.pk)}.{_signature(link.pk, link.purpose)}"


def link_url(link: PatientLink) -> str:
    return settings.PUBLIC_BASE_URL + reverse("messaging-link", args=[link_token(link)])


def link_mint(
    *, purpose: str, patient, expires_at: datetime, appointment=None, waitlist_entry=None, ticket=None, now: datetime | None = None
) -> PatientLink:
    """One link per (purpose, appointment) or (purpose, ticket), shared by its messages, so using
    it from the SMS also uses it up in the email. Idempotent."""
    now = now or timezone.now()
    if ticket is not None:
        link, created = PatientLink.objects.get_or_create(
            purpose=purpose, ticket=ticket, defaults={"patient": patient, "expires_at": expires_at}
        )
        if not created and link.used_at is None and link.expires_at != expires_at:
            PatientLink.objects.filter(pk=link.pk).update(expires_at=expires_at)
            link.expires_at = expires_at
        return link
    if appointment is not None:
        link, created = PatientLink.objects.get_or_create(
            purpose=purpose, appointment=appointment, defaults={"patient": patient, "expires_at": expires_at}
        )
        if not created and link.used_at is None and link.expires_at != expires_at:
            PatientLink.objects.filter(pk=link.pk).update(expires_at=expires_at)
            link.expires_at = expires_at
        return link
    if purpose == LinkPurpose.UNSUBSCRIBE:
        reusable = PatientLink.objects.filter(
            purpose=purpose, patient=patient, used_at__isnull=True, expires_at__gt=now + timedelta(days=30)
        ).first()
        if reusable:
            return reusable
    return PatientLink.objects.create(purpose=purpose, patient=patient, waitlist_entry=waitlist_entry, expires_at=expires_at)


def appointment_links_mint(*, appointment, patient, expiries: dict[str, datetime], now: datetime | None = None) -> dict[str, PatientLink]:
    """link_mint for several purposes of one appointment at once (an email carries confirm, cancel
    and reschedule): one query when the links exist, one insert for those that do not. The same
    rules as link_mint: one link per (purpose, appointment), an unused link's expiry follows.
    Idempotent."""
    now = now or timezone.now()
    found = {link.purpose: link for link in PatientLink.objects.filter(appointment=appointment, purpose__in=list(expiries))}
    for purpose, link in found.items():
        if link.used_at is None and link.expires_at != expiries[purpose]:
            PatientLink.objects.filter(pk=link.pk).update(expires_at=expiries[purpose])
            link.expires_at = expiries[purpose]
    missing = [
        PatientLink(purpose=purpose, patient=patient, appointment=appointment, expires_at=expires_at)
        for purpose, expires_at in expiries.items()
        if purpose not in found
    ]
    if missing:
        try:
            with transaction.atomic():
                PatientLink.objects.bulk_create(missing)
            found.update((link.purpose, link) for link in missing)
        except IntegrityError:
            # Another transaction minted one of them a moment ago: one by one, as link_mint does.
            for link in missing:
                found[link.purpose] = link_mint(
                    purpose=link.purpose, patient=patient, appointment=appointment, expires_at=link.expires_at, now=now
                )
    return found


def link_resolve(*, token: str, now: datetime | None = None, for_update: bool = False) -> PatientLink:
    """The link a token names. NotFound for anything forged or malformed; LinkGone when it was
    used or has expired. With for_update the row is locked (call inside a transaction)."""
    now = now or timezone.now()
    try:
        raw_id, signature = token.split(".", 1)
        pk = int(raw_id, 36)
    except ValueError:
        raise NotFound("This link is not valid.") from None
    qs = PatientLink.objects.select_related(
        "patient", "appointment__location", "appointment__visit_type", "waitlist_entry", "ticket__visit_type"
    )
    if for_update:
        qs = qs.select_for_update(of=("self",))
    link = qs.filter(pk=pk).first()
    if link is None or not constant_time_compare(signature, _signature(pk, link.purpose)):
        raise NotFound("This link is not valid.")
    if link.used_at is not None:
        raise LinkGone("This link has already been used.", link_purpose=link.purpose, language=link.patient.language)
    if link.expires_at <= now:
        raise LinkGone("This link has expired.", link_purpose=link.purpose, language=link.patient.language)
    return link


def link_use(*, link: PatientLink, outcome: str, now: datetime | None = None) -> bool:
    """Mark a link used (compare-and-set: only the first use counts)."""
    now = now or timezone.now()
    with transaction.atomic():
        done = PatientLink.objects.filter(pk=link.pk, used_at__isnull=True).update(used_at=now, outcome=outcome[:200])
    return bool(done)


def unsubscribe_url(*, patient, now: datetime | None = None) -> str:
    """A signed one-click email unsubscribe link, valid 90 days (List-Unsubscribe)."""
    now = now or timezone.now()
    link = link_mint(purpose=PatientLink.LinkPurpose.UNSUBSCRIBE, patient=patient, expires_at=now + timedelta(days=90), now=now)
    return link_url(link)
