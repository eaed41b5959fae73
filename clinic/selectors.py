"""Reads of people data scoped by the user asking. Views, API and admin use these, never an
unscoped Patient.objects.get."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from clinic.models import Patient, Provider
from clinic.roles import CARE_COORDINATOR, CLINIC_ADMIN, FRONT_DESK
from core.errors import NotFound


def user_roles(user) -> set[str]:
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return set()
    cached = getattr(user, "_clinic_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._clinic_roles = cached
    return cached


def provider_for_user(user) -> Provider | None:
    if not getattr(user, "is_authenticated", False):
        return None
    try:
        return user.provider
    except Provider.DoesNotExist:
        return None


def can_view_clinical(user) -> bool:
    """Clinical content (problems, scores, procedures' details, notes) is for clinicians and
    coordinators; the front desk works with contact and scheduling data only."""
    return bool(user.is_superuser or user.has_perm("clinic.view_clinical"))


def sees_all_patients(user) -> bool:
    return bool(user.is_superuser or user_roles(user) & {FRONT_DESK, CARE_COORDINATOR, CLINIC_ADMIN})


def patient_queryset_for_user(*, user) -> QuerySet[Patient]:
    """Front desk, coordinators and clinic admins see every patient (front desk without clinical
    fields); a provider sees the patients of their care teams and of their own appointments."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Patient.objects.none()
    if sees_all_patients(user):
        return Patient.objects.all()
    provider = provider_for_user(user)
    if provider is None:
        return Patient.objects.none()
    from careplans.models import CareTeamMember
    from scheduling.models import Appointment

    on_team = CareTeamMember.objects.filter(care_plan__patient=OuterRef("pk"), provider=provider)
    has_visit = Appointment.objects.filter(patient=OuterRef("pk"), provider=provider)
    return Patient.objects.filter(Q(Exists(on_team)) | Q(Exists(has_visit)))


def patient_search(*, user, text: str) -> QuerySet[Patient]:
    """Patients the user may see matching every word of `text` (name part, MRN, email, phone
    digits), in name order. The API's ?search= and find-and-book both use it."""
    qs = patient_queryset_for_user(user=user)
    term = Q()
    for word in text.split():
        term &= (
            Q(first_name__icontains=word)
            | Q(last_name__icontains=word)
            | Q(mrn__iexact=word)
            | Q(email__iexact=word)
            | Q(phone__contains=word)
        )
    return qs.filter(term).order_by("last_name", "first_name", "id")


def patient_get_for_user(*, user, pk: int) -> Patient:
    try:
        return patient_queryset_for_user(user=user).get(pk=pk)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such patient, or not one of yours.") from None
