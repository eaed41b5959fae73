"""Anticoagulation as data: hold hours per drug and procedure-risk tier (ASRA 2018), any number of
current drugs, and a checklist that follows the medication list until the procedure."""

from __future__ import annotations

import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from careplans.models import ChecklistItem, Task
from careplans.services import checklist_item_mark
from clinic.medications import medications_current, patient_medications_set
from clinic.models import AnticoagulantDrug, PatientMedication
from clinic.services import patient_update
from core.errors import NotFound, PermissionDenied
from scheduling.services import appointment_book
from tests.careplans.conftest import local, procedure_type
from tests.factories import CarePlanFactory, CareTeamMemberFactory, patient_admin_data, set_drugs, sign_in

pytestmark = pytest.mark.django_db

HOLD_TASK = "Agree anticoagulant hold"


def book(patient, provider, visit_type, start, capture):
    region = "lumbar" if visit_type.procedure_family in {"esi", "ebp", "scs_trial"} else ""
    with capture(execute=True):
        return appointment_book(patient=patient, provider=provider, visit_type=visit_type, start=start, region=region)


def anticoagulant_item(appointment) -> ChecklistItem:
    return ChecklistItem.objects.get(appointment=appointment, code="anticoagulant")


@pytest.fixture
def nerve_block(working_anesthesiologist):
    return procedure_type(working_anesthesiologist, "nerve_block")


@pytest.fixture
def scs_trial(working_anesthesiologist):
    return procedure_type(working_anesthesiologist, "scs_trial")


def test_the_guideline_drugs_ship_as_editable_data():
    codes = set(AnticoagulantDrug.objects.values_list("code", flat=True))
    assert {
        "warfarin",
        "clopidogrel",
        "prasugrel",
        "ticagrelor",
        "aspirin",
        "rivaroxaban",
        "apixaban",
        "edoxaban",
        "dabigatran",
        "enoxaparin-prophylactic",
        "enoxaparin-therapeutic",
    } <= codes
    assert "renal" in AnticoagulantDrug.objects.get(code="dabigatran").note
    enoxaparin = AnticoagulantDrug.objects.get(code="enoxaparin-prophylactic")
    assert (enoxaparin.hold_hours_intermediate, enoxaparin.hold_hours_high) == (12, 12)


def test_aspirin_before_a_low_risk_nerve_block_is_no_hold_and_no_urgent_task(
    patient, working_anesthesiologist, nerve_block, eager_celery, django_capture_on_commit_callbacks
):
    set_drugs(patient, "aspirin")
    appointment = book(patient, working_anesthesiologist, nerve_block, local(10), django_capture_on_commit_callbacks)
    item = anticoagulant_item(appointment)
    assert item.hold_days is None
    assert "no default hold before a low risk procedure" in item.detail
    assert not Task.objects.filter(appointment=appointment, title__startswith=HOLD_TASK).exists()


def test_aspirin_before_an_intermediate_risk_esi_is_no_hold_by_default(
    patient, working_anesthesiologist, esi, eager_celery, django_capture_on_commit_callbacks
):
    set_drugs(patient, "aspirin")
    appointment = book(patient, working_anesthesiologist, esi, local(10), django_capture_on_commit_callbacks)
    assert anticoagulant_item(appointment).hold_days is None
    assert not Task.objects.filter(appointment=appointment, title__startswith=HOLD_TASK).exists()


def test_aspirin_before_a_high_risk_stimulator_trial_is_held_six_days(
    patient, working_anesthesiologist, scs_trial, eager_celery, django_capture_on_commit_callbacks
):
    set_drugs(patient, "aspirin")
    appointment = book(patient, working_anesthesiologist, scs_trial, local(10), django_capture_on_commit_callbacks)
    item = anticoagulant_item(appointment)
    assert item.hold_days == 6
    assert "Hold aspirin (primary prevention) 6 days before" in item.detail


def test_dual_antiplatelet_therapy_lists_each_drug_with_its_last_dose_and_holds_the_longest(
    patient, working_anesthesiologist, scs_trial, eager_celery, django_capture_on_commit_callbacks
):
    set_drugs(patient, "aspirin", "clopidogrel")
    start = local(10)  # 10:00 in the location's zone
    appointment = book(patient, working_anesthesiologist, scs_trial, start, django_capture_on_commit_callbacks)
    item = anticoagulant_item(appointment)
    zone = appointment.location.zone
    aspirin_by = (start - datetime.timedelta(days=6)).astimezone(zone).strftime("%a %d %b %H:%M")
    clopidogrel_by = (start - datetime.timedelta(days=7)).astimezone(zone).strftime("%a %d %b %H:%M")
    assert f"Hold aspirin (primary prevention) 6 days before (last dose by {aspirin_by})" in item.detail
    assert f"Hold clopidogrel 7 days before (last dose by {clopidogrel_by})" in item.detail
    assert item.hold_days == 7
    assert Task.objects.filter(appointment=appointment, title__startswith=HOLD_TASK).count() == 1


def test_prophylactic_enoxaparin_is_a_twelve_hour_hold(
    patient, working_anesthesiologist, esi, eager_celery, django_capture_on_commit_callbacks
):
    set_drugs(patient, "enoxaparin-prophylactic")
    appointment = book(patient, working_anesthesiologist, esi, local(10), django_capture_on_commit_callbacks)
    item = anticoagulant_item(appointment)
    assert item.hold_days == Decimal("0.5")
    assert "Hold enoxaparin (prophylactic dose) 12 hours before" in item.detail


def test_a_procedure_without_a_tier_is_held_as_high_risk(
    patient, working_anesthesiologist, esi, eager_celery, django_capture_on_commit_callbacks
):
    esi.procedure_risk = ""
    esi.save()
    set_drugs(patient, "aspirin")
    appointment = book(patient, working_anesthesiologist, esi, local(10), django_capture_on_commit_callbacks)
    assert anticoagulant_item(appointment).hold_days == 6


def test_the_clinic_admin_edits_a_hold_and_the_next_checklist_uses_it(
    patient, working_anesthesiologist, esi, eager_celery, django_capture_on_commit_callbacks
):
    AnticoagulantDrug.objects.filter(code="apixaban").update(hold_hours_intermediate=48)
    set_drugs(patient, "apixaban")
    appointment = book(patient, working_anesthesiologist, esi, local(10), django_capture_on_commit_callbacks)
    assert anticoagulant_item(appointment).hold_days == 2
    assert "Hold apixaban 2 days before" in anticoagulant_item(appointment).detail


def test_a_medication_change_before_the_procedure_recomputes_the_checklist_and_asks_again(
    patient, working_anesthesiologist, esi, eager_celery, django_capture_on_commit_callbacks
):
    appointment = book(patient, working_anesthesiologist, esi, local(10), django_capture_on_commit_callbacks)
    checklist_item_mark(item=anticoagulant_item(appointment), status="done")
    assert anticoagulant_item(appointment).hold_days is None
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=patient), provider=working_anesthesiologist)
    with django_capture_on_commit_callbacks(execute=True):
        patient_update(
            patient=patient,
            changes={"anticoagulants": list(AnticoagulantDrug.objects.filter(code="warfarin"))},
            by=working_anesthesiologist.user,
        )
    item = anticoagulant_item(appointment)
    assert (item.status, item.hold_days) == ("pending", 5)
    assert "Hold warfarin 5 days before" in item.detail and "INR" in item.detail
    # Assembly re-ran after commit: the hold task now exists, once.
    assert Task.objects.filter(appointment=appointment, title__startswith=HOLD_TASK).count() == 1


def test_a_past_procedure_keeps_the_checklist_it_had(
    patient, working_anesthesiologist, esi, eager_celery, django_capture_on_commit_callbacks
):
    appointment = book(patient, working_anesthesiologist, esi, local(10), django_capture_on_commit_callbacks)
    before = anticoagulant_item(appointment).detail
    patient_medications_set(
        patient=patient, drugs=AnticoagulantDrug.objects.filter(code="warfarin"), now=appointment.start + datetime.timedelta(hours=1)
    )
    assert anticoagulant_item(appointment).detail == before


def test_the_front_desk_cannot_change_the_medication_list(patient, front_desk_user):
    with pytest.raises(PermissionDenied):
        patient_medications_set(patient=patient, drugs=AnticoagulantDrug.objects.filter(code="warfarin"), by=front_desk_user)
    assert medications_current(patient.pk) == []


def test_a_clinician_without_access_to_the_patient_cannot_change_it(patient, physical_therapist):
    with pytest.raises(NotFound):
        patient_medications_set(patient=patient, drugs=AnticoagulantDrug.objects.filter(code="warfarin"), by=physical_therapist.user)


def test_one_current_row_per_drug_at_the_database(patient):
    set_drugs(patient, "warfarin")
    with pytest.raises(IntegrityError), transaction.atomic():
        PatientMedication.objects.create(
            patient=patient, drug=AnticoagulantDrug.objects.get(code="warfarin"), recorded_at=patient.created_at
        )


def test_the_workspace_shows_every_current_drug(patient, working_anesthesiologist):
    set_drugs(patient, "aspirin", "clopidogrel")
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=patient), provider=working_anesthesiologist)
    client = sign_in(Client(), working_anesthesiologist.user)
    page = client.get(f"/workspace/patients/{patient.pk}/").content.decode()
    assert "Anticoagulants: Aspirin (primary prevention), Clopidogrel" in page


def test_registration_with_drugs_is_for_clinical_roles_only(front_desk_user):
    client = sign_in(Client(), front_desk_user)
    warfarin = AnticoagulantDrug.objects.get(code="warfarin")
    page = client.get(reverse("admin:clinic_patient_add")).content.decode()
    assert 'name="anticoagulants"' not in page
    data = patient_admin_data(_blank_patient(), anticoagulants=[warfarin.pk])
    client.post(reverse("admin:clinic_patient_add"), data)
    assert not PatientMedication.objects.exists()


class _blank_patient:  # noqa: N801 - stands in for a patient in patient_admin_data
    # A surname that is no word of the product: the session-wide log guard treats every surname as PHI.
    first_name, last_name, phone, email = "New", "Pazienza", "+16175550999", "new.pazienza@patients.example"


def test_the_last_dose_time_counts_elapsed_hours_across_a_dst_change(
    patient, working_anesthesiologist, esi, eager_celery, django_capture_on_commit_callbacks
):
    # A procedure at 10:00 on the Monday after the spring change (2 a.m. Sunday, clocks forward):
    # 72 hours of apixaban hold end at 09:00 local on the Friday before, not 10:00.
    set_drugs(patient, "apixaban")
    monday = datetime.date.today() + datetime.timedelta(days=1)
    while not (monday.weekday() == 0 and _spring_forward_sunday(monday - datetime.timedelta(days=1))):
        monday += datetime.timedelta(days=1)
    start = datetime.datetime.combine(monday, datetime.time(10, 0), tzinfo=ZoneInfo("America/New_York"))
    appointment = book(patient, working_anesthesiologist, esi, start, django_capture_on_commit_callbacks)
    friday = (monday - datetime.timedelta(days=3)).strftime("%a %d %b")
    assert f"(last dose by {friday} 09:00)" in anticoagulant_item(appointment).detail


def _spring_forward_sunday(day: datetime.date) -> bool:
    zone = ZoneInfo("America/New_York")
    before = datetime.datetime.combine(day, datetime.time(0, 0), tzinfo=zone).utcoffset()
    after = datetime.datetime.combine(day, datetime.time(12, 0), tzinfo=zone).utcoffset()
    return day.weekday() == 6 and after > before


def test_four_drugs_keep_every_hold_and_note_on_the_checklist(
    patient, working_anesthesiologist, scs_trial, eager_celery, django_capture_on_commit_callbacks
):
    set_drugs(patient, "aspirin", "clopidogrel", "dabigatran", "warfarin")
    appointment = book(patient, working_anesthesiologist, scs_trial, local(10), django_capture_on_commit_callbacks)
    detail = anticoagulant_item(appointment).detail
    for text in ("Hold aspirin", "Hold clopidogrel", "Hold dabigatran", "renal function", "Hold warfarin", "INR"):
        assert text in detail
