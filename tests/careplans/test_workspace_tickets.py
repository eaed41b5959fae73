"""Booking tickets on the workspace's patient page: an on-team clinician opens, extends and
cancels them through the scheduling services; an off-team clinician neither sees nor changes
them; bad input is a message on the page, never a 500; the page's queries do not grow with the
number of tickets."""

import datetime

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from scheduling.models import BookingTicket
from tests.factories import VisitTypeFactory, sign_in

pytestmark = pytest.mark.django_db


def login(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


def today(patient) -> datetime.date:
    return timezone.localdate(timezone.now(), patient.zone)


@pytest.fixture
def visit_type(anesthesiologist):
    # Not self-schedulable: the service hands the ticket to the front desk at once (escalates).
    return VisitTypeFactory(code="follow-up", name="Follow-up visit", discipline=anesthesiologist.discipline, self_schedulable=False)


def make_ticket(patient, visit_type, *, status=BookingTicket.Status.OPEN, days=14, **extra) -> BookingTicket:
    start = today(patient)
    return BookingTicket.objects.create(
        patient=patient,
        visit_type=visit_type,
        discipline=visit_type.discipline,
        earliest=start,
        latest=start + datetime.timedelta(days=days),
        status=status,
        source=BookingTicket.Source.STAFF,
        created_at=timezone.now(),
        **extra,
    )


def form(patient, chosen, **overrides) -> dict:
    start = today(patient)
    data = {
        "visit_type": str(chosen.pk),
        "earliest": (start + datetime.timedelta(days=14)).isoformat(),
        "latest": (start + datetime.timedelta(days=28)).isoformat(),
        "visits": "2",
        "per_week": "1",
    }
    return {**data, **overrides}


def texts(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def test_the_patient_page_lists_open_and_expired_tickets_first_then_the_last_closed_ones(plan, anesthesiologist, visit_type):
    patient = plan.patient
    booked = make_ticket(patient, visit_type, status=BookingTicket.Status.BOOKED, closed_at=timezone.now())
    expired = make_ticket(patient, visit_type, status=BookingTicket.Status.EXPIRED, days=1)
    opened = make_ticket(patient, visit_type, days=20)
    response = login(anesthesiologist.user).get(reverse("workspace:patient", args=[patient.pk]))
    assert response.status_code == 200
    assert [t.pk for t in response.context["tickets"]] == [expired.pk, opened.pk, booked.pk]
    html = response.content.decode()
    assert "Booking tickets" in html and "Follow-up visit" in html
    assert reverse("workspace:ticket-action", args=[opened.pk, "cancel"]) in html
    assert reverse("workspace:ticket-action", args=[expired.pk, "extend"]) in html
    assert reverse("workspace:ticket-action", args=[expired.pk, "cancel"]) not in html  # only an open ticket is cancelled
    assert reverse("workspace:ticket-action", args=[booked.pk, "extend"]) not in html
    assert reverse("workspace:ticket-create", args=[patient.pk]) in html


def test_an_on_team_clinician_opens_a_ticket_through_the_service(plan, anesthesiologist, visit_type):
    patient = plan.patient
    url = reverse("workspace:ticket-create", args=[patient.pk])
    response = login(anesthesiologist.user).post(url, form(patient, visit_type))
    assert response.status_code == 302 and response["Location"].startswith(reverse("workspace:patient", args=[patient.pk]))
    ticket = BookingTicket.objects.get(patient=patient)
    start = today(patient)
    assert (ticket.visit_type, ticket.earliest, ticket.latest, ticket.visits, ticket.per_week) == (
        visit_type,
        start + datetime.timedelta(days=14),
        start + datetime.timedelta(days=28),
        2,
        1,
    )
    assert (ticket.status, ticket.source, ticket.created_by) == ("open", "staff", anesthesiologist.user)
    # The service's own behaviour: a visit type patients cannot book goes to the front desk at once.
    assert ticket.escalated_at is not None
    assert any("Booking ticket opened" in m for m in texts(response))


def test_an_on_team_clinician_extends_an_expired_ticket_and_it_opens_again(plan, anesthesiologist, visit_type):
    ticket = make_ticket(plan.patient, visit_type, status=BookingTicket.Status.EXPIRED, days=1)
    new_last = today(plan.patient) + datetime.timedelta(days=30)
    url = reverse("workspace:ticket-action", args=[ticket.pk, "extend"])
    response = login(anesthesiologist.user).post(url, {"latest": new_last.isoformat()})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert (ticket.status, ticket.latest) == ("open", new_last)


def test_an_on_team_clinician_cancels_an_open_ticket_with_a_reason(plan, anesthesiologist, visit_type):
    ticket = make_ticket(plan.patient, visit_type)
    client = login(anesthesiologist.user)
    url = reverse("workspace:ticket-action", args=[ticket.pk, "cancel"])
    response = client.post(url, {"reason": ""})
    ticket.refresh_from_db()
    assert ticket.status == "open" and "Reason: A reason is required." in texts(response)
    client.post(url, {"reason": "Patient moved away"})
    ticket.refresh_from_db()
    assert (ticket.status, ticket.cancel_reason) == ("cancelled", "Patient moved away") and ticket.closed_at is not None
    again = client.post(url, {"reason": "twice"})
    assert again.status_code == 302 and "A cancelled ticket cannot be cancelled." in texts(again)


def test_an_off_team_clinician_neither_sees_nor_changes_the_tickets(plan, dietitian, visit_type):
    patient = plan.patient
    ticket = make_ticket(patient, visit_type)
    client = login(dietitian.user)
    page = client.get(reverse("workspace:patient", args=[patient.pk]))
    assert page.status_code == 404 and "Follow-up visit" not in page.content.decode()
    created = client.post(reverse("workspace:ticket-create", args=[patient.pk]), form(patient, visit_type))
    extended = client.post(
        reverse("workspace:ticket-action", args=[ticket.pk, "extend"]),
        {"latest": (ticket.latest + datetime.timedelta(days=7)).isoformat()},
    )
    cancelled = client.post(reverse("workspace:ticket-action", args=[ticket.pk, "cancel"]), {"reason": "not mine"})
    for response in (created, extended, cancelled):
        assert response.status_code == 302  # a refused POST is a message and a redirect (`_domain`)
        assert any("not one" in m for m in texts(response)), texts(response)
    assert list(BookingTicket.objects.values_list("pk", "status", "latest")) == [(ticket.pk, "open", ticket.latest)]


def test_the_front_desk_is_refused_the_workspace_ticket_actions(plan, front_desk_user, visit_type):
    ticket = make_ticket(plan.patient, visit_type)
    client = login(front_desk_user)
    client.post(reverse("workspace:ticket-create", args=[plan.patient.pk]), form(plan.patient, visit_type))
    client.post(reverse("workspace:ticket-action", args=[ticket.pk, "cancel"]), {"reason": "desk"})
    assert list(BookingTicket.objects.values_list("pk", "status")) == [(ticket.pk, "open")]


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"earliest": "not-a-date"}, "Earliest: Enter a date as YYYY-MM-DD."),
        ({"latest": "9999-12-31"}, "Latest: Choose a day within 730 days from today."),
        ({"earliest": "2026-01-01\x00"}, "Earliest: Enter a date as YYYY-MM-DD."),
        ({"visits": "two"}, "Visits: Enter a whole number from 1 to 60."),
        ({"visits": "１"}, "Visits: Enter a whole number from 1 to 60."),  # a full-width digit
        ({"per_week": "99"}, "Per week: Enter a whole number from 1 to 7."),
        ({"visit_type": "x\x00"}, "Visit type: Choose a visit type."),
        ({"visit_type": "999999"}, "Visit type: Choose a visit type."),
    ],
)
def test_bad_input_to_create_is_a_message_not_a_500(plan, anesthesiologist, visit_type, overrides, message):
    response = login(anesthesiologist.user).post(
        reverse("workspace:ticket-create", args=[plan.patient.pk]), form(plan.patient, visit_type, **overrides)
    )
    assert response.status_code == 302 and message in texts(response)
    assert not BookingTicket.objects.exists()


def test_the_services_field_errors_are_shown(plan, anesthesiologist, visit_type):
    start = today(plan.patient)
    data = form(plan.patient, visit_type, earliest=(start + datetime.timedelta(days=10)).isoformat(), latest=start.isoformat())
    response = login(anesthesiologist.user).post(reverse("workspace:ticket-create", args=[plan.patient.pk]), data)
    assert "Latest: The last day must be on or after the first day." in texts(response)
    procedure = VisitTypeFactory(code="esi-x", discipline=visit_type.discipline, is_procedure=True)
    response = login(anesthesiologist.user).post(
        reverse("workspace:ticket-create", args=[plan.patient.pk]), form(plan.patient, visit_type, visit_type=str(procedure.pk))
    )
    assert "Visit type: Choose a visit type." in texts(response)
    assert not BookingTicket.objects.exists()


@pytest.mark.parametrize("latest", ["", "9999-12-31", "tomorrow", "2026-02-30", "\x00"])
def test_bad_input_to_extend_is_a_message_not_a_500(plan, anesthesiologist, visit_type, latest):
    ticket = make_ticket(plan.patient, visit_type)
    response = login(anesthesiologist.user).post(reverse("workspace:ticket-action", args=[ticket.pk, "extend"]), {"latest": latest})
    assert response.status_code == 302 and any(m.startswith("Latest: ") for m in texts(response))
    ticket.refresh_from_db()
    assert ticket.latest == today(plan.patient) + datetime.timedelta(days=14)


def test_extending_to_an_earlier_day_shows_the_services_message(plan, anesthesiologist, visit_type):
    ticket = make_ticket(plan.patient, visit_type)
    earlier = (ticket.latest - datetime.timedelta(days=1)).isoformat()
    response = login(anesthesiologist.user).post(reverse("workspace:ticket-action", args=[ticket.pk, "extend"]), {"latest": earlier})
    assert f"Latest: Choose a day after {ticket.latest:%Y-%m-%d}." in texts(response)


def test_a_nul_in_the_cancel_reason_is_a_message(plan, anesthesiologist, visit_type):
    ticket = make_ticket(plan.patient, visit_type)
    response = login(anesthesiologist.user).post(reverse("workspace:ticket-action", args=[ticket.pk, "cancel"]), {"reason": "a\x00b"})
    assert response.status_code == 302 and "Reason: Null characters are not allowed." in texts(response)
    ticket.refresh_from_db()
    assert ticket.status == "open"


def test_an_unknown_action_or_ticket_is_refused(plan, anesthesiologist, visit_type):
    ticket = make_ticket(plan.patient, visit_type)
    client = login(anesthesiologist.user)
    assert "No such change." in texts(client.post(reverse("workspace:ticket-action", args=[ticket.pk, "reopen"])))
    assert client.get(reverse("workspace:ticket-action", args=[ticket.pk, "cancel"])).status_code == 405
    missing = client.post(reverse("workspace:ticket-action", args=[ticket.pk + 1000, "cancel"]), {"reason": "x"})
    assert any("No such booking ticket" in m for m in texts(missing))


def test_the_patient_page_reads_a_fixed_number_of_queries_whatever_the_tickets(
    plan, anesthesiologist, visit_type, django_assert_max_num_queries
):
    client = login(anesthesiologist.user)
    url = reverse("workspace:patient", args=[plan.patient.pk])
    make_ticket(plan.patient, visit_type)
    with django_assert_max_num_queries(200) as few:
        client.get(url)
    baseline = len(few.captured_queries)
    other = VisitTypeFactory(code="pt-eval", discipline=visit_type.discipline)
    for n in range(25):
        make_ticket(
            plan.patient, other if n % 2 else visit_type, status=BookingTicket.Status.OPEN if n % 3 else BookingTicket.Status.CANCELLED
        )
    with django_assert_max_num_queries(baseline):
        response = client.get(url)
    assert len(response.context["tickets"]) == 17 + 5  # every open one, the last five closed
