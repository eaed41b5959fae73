"""Patient-facing pages reached by signed, expiring, single-use links: no login, nothing about the
patient in the URL. Thin: the services check the token and record the answers."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from careplans.models import QuestionnaireResponse
from careplans.scoring import INSTRUMENTS
from careplans.services import (
    instructions_step_for_token,
    questionnaire_request_for_token,
    questionnaire_response_create,
)
from careplans.views.answers import answers_from_post, items_with_values
from core.errors import DomainError

# --- public pages (no login): signed, expiring, single-use links -----------------------------


@never_cache
@require_http_methods(["GET", "POST"])
def questionnaire_answer_view(request, token: str):
    try:
        qrequest = questionnaire_request_for_token(token=token)
    except DomainError as error:
        return render(request, "workspace/public_message.html", {"message": error.message}, status=error.http_status)
    instrument = INSTRUMENTS[qrequest.questionnaire]
    errors: list[str] = []
    values: dict[int, str] = {}
    if request.method == "POST":
        posted = answers_from_post(instrument, request.POST, ask_relief=qrequest.ask_relief)
        errors, values = posted.errors, posted.values
        if not errors:
            try:
                questionnaire_response_create(
                    patient=qrequest.patient,
                    questionnaire=qrequest.questionnaire,
                    answers=posted.answers,
                    request=qrequest,
                    relief_percent=posted.relief,
                    source=QuestionnaireResponse.Source.LINK,
                )
                return render(
                    request, "workspace/public_message.html", {"message": "Thank you. Your answers have been sent to your care team."}
                )
            except DomainError as error:
                errors = [m for messages_ in error.field_errors.values() for m in messages_] or [error.message]
    items = items_with_values(instrument, values)
    return render(
        request,
        "workspace/questionnaire.html",
        {"instrument": instrument, "items": items, "errors": errors, "ask_relief": qrequest.ask_relief},
        status=400 if errors else 200,
    )


@never_cache
def instructions_view(request, token: str):
    try:
        step = instructions_step_for_token(token=token)
    except DomainError as error:
        return render(request, "workspace/public_message.html", {"message": error.message}, status=error.http_status)
    return render(
        request, "workspace/instructions.html", {"step": step, "clinic_name": settings.CLINIC_NAME, "clinic_phone": settings.CLINIC_PHONE}
    )
