"""The provider workspace's Reports page: outcome aggregates for the clinic, and the
patient-level rows of the patients the access policy lets this clinician see (each look
recorded in the audit trail)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import render
from django.views.decorators.cache import never_cache

from clinic.models import Patient, Provider
from core import access as policy
from core import audit
from core.access import Kind
from reports import access, pages
from reports.filters import OutcomeFilterForm, bind
from reports.selectors.outcomes import goal_rows, outcome_rows

ROW_LIMIT = 500


@never_cache
@login_required
def workspace_reports_view(request):
    user = request.user
    # Clinicians only: the clinic admin's outcome view is the admin's suppressed one.
    if not access.may_see_outcomes(user) or access.outcomes_suppressed(user):
        raise DjangoPermissionDenied
    form = bind(OutcomeFilterForm, request.GET, with_defaults=True)
    context = {"form": form, "section": "reports"}
    if form.is_valid():
        filters = form.filters()
        allowed = policy.patients(user, Kind.CLINICAL)
        rows = outcome_rows(filters=filters, patients=allowed, limit=ROW_LIMIT)
        if request.GET.get("format") == "csv":
            return pages.outcomes_csv(filters, user=user, suppressed=False, patient_rows=rows)
        goals = goal_rows(filters=filters, patients=allowed)
        patient_ids = {r["patient_id"] for r in rows} | {g["patient_id"] for g in goals}
        names = {p.pk: p for p in Patient.objects.filter(pk__in=patient_ids).only("id", "first_name", "last_name", "mrn")}
        providers = {p.pk: p for p in Provider.objects.filter(pk__in={r["provider_id"] for r in rows})}
        for r in rows:
            r["patient"], r["provider"] = names.get(r["patient_id"]), providers.get(r["provider_id"])
        for g in goals:
            g["patient"] = names.get(g["patient_id"])
        audit.looked_at(patient_ids, user=user, model=Patient)
        context.update(pages.outcome_context(filters, suppressed=False))
        context.update(rows=rows, goal_rows=goals, row_limit=ROW_LIMIT, window_keys=list(context["report"]["followup"]))
    return render(request, "reports/workspace.html", context)
