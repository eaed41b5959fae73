"""Booking with, without and with an exhausted authorization; units consumed and released."""

from __future__ import annotations

import datetime

import pytest

from authorizations.models import LineUse, RequirementRule
from authorizations.services import authorization_required, units_used
from careplans.models import RoleQueue, Task
from scheduling.models import Appointment, FrequencyRule
from scheduling.services import appointment_book, appointment_cancel, appointment_no_show, appointment_reschedule
from tests.authorizations.conftest import FIXED_NOW, MONDAY, approved, local
from tests.factories import PatientFactory, PayerFactory

pytestmark = pytest.mark.django_db


def book(patient, doctor, visit_type, start, region="lumbar"):
    # Repeat ESIs meet the shipped Medicare frequency rules (every payer's default); those are not
    # what these tests are about.
    return appointment_book(patient=patient, provider=doctor, visit_type=visit_type, start=start, region=region, now=FIXED_NOW)


@pytest.fixture(autouse=True)
def _no_frequency_rules(db):
    FrequencyRule.objects.update(active=False)


def auth_tasks(appointment):
    return Task.objects.filter(appointment=appointment, assignee_role=RoleQueue.AUTHORIZATION)


def test_shipped_rules_require_medicare_scs_and_keep_the_wiser_esi_rule_off(doctor, esi, scs):
    medicare = PayerFactory()
    patient = PatientFactory(payer=medicare)
    scs_visit = book(patient, doctor, scs, local(9))
    esi_visit = book(patient, doctor, esi, local(14))
    assert authorization_required(appointment=scs_visit)
    assert not authorization_required(appointment=esi_visit)
    wiser = RequirementRule.objects.get(name__startswith="Medicare WISeR")
    assert not wiser.active and set(wiser.states) == {"AZ", "NJ", "OH", "OK", "TX", "WA"}


def test_a_rule_can_be_limited_to_states_and_the_most_specific_rule_decides(doctor, esi, patient, aetna, location):
    RequirementRule.objects.create(name="Aetna ESI in Texas", payer=aetna, procedure_family="esi", states=["TX"])
    visit = book(patient, doctor, esi, local(9))
    assert location.state != "TX"
    assert not authorization_required(appointment=visit)
    RequirementRule.objects.create(name="Every payer: ESI", procedure_family="esi")
    assert authorization_required(appointment=visit)
    RequirementRule.objects.create(name="Aetna exempts ESI here", payer=aetna, procedure_family="esi", required=False)
    assert not authorization_required(appointment=visit)


def test_patient_without_a_payer_or_rule_needs_nothing(doctor, esi):
    visit = book(PatientFactory(), doctor, esi, local(9))
    assert visit.authorization_status == "not-required"
    assert not auth_tasks(visit).exists()


def test_booking_without_authorization_still_books_marks_it_and_raises_a_queue_task(doctor, esi, esi_rule, patient):
    visit = book(patient, doctor, esi, local(9))
    visit.refresh_from_db()
    assert visit.status == "booked"
    assert (visit.authorization_status, visit.authorization_ref) == ("missing", None)
    task = auth_tasks(visit).get()
    # Due five business days before Monday the 11th: Monday the 4th at 09:00 local.
    assert task.due == local(9, day=datetime.date(2027, 1, 4))
    assert not task.is_clinical


def test_booking_with_an_approved_line_takes_a_unit(doctor, esi, esi_rule, patient):
    auth = approved(patient, units=2)
    visit = book(patient, doctor, esi, local(9))
    visit.refresh_from_db()
    assert (visit.authorization_status, visit.authorization_ref) == ("approved", auth.pk)
    line = auth.lines.get()
    assert units_used(line.pk) == 1
    assert not auth_tasks(visit).exists()


def test_an_exhausted_line_leaves_the_next_booking_missing(doctor, esi, esi_rule, patient):
    auth = approved(patient, units=1)
    first = book(patient, doctor, esi, local(9))
    second = book(patient, doctor, esi, local(9, day=MONDAY + datetime.timedelta(days=14)))
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.authorization_status == "approved"
    assert (second.authorization_status, second.authorization_ref) == ("missing", auth.pk)
    assert auth_tasks(second).filter(status="requested").exists()


def test_a_line_does_not_cover_another_region_or_a_date_outside_the_approval(doctor, esi, esi_rule, patient):
    approved(patient, units=3, region="cervical")
    assert book(patient, doctor, esi, local(9)).authorization_status == "missing"
    approved(patient, units=3, valid_from=MONDAY + datetime.timedelta(days=30))
    assert book(patient, doctor, esi, local(11)).authorization_status == "missing"


def test_cancel_and_no_show_release_the_unit_and_the_next_booking_takes_it(doctor, esi, esi_rule, patient):
    auth = approved(patient, units=1)
    line = auth.lines.get()
    first = book(patient, doctor, esi, local(9))
    appointment_cancel(appointment=first, reason="patient unwell", now=FIXED_NOW)
    assert units_used(line.pk) == 0
    second = book(patient, doctor, esi, local(11))
    assert second.authorization_status == "approved" and units_used(line.pk) == 1
    appointment_no_show(appointment=second, now=local(11, minute=20))
    assert units_used(line.pk) == 0
    assert LineUse.objects.filter(line=line).count() == 2  # the history of uses stays; only counting ones count


def test_a_rescheduled_visit_moves_its_unit(doctor, esi, esi_rule, patient):
    auth = approved(patient, units=1)
    visit = book(patient, doctor, esi, local(9))
    moved = appointment_reschedule(appointment=visit, start=local(13), now=FIXED_NOW)
    assert moved.authorization_status == "approved"
    assert units_used(auth.lines.get().pk) == 1
    assert Appointment.objects.get(pk=visit.pk).status == "cancelled"


def test_approval_after_booking_attaches_the_waiting_visit_and_closes_its_task(doctor, esi, esi_rule, patient):
    visit = book(patient, doctor, esi, local(9))
    task = auth_tasks(visit).get()
    auth = approved(patient, units=1)
    visit.refresh_from_db()
    task.refresh_from_db()
    assert (visit.authorization_status, visit.authorization_ref) == ("approved", auth.pk)
    assert task.status == "completed"
