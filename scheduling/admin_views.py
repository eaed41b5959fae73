"""Front-desk pages inside the admin: the day sheet, find-and-book, cancel with a reason.

Each page runs a fixed number of queries whatever the number of appointments or providers."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from clinic.models import Discipline, Location, Patient, Provider, Room
from clinic.selectors import patient_get_for_user, patient_queryset_for_user, patient_search
from core import access
from core.access import Kind
from core.admin_utils import report_domain_error
from core.errors import DomainError, ValidationFailed
from scheduling import events, services
from scheduling.availability import provider_windows
from scheduling.bundles import bundle_book
from scheduling.inputs import date_range_error
from scheduling.models import TIME_HOLDING, AppointmentStatus, VisitType
from scheduling.selectors import appointment_get_for_user, appointment_list
from scheduling.series import series_book
from scheduling.slots import find_slots, search_range_check


class CancelForm(forms.Form):
    # Required here only so the page can ask again; length and content are the service's rules.
    reason = forms.CharField(widget=forms.TextInput(attrs={"size": 60}), help_text="Shown in the audit trail.")


DAY_START, DAY_END = time(7, 0), time(19, 0)
# One scale for the time axis and every column: the page places everything in pixels from the top
# of one shared body, so headers of any height cannot shift a column's origin.
HOUR_PX = 96
AUTHORIZATION_LABELS = {
    "missing": "Auth missing",
    "pending": "Auth pending",
    "approved": "Auth approved",
    "denied": "Auth denied",
    "expired": "Auth expired",
    "overridden": "Auth overridden",
}


def _require(request, perm: str) -> None:
    if not request.user.has_perm(perm):
        raise DjangoPermissionDenied


def _context(request, title: str, **extra) -> dict:
    return {**admin.site.each_context(request), "title": title, **extra}


@dataclass
class Block:
    top: float  # px from the top of the body (DAY_START)
    height: float
    appointment: object | None = None
    free: bool = False
    checklist: tuple[int, int] | bool | None = None  # (done, total) for clinicians; complete or not for the front desk
    authorization: str = ""  # a badge's text, when the visit needs a prior authorisation
    authorization_status: str = ""


def _px(moment: datetime, day_start: datetime) -> float:
    return round((moment - day_start).total_seconds() / 3600 * HOUR_PX, 2)


def _authorization(appointment) -> tuple[str, str]:
    """The prior-authorisation badge, when the appointment carries a status other than not-required."""
    status = getattr(appointment, "authorization_status", "") or ""
    return (AUTHORIZATION_LABELS.get(status, f"Auth {status}"), status) if status and status != "not-required" else ("", "")


class DaySheetForm(forms.Form):
    """The page's query: a date within reach (year 9999 is a form error, not a 500) and a layout."""

    date = forms.DateField(required=False, widget=forms.DateInput(attrs={"type": "date"}))
    by = forms.ChoiceField(required=False, choices=[("provider", "per provider"), ("room", "per room")])

    def __init__(self, *args, today: date, **kwargs):
        super().__init__(*args, **kwargs)
        self.today = today

    def clean_date(self):
        day = self.cleaned_data.get("date")
        if day is not None and (message := date_range_error(day, today=self.today)):
            raise forms.ValidationError(message)
        return day


def day_sheet(request):
    """Columns per provider (or per room) for one location and date; appointments as blocks with
    status and patient; working time with nothing booked shows as free."""
    _require(request, "scheduling.view_appointment")
    locations = list(Location.objects.filter(active=True))
    if not locations:
        return render(request, "admin/scheduling/day_sheet.html", _context(request, "Day sheet", empty=True))
    location = next((loc for loc in locations if str(loc.pk) == request.GET.get("location")), locations[0])
    zone = zoneinfo.ZoneInfo(location.time_zone)
    today = datetime.now(zone).date()
    form = DaySheetForm(request.GET or None, today=today)
    valid = form.is_valid() if form.is_bound else True
    day = (form.cleaned_data.get("date") if valid and form.is_bound else None) or today
    by_room = valid and form.is_bound and form.cleaned_data.get("by") == "room"
    day_start = datetime.combine(day, DAY_START, tzinfo=zone)
    day_end = datetime.combine(day, DAY_END, tzinfo=zone)

    appointments = list(
        appointment_list(user=request.user, start=day_start, end=day_end, location_id=location.pk).exclude(
            status=AppointmentStatus.CANCELLED
        )
    )
    checklists = events.registry.apply_filters(events.CHECKLIST_STATE, {}, appointment_ids=[a.pk for a in appointments])
    if not access.may_ever(request.user, Kind.CLINICAL):
        # Counts tell too much (a diabetic patient's checklist has a glucose-plan item): the
        # front desk sees whether it is complete, not how many items it has.
        checklists = {pk: (done == total) for pk, (done, total) in checklists.items()}
    if by_room:
        columns = {room.pk: {"title": room.name, "blocks": []} for room in location.rooms.filter(active=True).order_by("name")}
        key = "room_id"
    else:
        providers = (
            Provider.objects.filter(active=True, templates__location=location)
            .select_related("discipline")
            .distinct()
            .order_by("discipline__name", "last_name")
        )
        columns = {p.pk: {"title": p.display_name, "subtitle": p.discipline.name, "color": p.color, "blocks": []} for p in providers}
        key = "provider_id"
        for pid, windows in provider_windows(provider_ids=list(columns), start=day_start, end=day_end).items():
            for window in windows:
                if window.location_id == location.pk:
                    top = max(0.0, _px(window.start, day_start))
                    columns[pid]["blocks"].append(
                        Block(top=top, height=min(_px(window.end, day_start), _px(day_end, day_start)) - top, free=True)
                    )
    body_height = _px(day_end, day_start)
    for appointment in appointments:
        column = columns.get(getattr(appointment, key))
        if column is None:
            continue
        top = max(0.0, _px(appointment.start, day_start))
        bottom = min(body_height, _px(appointment.end, day_start))
        label, status = _authorization(appointment)
        column["blocks"].append(
            Block(
                top=top,
                height=max(bottom - top, HOUR_PX / 4),
                appointment=appointment,
                checklist=checklists.get(appointment.pk),
                authorization=label,
                authorization_status=status,
            )
        )
    hours = [
        {"label": (day_start + timedelta(hours=i)).strftime("%H:%M"), "top": i * HOUR_PX}
        for i in range(int((day_end - day_start).total_seconds() // 3600) + 1)
    ]
    return render(
        request,
        "admin/scheduling/day_sheet.html",
        _context(
            request,
            f"Day sheet — {location.name}, {day:%A %d %B %Y}",
            form=form,
            location=location,
            locations=locations,
            day=day,
            prev_day=day - timedelta(days=1) if day > date.min else None,
            next_day=day + timedelta(days=1) if day < date.max else None,
            columns=list(columns.values()),
            hours=hours,
            hour_px=HOUR_PX,
            body_height=body_height,
            by_room=by_room,
            holding=set(TIME_HOLDING),
            zone=zone,
        ),
    )


# The patient the front desk is booking for, remembered across find-and-book's variants (single,
# bundle, series) by id only: the session keeps it, the variant links carry it (?patient=<id>), and
# no name ever goes into a URL.
PATIENT_SESSION_KEY = "front_desk_patient_id"


def _remember_patient(request, patient) -> None:
    if patient is not None:
        request.session[PATIENT_SESSION_KEY] = patient.pk


def _remembered_patient(request):
    """The patient given as ?patient=<id>, else the one remembered in the session; None if neither
    is a patient this user may see (an id someone else's session left behind is dropped)."""
    if request.GET.get("forget"):
        request.session.pop(PATIENT_SESSION_KEY, None)
        return None
    raw = request.GET.get("patient") or request.session.get(PATIENT_SESSION_KEY)
    if not raw or not str(raw).isascii() or not str(raw).isdigit():
        return None
    try:
        patient = patient_get_for_user(user=request.user, pk=int(raw))
    except DomainError:
        request.session.pop(PATIENT_SESSION_KEY, None)
        return None
    _remember_patient(request, patient)
    return patient


class FindForm(forms.Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.none(), widget=forms.HiddenInput, required=False)
    patient_search = forms.CharField(
        required=False, label="Patient (name, MRN or phone)", widget=forms.TextInput(attrs={"autocomplete": "off", "size": 30})
    )
    visit_type = forms.ModelChoiceField(queryset=VisitType.objects.filter(active=True).select_related("discipline"))
    discipline = forms.ModelChoiceField(queryset=Discipline.objects.filter(active=True), required=False)
    provider = forms.ModelChoiceField(queryset=Provider.objects.filter(active=True).select_related("discipline"), required=False)
    date_from = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}), required=False)

    # The search range (order, at most 92 days, years within reach) is find_slots' rule; its
    # field messages land on these fields.
    SERVICE_FIELDS = {"start": "date_from", "end": "date_to"}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patient_queryset_for_user(user=user)

    def add_domain_error(self, error: DomainError) -> None:
        if not error.field_errors:
            self.add_error(None, error.message)
        for field, problems in error.field_errors.items():
            name = self.SERVICE_FIELDS.get(field, field)
            self.add_error(name if name in self.fields else None, problems)


DEFAULT_SEARCH_DAYS = 27


def _search_range(day_from: date, day_to: date | None, zone) -> tuple[datetime, datetime]:
    """Local midnight of the first day to 23:59 of the last (four weeks when not given); dates at
    the end of the calendar are left for find_slots to refuse rather than overflow here."""
    if day_to is None:
        day_to = day_from + timedelta(days=min(DEFAULT_SEARCH_DAYS, (date.max - day_from).days))
    return datetime.combine(day_from, time(0), tzinfo=zone), datetime.combine(day_to, time(23, 59), tzinfo=zone)


def find_and_book(request):
    """Patient + visit type + filters → earliest slots → one click books."""
    _require(request, "scheduling.add_appointment")
    if request.method == "POST":
        return _book_from_slot(request)
    initial_day = date.today() + timedelta(days=1)
    query = request.GET.copy()
    query.pop("forget", None)
    remembered = _remembered_patient(request)
    if remembered is not None and not query.get("patient") and not query.get("patient_search"):
        query["patient"] = str(remembered.pk)
    bound = bool(query.get("visit_type"))  # a search; otherwise the page offers the form
    form = FindForm(query if bound else None, user=request.user, initial={"date_from": initial_day})
    slots, patients, patient = [], [], None if bound else remembered
    zone_name = Location.objects.filter(active=True).values_list("time_zone", flat=True).first() or "UTC"
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        patient = data["patient"]
        if patient is None and data["patient_search"]:
            patients = list(patient_search(user=request.user, text=data["patient_search"])[:10])
            if len(patients) == 1:
                patient = patients[0]
        _remember_patient(request, patient)
        zone = zoneinfo.ZoneInfo(zone_name)
        start, end = _search_range(data["date_from"], data["date_to"], zone)
        try:
            search_range_check(start=start, end=end, now=timezone.now())  # also before a patient is chosen
            if patient is not None:
                slots = find_slots(
                    visit_type=data["visit_type"],
                    start=start,
                    end=end,
                    provider=data["provider"],
                    discipline=data["discipline"],
                    patient=patient,
                    limit=20,
                )
        except ValidationFailed as error:
            form.add_domain_error(error)
        if slots:
            providers = Provider.objects.in_bulk({s.provider_id for s in slots})
            rooms = Room.objects.in_bulk({s.room_id for s in slots if s.room_id})
            slots = [
                {"slot": s, "local": s.start.astimezone(zone), "provider": providers[s.provider_id], "room": rooms.get(s.room_id)}
                for s in slots
            ]
    return render(
        request,
        "admin/scheduling/find_and_book.html",
        _context(
            request,
            "Find and book",
            form=form,
            slots=slots,
            patients=patients,
            patient=patient,
            zone_name=zone_name,
            variants=_variant_links(patient),
        ),
    )


def _variant_links(patient) -> list[dict]:
    """Single, bundle and series, each carrying the chosen patient's id (never a name)."""
    suffix = f"?patient={patient.pk}" if patient is not None else ""
    return [
        {"label": label, "url": reverse(name) + suffix}
        for label, name in (
            ("Single visit", "admin:scheduling_find_and_book"),
            ("Same-day bundle", "admin:scheduling_bundle_book"),
            ("Series", "admin:scheduling_series_book"),
        )
    ]


def _book_from_slot(request):
    try:
        patient = patient_get_for_user(user=request.user, pk=int(request.POST.get("patient", "0")))
        provider = Provider.objects.select_related("discipline").get(pk=int(request.POST.get("provider", "0")))
        visit_type = VisitType.objects.get(pk=int(request.POST.get("visit_type", "0")))
        start = parse_datetime(request.POST.get("start", ""))
    except (ValueError, Provider.DoesNotExist, VisitType.DoesNotExist, DomainError):
        messages.error(request, "That slot could not be read; please search again.")
        return redirect(reverse("admin:scheduling_find_and_book"))
    if start is None:
        messages.error(request, "That slot could not be read; please search again.")
        return redirect(reverse("admin:scheduling_find_and_book"))
    room = Room.objects.filter(pk=request.POST.get("room") or 0).first()
    try:
        appointment = services.appointment_book(
            patient=patient,
            provider=provider,
            visit_type=visit_type,
            start=start,
            room=room,
            booked_by=request.user,
            region=request.POST.get("region", ""),
            laterality=request.POST.get("laterality", ""),
            override_reason=request.POST.get("override_reason", ""),
        )
    except DomainError as error:
        report_domain_error(request, error, prefix="Not booked: ")
        return redirect(
            reverse("admin:scheduling_find_and_book") + f"?patient={patient.pk}&visit_type={visit_type.pk}&date_from={start.date()}"
        )
    local = appointment.start.astimezone(appointment.location.zone)
    messages.success(request, f"Booked {visit_type.name} for {patient.first_name} {patient.last_name} at {local:%a %d %b %H:%M}.")
    return redirect(reverse("admin:scheduling_day_sheet") + f"?location={appointment.location_id}&date={local.date()}")


def cancel_appointment(request, pk: int):
    _require(request, "scheduling.change_appointment")
    try:
        appointment = appointment_get_for_user(user=request.user, pk=pk)
    except DomainError as error:
        report_domain_error(request, error)
        return redirect(reverse("admin:scheduling_day_sheet"))
    form = CancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.appointment_cancel(appointment=appointment, reason=form.cleaned_data["reason"], by=request.user)
            messages.success(request, f"Cancelled appointment #{appointment.pk}.")
        except DomainError as error:
            report_domain_error(request, error)
        local = appointment.start.astimezone(appointment.location.zone)
        return redirect(reverse("admin:scheduling_day_sheet") + f"?location={appointment.location_id}&date={local.date()}")
    return render(request, "admin/scheduling/cancel_one.html", _context(request, "Cancel appointment", form=form, appointment=appointment))


class BundleForm(forms.Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.none())
    visit_types = forms.ModelMultipleChoiceField(
        queryset=VisitType.objects.filter(active=True).select_related("discipline"), help_text="Two or more, of different disciplines"
    )
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    max_gap_minutes = forms.IntegerField(min_value=0, max_value=240, initial=30)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patient_queryset_for_user(user=user)
        self.fields["patient"].widget = forms.NumberInput()
        self.fields["patient"].help_text = "Patient id (from the patient list)"


def bundle_book_view(request):
    """Same-day bundle: several disciplines back to back for one patient, all or nothing."""
    _require(request, "scheduling.add_appointment")
    patient = _remembered_patient(request)
    form = BundleForm(request.POST or None, user=request.user, initial={"patient": patient.pk if patient else None})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        patient = data["patient"]
        _remember_patient(request, patient)
        try:
            bundle = bundle_book(
                patient=data["patient"],
                visit_types=list(data["visit_types"]),
                date=data["date"],
                max_gap_minutes=data["max_gap_minutes"],
                booked_by=request.user,
            )
        except DomainError as error:
            report_domain_error(request, error, prefix="Bundle not booked: ")
        else:
            messages.success(request, f"Booked a same-day bundle of {bundle.appointments.count()} visits on {bundle.date}.")
            first = bundle.appointments.select_related("location").order_by("start").first()
            return redirect(reverse("admin:scheduling_day_sheet") + f"?location={first.location_id}&date={bundle.date}")
    return render(
        request,
        "admin/scheduling/simple_form.html",
        _context(
            request,
            "Book a same-day bundle",
            form=form,
            submit="Find and book bundle",
            patient=patient,
            variants=_variant_links(patient),
            variant_label="Same-day bundle",
        ),
    )


class SeriesForm(forms.Form):
    patient = forms.ModelChoiceField(queryset=Patient.objects.none())
    visit_type = forms.ModelChoiceField(queryset=VisitType.objects.filter(active=True).select_related("discipline"))
    provider = forms.ModelChoiceField(queryset=Provider.objects.filter(active=True), required=False)
    per_week = forms.IntegerField(min_value=1, max_value=7, initial=2)
    weeks = forms.IntegerField(min_value=1, max_value=52, initial=6)
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["patient"].queryset = patient_queryset_for_user(user=user)
        self.fields["patient"].widget = forms.NumberInput()
        self.fields["patient"].help_text = "Patient id (from the patient list)"


def series_book_view(request):
    """'PT twice a week for 6 weeks': books what fits and lists what did not, with alternatives."""
    _require(request, "scheduling.add_appointment")
    patient = _remembered_patient(request)
    form = SeriesForm(request.POST or None, user=request.user, initial={"patient": patient.pk if patient else None})
    result = None
    if request.method == "POST" and form.is_valid():
        patient = form.cleaned_data["patient"]
        _remember_patient(request, patient)
        try:
            result = series_book(booked_by=request.user, **form.cleaned_data)
        except DomainError as error:
            report_domain_error(request, error, prefix="Series not booked: ")
        else:
            placed = result.series.appointments.count()
            messages.success(request, f"Booked {placed} visit(s) of the series.")
            if result.unplaced:
                messages.warning(request, f"{len(result.unplaced)} occurrence(s) could not be placed; see the alternatives below.")
    return render(
        request,
        "admin/scheduling/simple_form.html",
        _context(
            request,
            "Book a series",
            form=form,
            submit="Book series",
            result=result,
            patient=patient,
            variants=_variant_links(patient),
            variant_label="Series",
        ),
    )
