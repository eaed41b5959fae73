"""Patient link pages: no login, the token is the key. They show the first name, the local
date and time, the location and the preparation text, nothing else; a ticket's page shows the
times the patient may book, a reminder's reschedule page the times the visit may move to.

Every word comes from gettext in the patient's language (locale/<lang>/LC_MESSAGES/django.po),
and every page that shows the patient's data records the look in the audit trail (the patient's
own view: no staff user)."""

from __future__ import annotations

from datetime import UTC, datetime

from django.conf import settings
from django.shortcuts import render
from django.utils import formats, timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from clinic.models import Provider
from core import audit
from core.errors import Conflict, IllegalTransition, NotFound, ValidationFailed
from messaging.models import PatientLink
from messaging.services import content
from messaging.services.links import LinkGone, link_resolve
from messaging.services.patient_links import link_act, link_reschedule_move, link_ticket_book
from scheduling.self_service import self_reschedule_refusal, self_reschedule_slots
from scheduling.tickets import ticket_slots

LinkPurpose = PatientLink.LinkPurpose


def _strings() -> dict[str, str]:
    """The page's words in the active language."""
    fmt = {"clinic": settings.CLINIC_NAME, "phone": settings.CLINIC_PHONE}
    return {
        "confirm": _("Confirm that you will come"),
        "cancel": _("Cancel this visit"),
        "reschedule": _("Ask for another time"),
        "waitlist_claim": _("Take this earlier time"),
        "unsubscribe": _("Stop email reminders"),
        "reason": _("Why? (required)"),
        "note": _("Anything we should know? (optional)"),
        "when": _("When"),
        "where": _("Where"),
        "prep": _("How to prepare"),
        "video": _("Video visit"),
        "confirmed": _("Thank you, your visit is confirmed."),
        "already_confirmed": _("Your visit is already confirmed."),
        "cancelled": _("Your visit is cancelled. Thank you for letting us know."),
        "reschedule_requested": _("Thank you. The front desk will contact you with another time."),
        "claimed": _("The time is yours. We have booked it for you."),
        "offer_gone": _("Sorry, this time is no longer available."),
        "unsubscribed": _("You will get no more email reminders."),
        "not_possible": _("This visit can no longer be changed online. Please call {phone}.").format(**fmt),
        "used": _("This link has already been used."),
        "expired": _("This link has expired."),
        "invalid": _("This link is not valid."),
        "call": _("Questions? Call {clinic} at {phone}.").format(**fmt),
        # Booking tickets and moving a visit.
        "book_title": _("Book your visit"),
        "book_intro": _("Your care team asks you to book: {visit}."),
        "book_window": _("Choose a time between {first} and {last}."),
        "book_series": _("This books {count} visits, {per_week} a week, starting at the time you choose."),
        "book_button": _("Book this time"),
        "move_title": _("Move your visit"),
        "move_intro": _("Your visit is now on {when}. Choose another time:"),
        "move_button": _("Move my visit to this time"),
        "move_other": _("None of these times suit you?"),
        "no_times": _("There are no free times online right now. Please call {phone}.").format(**fmt),
        "taken": _("Sorry, that time was just taken. Please choose another."),
        "booked": _("Your visit is booked."),
        "booked_series": _("Your visits are booked."),
        "moved": _("Your visit has moved. Your old time is released."),
        "unplaced": _("We could not book these; the front desk will call you about them:"),
        "ticket_closed": _("This booking request is no longer open. Please call {phone}.").format(**fmt),
        "cutoff": _("It is too close to your visit to change it online. Please call {phone}.").format(**fmt),
        "with": _("with {provider}"),
    }


def _hello(patient) -> str:
    return _("Hello {name}").format(name=patient.first_name)


def _date(day) -> str:
    # Like the time, the day's pattern is translated ("Friday 27 November" / "viernes 27 de noviembre").
    return formats.date_format(day, _("l j F"))


def _day(at: datetime, zone) -> str:
    return _date(at.astimezone(zone))


def _time(at: datetime, zone) -> str:
    # The time's pattern is itself translated (Django date-format letters: "9:30 AM" / "9:30"), so
    # a new language sets its own without code.
    return formats.date_format(at.astimezone(zone), _("g:i A"))


def _when(at: datetime, patient) -> str:
    return content.format_when(at, patient.zone, patient.language)


def _slot_groups(slots, zone) -> list[dict]:
    """Offered times by local day, each with the value the form posts back."""
    names = dict(Provider.objects.filter(pk__in={s.provider_id for s in slots}).values_list("pk", "last_name"))
    groups: list[dict] = []
    for slot in slots:
        day = _day(slot.start, zone)
        if not groups or groups[-1]["day"] != day:
            groups.append({"day": day, "times": []})
        groups[-1]["times"].append(
            {
                "value": f"{slot.provider_id}:{int(slot.start.timestamp())}",
                "time": _time(slot.start, zone),
                "provider": names.get(slot.provider_id, ""),
            }
        )
    return groups


def _parse_slot(raw: str) -> tuple[int, datetime]:
    try:
        provider, seconds = raw.split(":", 1)
        return int(provider), datetime.fromtimestamp(int(seconds), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise ValidationFailed("Choose one of the offered times.", field_errors={"slot": ["Choose a time."]}) from None


def _context(link) -> dict:
    patient = link.patient
    s = _strings()
    appointment = link.appointment or (link.waitlist_entry.offered_appointment if link.waitlist_entry_id else None)
    context = {"s": s, "greeting": _hello(patient), "purpose": link.purpose, "action_label": s.get(link.purpose, "")}
    if appointment is not None:
        context["when"] = _when(appointment.start, patient)
        if appointment.visit_type.telehealth:
            context["where"] = [s["video"]]
        else:
            loc = appointment.location
            context["where"] = [loc.name, loc.address_line1, f"{loc.city}, {loc.state} {loc.postal_code}"]
        context["prep"] = appointment.visit_type.prep_text(patient.language)
    return context


def _plain(request, key: str, status: int, extra: dict | None = None):
    s = _strings()
    return render(request, "messaging/links/result.html", {"s": s, "text": s[key], **(extra or {})}, status=status)


def _booked(request, outcome, patient, key: str):
    s = _strings()
    zone = patient.zone
    booked = [f"{_when(a.start, patient)} {s['with'].format(provider=a.provider.display_name)}" for a in outcome.appointments]
    unplaced = [_day(u.wanted, zone) if isinstance(u.wanted, datetime) else _date(u.wanted) for u in outcome.unplaced]
    return render(request, "messaging/links/result.html", {"s": s, "text": s[key], "booked": booked, "unplaced": unplaced})


# --- a booking ticket --------------------------------------------------------------------------


def _ticket_page(request, link, *, now, error: str = "", status: int = 200):
    ticket, patient = link.ticket, link.patient
    s = _strings()
    if ticket.status != ticket.Status.OPEN:
        return _plain(request, "ticket_closed", 410)
    zone = patient.zone
    context = {
        "s": s,
        "greeting": _hello(patient),
        "title": s["book_title"],
        "intro": s["book_intro"].format(visit=ticket.visit_type.name),
        "window": s["book_window"].format(first=_date(ticket.earliest), last=_date(ticket.latest)),
        "series": s["book_series"].format(count=ticket.visits - ticket.booked, per_week=ticket.per_week)
        if ticket.visits - ticket.booked > 1
        else "",
        "groups": _slot_groups(ticket_slots(ticket=ticket, now=now), zone),
        "button": s["book_button"],
        "error": error,
    }
    return render(request, "messaging/links/slots.html", context, status=status)


def _ticket_post(request, token: str, link, *, now):
    try:
        provider_id, start = _parse_slot(request.POST.get("slot", ""))
        outcome = link_ticket_book(token=token, provider_id=provider_id, start=start, now=now)
    except IllegalTransition:
        return _plain(request, "ticket_closed", 409)
    except (Conflict, ValidationFailed):
        return _ticket_page(request, link, now=now, error=_strings()["taken"], status=409)
    if not outcome.appointments:
        return _ticket_page(request, link, now=now, error=_strings()["taken"], status=409)
    return _booked(request, outcome, link.patient, "booked_series" if len(outcome.appointments) > 1 else "booked")


# --- moving a visit from a reminder's link -------------------------------------------------------


def _move_page(request, link, *, now, error: str = "", status: int = 200):
    appointment, patient = link.appointment, link.patient
    s = _strings()
    context = _context(link) | {
        "title": s["move_title"],
        "intro": s["move_intro"].format(when=_when(appointment.start, patient)),
        "groups": _slot_groups(self_reschedule_slots(appointment=appointment, now=now), patient.zone),
        "button": s["move_button"],
        "error": error,
        "ask_instead": True,
    }
    return render(request, "messaging/links/slots.html", context, status=status)


def _move_post(request, token: str, link, *, now):
    try:
        _provider_id, start = _parse_slot(request.POST["slot"])
        outcome = link_reschedule_move(token=token, start=start, now=now)
    except IllegalTransition as refused:
        return _plain(request, "cutoff" if refused.extra.get("refusal") == "cutoff" else "not_possible", 409)
    except (Conflict, ValidationFailed):
        return _move_page(request, link, now=now, error=_strings()["taken"], status=409)
    return _booked(request, outcome, link.patient, "moved")


@require_http_methods(["GET", "POST"])
def link_page(request, token: str):
    now = timezone.now()
    try:
        link = link_resolve(token=token, now=now)
    except LinkGone as gone:
        language = gone.extra.get("language", "en")
        with translation.override(language):
            return _plain(request, "used" if "used" in gone.message else "expired", 410)
    except NotFound:
        return _plain(request, "invalid", 404)
    # The patient looking at their own visit (or ticket): recorded like any look at patient data.
    audit.looked_at([link.patient_id], obj=link)
    with translation.override(link.patient.language):
        return _link_page(request, token, link, now=now)


def _link_page(request, token: str, link, *, now):
    movable = (
        link.purpose == LinkPurpose.RESCHEDULE
        and link.appointment_id is not None
        and self_reschedule_refusal(link.appointment, now=now) in ("", "cutoff")
    )
    if request.method == "GET":
        if link.purpose == LinkPurpose.TICKET:
            return _ticket_page(request, link, now=now)
        if movable:
            if self_reschedule_refusal(link.appointment, now=now) == "cutoff":
                return _plain(request, "cutoff", 200)
            return _move_page(request, link, now=now)
        return render(request, "messaging/links/page.html", _context(link))
    if link.purpose == LinkPurpose.TICKET:
        return _ticket_post(request, token, link, now=now)
    if movable and "slot" in request.POST:
        return _move_post(request, token, link, now=now)
    try:
        outcome = link_act(token=token, reason=request.POST.get("reason", ""), now=now)
    except LinkGone as gone:
        return _plain(request, "used" if "used" in gone.message else "expired", 410)
    except ValidationFailed:
        context = _context(link) | {"error": _strings()["reason"]}
        return render(request, "messaging/links/page.html", context, status=400)
    return _plain(request, outcome.message_key, outcome.status)
