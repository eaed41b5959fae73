"""Authorization reads scoped by the user asking (core.access: scheduling data of the patient)."""

from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet

from authorizations.models import Authorization, AuthorizationLine
from authorizations.services.coverage import CONSUMING
from core import access, audit
from core.access import Kind
from core.errors import NotFound


def lines_with_use() -> QuerySet[AuthorizationLine]:
    """Lines with `used`: units taken by appointments that hold time or were done."""
    return AuthorizationLine.objects.annotate(used=Count("uses", filter=Q(uses__appointment__status__in=CONSUMING))).order_by("id")


def authorization_queryset_for_user(*, user) -> QuerySet[Authorization]:
    base = Authorization.objects.select_related("patient", "payer", "ordering_provider", "rendering_location").prefetch_related(
        Prefetch("lines", queryset=lines_with_use())
    )
    return access.scope(base, user, Kind.SCHEDULING)


def authorization_get_for_user(*, user, pk: int) -> Authorization:
    try:
        authorization = authorization_queryset_for_user(user=user).get(pk=pk)
    except (Authorization.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such authorization, or not one you may see.") from None
    audit.looked_at([authorization.patient_id], user=user, obj=authorization)
    return authorization


def authorization_list(*, user, patient_id: int | None = None, status: str | None = None) -> QuerySet[Authorization]:
    qs = authorization_queryset_for_user(user=user)
    if patient_id is not None:
        qs = qs.filter(patient_id=patient_id)
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("-created_at", "-id")
