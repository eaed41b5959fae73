"""Does this booking need the payer's prior authorization? Requirement rules (payer × visit type,
procedure family or code × optional states and place of service): the most specific active rule
that matches decides; no matching rule means no authorization is needed."""

from __future__ import annotations

from django.conf import settings
from django.db.models import Q

from authorizations.codes import FAMILY_CODES
from authorizations.models import RequirementRule


def _specificity(rule: RequirementRule) -> tuple[int, int]:
    what = 3 if rule.visit_type_id else 2 if rule.code else 1
    where = (1 if rule.payer_id else 0) + (1 if rule.states else 0) + (1 if rule.place_of_service else 0)
    return (where, what)


def matching_rule(*, payer_id: int | None, visit_type, state: str, place_of_service: str | None = None) -> RequirementRule | None:
    """The rule that decides for a visit of `visit_type` for a patient of `payer_id` at a
    location in `state` (one query). Ties between equally specific rules go to the one that
    requires authorization (the safe side)."""
    if payer_id is None:
        return None
    place_of_service = place_of_service or settings.PRIOR_AUTH_PLACE_OF_SERVICE
    family = visit_type.procedure_family
    what = Q(visit_type_id=visit_type.pk)
    if family:
        what |= Q(procedure_family=family) | Q(code__in=sorted(FAMILY_CODES.get(family, ())))
    rules = RequirementRule.objects.filter(what, active=True).filter(Q(payer__isnull=True) | Q(payer_id=payer_id))
    rules = rules.filter(Q(place_of_service="") | Q(place_of_service=place_of_service))
    candidates = [r for r in rules if not r.states or (state or "").upper() in r.states]
    if not candidates:
        return None
    return max(candidates, key=lambda r: (_specificity(r), r.required, -r.pk))


def authorization_required(*, appointment) -> bool:
    """Whether the appointment's payer requires prior authorization for it."""
    payer_id = appointment.patient.payer_id
    if payer_id is None:
        return False  # self-pay or unknown: no payer to ask (and no query)
    rule = matching_rule(payer_id=payer_id, visit_type=appointment.visit_type, state=appointment.location.state)
    return bool(rule and rule.required)
