"""Patient-facing pages reached by signed, expiring, single-use links: no login, nothing about the
patient in the URL. Thin: the services check the token and record the answers."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from careplans.models import QuestionnaireResponse
from careplans.scoring import INSTRUMENTS
from careplans.services import (
    RED_FLAGS,
    instructions_for_token,
    questionnaire_request_for_token,
    questionnaire_response_create,
    red_flags_report,
    response_shows_crisis_resources,
)
from careplans.services.red_flags import RED_FLAG_CODES, is_in_red_flag_window
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
                response = questionnaire_response_create(
                    patient=qrequest.patient,
                    questionnaire=qrequest.questionnaire,
                    answers=posted.answers,
                    request=qrequest,
                    relief_percent=posted.relief,
                    source=QuestionnaireResponse.Source.LINK,
                )
                return _answered_page(request, response)
            except DomainError as error:
                errors = [m for messages_ in error.field_errors.values() for m in messages_] or [error.message]
    items = items_with_values(instrument, values)
    return render(
        request,
        "workspace/questionnaire.html",
        {"instrument": instrument, "items": items, "errors": errors, "ask_relief": qrequest.ask_relief},
        status=400 if errors else 200,
    )


def _clinic() -> dict:
    # tel: links take the number without spaces; the page shows it as the clinic writes it.
    phone = settings.CLINIC_PHONE
    return {"clinic_name": settings.CLINIC_NAME, "clinic_phone": phone, "clinic_tel": "".join(phone.split())}


def _answered_page(request, response):
    """Thank the patient in their language; after a PHQ-9 whose item 9 is above 0, tell them a
    person will read it and where help is right now (988, 911)."""
    with translation.override(response.patient.language):
        if response_shows_crisis_resources(response):
            return render(request, "workspace/crisis_resources.html", _clinic())
        return render(
            request, "workspace/public_message.html", {"message": gettext("Thank you. Your answers have been sent to your care team.")}
        )


@never_cache
@require_http_methods(["GET", "POST"])
def instructions_view(request, token: str):
    """A protocol step's instructions. After an epidural blood patch (within the red-flag
    window) it also asks about new symptoms: any ticked is anesthesiology's urgent task at once,
    and the patient is told to call now."""
    try:
        step, appointment = instructions_for_token(token=token)
    except DomainError as error:
        return render(request, "workspace/public_message.html", {"message": error.message}, status=error.http_status)
    with translation.override(appointment.patient.language if appointment is not None else settings.LANGUAGE_CODE):
        asks = appointment is not None and is_in_red_flag_window(appointment)
        # Step texts are data: a shipped default has its translation in the catalogue
        # (careplans/protocol_texts.py); a text the clinic edited is shown as written.
        context = {
            "step": step,
            "title": gettext(step.title) if step.title else "",
            "description": gettext(step.description) if step.description else "",
            "red_flags": RED_FLAGS if asks else (),
            "reported": None,
            **_clinic(),
        }
        if request.method == "POST":
            if not asks:
                context["reported"] = "closed"
                return render(request, "workspace/instructions.html", context, status=400)
            flags = [code for code in request.POST.getlist("flag") if code in RED_FLAG_CODES]
            if flags:
                now = timezone.now()
                red_flags_report(
                    appointment=appointment,
                    flags=flags,
                    source="form",
                    # Each submission is a new report: a second one the same day (the first task
                    # already handled) must reach anesthesiology again. The form carries no
                    # token to tell a double-click apart, and a duplicate urgent task is safe.
                    dedupe_key=f"red-flag-form:{appointment.pk}:{uuid.uuid4().hex}",
                    now=now,
                )
            context["reported"] = "urgent" if flags else "none"
        return render(request, "workspace/instructions.html", context)
