import datetime
import re

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from careplans.services import task_create
from clinic.medications import medications_current
from clinic.models import AnticoagulantDrug, ConsentEvent, Patient, PatientMedication
from clinic.services import patient_set_consent
from core.models import AuditEvent
from scheduling.models import Appointment
from tests.factories import (
    CarePlanFactory,
    CareTeamMemberFactory,
    PatientFactory,
    ProviderFactory,
    RoomFactory,
    VisitTypeFactory,
    patient_admin_data,
    sign_in,
)

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
    client = Client()
    sign_in(client, clinic_admin_user)
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
    sign_in(client, user)
    for model in admin.site._registry:
        url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
        assert client.get(url).status_code == 200, url


def test_patient_search_by_mrn_phone_and_email(clinic_admin_user):
    patient = PatientFactory(last_name="Zamora", phone="+16175550177", email="zamora@patients.example")
    client = Client()
    sign_in(client, clinic_admin_user)
    url = reverse("admin:clinic_patient_changelist")
    for term in (patient.mrn, "5550177", "zamora@patients", "Zamora"):
        assert patient.mrn in client.get(url, {"q": term}).content.decode(), term


def test_front_desk_does_not_see_clinical_fields(front_desk_user, coordinator_user):
    patient = PatientFactory()
    # The coordinator's grant to this patient: a place on the patient's care team.
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=patient), provider=None, user=coordinator_user, role="care_coordinator")
    url = reverse("admin:clinic_patient_change", args=[patient.pk])
    desk = Client()
    sign_in(desk, front_desk_user)
    shown_to_desk = desk.get(url)
    assert shown_to_desk.status_code == 200
    assert "anticoagulant" not in shown_to_desk.content.decode()
    coordinator = Client()
    sign_in(coordinator, coordinator_user)
    shown_to_coordinator = coordinator.get(url)
    assert shown_to_coordinator.status_code == 200
    assert "anticoagulant" in shown_to_coordinator.content.decode()


def test_consent_change_in_admin_is_recorded_in_history(front_desk_user):
    patient = PatientFactory(sms_consent=False)
    client = Client()
    sign_in(client, front_desk_user)
    url = reverse("admin:clinic_patient_change", args=[patient.pk])
    data = patient_admin_data(patient, sms_consent="on")
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]
    patient.refresh_from_db()
    assert patient.sms_consent and patient.sms_consent_at
    assert patient.consent_events.get().source == "front desk"


def test_a_stale_consent_box_cannot_resubscribe_a_patient_who_opted_out(front_desk_user):
    patient = PatientFactory()
    patient_set_consent(patient=patient, channel="sms", granted=True, source="registration")
    patient.refresh_from_db()
    seen = patient.sms_consent_at.isoformat()
    patient_set_consent(patient=patient, channel="sms", granted=False, source="inbound SMS STOP")  # while the form is open
    client = Client()
    sign_in(client, front_desk_user)
    data = patient_admin_data(patient, sms_consent="on", sms_consent_seen=seen, email_consent_seen="")
    response = client.post(reverse("admin:clinic_patient_change", args=[patient.pk]), data)
    assert response.status_code == 200 and "Consent changed since this page was opened" in response.content.decode()
    patient.refresh_from_db()
    assert patient.sms_consent is False


def _login(user) -> Client:
    client = Client()
    sign_in(client, user)
    return client


@pytest.mark.parametrize("query", [{"anticoagulant": "warfarin"}, {"diabetic__exact": "1"}, {"anticoagulant__in": "warfarin,apixaban"}])
@pytest.mark.parametrize("persona", ["front_desk_user", "clinic_admin_user"])
def test_staff_without_clinical_access_cannot_filter_patients_by_clinical_facts(request, persona, query):
    PatientFactory(anticoagulant="warfarin", diabetic=True)
    response = _login(request.getfixturevalue(persona)).get(reverse("admin:clinic_patient_changelist"), query)
    assert response.status_code == 400


def test_a_provider_filters_their_own_patients_by_clinical_facts(anesthesiologist):
    on_warfarin = PatientFactory(anticoagulant="warfarin", diabetic=True)
    not_on_it = PatientFactory()
    stranger_on_warfarin = PatientFactory(anticoagulant="warfarin", diabetic=True)
    for patient in (on_warfarin, not_on_it):
        CareTeamMemberFactory(care_plan=CarePlanFactory(patient=patient), provider=anesthesiologist)
    client = _login(anesthesiologist.user)
    url = reverse("admin:clinic_patient_changelist")
    for query in ({"anticoagulant": "warfarin"}, {"diabetic__exact": "1"}):
        response = client.get(url, query)
        assert response.status_code == 200
        assert [p.pk for p in response.context["cl"].result_list] == [on_warfarin.pk], query
    assert stranger_on_warfarin.mrn not in client.get(url, {"anticoagulant": "warfarin"}).content.decode()


@pytest.mark.parametrize("persona", ["front_desk_user", "clinic_admin_user", "superuser"])
def test_nobody_adds_changes_or_deletes_consent_history_in_the_admin(request, persona, django_user_model):
    if persona == "superuser":
        user = django_user_model.objects.create_superuser("root", "root@clinic.example", "pass-word-123")
    else:
        user = request.getfixturevalue(persona)
    patient = PatientFactory()
    patient_set_consent(patient=patient, channel="sms", granted=True, source="registration")
    event = ConsentEvent.objects.get()
    client = _login(user)
    add = reverse("admin:clinic_consentevent_add")
    assert client.get(add).status_code == 403
    posted = {"patient": patient.pk, "channel": "sms", "granted": "", "at_0": "2026-01-01", "at_1": "10:00", "source": "front desk"}
    assert client.post(add, posted).status_code == 403
    change = reverse("admin:clinic_consentevent_change", args=[event.pk])
    assert client.get(change).status_code == 200  # shown read-only
    assert client.post(change, {**posted, "granted": ""}).status_code == 403
    assert client.post(reverse("admin:clinic_consentevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert list(ConsentEvent.objects.values_list("pk", "granted")) == [(event.pk, True)]
    patient.refresh_from_db()
    assert patient.sms_consent is True


def _world_of_a_coordinator(coordinator_user, provider):
    """Three patients the coordinator has a reason to see, and one they have not."""
    on_team = PatientFactory(last_name="Onteam")
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=on_team), provider=None, user=coordinator_user, role="care_coordinator")
    queued = PatientFactory(last_name="Queued")
    task_create(title="Call back", patient=queued, assignee_role="care_coordinator")
    procedure = PatientFactory(last_name="Procedure")
    start = timezone.now() + datetime.timedelta(days=10)
    Appointment.objects.create(
        patient=procedure,
        provider=provider,
        visit_type=VisitTypeFactory(code="injection", is_procedure=True),
        location=provider.home_location,
        start=start,
        end=start + datetime.timedelta(minutes=30),
        room_start=start,
        room_end=start + datetime.timedelta(minutes=30),
    )
    stranger = PatientFactory(last_name="Stranger")
    other_plan = CarePlanFactory(patient=stranger)
    CareTeamMemberFactory(care_plan=other_plan, provider=provider)
    return {on_team, queued, procedure}, stranger


def test_a_coordinator_lists_only_patients_they_have_a_reason_to_see(coordinator_user, anesthesiologist, api_for):
    theirs, stranger = _world_of_a_coordinator(coordinator_user, anesthesiologist)
    client = _login(coordinator_user)
    response = client.get(reverse("admin:clinic_patient_changelist"))
    assert response.status_code == 200
    assert {p.pk for p in response.context["cl"].result_list} == {p.pk for p in theirs}
    assert client.get(reverse("admin:clinic_patient_change", args=[stranger.pk])).status_code == 302  # "no such patient"
    api = api_for(coordinator_user)
    assert {p["id"] for p in api.get("/api/v1/patients/").json()["results"]} == {p.pk for p in theirs}
    assert api.get(f"/api/v1/patients/{stranger.pk}/").status_code == 404


def test_registering_a_patient_in_the_admin_goes_through_the_service(front_desk_user):
    client = _login(front_desk_user)
    data = {
        "first_name": "Ana",
        "last_name": "Reyes",
        "date_of_birth": "1970-02-03",
        "language": "en",
        "time_zone": "America/New_York",
        "mobility": "ambulatory",
        "phone": "+16175550111",
        "email": "",
        "preferred_channel": "sms",
        "sms_consent": "on",
        "member_id": "",
        "consent_events-TOTAL_FORMS": "0",
        "consent_events-INITIAL_FORMS": "0",
    }
    response = client.post(reverse("admin:clinic_patient_add"), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    patient = Patient.objects.get(last_name="Reyes")
    assert patient.mrn.startswith("MRN") and patient.sms_consent and patient.sms_consent_at
    event = patient.consent_events.get()
    assert (event.channel, event.granted, event.source, event.recorded_by) == ("sms", True, "registration", front_desk_user)


def test_a_provider_on_the_team_changes_clinical_facts_in_the_admin(anesthesiologist):
    patient = PatientFactory()
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=patient), provider=anesthesiologist)
    drugs = AnticoagulantDrug.objects.filter(code__in=["aspirin", "clopidogrel"])
    data = patient_admin_data(patient, anticoagulants=[d.pk for d in drugs], diabetic="on")
    response = _login(anesthesiologist.user).post(reverse("admin:clinic_patient_change", args=[patient.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    patient.refresh_from_db()
    assert (sorted(d.code for d in medications_current(patient.pk)), patient.diabetic) == (["aspirin", "clopidogrel"], True)
    # Taking one off keeps it as history, stopped by this provider.
    data = patient_admin_data(patient, anticoagulants=[drugs.get(code="clopidogrel").pk], diabetic="on")
    assert _login(anesthesiologist.user).post(reverse("admin:clinic_patient_change", args=[patient.pk]), data).status_code == 302
    assert [d.code for d in medications_current(patient.pk)] == ["clopidogrel"]
    stopped = PatientMedication.objects.get(patient=patient, drug__code="aspirin")
    assert stopped.stopped_at is not None and stopped.stopped_by == anesthesiologist.user


def test_front_desk_posting_clinical_facts_changes_nothing_clinical(front_desk_user):
    patient = PatientFactory()
    warfarin = AnticoagulantDrug.objects.get(code="warfarin")
    data = patient_admin_data(patient, first_name="Renamed", anticoagulants=[warfarin.pk], diabetic="on")
    response = _login(front_desk_user).post(reverse("admin:clinic_patient_change", args=[patient.pk]), data)
    assert response.status_code == 302, response.content.decode()[:2000]
    patient.refresh_from_db()
    assert (patient.first_name, medications_current(patient.pk), patient.diabetic) == ("Renamed", [], False)


@pytest.mark.parametrize("persona", ["front_desk_user", "clinic_admin_user"])
def test_nobody_deletes_a_patient_raw_from_the_admin(request, persona):
    patient = PatientFactory()
    client = _login(request.getfixturevalue(persona))
    assert client.post(reverse("admin:clinic_patient_delete", args=[patient.pk]), {"post": "yes"}).status_code == 403
    assert Patient.objects.filter(pk=patient.pk).exists()


def test_the_change_page_carries_the_consent_time_it_showed_and_a_stop_meanwhile_wins(front_desk_user):
    patient = PatientFactory()
    patient_set_consent(patient=patient, channel="sms", granted=True, source="registration")
    patient.refresh_from_db()
    client = _login(front_desk_user)
    url = reverse("admin:clinic_patient_change", args=[patient.pk])
    page = client.get(url).content.decode()
    seen = re.search(r'name="sms_consent_seen" value="([^"]*)"', page).group(1)
    assert seen == patient.sms_consent_at.isoformat()
    assert 'name="email_consent_seen"' in page
    patient_set_consent(patient=patient, channel="sms", granted=False, source="inbound SMS STOP")  # while the page is open
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
        "sms_consent": "on",  # the box as the page showed it
        "sms_consent_seen": seen,
        "email_consent_seen": "",  # never given: the page shows no time
        "member_id": "",
        "consent_events-TOTAL_FORMS": "1",
        "consent_events-INITIAL_FORMS": "1",
    }
    response = client.post(url, data)
    assert response.status_code == 200 and "Consent changed since this page was opened" in response.content.decode()
    patient.refresh_from_db()
    assert patient.sms_consent is False


def test_a_clinician_seeing_the_patient_only_through_an_urgent_task_is_recorded(anesthesiologist):
    patient = PatientFactory(anticoagulant="warfarin")
    task_create(title="Crisis answer", patient=patient, assignee_provider=anesthesiologist, priority="urgent")
    page = _login(anesthesiologist.user).get(reverse("admin:clinic_patient_change", args=[patient.pk]))
    assert page.status_code == 200 and "anticoagulant" in page.content.decode()
    look = AuditEvent.objects.get(reason="open urgent task (alert access)")
    assert (look.user, look.object_type, look.patients) == (anesthesiologist.user, "clinic.patient", [patient.pk])


def test_a_look_through_the_care_team_is_not_recorded_as_an_alert_look(anesthesiologist):
    patient = PatientFactory()
    CareTeamMemberFactory(care_plan=CarePlanFactory(patient=patient), provider=anesthesiologist)
    task_create(title="Crisis answer", patient=patient, assignee_provider=anesthesiologist, priority="urgent")
    assert _login(anesthesiologist.user).get(reverse("admin:clinic_patient_change", args=[patient.pk])).status_code == 200
    # An ordinary look, recorded as every look is (issue 9), without the alert reason.
    assert list(AuditEvent.objects.filter(action="view").values_list("object_type", "patients", "reason")) == [
        ("clinic.patient", [patient.pk], "")
    ]
