import pytest
from django.utils import timezone

import authorizations.demo
import authorizations.demo_approvals
import clinic.demo
import scheduling.demo
from authorizations.models import Authorization, AuthorizationStatus
from scheduling.models import Appointment

pytestmark = pytest.mark.django_db


def test_demo_has_every_state_and_the_gate_drops_no_history(monkeypatch):
    monkeypatch.setattr(
        scheduling.demo, "SKIP_SHARE", 0.85
    )  # fewer bookings keep the test quick, enough that procedures needing an authorization are among them
    quiet = {"out": lambda *_: None}
    clinic.demo.seed(**quiet)
    authorizations.demo_approvals.seed(**quiet)
    scheduling.demo.seed(**quiet)
    authorizations.demo.seed(**quiet)
    assert set(Authorization.objects.values_list("status", flat=True)) == set(AuthorizationStatus.values)
    past = Appointment.objects.filter(visit_type__is_procedure=True, end__lt=timezone.now())
    assert past.filter(status="completed").exists()
    assert not past.filter(status__in=["booked", "confirmed"]).exists()  # none refused at check-in
    assert past.filter(status="completed", authorization_status="approved").exists()
    count = Authorization.objects.count()
    authorizations.demo_approvals.seed(**quiet)
    authorizations.demo.seed(**quiet)
    assert Authorization.objects.count() == count
