import re

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from careplans.models import Task
from messaging import demo
from messaging.admin import MessageInline
from messaging.models import Message, PatientLink
from messaging.services import outbox_waitlist_offer
from messaging.services.links import link_mint, link_token
from scheduling.models import AppointmentStatus, WaitlistEntry
from scheduling.services import appointment_book
from tests.factories import PatientFactory, sign_in
from tests.messaging.conftest import at

pytestmark = pytest.mark.django_db
NOW = at(2026, 11, 2, 10)
LATER = at(2026, 11, 5, 12)


@pytest.fixture
def booked(clinic_world, visit, patient):
    with time_machine.travel(NOW, tick=False):
        return appointment_book(patient=patient, provider=clinic_world, visit_type=visit, start=at(2026, 11, 12, 9), now=NOW)


def link_path(appointment, purpose):
    link = PatientLink.objects.get(appointment=appointment, purpose=purpose)
    return f"/p/{link_token(link)}/"


def test_links_in_messages_are_opaque(booked):
    for body in Message.objects.filter(appointment=booked).values_list("body", flat=True):
        for token in re.findall(r"/p/([^/]+)/", body):
            assert re.fullmatch(r"[0-9a-z]+\.[\w-]{16}", token)


def test_confirm_page_shows_only_name_time_place_and_prep_then_confirms_once(client, booked):
    path = link_path(booked, "confirm")
    with time_machine.travel(LATER):
        page = client.get(path)
        assert page.status_code == 200
        html = page.content.decode()
        assert booked.patient.first_name in html and "Thu Nov 12, 9:00 AM" in html and "Bring your medication list." in html
        assert booked.patient.last_name not in html and "Follow-up" not in html
        booked.refresh_from_db()
        assert booked.status == AppointmentStatus.BOOKED  # GET changes nothing
        assert client.post(path).status_code == 200
        booked.refresh_from_db()
        assert booked.status == AppointmentStatus.CONFIRMED
        again = client.post(path)
    assert again.status_code == 410 and "already been used" in again.content.decode()


def test_cancel_link_needs_a_reason_and_cancels(client, booked):
    path = link_path(booked, "cancel")
    with time_machine.travel(LATER):
        assert client.post(path, {"reason": ""}).status_code == 400
        assert client.post(path, {"reason": "feeling better"}).status_code == 200
    booked.refresh_from_db()
    assert booked.status == AppointmentStatus.CANCELLED and "feeling better" in booked.cancel_reason


def test_request_another_time_creates_a_front_desk_task(client, booked):
    with time_machine.travel(LATER):
        assert client.post(link_path(booked, "reschedule"), {"reason": "mornings are hard"}).status_code == 200
    assert Task.objects.get(assignee_role="front_desk").description == "mornings are hard"


def test_expired_link_says_so_plainly(client, booked):
    with time_machine.travel(at(2026, 11, 12, 10)):
        response = client.get(link_path(booked, "confirm"))
    assert response.status_code == 410 and "expired" in response.content.decode()


def test_forged_or_cross_purpose_token_is_not_valid(client, booked):
    confirm = PatientLink.objects.get(appointment=booked, purpose="confirm")
    cancel = PatientLink.objects.get(appointment=booked, purpose="cancel")
    cross = f"{link_token(cancel).split('.')[0]}.{link_token(confirm).split('.')[1]}"
    assert client.get(f"/p/{cross}/").status_code == 404
    assert client.get("/p/zz.notatoken/").status_code == 404


def test_unsubscribe_link_withdraws_email_consent(client, booked, patient):
    body = Message.objects.get(appointment=booked, channel="email").body
    path = re.search(r"https://clinic.example(/p/[^\s]+/)\s*$", body.strip()).group(1)
    with time_machine.travel(LATER):
        assert client.post(path).status_code == 200
    patient.refresh_from_db()
    assert patient.email_consent is False
    assert Message.objects.get(appointment=booked, channel="email").status == "cancelled"


def test_waitlist_claim_link_books_the_held_slot(client, clinic_world, visit, patient):
    """Written against the final waitlist_claim behaviour (scheduling.waitlist, colleague's work)."""
    with time_machine.travel(NOW, tick=False):
        held = appointment_book(
            patient=patient, provider=clinic_world, visit_type=visit, start=at(2026, 11, 4, 9), hold_minutes=120, now=NOW
        )
        entry = WaitlistEntry.objects.create(
            patient=patient, visit_type=visit, earliest_date=NOW.date(), latest_date=at(2026, 11, 30, 9).date(),
            status="offered", offered_appointment=held, offer_expires_at=at(2026, 11, 2, 12),
        )  # fmt: skip
        (sms,) = outbox_waitlist_offer(entry=entry, now=NOW)
        assert "Claim by" in sms.body or "Claim it by" in sms.body
        path = re.search(r"https://clinic.example(/p/[^\s]+/)", sms.body).group(1)
    with time_machine.travel(at(2026, 11, 2, 11)):
        assert client.post(path).status_code == 200
    held.refresh_from_db()
    assert held.status == AppointmentStatus.BOOKED


def test_appointment_messages_api(api_for, front_desk_user, outsider_user, booked, django_assert_max_num_queries):
    url = f"/api/v1/appointments/{booked.pk}/messages/"
    with django_assert_max_num_queries(6):
        response = api_for(front_desk_user).get(url)
    assert response.status_code == 200
    assert {tuple(sorted(row)) for row in response.data} == {("channel", "due_at", "purpose", "sent_at", "status")}
    assert len(response.data) == 3
    assert api_for(outsider_user).get(url).status_code == 404
    assert api_for(front_desk_user).get("/api/v1/appointments/999999/messages/").status_code == 404


def test_provider_sees_only_their_patients_messages(api_for, booked, physical_therapist):
    assert api_for(physical_therapist.user).get(f"/api/v1/appointments/{booked.pk}/messages/").status_code == 404
    assert api_for(booked.provider.user).get(f"/api/v1/appointments/{booked.pk}/messages/").status_code == 200


def _changelist_queries(client, url):
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return len(queries)


def test_admin_changelists_do_not_grow_with_rows(client, django_user_model):
    admin = django_user_model.objects.create_superuser("root", "root@clinic.example", "pw")
    sign_in(client, admin)

    def add(n, status):
        for _ in range(n):
            patient = PatientFactory()
            Message.objects.create(patient=patient, channel="sms", purpose="notice", due_at=NOW, idempotency_key=f"k{Message.objects.count()}-{patient.pk}",
                                   body="b", status=status)  # fmt: skip

    urls = [
        "/admin/messaging/message/",
        "/admin/messaging/failedmessage/",
        "/admin/messaging/inboundsms/",
        "/admin/messaging/reminderrule/",
    ]
    add(2, "failed")
    few = [_changelist_queries(client, url) for url in urls]
    add(25, "failed")
    many = [_changelist_queries(client, url) for url in urls]
    assert few == many


def test_admin_resend_action_requeues_failed_messages(client, django_user_model, patient):
    admin = django_user_model.objects.create_superuser("root", "root@clinic.example", "pw")
    sign_in(client, admin)
    failed = Message.objects.create(patient=patient, channel="sms", purpose="notice", due_at=NOW, idempotency_key="f1", body="b", status="failed",
                                    attempts=5, send_started_at=NOW)  # fmt: skip
    response = client.post("/admin/messaging/failedmessage/", {"action": "resend", "_selected_action": [failed.pk]})
    assert response.status_code == 302
    failed.refresh_from_db()
    assert failed.status == "pending" and failed.attempts == 0 and failed.send_started_at is None


def test_message_inline_is_read_only():
    assert MessageInline.model is Message and set(MessageInline.readonly_fields) == set(MessageInline.fields)


def test_demo_seed_is_idempotent(booked):
    Message.objects.filter(appointment=booked).delete()
    PatientLink.objects.all().delete()
    with time_machine.travel(NOW):
        demo.seed(out=lambda line: None)
        count = Message.objects.count()
        demo.seed(out=lambda line: None)
    assert count > 0 and Message.objects.count() == count


def test_link_mint_reuses_the_appointment_link(booked, patient):
    first = link_mint(purpose="confirm", patient=patient, appointment=booked, expires_at=booked.start, now=NOW)
    assert link_mint(purpose="confirm", patient=patient, appointment=booked, expires_at=booked.start, now=NOW).pk == first.pk
