import datetime

import pytest
from django.core.exceptions import ValidationError

from clinic.models import ConsentEvent, Patient
from clinic.services import patient_create, patient_set_consent, patient_update
from core.errors import PermissionDenied, ValidationFailed
from tests.factories import PatientFactory

pytestmark = pytest.mark.django_db


def test_mrns_come_from_the_database_and_are_unique():
    patients = [patient_create(first_name="A", last_name=f"B{i}", date_of_birth=datetime.date(1980, 1, 1)) for i in range(5)]
    mrns = [p.mrn for p in patients]
    assert len(set(mrns)) == 5
    assert all(m.startswith("MRN") and len(m) == 10 for m in mrns)
    bulk = Patient.objects.bulk_create([Patient(first_name="C", last_name="D", date_of_birth=datetime.date(1990, 1, 1))])
    assert Patient.objects.get(pk=bulk[0].pk).mrn not in mrns


def test_phone_is_stored_in_e164():
    patient = patient_create(first_name="A", last_name="B", date_of_birth=datetime.date(1980, 1, 1), phone="(617) 555-0123")
    assert Patient.objects.get(pk=patient.pk).phone.as_e164 == "+16175550123"


def test_invalid_phone_is_refused():
    with pytest.raises(ValidationError) as error:
        patient_create(first_name="A", last_name="B", date_of_birth=datetime.date(1980, 1, 1), phone="12")
    assert "phone" in error.value.message_dict


def test_consent_history_records_each_change_once():
    patient = PatientFactory()
    assert patient_set_consent(patient=patient, channel="sms", granted=True, source="front desk")
    assert not patient_set_consent(patient=patient, channel="sms", granted=True, source="front desk")
    assert patient_set_consent(patient=patient, channel="sms", granted=False, source="inbound SMS STOP")
    patient.refresh_from_db()
    assert patient.sms_consent is False and patient.sms_consent_at is not None
    assert list(ConsentEvent.objects.filter(patient=patient).order_by("id").values_list("granted", flat=True)) == [True, False]


def test_front_desk_searches_and_registers_patients(api_for, front_desk_user):
    PatientFactory(first_name="Rosa", last_name="Delgado")
    PatientFactory(first_name="Tom", last_name="Hughes")
    client = api_for(front_desk_user)
    found = client.get("/api/v1/patients/", {"search": "delga"}).json()
    assert [p["last_name"] for p in found["results"]] == ["Delgado"]
    assert {"id", "mrn", "first_name", "last_name", "phone", "email", "sms_consent", "email_consent"} <= set(found["results"][0])
    created = client.post(
        "/api/v1/patients/",
        {"first_name": "Ana", "last_name": "Reyes", "date_of_birth": "1970-02-03", "phone": "+16175550111", "sms_consent": True},
        format="json",
    )
    assert created.status_code == 201, created.content
    assert created.json()["mrn"].startswith("MRN") and created.json()["sms_consent"] is True


def test_bad_patient_input_gets_field_errors_not_500(api_for, front_desk_user):
    response = api_for(front_desk_user).post(
        "/api/v1/patients/", {"first_name": "", "date_of_birth": "yesterday", "phone": "12"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert {"first_name", "last_name", "date_of_birth", "phone"} <= set(body)


def test_outsider_sees_no_patients_and_cannot_register(api_for, outsider_user):
    PatientFactory()
    client = api_for(outsider_user)
    assert client.get("/api/v1/patients/").json()["results"] == []
    response = client.post("/api/v1/patients/", {"first_name": "A", "last_name": "B", "date_of_birth": "1970-01-01"}, format="json")
    assert response.status_code == 403


def test_provider_sees_only_their_own_patients(api_for, anesthesiologist):
    PatientFactory()
    assert api_for(anesthesiologist.user).get("/api/v1/patients/").json()["results"] == []


def test_anonymous_is_refused(client):
    assert client.get("/api/v1/patients/").status_code in (401, 403)


def test_patient_update_records_consent_changes_in_the_history(front_desk_user):
    patient = PatientFactory()
    updated = patient_update(patient=patient, changes={"first_name": "Rosa", "email_consent": True}, by=front_desk_user)
    assert updated.first_name == "Rosa" and updated.email_consent and updated.email_consent_at
    event = ConsentEvent.objects.get(patient=patient)
    assert (event.channel, event.granted, event.source, event.recorded_by) == ("email", True, "front desk", front_desk_user)


def test_patient_update_refuses_a_consent_box_older_than_the_last_consent_change(front_desk_user):
    patient = PatientFactory()
    patient_set_consent(patient=patient, channel="sms", granted=True, source="registration")
    patient.refresh_from_db()
    seen = patient.sms_consent_at.isoformat()
    patient_set_consent(patient=patient, channel="sms", granted=False, source="inbound SMS STOP")
    with pytest.raises(ValidationFailed) as error:
        patient_update(patient=patient, changes={"sms_consent": True}, by=front_desk_user, consent_seen={"sms_consent": seen})
    assert set(error.value.field_errors) == {"sms_consent"}
    patient.refresh_from_db()
    assert patient.sms_consent is False


def test_front_desk_cannot_change_clinical_facts_through_the_service(front_desk_user):
    patient = PatientFactory()
    with pytest.raises(PermissionDenied):
        patient_update(patient=patient, changes={"diabetic": True}, by=front_desk_user)
    patient.refresh_from_db()
    assert patient.diabetic is False


def test_patient_update_gives_field_errors_for_bad_or_unchangeable_fields(front_desk_user):
    patient = PatientFactory()
    with pytest.raises(ValidationFailed) as error:
        patient_update(patient=patient, changes={"phone": "12"}, by=front_desk_user)
    assert "phone" in error.value.field_errors
    with pytest.raises(ValidationFailed) as error:
        patient_update(patient=patient, changes={"mrn": "MRN9999999"}, by=front_desk_user)
    assert set(error.value.field_errors) == {"mrn"}
