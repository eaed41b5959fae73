"""Providers' calendar feeds (issue 9): minimum necessary for third-party calendar services,
tokens stored as hashes, shown once, expiring, and every read audited."""

import datetime
import hashlib

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone
from icalendar import Calendar

from core.models import AuditEvent
from scheduling.models import CalendarFeed
from scheduling.services import appointment_book, appointment_cancel
from scheduling.services.feeds import calendar_feed_issue, calendar_feed_read, calendar_feed_rotate
from tests.factories import PatientFactory, sign_in
from tests.scheduling.conftest import next_weekday_at

pytestmark = pytest.mark.django_db


def _summaries(body: bytes) -> list[str]:
    return [str(event["summary"]) for event in Calendar.from_ical(body).walk("VEVENT")]


@pytest.fixture
def booked(working_anesthesiologist, follow_up):
    patient = PatientFactory(first_name="Rosa", last_name="Delgado")
    return appointment_book(patient=patient, provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(9))


def test_default_feed_shows_only_appointment_and_room(client, booked):
    feed = calendar_feed_issue(provider=booked.provider)
    body = client.get(f"/calendar/{feed.issued_token}.ics").content
    assert _summaries(body) == [f"Appointment · {booked.room.name}"]
    for absent in (booked.visit_type.name, "R.D.", "R. D.", "Rosa", "Delgado", booked.patient.email):
        assert absent.encode() not in body


def test_details_are_opt_in_and_add_the_visit_type_but_never_initials(client, booked):
    feed = calendar_feed_issue(provider=booked.provider, show_details=True)
    body = client.get(f"/calendar/{feed.issued_token}.ics").content
    assert _summaries(body) == [f"{booked.visit_type.name} · {booked.room.name}"]
    assert b"R.D." not in body and b"Delgado" not in body


def test_only_a_hash_of_the_token_is_stored(booked):
    feed = calendar_feed_issue(provider=booked.provider)
    stored = CalendarFeed.objects.get(pk=feed.pk)
    assert stored.token_hash == hashlib.sha256(feed.issued_token.encode()).hexdigest()
    assert stored.token_prefix == feed.issued_token[:6]
    assert not hasattr(stored, "issued_token")
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM scheduling_calendarfeed WHERE id = %s", [feed.pk])
        assert feed.issued_token not in repr(cursor.fetchone())


def test_token_expires_after_the_configured_days(client, settings, booked):
    settings.FEED_TOKEN_TTL_DAYS = 180
    issued_at = timezone.now() - datetime.timedelta(days=181)
    old = calendar_feed_issue(provider=booked.provider, now=issued_at)
    assert old.expires_at == issued_at + datetime.timedelta(days=180)
    assert client.get(f"/calendar/{old.issued_token}.ics").status_code == 404
    fresh = calendar_feed_issue(provider=booked.provider, now=timezone.now() - datetime.timedelta(days=179))
    assert client.get(f"/calendar/{fresh.issued_token}.ics").status_code == 200


def test_rotation_ends_the_old_url_and_keeps_the_detail_setting(client, booked):
    old = calendar_feed_issue(provider=booked.provider, show_details=True)
    new = calendar_feed_rotate(feed=old)
    assert client.get(f"/calendar/{old.issued_token}.ics").status_code == 404
    assert client.get(f"/calendar/{new.issued_token}.ics").status_code == 200
    assert new.show_details and new.issued_token != old.issued_token


def test_each_read_is_one_audited_view_by_the_provider_of_the_patients_on_it(booked, working_anesthesiologist, follow_up):
    other = appointment_book(patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(11))
    cancelled = appointment_book(
        patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=next_weekday_at(13)
    )
    appointment_cancel(appointment=cancelled, reason="patient asked")
    feed = calendar_feed_issue(provider=booked.provider)
    before = AuditEvent.objects.count()
    calendar_feed_read(token=feed.issued_token)
    event = AuditEvent.objects.order_by("-pk").first()
    assert AuditEvent.objects.count() == before + 1
    assert (event.user_id, event.action, event.reason) == (booked.provider.user_id, "view", "calendar feed")
    assert (event.object_type, event.object_id) == ("scheduling.calendarfeed", str(feed.pk))
    assert event.patients == sorted([booked.patient_id, other.patient_id])


def test_admin_shows_the_url_once_and_then_only_a_prefix(client, clinic_admin_user, booked):
    sign_in(client, clinic_admin_user)
    response = client.post("/admin/scheduling/calendarfeed/add/", {"provider": booked.provider.pk, "show_details": ""}, follow=True)
    assert response.status_code == 200
    feed = CalendarFeed.objects.get()
    shown = [str(m) for m in response.context["messages"] if "/calendar/" in str(m)]
    assert len(shown) == 1 and "copy it now" in shown[0]
    token = shown[0].split("/calendar/")[1].split(".ics")[0]
    assert hashlib.sha256(token.encode()).hexdigest() == feed.token_hash
    for url in ("/admin/scheduling/calendarfeed/", f"/admin/scheduling/calendarfeed/{feed.pk}/change/"):
        page = client.get(url).content.decode()
        assert token not in page and feed.token_prefix in page
    assert client.get(f"/calendar/{token}.ics").status_code == 200


def test_admin_rotate_action_shows_the_new_url_once(client, clinic_admin_user, booked):
    old = calendar_feed_issue(provider=booked.provider)
    sign_in(client, clinic_admin_user)
    response = client.post("/admin/scheduling/calendarfeed/", {"action": "rotate", "_selected_action": [old.pk], "index": 0}, follow=True)
    shown = [str(m) for m in response.context["messages"] if "/calendar/" in str(m)]
    assert len(shown) == 1
    new_token = shown[0].split("/calendar/")[1].split(".ics")[0]
    assert client.get(f"/calendar/{new_token}.ics").status_code == 200
    assert client.get(f"/calendar/{old.issued_token}.ics").status_code == 404


@pytest.mark.django_db(transaction=True)
def test_migration_hashes_existing_tokens_so_subscriptions_keep_working(client, working_anesthesiologist):
    executor = MigrationExecutor(connection)
    hashed = next(key for key in executor.loader.graph.nodes if key[0] == "scheduling" and "calendar_feed_hashed_tokens" in key[1])
    before = next(dep for dep in executor.loader.graph.node_map[hashed].parents if dep.key[0] == "scheduling").key
    # Every app's leaf: migrating scheduling back also unapplies other apps' migrations that depend
    # on it (care plans' ticket steps, prior authorization), and the tests after this one need them.
    latest = executor.loader.graph.leaf_nodes()
    executor.migrate([before])
    created = timezone.now() - datetime.timedelta(days=10)
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO scheduling_calendarfeed (provider_id, token, created_at) VALUES (%s, %s, %s)",
            [working_anesthesiologist.pk, "an-old-plain-token-from-before", created],
        )
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(latest)
    feed = CalendarFeed.objects.get()
    assert feed.token_hash == hashlib.sha256(b"an-old-plain-token-from-before").hexdigest()
    assert feed.expires_at == created + datetime.timedelta(days=180) and not feed.show_details
    assert client.get("/calendar/an-old-plain-token-from-before.ics").status_code == 200
