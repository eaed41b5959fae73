"""A clinician enters, for the patient, the answers to a questionnaire sent to them (read out on
the phone). The same service as the patient's link scores and stores them; the response records
who entered them, so no staff member's entry passes for the patient's own."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from careplans.scoring import INSTRUMENTS
from careplans.services import questionnaire_answer_for_patient, questionnaire_request_for_staff
from careplans.views.answers import answers_from_post, items_with_values
from core.errors import DomainError, PermissionDenied, ValidationFailed


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def questionnaire_enter_view(request, pk: int):
    try:
        if not request.user.has_perm("careplans.add_questionnaireresponse"):
            raise PermissionDenied("Entering a patient's answers is for clinicians and care coordinators.")
        qrequest = questionnaire_request_for_staff(request_id=pk, by=request.user)
    except DomainError as error:
        return render(request, "workspace/error.html", {"error": error}, status=error.http_status)
    instrument = INSTRUMENTS[qrequest.questionnaire]
    errors: list[str] = []
    values: dict[int, str] = {}
    if request.method == "POST":
        posted = answers_from_post(instrument, request.POST, ask_relief=qrequest.ask_relief)
        errors, values = posted.errors, posted.values
        if not request.POST.get("confirm_read_out"):
            errors.append("Confirm that the patient gave you these answers themselves.")
        if not errors:
            try:
                response = questionnaire_answer_for_patient(
                    request_id=qrequest.pk, answers=posted.answers, relief_percent=posted.relief, by=request.user
                )
            except ValidationFailed as error:
                errors = [m for field in error.field_errors.values() for m in field] or [error.message]
            except DomainError as error:
                return render(request, "workspace/error.html", {"error": error}, status=error.http_status)
            else:
                messages.success(request, f"{instrument.name} recorded for the patient, entered by you.")
                return HttpResponseRedirect(reverse("workspace:patient", args=[response.patient_id]) + "#timeline-heading")
    return render(
        request,
        "workspace/enter_answers.html",
        {
            "qrequest": qrequest,
            "patient": qrequest.patient,
            "instrument": instrument,
            "items": items_with_values(instrument, values),
            "errors": errors,
            "ask_relief": qrequest.ask_relief,
        },
        status=400 if errors else 200,
    )
