"""One bad input, one refusal, whichever door it comes through.

Every input rule lives in the scheduling services (scheduling.inputs, appointment_book,
find_slots, waitlist_add); the API's serializers and the admin's forms only shape input. Each
case below goes through the API and through the admin (find-and-book, the waitlist add form)
and must be refused the same way: the same message, 400 with it under the field in the API (409
for a payer rule), a form error or an error message in the admin, and nothing booked or added.
The workspace books only care-plan series (no region, override, slot range or waitlist input),
so it has no door for these inputs.
"""

from __future__ import annotations

import datetime as dt
import html
from dataclasses import dataclass
from datetime import date, timedelta

import pytest
from django.test import Client
from django.urls import reverse

from clinic.models import RoomKind
from scheduling.models import Appointment, ProcedureFamily, WaitlistEntry
from scheduling.services import appointment_book
from tests.factories import EquipmentFactory, PatientFactory, PayerFactory, RoomFactory, VisitTypeFactory, sign_in, weekly_templates
from tests.scheduling.conftest import next_weekday_at

pytestmark = pytest.mark.django_db

RULE = "in the lumbar–sacral region in any 12 month(s)"  # the Medicare ESI rule counted the lumbar sessions
THIS_YEAR = date.today().year
OUT_OF_RANGE = f"Use a date between {THIS_YEAR - 5} and {THIS_YEAR + 5}."


@dataclass(frozen=True)
class Refusal:
    status: int  # in the API
    field: str | None  # the API body's key holding the message (None: the message is the detail)
    message: str


@dataclass(frozen=True)
class Case:
    name: str
    door: str  # "book", "search" or "waitlist"
    refusal: Refusal
    values: dict
    user: str = "desk"


CASES = [
    Case("upper-case region counts as that region", "book", Refusal(409, None, RULE), {"region": "LUMBAR"}),
    Case("unknown region", "book", Refusal(400, "region", "Choose cervical, thoracic, lumbar or sacral."), {"region": "lumbr"}),
    Case("unknown laterality", "book", Refusal(400, "laterality", "Choose left, right, bilateral or midline."), {"laterality": "up"}),
    Case(
        "whitespace override reason is no reason",
        "book",
        Refusal(409, None, RULE),
        {"region": "lumbar", "override_reason": "   "},
        user="clinic_admin",
    ),
    Case("start in year 9999", "book", Refusal(400, "start", OUT_OF_RANGE), {"start": "9999-06-07T10:00:00-04:00"}),
    Case(
        "override reason under ten characters",
        "book",
        Refusal(400, "override_reason", "Give a reason of at least 10 characters (not counting spaces)."),
        {"region": "lumbar", "override_reason": " approved "},
        user="clinic_admin",
    ),
    Case(
        "NUL byte in the override reason",
        "book",
        Refusal(400, "override_reason", "Null characters are not allowed."),
        {"region": "lumbar", "override_reason": "pre\x00approved"},
        user="clinic_admin",
    ),
    Case("slot search over 92 days", "search", Refusal(400, "end", "Search at most 92 days at a time."), {"days": 100}),
    Case("slot search in year 9999", "search", Refusal(400, "start", OUT_OF_RANGE), {"from": date(9999, 1, 4)}),
    Case(
        "waitlist latest before earliest",
        "waitlist",
        Refusal(400, "latest_date", "Must be on or after the earliest date."),
        {"earliest": 20, "latest": 10},
    ),
    Case("waitlist latest in year 9999", "waitlist", Refusal(400, "latest_date", OUT_OF_RANGE), {"earliest": 10, "latest": None}),
]


@pytest.fixture
def clinic(anesthesiologist, front_desk_user, clinic_admin_user, esi_counts_only):
    """A procedure suite, the Medicare patient's four lumbar ESIs of the coming months, and a
    fifth ESI time that the payer rule must refuse (by count: the relief part of the rule, which
    would refuse booking ahead before the previous ESI is done, is left out)."""
    fluoro = EquipmentFactory(code="fluoroscopy")
    RoomFactory(location=anesthesiologist.home_location, kind=RoomKind.PROCEDURE_SUITE, name="Fluoro 1", equipment=[fluoro])
    weekly_templates(anesthesiologist, start=dt.time(7), end=dt.time(19))
    esi = VisitTypeFactory(
        code="lumbar-esi",
        discipline=anesthesiologist.discipline,
        procedure_family=ProcedureFamily.ESI,
        is_procedure=True,
        room_kind=RoomKind.PROCEDURE_SUITE,
        required_equipment=[fluoro],
    )
    patient = PatientFactory(payer=PayerFactory(code="medicare", name="Medicare"))
    first = next_weekday_at(10)
    for n in range(4):
        appointment_book(patient=patient, provider=anesthesiologist, visit_type=esi, start=first + timedelta(days=35 * n), region="lumbar")
    return {
        "doctor": anesthesiologist,
        "esi": esi,
        "patient": patient,
        "fifth": first + timedelta(days=140),
        "users": {"desk": front_desk_user, "clinic_admin": clinic_admin_user},
    }


def _booking(clinic, values) -> dict:
    return {
        "patient": clinic["patient"].pk,
        "provider": clinic["doctor"].pk,
        "start": values.get("start", clinic["fifth"].isoformat()),
        "region": values.get("region", "lumbar"),
        "laterality": values.get("laterality", ""),
        "override_reason": values.get("override_reason", ""),
    }


def _search_dates(values) -> tuple[date, date]:
    first = values.get("from", date.today() + timedelta(days=1))
    return first, first + timedelta(days=values.get("days", 7))


def _waitlist_dates(values) -> tuple[date, date]:
    today = date.today()
    latest = date(9999, 1, 4) if values["latest"] is None else today + timedelta(days=values["latest"])
    return today + timedelta(days=values["earliest"]), latest


def _made(clinic) -> tuple[int, int]:
    return Appointment.objects.count(), WaitlistEntry.objects.count()


def _through_api(api_for, clinic, case: Case):
    client = api_for(clinic["users"][case.user])
    if case.door == "book":
        return client.post("/api/v1/appointments/", _booking(clinic, case.values) | {"visit_type": "lumbar-esi"}, format="json")
    if case.door == "search":
        first, last = _search_dates(case.values)
        return client.get(
            "/api/v1/slots/",
            {"visit_type": "lumbar-esi", "start": f"{first.isoformat()}T00:00:00-05:00", "end": f"{last.isoformat()}T23:59:00-05:00"},
        )
    earliest, latest = _waitlist_dates(case.values)
    payload = {"patient": clinic["patient"].pk, "visit_type": "lumbar-esi", "earliest_date": earliest, "latest_date": latest}
    return client.post("/api/v1/waitlist/", payload, format="json")


def _through_admin(clinic, case: Case):
    client = Client()
    sign_in(client, clinic["users"][case.user])
    if case.door == "book":
        data = _booking(clinic, case.values) | {"visit_type": clinic["esi"].pk}
        return client.post(reverse("admin:scheduling_find_and_book"), data, follow=True)
    if case.door == "search":
        first, last = _search_dates(case.values)
        query = {"patient": clinic["patient"].pk, "visit_type": clinic["esi"].pk, "date_from": first, "date_to": last}
        return client.get(reverse("admin:scheduling_find_and_book"), query)
    earliest, latest = _waitlist_dates(case.values)
    data = {
        "patient": clinic["patient"].pk,
        "visit_type": clinic["esi"].pk,
        "earliest_date": earliest,
        "latest_date": latest,
        "weekdays": "",
        "priority": 0,
        "notes": "",
    }
    return client.post(reverse("admin:scheduling_waitlistentry_add"), data, follow=True)


@pytest.mark.parametrize("door", ["api", "admin"])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_the_same_bad_input_gets_the_same_refusal_through_every_door(api_for, clinic, case, door):
    before = _made(clinic)
    if door == "api":
        response = _through_api(api_for, clinic, case)
        body = response.json()
        assert response.status_code == case.refusal.status, body
        if case.refusal.field is None:
            assert case.refusal.message in body["detail"]
        else:
            assert any(case.refusal.message in problem for problem in body[case.refusal.field]), body
    else:
        response = _through_admin(clinic, case)
        assert response.status_code == 200
        page = html.unescape(response.content.decode())
        assert case.refusal.message in page
        if case.door == "search":  # shown on the search form, next to the field, no slots listed
            assert response.context["form"].errors and not response.context["slots"]
        elif case.door == "waitlist":  # the add form comes back with the error
            assert response.context["adminform"].form.errors
        else:  # find-and-book says "Not booked" in an error message
            assert any(m.level_tag == "error" and case.refusal.message in m.message for m in response.context["messages"])
    assert _made(clinic) == before
