"""The appointment list reads its rows as plain values (core.api.RowPages) and shapes them itself
(appointment_output_rows): every row must read exactly as AppointmentOutput (the detail
endpoint's shape), the page must be the scoped one, and the look is audited like any list."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from core.models import AuditEvent
from scheduling.api.common import AppointmentOutput
from scheduling.models import Appointment
from scheduling.selectors import appointment_list
from scheduling.services import appointment_book
from tests.factories import LocationFactory, PatientFactory
from tests.scheduling.conftest import next_weekday_at

pytestmark = pytest.mark.django_db


@pytest.fixture
def varied(working_anesthesiologist, follow_up):
    """Booked visits, one with every optional field filled, one moved, and one at a location in
    another time zone with no room."""
    start = next_weekday_at(9)
    booked = [
        appointment_book(
            patient=PatientFactory(), provider=working_anesthesiologist, visit_type=follow_up, start=start + datetime.timedelta(hours=i)
        )
        for i in range(3)
    ]
    Appointment.objects.filter(pk=booked[0].pk).update(
        region="lumbar",
        laterality="left",
        video_url="https://video.example/room/1",
        override_reason="Documented relief of 60 %",
        authorization_status="approved",
        authorization_ref=4321,
    )
    Appointment.objects.filter(pk=booked[1].pk).update(rescheduled_from=booked[2])
    west = LocationFactory(name="West clinic", time_zone="America/Los_Angeles")
    far = start + datetime.timedelta(days=1)
    Appointment.objects.create(
        patient=PatientFactory(),
        provider=working_anesthesiologist,
        visit_type=follow_up,
        location=west,
        room=None,
        start=far,
        end=far + datetime.timedelta(minutes=30),
        room_start=far,
        room_end=far + datetime.timedelta(minutes=30),
        status="booked",
    )
    return start


def test_list_rows_read_exactly_as_the_detail_shape(api_for, front_desk_user, varied):
    client = api_for(front_desk_user)
    listed = client.get("/api/v1/appointments/", {"page_size": 100}).json()["results"]
    expected = [dict(AppointmentOutput(a).data) for a in appointment_list(user=front_desk_user)]
    assert len(listed) == 4
    assert listed == [dict(row) for row in expected]
    for row in listed:
        assert row == client.get(f"/api/v1/appointments/{row['id']}/").json()
    by_zone = {row["room"] is None: row for row in listed}
    assert by_zone[True]["start"].endswith(("-08:00", "-07:00")) and by_zone[True]["room_name"] is None
    assert by_zone[False]["start"].endswith(("-05:00", "-04:00"))
    filled = next(row for row in listed if row["region"])
    assert filled["authorization"] == {"required": True, "status": "approved", "authorization": 4321}
    assert any(row["rescheduled_from"] is not None for row in listed)


def test_pages_follow_the_list_order_and_the_same_query_count_whatever_the_size(api_for, front_desk_user, varied):
    client = api_for(front_desk_user)
    whole = [row["id"] for row in client.get("/api/v1/appointments/", {"page_size": 100}).json()["results"]]
    assert whole == list(appointment_list(user=front_desk_user).values_list("pk", flat=True))
    counts = {}
    pages = []
    for size, page in ((1, 1), (1, 3), (3, 2), (100, 1)):
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/api/v1/appointments/", {"page_size": size, "page": page}).json()
        counts[size] = len(queries)
        pages.append((size, page, [row["id"] for row in body["results"]], body["count"]))
    assert pages == [(1, 1, whole[:1], 4), (1, 3, whole[2:3], 4), (3, 2, whole[3:], 4), (100, 1, whole, 4)]
    assert len(set(counts.values())) == 1, counts


def test_the_list_writes_one_view_row_naming_the_pages_patients(api_for, front_desk_user, varied):
    client = api_for(front_desk_user)
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    body = client.get("/api/v1/appointments/", {"page_size": 2}).json()
    rows = AuditEvent.objects.exclude(pk__in=before)
    assert [(r.action, r.object_type, r.user_id, sorted(r.patients)) for r in rows] == [
        ("view", "scheduling.appointment", front_desk_user.pk, sorted(row["patient"] for row in body["results"]))
    ]


def test_an_outsider_pages_through_nothing_and_no_look_is_recorded(api_for, outsider_user, varied):
    before = set(AuditEvent.objects.values_list("pk", flat=True))
    body = api_for(outsider_user).get("/api/v1/appointments/", {"page_size": 100}).json()
    assert body["count"] == 0 and body["results"] == []
    assert not AuditEvent.objects.exclude(pk__in=before).filter(action="view").exists()
