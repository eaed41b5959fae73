"""A freed procedure slot is offered only to patients ready for it: authorization covering the
date, anticoagulant hold completable by then, payer frequency rules met."""

from __future__ import annotations

import datetime

import pytest

from scheduling.models import FrequencyRule, WaitlistEntry
from scheduling.services import appointment_book, appointment_cancel
from scheduling.waitlist import waitlist_add, waitlist_offer_freed_time
from tests.authorizations.conftest import FIXED_NOW, MONDAY, approved, local
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def entry_for(patient, esi, priority=WaitlistEntry.Priority.URGENT):
    return waitlist_add(patient=patient, visit_type=esi, earliest_date=MONDAY, latest_date=MONDAY + datetime.timedelta(days=7),
                        priority=priority, now=FIXED_NOW)  # fmt: skip


def freed_slot(doctor, esi, now):
    holder = PatientFactory()
    visit = appointment_book(patient=holder, provider=doctor, visit_type=esi, start=local(9), region="lumbar", now=FIXED_NOW)
    appointment_cancel(appointment=visit, reason="patient unwell", now=now)
    return visit


def test_a_patient_without_authorization_is_skipped_for_one_who_has_it(doctor, esi, esi_rule, patient, aetna):
    FrequencyRule.objects.update(active=False)
    entry_for(patient, esi)  # first in line, but unauthorized
    covered = PatientFactory(payer=aetna)
    approved(covered)
    second = entry_for(covered, esi, priority=WaitlistEntry.Priority.ROUTINE)
    visit = freed_slot(doctor, esi, FIXED_NOW)
    offered = waitlist_offer_freed_time(appointment_id=visit.pk, now=FIXED_NOW)
    assert offered is not None and offered.pk == second.pk


def test_an_anticoagulant_hold_that_cannot_be_done_in_time_skips_the_patient(doctor, esi):
    FrequencyRule.objects.update(active=False)
    on_warfarin = PatientFactory(anticoagulant="warfarin")  # 5-day hold before an intermediate-risk procedure
    clear = PatientFactory()
    entry_for(on_warfarin, esi)
    later = entry_for(clear, esi, priority=WaitlistEntry.Priority.ROUTINE)
    now = local(9) - datetime.timedelta(days=3)
    visit = freed_slot(doctor, esi, now)
    offered = waitlist_offer_freed_time(appointment_id=visit.pk, now=now)
    assert offered.pk == later.pk
    # With a week to go the hold fits: warfarin's patient would have been offered it first.
    assert WaitlistEntry.objects.get(patient=on_warfarin).status == "waiting"


def test_a_patient_the_payer_rules_would_refuse_is_skipped(doctor, esi):
    # Medicare's default: at most 4 ESIs per region in 12 months.
    FrequencyRule.objects.exclude(max_sessions__isnull=False, procedure_families__contains=["esi"]).update(active=False)
    busy = PatientFactory()
    for week in range(4):
        day = MONDAY - datetime.timedelta(weeks=8 + 6 * week)
        appointment = appointment_book(patient=busy, provider=doctor, visit_type=esi, start=local(10, day=day), region="lumbar",
                                       now=local(8, day=day) - datetime.timedelta(days=2))  # fmt: skip
        appointment.status = "completed"
        appointment.save(update_fields=["status"])
    ready = PatientFactory()
    entry_for(busy, esi)
    later = entry_for(ready, esi, priority=WaitlistEntry.Priority.ROUTINE)
    visit = freed_slot(doctor, esi, FIXED_NOW)
    offered = waitlist_offer_freed_time(appointment_id=visit.pk, now=FIXED_NOW)
    assert offered.pk == later.pk
