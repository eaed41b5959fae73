"""Demo: example commercial requirement rules and the approvals the demo history needs.

Runs after clinic.demo and before scheduling.demo books three weeks of history and checks it in:
every patient whose payer requires authorization for a procedure family gets an approval covering
the demo window, so the gate refuses none of that history. One patient in ten has an approval
ending yesterday, so the coming weeks show visits still needing one (tasks in the authorization
queue, badges on the day sheet and the provider's day). Idempotent."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from authorizations.models import Authorization, AuthorizationEvent, AuthorizationLine, PayerAuthorizationTerms, RequirementRule
from clinic.models import Patient, Payer
from core.roles import FRONT_DESK

MARKER = "[demo] standing approval"
EXAMPLE_RULES = [
    ("aetna", "Aetna example: epidural steroid injections", "esi"),
    ("aetna", "Aetna example: radiofrequency ablation", "rfa"),
    ("bcbs-ma", "BCBS MA example: radiofrequency ablation", "rfa"),
    ("bcbs-ma", "BCBS MA example: spinal cord stimulator trial", "scs_trial"),
]
CODE_FOR = {"esi": "62323", "rfa": "64635", "scs_trial": "63650", "mbb": "64493", "ebp": "62273", "nerve_block": "64450"}


def seed(*, out=print) -> None:
    payers = {p.code: p for p in Payer.objects.all()}
    for code, name, family in EXAMPLE_RULES:
        if code in payers:
            RequirementRule.objects.get_or_create(
                name=name, defaults={"payer": payers[code], "procedure_family": family, "source": "Example commercial policy"}
            )
    for code, days in (("aetna", 5), ("bcbs-ma", 7)):
        if code in payers:
            PayerAuthorizationTerms.objects.get_or_create(payer=payers[code], defaults={"standard_days": days})
    authdesk = Group.objects.filter(name=FRONT_DESK).first()
    user = get_user_model().objects.filter(username="authdesk").first()
    if user is not None and authdesk is not None:
        user.groups.add(authdesk)  # an authorization coordinator who also works the front desk
    if Authorization.objects.filter(notes=MARKER).exists():
        out("authorizations: standing demo approvals already present")
        return
    families: dict[int, set[str]] = {}
    for rule in RequirementRule.objects.filter(active=True, required=True, payer__isnull=False):
        if rule.procedure_family:
            families.setdefault(rule.payer_id, set()).add(rule.procedure_family)
    now = timezone.now()
    today = timezone.localdate()
    created = 0
    for i, patient in enumerate(Patient.objects.filter(payer_id__in=families).order_by("id")):
        ends = today - timedelta(days=1) if i % 10 == 3 else today + timedelta(days=90)
        authorization = Authorization.objects.create(
            patient=patient, payer_id=patient.payer_id, member_id=patient.member_id, status="approved",
            reference_kind="utn" if patient.payer.code == "medicare" else "payer-number",
            number=f"DEMO{patient.pk:010d}" if patient.payer.code == "medicare" else f"A-{700000 + patient.pk}",
            requested_at=now - timedelta(days=70), decided_at=now - timedelta(days=66),
            valid_from=today - timedelta(days=60), valid_to=ends, notes=MARKER, created_at=now - timedelta(days=70),
        )  # fmt: skip
        AuthorizationLine.objects.bulk_create(
            [
                AuthorizationLine(authorization=authorization, code=CODE_FOR[f], procedure_family=f, requested_units=20, approved_units=20)
                for f in sorted(families[patient.payer_id])
            ]
        )
        AuthorizationEvent.objects.create(authorization=authorization, to_status="approved", at=now - timedelta(days=66), reason="demo")
        created += 1
    out(f"authorizations: {created} standing demo approvals")
