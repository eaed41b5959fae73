"""Demo: one prior-authorization request in every state, made through the services (with their
events, tasks and decision deadlines), for patients whose care plans hold PT, psychology and
outcome history, so the evidence pack has something to show. Runs last. Idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.db.models import F
from django.utils import timezone

from authorizations import services
from authorizations.models import Authorization
from authorizations.services import sweeps
from clinic.models import Patient, Payer, Provider

MARKER = "[demo] request"

# (status wanted, payer code, lines)
STORIES = [
    ("draft", "aetna", [{"code": "62323", "region": "lumbar", "levels": "L4-L5", "modifiers": ["LT"], "requested_units": 2}]),
    ("submitted", "aetna", [{"code": "64635", "region": "lumbar", "levels": "L4-L5, L5-S1", "modifiers": ["50"], "requested_units": 1}]),
    ("pended", "bcbs-ma", [{"code": "64635", "region": "lumbar", "levels": "L3-L4", "modifiers": ["RT"], "requested_units": 1}]),
    ("approved", "medicare", [{"code": "63650", "region": "thoracic", "levels": "T8-T10", "requested_units": 1}]),
    ("partially-approved", "aetna", [{"code": "62323", "region": "lumbar", "levels": "L5-S1", "requested_units": 3}]),
    ("denied", "bcbs-ma", [{"code": "63650", "region": "thoracic", "levels": "T9-T10", "requested_units": 1}]),
    ("appealed", "aetna", [{"code": "64635", "region": "lumbar", "levels": "L4-L5", "requested_units": 1}]),
    ("expired", "aetna", [{"code": "62323", "region": "lumbar", "levels": "L4-L5", "requested_units": 1}]),
    ("void", "bcbs-ma", [{"code": "62323", "region": "lumbar", "levels": "L3-L4", "requested_units": 1}]),
]


def _patient(payer, used: set[int]):
    # Patients with a care plan (PT, psychology and scores) first: their evidence pack is full.
    candidates = Patient.objects.filter(payer=payer).exclude(pk__in=used)
    return candidates.order_by(F("care_plans__id").desc(nulls_last=True), "id").first()


def seed(*, out=print) -> None:
    if Authorization.objects.filter(notes__startswith=MARKER).exists():
        out("authorizations: demo requests already present")
        return
    payers = {p.code: p for p in Payer.objects.all()}
    provider = Provider.objects.filter(user__username="provider").first()
    now = timezone.now()
    today = timezone.localdate()
    used: set[int] = set()
    made = 0
    for status, payer_code, lines in STORIES:
        payer = payers.get(payer_code)
        patient = _patient(payer, used) if payer else None
        if patient is None:
            continue
        used.add(patient.pk)
        start = now - timedelta(days=20)
        auth = services.authorization_create(
            patient=patient, lines=lines, ordering_provider=provider, urgency="expedited" if status == "pended" else "standard",
            notes=f"{MARKER}: {status}", now=start,
        )  # fmt: skip
        if status == "draft":
            made += 1
            continue
        # "submitted" was sent long enough ago for its payer's deadline to pass: the queue shows it overdue.
        auth = services.authorization_submit(authorization=auth, now=start)
        if status == "pended":
            services.authorization_pend(authorization=auth, reason="Payer asks for the PT notes", now=start + timedelta(days=2))
        elif status in ("approved", "partially-approved", "expired"):
            ends = today - timedelta(days=2) if status == "expired" else today + timedelta(days=100 if payer_code != "medicare" else 12)
            units = [{"id": line.pk, "approved_units": 1} for line in auth.lines.all()]
            services.authorization_approve(
                authorization=auth, number="UTN0A1B2C3D4E5F"[:14] if payer_code == "medicare" else f"A-{880000 + auth.pk}",
                valid_from=today - timedelta(days=10), valid_to=ends, lines=units, now=start + timedelta(days=3),
            )  # fmt: skip
            if status == "expired":
                sweeps.authorizations_expire(now=now)
        elif status in ("denied", "appealed", "void"):
            services.authorization_deny(authorization=auth, reason="Conservative care not documented", now=start + timedelta(days=4))
            if status == "appealed":
                services.authorization_appeal(authorization=auth, reason="PT and psychology notes attached", now=start + timedelta(days=6))
            elif status == "void":
                services.authorization_void(authorization=auth, reason="Procedure no longer planned", now=start + timedelta(days=7))
        made += 1
    for sweep in (
        sweeps.authorizations_overdue,
        sweeps.authorizations_denied,
        sweeps.authorizations_expiring_unused,
        sweeps.authorizations_scs_window,
    ):
        sweep(now=now)
    out(f"authorizations: {made} demo requests, one per state")
