import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from tests.factories import PatientFactory, ProviderFactory, RoomFactory

pytestmark = pytest.mark.django_db


def _changelist_queries(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit):
        response = client.get(url)
    assert response.status_code == 200
    return response


@pytest.mark.parametrize(
    "model_name,factory",
    [("patient", PatientFactory), ("provider", ProviderFactory), ("room", RoomFactory)],
)
def test_changelist_query_count_does_not_grow_with_rows(model_name, factory, clinic_admin_user, django_assert_num_queries):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.force_login(clinic_admin_user)
    url = reverse(f"admin:clinic_{model_name}_changelist")
    factory.create_batch(2)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    factory.create_batch(30)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many) == len(few)


def test_every_admin_changelist_renders_for_a_superuser(django_user_model):
    user = django_user_model.objects.create_superuser("root", "root@clinic.example", "pass-word-123")
    client = Client()
    client.force_login(user)
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


def test_patient_search_by_mrn_phone_and_email(clinic_admin_user):
    patient = PatientFactory(last_name="Zamora", phone="+16175550177", email="zamora@patients.example")
    client = Client()
    client.force_login(clinic_admin_user)
    url = reverse("admin:clinic_patient_changelist")
    for term in (patient.mrn, "5550177", "zamora@patients", "Zamora"):
        assert patient.mrn in client.get(url, {"q": term}).content.decode(), term


def test_front_desk_does_not_see_clinical_fields(front_desk_user, coordinator_user):
    patient = PatientFactory()
    url = reverse("admin:clinic_patient_change", args=[patient.pk])
    desk = Client()
    desk.force_login(front_desk_user)
    assert "anticoagulant" not in desk.get(url).content.decode()
    coordinator = Client()
    coordinator.force_login(coordinator_user)
    assert "anticoagulant" in coordinator.get(url).content.decode()


def test_consent_change_in_admin_is_recorded_in_history(front_desk_user):
    patient = PatientFactory(sms_consent=False)
    client = Client()
    client.force_login(front_desk_user)
    url = reverse("admin:clinic_patient_change", args=[patient.pk])
    data = {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": "1975-06-15",
        "language": "en",
        "time_zone": "America/New_York",
        "mobility": "ambulatory",
        "phone": str(patient.phone),
        "email": patient.email,
        "preferred_channel": "sms",
        "sms_consent": "on",
        "member_id": "",
        "consent_events-TOTAL_FORMS": "0",
        "consent_events-INITIAL_FORMS": "0",
    }
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    patient.refresh_from_db()
    assert patient.sms_consent and patient.sms_consent_at
    assert patient.consent_events.get().source == "front desk"


def test_a_stale_consent_box_cannot_resubscribe_a_patient_who_opted_out(front_desk_user):
    from clinic.services import patient_set_consent

    patient = PatientFactory()
    patient_set_consent(patient=patient, channel="sms", granted=True, source="registration")
    patient.refresh_from_db()
    seen = patient.sms_consent_at.isoformat()
    patient_set_consent(patient=patient, channel="sms", granted=False, source="inbound SMS STOP")  # while the form is open
    client = Client()
    client.force_login(front_desk_user)
    data = {
        "first_name": patient.first_name,
        "last_name": patient.last_name,
        "date_of_birth": "1975-06-15",
        "language": "en",
        "time_zone": "America/New_York",
        "mobility": "ambulatory",
        "phone": str(patient.phone),
        "email": patient.email,
        "preferred_channel": "sms",
        "sms_consent": "on",
        "sms_consent_seen": seen,
        "email_consent_seen": "",
        "member_id": "",
        "consent_events-TOTAL_FORMS": "0",
        "consent_events-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:clinic_patient_change", args=[patient.pk]), data)
    assert response.status_code == 200 and "Consent changed since this page was opened" in response.content.decode()
    patient.refresh_from_db()
    assert patient.sms_consent is False
