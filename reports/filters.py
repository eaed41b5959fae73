"""What a report is asked for: one form validates the query for the API, the admin and the
workspace, so a bad parameter gets the same field message everywhere (400 in the API)."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from django import forms
from django.utils import timezone

from clinic.models import Discipline, Location, Provider
from core.errors import ValidationFailed
from scheduling.models import ProcedureFamily

MAX_RANGE_DAYS = 731  # two years: enough for a 6-month registry window on a year of procedures

# The procedure families the outcome registry follows (the list; facet injections and
# nerve blocks are accepted too when asked for by name).
REGISTRY_FAMILIES = ["ebp", "esi", "mbb", "rfa", "scs_trial"]
FAMILY_CHOICES = [(value, label) for value, label in ProcedureFamily.choices if value not in ("", ProcedureFamily.SCS_REMOVAL)]
# API spelling (lower case) -> questionnaire code as stored.
INSTRUMENTS = {"nrs": "NRS", "peg": "PEG", "odi": "ODI"}
TREND_INSTRUMENTS = ["PHQ-9", "GAD-7"]


@dataclass(frozen=True)
class ReportFilters:
    start: date
    end: date  # inclusive
    location_id: int | None = None
    discipline_id: int | None = None
    provider_id: int | None = None
    procedure: str | None = None  # a ProcedureFamily value; None: every registry family
    instrument: str = "NRS"

    @property
    def families(self) -> list[str]:
        return [self.procedure] if self.procedure else list(REGISTRY_FAMILIES)

    def utc_bounds(self) -> tuple[datetime, datetime]:
        """A UTC range sure to contain every instant whose local date (in any zone, UTC−12 to
        UTC+14) lies in [start, end]; queries narrow it to exact local dates in SQL."""
        lo = datetime.combine(self.start, time(0), tzinfo=UTC) - timedelta(hours=15)
        hi = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=UTC) + timedelta(hours=13)
        return lo, hi

    def local_bounds(self, zone: zoneinfo.ZoneInfo) -> tuple[datetime, datetime]:
        """[local midnight of start, local midnight after end) in `zone`, as UTC instants."""
        lo = datetime.combine(self.start, time(0)).replace(tzinfo=zone, fold=0).astimezone(UTC)
        hi = datetime.combine(self.end + timedelta(days=1), time(0)).replace(tzinfo=zone, fold=0).astimezone(UTC)
        return lo, hi


class ReportFilterForm(forms.Form):
    start = forms.DateField(help_text="First day, in the location's zone (YYYY-MM-DD)")
    end = forms.DateField(help_text="Last day, inclusive")
    location = forms.ModelChoiceField(queryset=Location.objects.all(), required=False)
    discipline = forms.ModelChoiceField(queryset=Discipline.objects.all(), required=False, to_field_name="code")
    provider = forms.ModelChoiceField(queryset=Provider.objects.all(), required=False)

    def clean(self):
        data = super().clean()
        start, end = data.get("start"), data.get("end")
        if start and end:
            if end < start:
                self.add_error("end", "end must be on or after start.")
            elif (end - start).days + 1 > MAX_RANGE_DAYS:
                self.add_error("end", f"Ask for at most {MAX_RANGE_DAYS} days at a time.")
        return data

    def filters(self, **extra) -> ReportFilters:
        data = self.cleaned_data
        return ReportFilters(
            start=data["start"],
            end=data["end"],
            location_id=data["location"].pk if data.get("location") else None,
            discipline_id=data["discipline"].pk if data.get("discipline") else None,
            provider_id=data["provider"].pk if data.get("provider") else None,
            **extra,
        )


class OutcomeFilterForm(ReportFilterForm):
    procedure = forms.ChoiceField(choices=[("", "Every registry family"), *FAMILY_CHOICES], required=False)
    instrument = forms.ChoiceField(choices=[(k, v) for k, v in INSTRUMENTS.items()], required=False)

    def clean_instrument(self):
        return (self.cleaned_data.get("instrument") or "nrs").lower()

    def filters(self, **extra) -> ReportFilters:
        data = self.cleaned_data
        return super().filters(procedure=data.get("procedure") or None, instrument=INSTRUMENTS[data["instrument"]], **extra)


def default_range(*, now: datetime | None = None) -> tuple[date, date]:
    """The last 28 full days up to today (the admin's and workspace's first view)."""
    today = (now or timezone.now()).date()
    return today - timedelta(days=27), today


def bind(form_class, params, *, with_defaults: bool = False):
    """The form bound to query parameters; pages (not the API) fall back to the default range."""
    data = {k: params.get(k) for k in form_class.base_fields if params.get(k) not in (None, "")}
    if with_defaults and "start" not in data and "end" not in data:
        data["start"], data["end"] = (d.isoformat() for d in default_range())
    return form_class(data)


def filters_or_400(form) -> ReportFilters:
    """The filters, or ValidationFailed with the form's field messages (400 in the API)."""
    if not form.is_valid():
        errors = {field: [str(m) for m in messages] for field, messages in form.errors.items()}
        raise ValidationFailed("Check the report parameters.", field_errors=errors)
    return form.filters()
