import pytest
from django.test import Client
from django.urls import reverse

from core.models import AuditEvent
from tests.factories import PatientFactory, sign_in

pytestmark = pytest.mark.django_db


def test_dbg(front_desk_user):
    p = PatientFactory()
    c = Client()
    sign_in(c, front_desk_user)
    c.get(reverse("admin:clinic_patient_change", args=[p.pk]))
    for r in AuditEvent.objects.order_by("id").values("action", "object_type", "object_id", "request_id", "ip"):
        print(r)
    assert 0
