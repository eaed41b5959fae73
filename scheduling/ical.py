"""iCalendar: a .ics per appointment and a private, revocable per-provider feed.

Events carry the location's TZID with a VTIMEZONE, so calendars show the right wall time on
both sides of a DST change. Feeds are synced by third-party calendar services (Google, Apple,
Microsoft), outside the clinic's agreements, so they hold the minimum a provider needs to plan
the day: when and where ("Appointment · Fluoroscopy Suite 2"). A feed with show_details adds
the visit type. Never a patient's name, initials, contact details or notes: in a small clinic
initials with a time and a procedure identify the patient, and the provider has the workspace
for who is coming."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, Event, vCalAddress, vText

from scheduling.models import HOLDING_OR_COMPLETED, Appointment, AppointmentStatus, CalendarFeed

PRODID = "-//Pain Clinic//Scheduling//EN"


def _calendar(name: str) -> Calendar:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("x-wr-calname", name)
    return cal


def _event(appointment: Appointment, *, summary: str, description: str = "") -> Event:
    zone = appointment.location.zone
    event = Event()
    event.add("uid", f"appointment-{appointment.pk}@{settings.PUBLIC_BASE_URL.split('//')[-1].split('/')[0]}")
    event.add("dtstamp", appointment.updated_at or timezone.now())
    event.add("dtstart", appointment.start.astimezone(zone))
    event.add("dtend", appointment.end.astimezone(zone))
    event.add("summary", summary)
    location = appointment.location
    place = f"{location.name}, {location.address_line1}, {location.city}, {location.state} {location.postal_code}"
    event.add("location", "Video visit" if appointment.video_url else place)
    if description:
        event.add("description", description)
    event.add("status", "CANCELLED" if appointment.status == AppointmentStatus.CANCELLED else "CONFIRMED")
    return event


def appointment_ics(*, appointment: Appointment, language: str = "en", cancelled: bool = False) -> bytes:
    """The patient's .ics: clinic, place, time, preparation text and the clinic's phone. The
    summary names the clinic, never the procedure. `cancelled` produces a METHOD:CANCEL update
    with the same UID, so calendars remove the event."""
    cal = _calendar(settings.CLINIC_NAME)
    cal.add("method", "CANCEL" if cancelled else "PUBLISH")
    summary = f"{'Cita en' if language == 'es' else 'Appointment at'} {settings.CLINIC_NAME}"
    parts = [appointment.video_url, appointment.visit_type.prep_text(language), f"{settings.CLINIC_NAME} {settings.CLINIC_PHONE}"]
    event = _event(appointment, summary=summary, description="\n\n".join(p for p in parts if p))
    if cancelled:
        event["status"] = "CANCELLED"
    event.add("sequence", 1 if cancelled else 0)
    organizer = vCalAddress(f"MAILTO:{settings.DEFAULT_FROM_EMAIL.split('<')[-1].rstrip('>')}")
    organizer.params["cn"] = vText(settings.CLINIC_NAME)
    event.add("organizer", organizer)
    cal.add_component(event)
    cal.add_missing_timezones()
    return cal.to_ical()


def _feed_summary(appointment: Appointment, *, show_details: bool) -> str:
    place = appointment.room.name if appointment.room else appointment.location.name
    return f"{appointment.visit_type.name if show_details else 'Appointment'} · {place}"


def provider_feed_ics(*, feed: CalendarFeed, now: datetime | None = None) -> tuple[bytes, list[int]]:
    """The feed's calendar and the ids of the patients on it (for the audit of the read)."""
    now = now or timezone.now()
    appointments = (
        Appointment.objects.filter(provider_id=feed.provider_id, start__gte=now - timedelta(days=30), start__lte=now + timedelta(days=180))
        .filter(status__in=HOLDING_OR_COMPLETED)
        .select_related("visit_type", "room", "location")
        .order_by("start")
    )
    cal = _calendar("Clinic schedule")
    patient_ids = []
    for appointment in appointments:
        patient_ids.append(appointment.patient_id)
        cal.add_component(_event(appointment, summary=_feed_summary(appointment, show_details=feed.show_details)))
    cal.add_missing_timezones()
    return cal.to_ical(), patient_ids
