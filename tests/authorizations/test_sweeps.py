"""Expiry and the tasks of the periodic sweeps, each safe to run twice."""

from __future__ import annotations

import datetime

import pytest

from authorizations.models import Authorization
from authorizations.services import authorization_create, authorization_deny, authorization_submit
from authorizations.services.sweeps import (
    authorizations_denied,
    authorizations_expire,
    authorizations_expiring_unused,
    authorizations_overdue,
    authorizations_scs_window,
)
from careplans.models import RoleQueue, Task
from tests.authorizations.conftest import FIXED_NOW, MONDAY, approved
from tests.factories import PatientFactory, PayerFactory

pytestmark = pytest.mark.django_db


def queue():
    return Task.objects.filter(assignee_role=RoleQueue.AUTHORIZATION, source="authorization")


def test_expiry_runs_once_after_the_last_valid_day(patient):
    auth = approved(patient, valid_from=datetime.date(2026, 12, 1), days=33)  # ends 2027-01-03
    assert authorizations_expire(now=FIXED_NOW) == 1
    assert authorizations_expire(now=FIXED_NOW) == 0
    auth.refresh_from_db()
    assert auth.status == "expired" and auth.events.filter(to_status="expired").count() == 1


def test_an_approval_ending_today_is_not_expired(patient):
    approved(patient, valid_from=datetime.date(2026, 12, 5), days=30)  # ends 2027-01-04, today in New York
    assert authorizations_expire(now=FIXED_NOW) == 0


def test_pending_past_the_payer_turnaround_raises_one_task(patient):
    auth = authorization_create(patient=patient, lines=[{"code": "62323"}], now=FIXED_NOW - datetime.timedelta(days=10))
    authorization_submit(authorization=auth, now=FIXED_NOW - datetime.timedelta(days=10))  # standard: due in 7 days
    authorizations_overdue(now=FIXED_NOW - datetime.timedelta(days=4))
    assert not queue().exists()
    authorizations_overdue(now=FIXED_NOW)
    authorizations_overdue(now=FIXED_NOW)
    task = queue().get()
    assert "overdue" in task.title and task.patient == patient and not task.is_clinical


def test_expedited_requests_are_due_in_72_hours(patient):
    auth = authorization_create(patient=patient, lines=[{"code": "62323"}], urgency="expedited", now=FIXED_NOW)
    auth = authorization_submit(authorization=auth, now=FIXED_NOW)
    assert auth.decision_due_at == FIXED_NOW + datetime.timedelta(hours=72)


def test_unused_units_expiring_within_14_days_raise_a_task_once(patient):
    approved(patient, units=2, valid_from=datetime.date(2026, 12, 1), days=45)  # ends 2027-01-15
    assert authorizations_expiring_unused(now=FIXED_NOW) == 1
    authorizations_expiring_unused(now=FIXED_NOW)
    assert "2 approved unit(s) unused" in queue().get().title


def test_a_denial_asks_appeal_or_reschedule_once(patient):
    auth = authorization_create(patient=patient, lines=[{"code": "62323"}], now=FIXED_NOW)
    authorization_submit(authorization=auth, now=FIXED_NOW)
    authorization_deny(authorization=auth, reason="not medically necessary", now=FIXED_NOW)
    authorizations_denied(now=FIXED_NOW)
    authorizations_denied(now=FIXED_NOW)
    assert "appeal or reschedule" in queue().get().title


def test_medicare_scs_window_closing_raises_an_urgent_task(db):
    patient = PatientFactory(payer=PayerFactory())
    auth = authorization_create(patient=patient, lines=[{"code": "63650"}], now=FIXED_NOW)
    authorization_submit(authorization=auth, now=FIXED_NOW)
    from authorizations.services import authorization_approve

    authorization_approve(
        authorization=auth, number="UTN12345678901", valid_from=MONDAY - datetime.timedelta(days=100),
        valid_to=MONDAY + datetime.timedelta(days=19), now=FIXED_NOW,
    )  # fmt: skip
    assert authorizations_scs_window(now=FIXED_NOW) == 1
    authorizations_scs_window(now=FIXED_NOW)
    task = queue().get(title__contains="120-day")
    assert task.priority == "urgent"
    assert Authorization.objects.get(pk=auth.pk).reference_kind == "utn"
