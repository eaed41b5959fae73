"""The check-in/start gate, its audited override, and two bookings racing for the last unit."""

from __future__ import annotations

import threading

import pytest
from django.db import close_old_connections, connection

from authorizations.models import Authorization, LineUse
from authorizations.services import appointment_authorization_override, units_used
from core.errors import PermissionDenied, ValidationFailed
from core.models import AuditEvent
from scheduling.models import Appointment, FrequencyRule
from scheduling.services import appointment_book, appointment_check_in, appointment_confirm, appointment_start
from tests.authorizations.conftest import FIXED_NOW, approved, local
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _no_frequency_rules(db):
    FrequencyRule.objects.update(active=False)


def book(patient, doctor, visit_type, start):
    return appointment_book(patient=patient, provider=doctor, visit_type=visit_type, start=start, region="lumbar", now=FIXED_NOW)


def test_check_in_without_approval_is_refused_with_409_but_confirming_is_not(doctor, esi, esi_rule, patient):
    visit = book(patient, doctor, esi, local(9))
    appointment_confirm(appointment=visit, via="sms", now=FIXED_NOW)
    with pytest.raises(Exception) as refused:
        appointment_check_in(appointment=visit, now=local(8, minute=50))
    assert refused.value.http_status == 409 and refused.value.code == "authorization_required"
    assert "prior authorization" in refused.value.message
    assert Appointment.objects.get(pk=visit.pk).status == "confirmed"


def test_approved_visit_checks_in_and_starts(doctor, esi, esi_rule, patient):
    approved(patient)
    visit = book(patient, doctor, esi, local(9))
    appointment_check_in(appointment=visit, now=local(8, minute=50))
    started = appointment_start(appointment=visit, now=local(9))
    assert started.status == "in-progress"


def test_an_approval_recorded_after_booking_is_picked_up_at_check_in(doctor, esi, esi_rule, patient):
    visit = book(patient, doctor, esi, local(9))
    auth = approved(patient)
    Appointment.objects.filter(pk=visit.pk).update(authorization_status="missing", authorization_ref=None)  # as if never re-decided
    LineUse.objects.all().delete()
    checked_in = appointment_check_in(appointment=visit, now=local(8, minute=50))
    assert (checked_in.authorization_status, checked_in.authorization_ref) == ("approved", auth.pk)


def test_override_needs_a_provider_or_clinic_admin_and_a_reason_and_is_audited(
    doctor, esi, esi_rule, patient, front_desk_user, clinic_admin_user
):
    visit = book(patient, doctor, esi, local(9))
    with pytest.raises(PermissionDenied):
        appointment_authorization_override(appointment=visit, reason="patient in severe pain", by=front_desk_user, now=FIXED_NOW)
    with pytest.raises(ValidationFailed) as short:
        appointment_authorization_override(appointment=visit, reason="urgent", by=clinic_admin_user, now=FIXED_NOW)
    assert "reason" in short.value.field_errors
    appointment_authorization_override(
        appointment=visit, reason="Payer confirmed by phone, number follows", by=clinic_admin_user, now=FIXED_NOW
    )
    audit = AuditEvent.objects.filter(action="change", reason__startswith="authorization override").get()
    assert audit.user_id == clinic_admin_user.pk and "Payer confirmed by phone" in audit.reason
    checked_in = appointment_check_in(appointment=visit, now=local(8, minute=50))
    assert checked_in.authorization_status == "overridden"
    assert appointment_start(appointment=checked_in, now=local(9)).status == "in-progress"


@pytest.mark.django_db(transaction=True)
def test_two_bookings_racing_for_the_last_unit_cannot_both_take_it(doctor, esi, esi_rule, patient):
    """Two connections book at once; the line lock makes the second see the first's unit."""
    auth = approved(patient, units=1)
    barrier = threading.Barrier(2)
    results, errors = {}, []

    def run(hour):
        close_old_connections()
        try:
            barrier.wait(timeout=10)
            results[hour] = book(patient, doctor, esi, local(hour)).pk
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(hour,)) for hour in (9, 13)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert not errors
    statuses = sorted(Appointment.objects.filter(pk__in=results.values()).values_list("authorization_status", flat=True))
    assert statuses == ["approved", "missing"]
    assert units_used(auth.lines.get().pk) == 1
    assert Authorization.objects.count() == 1


def test_a_provider_may_override_a_user_without_a_role_may_not(doctor, esi, esi_rule, patient):
    visit = book(patient, doctor, esi, local(9))
    appointment_authorization_override(
        appointment=visit, reason="Expedited request filed, peer-to-peer done", by=doctor.user, now=FIXED_NOW
    )
    assert Appointment.objects.get(pk=visit.pk).authorization_status == "overridden"
    outsider = UserFactory(username="nobody")
    with pytest.raises(PermissionDenied):
        appointment_authorization_override(appointment=visit, reason="another reason here", by=outsider, now=FIXED_NOW)
