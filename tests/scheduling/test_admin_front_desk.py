import datetime

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from scheduling.models import Appointment
from scheduling.services import appointment_book
from tests.factories import PatientFactory, ProviderFactory, UserFactory, sign_in
from tests.scheduling.conftest import next_weekday_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk(front_desk_user):
    client = Client()
    sign_in(client, front_desk_user)
    return client


def _book_many(provider, visit_type, count, hour=8):
    start = next_weekday_at(hour)
    return [
        appointment_book(
            patient=PatientFactory(), provider=provider, visit_type=visit_type, start=start + datetime.timedelta(minutes=30 * i)
        )
        for i in range(count)
    ]


def test_day_sheet_shows_blocks_and_free_time_with_constant_queries(desk, working_anesthesiologist, follow_up, location):
    day = next_weekday_at(8).date()
    url = reverse("admin:scheduling_day_sheet") + f"?location={location.pk}&date={day}"
    _book_many(working_anesthesiologist, follow_up, 2)
    with CaptureQueriesContext(connection) as few:
        response = desk.get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.count('class="appt appt-booked"') == 2 and 'class="free"' in html
    _book_many(working_anesthesiologist, follow_up, 10, hour=10)
    with CaptureQueriesContext(connection) as many:
        response = desk.get(url)
    assert response.content.decode().count('class="appt appt-booked"') == 12
    assert len(many) == len(few)
    by_room = desk.get(url + "&by=room")
    assert by_room.status_code == 200 and "Consult 0" in by_room.content.decode()


def test_appointment_changelist_query_count_independent_of_rows(desk, working_anesthesiologist, follow_up):
    url = reverse("admin:scheduling_appointment_changelist")
    _book_many(working_anesthesiologist, follow_up, 2)
    with CaptureQueriesContext(connection) as few:
        assert desk.get(url).status_code == 200
    _book_many(working_anesthesiologist, follow_up, 8, hour=13)
    with CaptureQueriesContext(connection) as many:
        assert desk.get(url).status_code == 200
    assert len(many) == len(few)


def test_changelist_actions_call_the_services(desk, working_anesthesiologist, follow_up):
    first, second = _book_many(working_anesthesiologist, follow_up, 2)
    url = reverse("admin:scheduling_appointment_changelist")
    desk.post(url, {"action": "confirm", "_selected_action": [first.pk]})
    assert Appointment.objects.get(pk=first.pk).status == "confirmed"
    response = desk.post(url, {"action": "cancel_with_reason", "_selected_action": [second.pk]})
    assert b"Reason" in response.content
    desk.post(url, {"action": "cancel_with_reason", "_selected_action": [second.pk], "apply": "1", "reason": "patient called"})
    cancelled = Appointment.objects.get(pk=second.pk)
    assert cancelled.status == "cancelled" and cancelled.cancel_reason == "patient called"
    assert cancelled.events.last().by.username == "desk"


def test_illegal_action_shows_a_message_not_an_error(desk, working_anesthesiologist, follow_up):
    (appointment,) = _book_many(working_anesthesiologist, follow_up, 1)
    url = reverse("admin:scheduling_appointment_changelist")
    response = desk.post(url, {"action": "mark_no_show", "_selected_action": [appointment.pk]}, follow=True)
    assert response.status_code == 200
    assert "no-show once the appointment time has come" in response.content.decode()


def test_cancel_page_needs_a_reason(desk, working_anesthesiologist, follow_up):
    (appointment,) = _book_many(working_anesthesiologist, follow_up, 1)
    url = reverse("admin:scheduling_cancel_appointment", args=[appointment.pk])
    assert desk.post(url, {"reason": ""}).status_code == 200
    assert Appointment.objects.get(pk=appointment.pk).status == "booked"
    assert desk.post(url, {"reason": "ill"}).status_code == 302
    assert Appointment.objects.get(pk=appointment.pk).status == "cancelled"


def test_provider_cannot_open_find_and_book_without_permission(anesthesiologist):
    provider = ProviderFactory(discipline=anesthesiologist.discipline, user=UserFactory(username="no-role-doctor"))  # staff, no role
    client = Client()
    sign_in(client, provider.user)
    assert client.get(reverse("admin:scheduling_find_and_book")).status_code == 403


def test_a_provider_with_the_provider_role_opens_find_and_book(anesthesiologist):
    client = Client()
    sign_in(client, anesthesiologist.user)
    assert client.get(reverse("admin:scheduling_find_and_book")).status_code == 200


def test_an_outsider_is_sent_to_the_admin_login_from_find_and_book(outsider_user):
    client = Client()
    sign_in(client, outsider_user)
    response = client.get(reverse("admin:scheduling_find_and_book"))
    assert response.status_code == 302 and response.url.startswith(reverse("admin:login"))


def test_appointment_page_shows_its_messages_and_audit_trail(desk, working_anesthesiologist, follow_up):
    appointment = appointment_book(
        patient=PatientFactory(sms_consent=True, email_consent=True),
        provider=working_anesthesiologist,
        visit_type=follow_up,
        start=next_weekday_at(9),
    )
    html = desk.get(reverse("admin:scheduling_appointment_change", args=[appointment.pk])).content.decode()
    assert appointment.messages.exists()
    assert html.count("Pending") >= appointment.messages.filter(status="pending").count() > 0
    assert "booked" in html  # the audit trail's first event


def test_a_provider_sees_only_their_own_patients_appointments_in_the_admin(working_anesthesiologist, follow_up, physical_therapist):
    mine, theirs = _book_many(working_anesthesiologist, follow_up, 2)
    from careplans.models import CarePlan, CareTeamMember

    plan = CarePlan.objects.create(patient=mine.patient, title="Plan", period_start=datetime.date.today())
    CareTeamMember.objects.create(care_plan=plan, provider=physical_therapist, role="physical_therapist")
    client = Client()
    sign_in(client, physical_therapist.user)
    html = client.get(reverse("admin:scheduling_appointment_changelist")).content.decode()
    assert mine.patient.mrn in html and theirs.patient.mrn not in html
    refused = client.get(reverse("admin:scheduling_appointment_change", args=[theirs.pk]))
    assert refused.status_code == 302 and refused.url == reverse("admin:index")  # "does not exist", as for any id


def test_rescheduling_offers_the_freed_time_to_the_waitlist(working_anesthesiologist, follow_up, django_capture_on_commit_callbacks):
    from scheduling.services import appointment_reschedule
    from scheduling.waitlist import waitlist_add

    (appointment,) = _book_many(working_anesthesiologist, follow_up, 1)
    entry = waitlist_add(
        patient=PatientFactory(),
        visit_type=follow_up,
        earliest_date=appointment.start.date(),
        latest_date=appointment.start.date() + datetime.timedelta(days=1),
    )
    from config.celery import app

    eager, app.conf.task_always_eager = app.conf.task_always_eager, True  # the real task, in-process
    try:
        with django_capture_on_commit_callbacks(execute=True):
            appointment_reschedule(appointment=appointment, start=appointment.start + datetime.timedelta(hours=3))
    finally:
        app.conf.task_always_eager = eager
    entry.refresh_from_db()
    assert entry.status == "offered" and entry.offered_appointment.start == appointment.start


def test_waitlist_entries_are_added_and_removed_through_the_services_with_their_trail(desk, front_desk_user, follow_up):
    from scheduling.models import WaitlistEntry, WaitlistEvent

    patient = PatientFactory()
    day = datetime.date.today() + datetime.timedelta(days=7)
    data = {"patient": patient.pk, "visit_type": follow_up.pk, "earliest_date": day, "latest_date": day, "weekdays": "", "priority": 0}
    assert desk.post(reverse("admin:scheduling_waitlistentry_add"), data | {"notes": ""}).status_code == 302
    entry = WaitlistEntry.objects.get(patient=patient)
    change = reverse("admin:scheduling_waitlistentry_change", args=[entry.pk])
    page = desk.get(change)
    assert page.status_code == 200 and not page.context["adminform"].form.fields  # read-only once made
    assert not page.context["has_delete_permission"]
    desk.post(reverse("admin:scheduling_waitlistentry_changelist"), {"action": "remove_entries", "_selected_action": [entry.pk]})
    entry.refresh_from_db()
    assert entry.status == WaitlistEntry.Status.REMOVED
    trail = list(WaitlistEvent.objects.filter(entry=entry).values_list("from_status", "to_status", "by"))
    assert trail == [("", "waiting", front_desk_user.pk), ("waiting", "removed", front_desk_user.pk)]
    (events,) = desk.get(change).context["inline_admin_formsets"]  # the trail shows on the entry's page
    assert [form.original.to_status for form in events] == ["waiting", "removed"]
