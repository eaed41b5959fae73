"""Patient link pages: no login, the token is the key. They show the first name, the local
date and time, the location and the preparation text, nothing else."""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from core.errors import NotFound, ValidationFailed
from messaging.services import content
from messaging.services.links import LinkGone, link_resolve
from messaging.services.patient_links import link_act

STRINGS = {
    "en": {
        "hello": "Hello {name}",
        "confirm": "Confirm that you will come",
        "cancel": "Cancel this visit",
        "reschedule": "Ask for another time",
        "waitlist_claim": "Take this earlier time",
        "unsubscribe": "Stop email reminders",
        "reason": "Why? (required)",
        "note": "Anything we should know? (optional)",
        "when": "When",
        "where": "Where",
        "prep": "How to prepare",
        "video": "Video visit",
        "confirmed": "Thank you, your visit is confirmed.",
        "already_confirmed": "Your visit is already confirmed.",
        "cancelled": "Your visit is cancelled. Thank you for letting us know.",
        "reschedule_requested": "Thank you. The front desk will contact you with another time.",
        "claimed": "The time is yours. We have booked it for you.",
        "offer_gone": "Sorry, this time is no longer available.",
        "unsubscribed": "You will get no more email reminders.",
        "not_possible": "This visit can no longer be changed online. Please call {phone}.",
        "used": "This link has already been used.",
        "expired": "This link has expired.",
        "invalid": "This link is not valid.",
        "call": "Questions? Call {clinic} at {phone}.",
    },
    "es": {
        "hello": "Hola {name}",
        "confirm": "Confirmar que iré",
        "cancel": "Cancelar esta cita",
        "reschedule": "Pedir otra hora",
        "waitlist_claim": "Reservar esta hora",
        "unsubscribe": "No recibir más recordatorios por email",
        "reason": "¿Por qué? (obligatorio)",
        "note": "¿Algo que debamos saber? (opcional)",
        "when": "Cuándo",
        "where": "Dónde",
        "prep": "Cómo prepararse",
        "video": "Cita por video",
        "confirmed": "Gracias, su cita queda confirmada.",
        "already_confirmed": "Su cita ya estaba confirmada.",
        "cancelled": "Su cita queda cancelada. Gracias por avisarnos.",
        "reschedule_requested": "Gracias. Recepción le llamará para darle otra hora.",
        "claimed": "La hora es suya. Ya está reservada.",
        "offer_gone": "Lo sentimos, esta hora ya no está disponible.",
        "unsubscribed": "No recibirá más recordatorios por email.",
        "not_possible": "Esta cita ya no se puede cambiar en línea. Llame al {phone}.",
        "used": "Este enlace ya se ha usado.",
        "expired": "Este enlace ha caducado.",
        "invalid": "Este enlace no es válido.",
        "call": "¿Dudas? Llame a {clinic} al {phone}.",
    },
}


def _strings(language: str) -> dict[str, str]:
    base = STRINGS["es" if language == "es" else "en"]
    return {key: value.format(name="{name}", clinic=settings.CLINIC_NAME, phone=settings.CLINIC_PHONE) for key, value in base.items()}


def _context(link) -> dict:
    patient = link.patient
    s = _strings(patient.language)
    appointment = link.appointment or (link.waitlist_entry.offered_appointment if link.waitlist_entry_id else None)
    context = {"s": s, "greeting": s["hello"].format(name=patient.first_name), "purpose": link.purpose, "action_label": s[link.purpose]}
    if appointment is not None:
        context["when"] = content.format_when(appointment.start, patient.zone, patient.language)
        if appointment.visit_type.telehealth:
            context["where"] = [s["video"]]
        else:
            loc = appointment.location
            context["where"] = [loc.name, loc.address_line1, f"{loc.city}, {loc.state} {loc.postal_code}"]
        context["prep"] = appointment.visit_type.prep_text(patient.language)
    return context


def _plain(request, key: str, status: int, language: str = "en"):
    s = _strings(language)
    return render(request, "messaging/links/result.html", {"s": s, "text": s[key]}, status=status)


@require_http_methods(["GET", "POST"])
def link_page(request, token: str):
    now = timezone.now()
    try:
        link = link_resolve(token=token, now=now)
    except LinkGone as gone:
        return _plain(request, "used" if "used" in gone.message else "expired", 410)
    except NotFound:
        return _plain(request, "invalid", 404)
    language = link.patient.language
    if request.method == "GET":
        return render(request, "messaging/links/page.html", _context(link))
    try:
        outcome = link_act(token=token, reason=request.POST.get("reason", ""), now=now)
    except LinkGone as gone:
        return _plain(request, "used" if "used" in gone.message else "expired", 410, language)
    except ValidationFailed:
        context = _context(link) | {"error": _strings(language)["reason"]}
        return render(request, "messaging/links/page.html", context, status=400)
    return _plain(request, outcome.message_key, outcome.status, language)
