"""Reads of people data scoped by the user asking, built from the one access policy
(core.access). Views, API and admin use these, never an unscoped Patient.objects.get."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from clinic.models import Patient
from core import access, audit
from core.access import Kind
from core.errors import NotFound


def patient_queryset_for_user(*, user, kind: Kind = Kind.DEMOGRAPHICS) -> QuerySet[Patient]:
    """The patients whose `kind` data the user may see (core.access.patients)."""
    return access.patients(user, kind)


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


def patient_get_for_user(*, user, pk: int, kind: Kind = Kind.DEMOGRAPHICS) -> Patient:
    try:
        patient = patient_queryset_for_user(user=user, kind=kind).get(pk=pk)
    except (Patient.DoesNotExist, ValueError, TypeError):
        raise NotFound("No such patient, or not one of yours.") from None
    audit.looked_at([patient.pk], user=user, obj=patient)
    return patient
