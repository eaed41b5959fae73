"""Care coordination over FHIR: the access policy (front desk 403, clinicians only their
patients), the audit trail, ICD-10-CM problems, and QuestionnaireResponse scored by the same
service (PHQ-9 item 9 raises the urgent task)."""

from __future__ import annotations

import datetime
import json

from careplans.models import Activity, Problem, QuestionnaireResponse, Task
from core.models import AuditEvent
from tests.factories import DisciplineFactory, PatientFactory, ProviderFactory, TaskFactory
from tests.fhir.conftest import token_client, validate

FHIR = "application/fhir+json"


def phq9(patient_id: int, answers: list, *, coded: bool = False) -> dict:
    def answer(value):
        return {"valueCoding": {"system": "urn:pain-clinic:answer-value", "code": str(value)}} if coded else {"valueInteger": value}

    return {
        "resourceType": "QuestionnaireResponse",
        "questionnaire": "Questionnaire/PHQ-9",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient_id}"},
        "item": [{"linkId": str(i), "answer": [answer(v)]} for i, v in enumerate(answers, start=1)],
    }


def _post(client, path, body):
    return client.generic("POST", f"/fhir/R4/{path}", json.dumps(body), content_type=FHIR)


def test_careplan_with_icd10_problems_activities_and_care_team(clinic):
    Problem.objects.create(care_plan=clinic.plan, code="M54.50", text="Low back pain")
    Activity.objects.create(
        care_plan=clinic.plan, title="PT twice a week", discipline=clinic.provider.discipline, kind="visit_series", per_week=2, weeks=6
    )
    plan = clinic.doctor.get(f"/fhir/R4/CarePlan/{clinic.plan.pk}").json()
    validate(plan)
    assert plan["status"] == "active" and plan["intent"] == "plan"
    assert plan["contained"][0]["code"]["coding"][0] == {
        "system": "http://hl7.org/fhir/sid/icd-10-cm",
        "code": "M54.50",
        "display": "Low back pain",
    }
    assert plan["addresses"] == [{"reference": f"#problem-{clinic.plan.problems.get().pk}"}]
    assert plan["activity"][0]["detail"]["status"] == "not-started"
    searched = clinic.doctor.get(f"/fhir/R4/CarePlan?patient=Patient/{clinic.patient.pk}&status=active").json()
    assert searched["total"] == 1
    assert clinic.doctor.get(f"/fhir/R4/CarePlan?patient=Patient/{clinic.patient.pk}&status=revoked").json()["total"] == 0

    team = clinic.doctor.get(f"/fhir/R4/CareTeam/{clinic.plan.pk}").json()
    validate(team)
    assert team["participant"][0]["member"]["reference"] == f"Practitioner/{clinic.provider.pk}"
    assert clinic.doctor.get(f"/fhir/R4/CareTeam?patient=Patient/{clinic.patient.pk}&status=active").json()["total"] == 1
    assert clinic.doctor.get("/fhir/R4/CareTeam?status=inactive").json()["total"] == 0


def test_front_desk_sees_no_clinical_resource_and_off_team_clinicians_not_this_patient(clinic):
    for path in (f"CarePlan/{clinic.plan.pk}", "CarePlan", f"CareTeam/{clinic.plan.pk}", "QuestionnaireResponse"):
        response = clinic.desk.get(f"/fhir/R4/{path}")
        assert response.status_code == 403, path
        assert response.json()["issue"][0]["code"] == "forbidden"
    stranger = token_client(ProviderFactory(discipline=DisciplineFactory(code="physical-therapy")).user)
    assert stranger.get(f"/fhir/R4/CarePlan/{clinic.plan.pk}").status_code == 404
    assert stranger.get("/fhir/R4/CarePlan").json()["total"] == 0
    assert stranger.get(f"/fhir/R4/Patient/{clinic.patient.pk}").status_code == 404
    assert stranger.get("/fhir/R4/Patient").json()["total"] == 0
    assert _post(stranger, "QuestionnaireResponse", phq9(clinic.patient.pk, [0] * 9)).status_code == 404


def test_looks_are_audited(clinic):
    clinic.doctor.get(f"/fhir/R4/CarePlan/{clinic.plan.pk}")
    row = AuditEvent.objects.filter(user=clinic.provider.user).latest("id")
    assert row.action == "view" and clinic.patient.pk in row.patients
    clinic.desk.get("/fhir/R4/Patient?name=Fhirpat")
    row = AuditEvent.objects.filter(user__username="fhir-desk").latest("id")
    assert row.patients == [clinic.patient.pk]


def test_tasks_by_owner_patient_status_period_priority(clinic):
    due = datetime.datetime.now(datetime.UTC) + datetime.timedelta(days=3)
    mine = TaskFactory(
        patient=clinic.patient, assignee_provider=clinic.provider, assignee_role="", priority="urgent", due=due, title="Call back"
    )
    TaskFactory(patient=clinic.patient, priority="routine")
    body = clinic.doctor.get(
        f"/fhir/R4/Task?owner=Practitioner/{clinic.provider.pk}&patient=Patient/{clinic.patient.pk}&status=requested"
        f"&priority=urgent&period=ge{due:%Y-%m-%d}&period=le{due:%Y-%m-%d}"
    ).json()
    validate(body)
    assert [e["resource"]["id"] for e in body["entry"]] == [str(mine.pk)]
    task = clinic.doctor.get(f"/fhir/R4/Task/{mine.pk}").json()
    validate(task)
    assert task["owner"]["reference"] == f"Practitioner/{clinic.provider.pk}" and task["intent"] == "order"
    assert clinic.doctor.get("/fhir/R4/Task?priority=stat").json()["total"] == 0
    # the front desk sees its own queue only, none of these
    assert clinic.desk.get("/fhir/R4/Task").json()["total"] == 0


def test_questionnaires_are_our_instruments(clinic):
    body = clinic.desk.get("/fhir/R4/Questionnaire?name=PHQ").json()
    validate(body)
    assert [e["resource"]["id"] for e in body["entry"]] == ["PHQ-9"]
    phq = clinic.desk.get("/fhir/R4/Questionnaire/PHQ-9").json()
    assert len(phq["item"]) == 9 and phq["item"][8]["answerOption"][3]["valueCoding"]["code"] == "3"
    assert clinic.desk.get("/fhir/R4/Questionnaire?_id=GAD-7").json()["total"] == 1


def test_questionnaire_response_is_scored_and_item_9_raises_the_urgent_task(clinic):
    for number, coded in enumerate((False, True), start=1):
        created = _post(clinic.doctor, "QuestionnaireResponse", phq9(clinic.patient.pk, [1, 1, 1, 1, 1, 1, 1, 1, 2], coded=coded))
        assert created.status_code == 201, created.content
        validate(created.json())
        stored = QuestionnaireResponse.objects.get(pk=created.json()["id"])
        assert stored.score == 10 and stored.source == QuestionnaireResponse.Source.API
        alerts = Task.objects.filter(source=Task.Source.QUESTIONNAIRE, patient=clinic.patient)
        assert alerts.count() == number  # one per answer, valueInteger or valueCoding alike
        assert alerts.get(dedupe_key=f"phq9-item9:{stored.pk}").priority == Task.Priority.STAT
    read = clinic.doctor.get(f"/fhir/R4/QuestionnaireResponse/{stored.pk}").json()
    assert read["item"][8]["answer"] == [{"valueInteger": 2}]
    listed = clinic.doctor.get(
        f"/fhir/R4/QuestionnaireResponse?patient=Patient/{clinic.patient.pk}&questionnaire=Questionnaire/PHQ-9"
    ).json()
    assert listed["total"] == 2


def test_questionnaire_response_errors_are_operation_outcomes(clinic):
    bad = _post(clinic.doctor, "QuestionnaireResponse", phq9(clinic.patient.pk, [1, 1, 1, 1, 1, 1, 1, 1, 9]))
    assert bad.status_code == 400 and "Item 9" in bad.json()["issue"][0]["diagnostics"]
    assert (
        _post(
            clinic.doctor, "QuestionnaireResponse", {**phq9(clinic.patient.pk, [0] * 9), "questionnaire": "Questionnaire/XYZ"}
        ).status_code
        == 400
    )
    assert _post(clinic.desk, "QuestionnaireResponse", phq9(clinic.patient.pk, [0] * 9)).status_code == 403
    other = PatientFactory()
    assert _post(clinic.doctor, "QuestionnaireResponse", phq9(other.pk, [0] * 9)).status_code == 404


def test_procedure_visit_types_carry_their_cpt_and_hcpcs_codes(clinic):
    clinic.procedure.billing_codes = ["64450", "J1040"]
    clinic.procedure.save()
    service = clinic.desk.get(f"/fhir/R4/HealthcareService/{clinic.procedure.pk}").json()
    validate(service)
    assert service["type"][0]["coding"][1:] == [
        {"system": "http://www.ama-assn.org/go/cpt", "code": "64450"},
        {"system": "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets", "code": "J1040"},
    ]
    slot = clinic.desk.get("/fhir/R4/Slot?service-type=nerve-block&_count=1").json()["entry"][0]["resource"]
    assert slot["serviceType"][0]["coding"][1]["code"] == "64450"
    # a consult without codes has only ours
    assert len(clinic.desk.get(f"/fhir/R4/HealthcareService/{clinic.consult.pk}").json()["type"][0]["coding"]) == 1


def test_billing_codes_are_checked():
    import pytest
    from django.core.exceptions import ValidationError

    from scheduling.models import validate_billing_code

    for good in ("64483", "0275T", "J1040", "G0260"):
        validate_billing_code(good)
    for bad in ("6448", "ABCDE", "64483 ", "\\x00"):
        with pytest.raises(ValidationError):
            validate_billing_code(bad)
