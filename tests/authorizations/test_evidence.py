"""The evidence pack's content for a patient with PT, psychology and outcome history."""

from __future__ import annotations

import datetime

import pytest
from django.utils import timezone

from authorizations.evidence import evidence_pack, render_html, render_pdf
from authorizations.services import authorization_create
from careplans.models import Problem, QuestionnaireResponse
from scheduling.models import Appointment
from tests.factories import CarePlanFactory, PatientFactory, PayerFactory, VisitTypeFactory

pytestmark = pytest.mark.django_db


def visit(patient, provider, visit_type, day, **extra):
    start = datetime.datetime.combine(day, datetime.time(15), tzinfo=datetime.UTC)
    return Appointment.objects.create(
        patient=patient, provider=provider, visit_type=visit_type, location=provider.home_location, start=start,
        end=start + datetime.timedelta(minutes=45), room_start=start, room_end=start + datetime.timedelta(minutes=45),
        status="completed", **extra,
    )  # fmt: skip


def test_evidence_pack_for_a_patient_with_pt_psychology_and_scores(doctor, physical_therapist, psychologist, location, scs):
    for provider in (physical_therapist, psychologist):
        provider.home_location = location
        provider.save()
    patient = PatientFactory(payer=PayerFactory(), anticoagulant="clopidogrel")
    plan = CarePlanFactory(patient=patient)
    Problem.objects.create(care_plan=plan, code="M96.1", text="Postlaminectomy syndrome", onset=datetime.date(2025, 3, 1))
    pt = VisitTypeFactory(code="pt-session", discipline=physical_therapist.discipline, duration_minutes=45)
    intake = VisitTypeFactory(code="psychology-intake", discipline=psychologist.discipline, duration_minutes=60)
    esi = VisitTypeFactory(
        code="esi-x", name="Lumbar ESI", discipline=doctor.discipline, duration_minutes=30, is_procedure=True, procedure_family="esi"
    )
    start = datetime.date(2026, 6, 1)
    for week in range(6):
        visit(patient, physical_therapist, pt, start + datetime.timedelta(weeks=week))
    visit(patient, psychologist, intake, datetime.date(2026, 7, 20))
    visit(patient, doctor, esi, datetime.date(2026, 5, 4), region="lumbar", relief_percent=60, relief_weeks=10)
    for day, score in ((datetime.date(2026, 5, 1), 8), (datetime.date(2026, 8, 1), 6)):
        QuestionnaireResponse.objects.create(
            patient=patient,
            questionnaire="NRS",
            answers=[score],
            score=score,
            answered_at=datetime.datetime.combine(day, datetime.time(12), tzinfo=datetime.UTC),
        )
    QuestionnaireResponse.objects.create(
        patient=patient, questionnaire="PHQ-9", answers=[1] * 9, score=9, severity="mild", answered_at=timezone.now()
    )
    auth = authorization_create(patient=patient, lines=[{"code": "63650", "region": "thoracic", "levels": "T8-T10"}])

    pack = evidence_pack(authorization=auth)
    assert pack.diagnoses == [("M96.1", "Postlaminectomy syndrome", datetime.date(2025, 3, 1))]
    nrs = pack.scores[0]
    assert nrs.instrument == "NRS" and nrs.baseline[:2] == (datetime.date(2026, 5, 1), "8") and nrs.latest[1] == "6"
    pt_attended, psych = pack.therapy
    assert (pt_attended.discipline, pt_attended.count, pt_attended.weeks) == ("Physical therapy", 6, 6)
    assert (psych.count, psych.dates) == (1, [datetime.date(2026, 7, 20)])
    assert pack.procedures == [
        {"date": datetime.date(2026, 5, 4), "name": "Lumbar ESI", "region": "Lumbar", "laterality": "", "relief_percent": 60,
         "relief_weeks": 10, "functional_improvement": None}
    ]  # fmt: skip
    assert pack.anticoagulants == ["Clopidogrel"]
    assert pack.scs and pack.psych_evaluation == [datetime.date(2026, 7, 20)] and pack.psych_scores[0].instrument == "PHQ-9"
    html = render_html(pack)
    for text in ("M96.1", "63650", "T8-T10", "Baseline", "60%", "10 weeks", "Clopidogrel", "Psychological evaluation", "2026-07-20"):
        assert text in html
    assert render_pdf(pack).startswith(b"%PDF")
