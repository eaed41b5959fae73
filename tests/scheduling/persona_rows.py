"""Scheduling's rows of the persona walk (tests/persona_walk/registry.py): its admin (the day
sheet, find-and-book, bundles, series, cancel), the API and the providers' calendar feeds."""

from __future__ import annotations

from urllib.parse import quote

from scheduling.api import ACTIONS
from scheduling.models import (
    Appointment,
    AppointmentBundle,
    AppointmentSeries,
    AvailabilityException,
    AvailabilityTemplate,
    BillingRegion,
    BookingTicket,
    CalendarFeed,
    ClinicClosure,
    FrequencyRule,
    VisitType,
    WaitlistEntry,
)
from tests.persona_walk.registry import (
    CLINICAL_WRITE_REFUSED,
    NOT_YOUR_PATIENT,
    Row,
    admin_app_index_row,
    admin_model_rows,
    autocomplete_row,
)


def _obj(model):
    return lambda world: world.obj(model)


def _visit(world) -> int:
    return world.pk(Appointment)


def _procedure(world) -> int:
    return world.objects["procedure_appointment"].pk


BASE = "admin/scheduling/appointment/"

ADMIN = [
    admin_app_index_row("scheduling"),
    *admin_model_rows(VisitType, _obj(VisitType)),
    *admin_model_rows(AvailabilityTemplate, _obj(AvailabilityTemplate)),
    *admin_model_rows(AvailabilityException, _obj(AvailabilityException)),
    *admin_model_rows(ClinicClosure, _obj(ClinicClosure)),
    *admin_model_rows(FrequencyRule, _obj(FrequencyRule)),
    *admin_model_rows(BillingRegion, _obj(BillingRegion)),
    *admin_model_rows(Appointment, _obj(Appointment)),
    *admin_model_rows(AppointmentSeries, _obj(AppointmentSeries)),
    *admin_model_rows(AppointmentBundle, _obj(AppointmentBundle)),
    *admin_model_rows(WaitlistEntry, _obj(WaitlistEntry)),
    *admin_model_rows(BookingTicket, _obj(BookingTicket)),
    *[
        Row(
            route="admin/scheduling/bookingticket/",
            method="POST",
            url="/admin/scheduling/bookingticket/",
            data=lambda w, a=action: {"action": a, "_selected_action": [w.pk(BookingTicket)], "index": 0},
            label=f"admin scheduling.bookingticket action {action}",
        )
        for action in ("extend_tickets", "cancel_tickets")
    ],
    *admin_model_rows(CalendarFeed, _obj(CalendarFeed)),
    Row(
        route="admin/scheduling/visittype/<path:object_id>/delete/",
        url=lambda w: f"/admin/scheduling/visittype/{w.objects['activity_visit_type'].pk}/delete/",
        label="admin scheduling.visittype delete (planned in an activity)",
    ),
    # % relief is clinical: not on a procedure's page for the front desk or the clinic admin.
    Row(
        route=f"{BASE}<path:object_id>/change/",
        url=lambda w: f"/{BASE}{_procedure(w)}/change/",
        label="admin procedure appointment change",
        shows=("relief",),
    ),
    Row(route=f"{BASE}day-sheet/", url=lambda w: f"/{BASE}day-sheet/?date={w.day.isoformat()}", label="admin day sheet (visit day)"),
    # Filtering by a clinical field would tell it by who is listed.
    *[
        Row(route=BASE, url=f"/{BASE}?{query}", label=f"admin scheduling.appointment changelist ?{query}", forbid=("Walkpatient",))
        for query in ("relief_percent=73", "relief_percent__gte=50")
    ],
    Row(
        route=f"{BASE}day-sheet/",
        url=lambda w: f"/{BASE}day-sheet/?date={w.procedure_day.isoformat()}",
        label="admin day sheet (procedure day)",
    ),
    Row(
        route=f"{BASE}day-sheet/",
        url=lambda w: f"/{BASE}day-sheet/?date={w.procedure_day.isoformat()}&by=room",
        label="admin day sheet by room",
    ),
    # The changelist's actions, on the upcoming visit and on the procedure.
    *[
        Row(
            route=BASE,
            method="POST",
            url=f"/{BASE}",
            data=lambda w, a=action, p=pick: {"action": a, "_selected_action": [p(w)], "index": 0, "reason": "walk"},
            label=f"admin scheduling.appointment action {action} ({which})",
        )
        for action in ("confirm", "check_in", "start_visit", "complete_visit", "mark_no_show", "cancel_with_reason")
        for which, pick in (("visit", lambda w: w.pk(Appointment)), ("procedure", lambda w: w.objects["procedure_appointment"].pk))
    ],
    *[
        Row(
            route="admin/scheduling/waitlistentry/",
            method="POST",
            url="/admin/scheduling/waitlistentry/",
            data=lambda w, a=action: {"action": a, "_selected_action": [w.pk(WaitlistEntry)], "index": 0},
            label=f"admin scheduling.waitlistentry action {action}",
        )
        for action in ("claim_offer", "remove_entries")
    ],
    Row(
        route="admin/scheduling/calendarfeed/",
        method="POST",
        url="/admin/scheduling/calendarfeed/",
        data=lambda w: {"action": "revoke", "_selected_action": [w.pk(CalendarFeed)], "index": 0},
        label="admin scheduling.calendarfeed action revoke",
    ),
    Row(route=f"{BASE}find-and-book/", url=f"/{BASE}find-and-book/", label="admin find and book"),
    Row(
        route=f"{BASE}find-and-book/",
        url=lambda w: (
            f"/{BASE}find-and-book/?patient={w.patient.pk}&patient_search=Walkpatient&visit_type={w.obj(VisitType).pk}&date_from={w.day.isoformat()}"
        ),
        label="admin find and book (search)",
    ),
    Row(route=f"{BASE}find-and-book/bundle/", url=f"/{BASE}find-and-book/bundle/", label="admin bundle book"),
    Row(route=f"{BASE}find-and-book/series/", url=f"/{BASE}find-and-book/series/", label="admin series book"),
    Row(route=f"{BASE}<int:pk>/cancel/", url=lambda w: f"/{BASE}{_visit(w)}/cancel/", label="admin cancel appointment"),
    Row(route=f"{BASE}<int:pk>/cancel/", url=lambda w: f"/{BASE}{_procedure(w)}/cancel/", label="admin cancel procedure appointment"),
    autocomplete_row(AppointmentBundle, "patient", lists_patients=True),
    autocomplete_row(AppointmentSeries, "patient", lists_patients=True),
    autocomplete_row(AppointmentSeries, "provider"),
    autocomplete_row(AppointmentSeries, "visit_type"),
    autocomplete_row(AvailabilityException, "location"),
    autocomplete_row(AvailabilityException, "provider"),
    autocomplete_row(AvailabilityTemplate, "location"),
    autocomplete_row(AvailabilityTemplate, "provider"),
    autocomplete_row(CalendarFeed, "provider"),
    autocomplete_row(FrequencyRule, "payer"),
    autocomplete_row(VisitType, "discipline"),
    autocomplete_row(WaitlistEntry, "patient", lists_patients=True),
    autocomplete_row(BookingTicket, "patient", lists_patients=True),
    autocomplete_row(BookingTicket, "provider"),
    autocomplete_row(BookingTicket, "visit_type"),
    autocomplete_row(WaitlistEntry, "provider"),
    autocomplete_row(WaitlistEntry, "visit_type"),
]


def _slots(world) -> str:
    start = f"{world.day.isoformat()}T08:00:00-05:00"
    end = f"{world.day.isoformat()}T18:00:00-05:00"
    return f"/api/v1/slots/?visit_type={world.obj(VisitType).code}&start={quote(start)}&end={quote(end)}&patient={world.patient.pk}"


API = [
    Row(route="api/v1/visit-types/", operation="GET /api/v1/visit-types/", url="/api/v1/visit-types/"),
    Row(route="api/v1/slots/", operation="GET /api/v1/slots/", url=_slots, expect=NOT_YOUR_PATIENT),
    Row(route="api/v1/appointments/", operation="GET /api/v1/appointments/", url="/api/v1/appointments/"),
    Row(
        route="api/v1/appointments/",
        operation="GET /api/v1/appointments/",
        url=lambda w: f"/api/v1/appointments/?patient={w.patient.pk}",
        label="GET /api/v1/appointments/?patient=",
    ),
    Row(
        route="api/v1/appointments/",
        operation="POST /api/v1/appointments/",
        method="POST",
        json=True,
        url="/api/v1/appointments/",
        data=lambda w: {"patient": w.patient.pk},
    ),
    Row(
        route="api/v1/appointments/<int:pk>/",
        operation="GET /api/v1/appointments/{id}/",
        url=lambda w: f"/api/v1/appointments/{_visit(w)}/",
        expect=NOT_YOUR_PATIENT,
    ),
    Row(
        route="api/v1/appointments/<int:pk>/",
        operation="GET /api/v1/appointments/{id}/",
        url=lambda w: f"/api/v1/appointments/{_procedure(w)}/",
        label="GET /api/v1/appointments/{procedure}/",
        expect=NOT_YOUR_PATIENT,
    ),
    *[
        Row(
            route=f"api/v1/appointments/<int:pk>/{name}/",
            operation=f"POST /api/v1/appointments/{{id}}/{name}/",
            method="POST",
            json=True,
            url=lambda w, n=name: f"/api/v1/appointments/{_visit(w)}/{n}/",
        )
        for name in ACTIONS
    ],
    *[
        Row(
            route=f"api/v1/appointments/<int:pk>/{name}/",
            operation=f"POST /api/v1/appointments/{{id}}/{name}/",
            method="POST",
            json=True,
            url=lambda w, n=name: f"/api/v1/appointments/{_procedure(w)}/{n}/",
            label=f"POST /api/v1/appointments/{{procedure}}/{name}/",
            expect=CLINICAL_WRITE_REFUSED,  # starting or completing a procedure is clinical work
        )
        for name in ("start", "complete")
    ],
    Row(
        route="api/v1/appointments/<int:pk>/ics/",
        operation="GET /api/v1/appointments/{id}/ics/",
        url=lambda w: f"/api/v1/appointments/{_visit(w)}/ics/",
        expect=NOT_YOUR_PATIENT,
    ),
    Row(
        route="api/v1/bundles/",
        operation="POST /api/v1/bundles/",
        method="POST",
        json=True,
        url="/api/v1/bundles/",
        data=lambda w: {"patient": w.patient.pk},
    ),
    Row(
        route="api/v1/series/",
        operation="POST /api/v1/series/",
        method="POST",
        json=True,
        url="/api/v1/series/",
        data=lambda w: {"patient": w.patient.pk},
    ),
    Row(route="api/v1/waitlist/", operation="GET /api/v1/waitlist/", url="/api/v1/waitlist/"),
    Row(
        route="api/v1/waitlist/",
        operation="POST /api/v1/waitlist/",
        method="POST",
        json=True,
        url="/api/v1/waitlist/",
        data=lambda w: {"patient": w.patient.pk},
    ),
    Row(
        route="api/v1/waitlist/<int:pk>/claim/",
        operation="POST /api/v1/waitlist/{id}/claim/",
        method="POST",
        json=True,
        url=lambda w: f"/api/v1/waitlist/{w.pk(WaitlistEntry)}/claim/",
    ),
    Row(
        route="api/v1/waitlist/<int:pk>/remove/",
        operation="POST /api/v1/waitlist/{id}/remove/",
        method="POST",
        json=True,
        url=lambda w: f"/api/v1/waitlist/{w.pk(WaitlistEntry)}/remove/",
    ),
    Row(route="api/v1/tickets/", operation="GET /api/v1/tickets/", url="/api/v1/tickets/"),
    Row(
        route="api/v1/tickets/",
        operation="POST /api/v1/tickets/",
        method="POST",
        json=True,
        url="/api/v1/tickets/",
        data=lambda w: {"patient": w.patient.pk},
    ),
    *[
        Row(
            route=f"api/v1/tickets/<int:pk>/{action}/",
            operation=f"POST /api/v1/tickets/{{id}}/{action}/",
            method="POST",
            json=True,
            url=lambda w, a=action: f"/api/v1/tickets/{w.pk(BookingTicket)}/{a}/",
        )
        for action in ("extend", "cancel")
    ],
]

FEEDS = [
    Row(route="calendar/<str:token>.ics", url=lambda w: w.tokens["feed"], label="provider calendar feed (valid token)"),
    Row(route="calendar/<str:token>.ics", url="/calendar/not-a-feed.ics", label="provider calendar feed (bad token)"),
]

ROWS = [*ADMIN, *API, *FEEDS]
