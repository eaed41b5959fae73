"""A protocol's follow-up visit opens a booking ticket (and the patient's link); a care-plan
activity opens one on request."""

import datetime

import pytest
from django.utils import timezone

from careplans.models import ProtocolStep, Task
from careplans.services import activity_ticket_open, followup_assemble
from messaging.models import Message, PatientLink
from scheduling.models import BookingTicket
from tests.careplans.conftest import local
from tests.careplans.test_followup import book, complete
from tests.factories import PatientFactory, VisitTypeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def follow_up_visit(working_anesthesiologist):
    visit_type = VisitTypeFactory(code="follow-up", name="Follow-up", discipline=working_anesthesiologist.discipline, self_schedulable=True)
    ProtocolStep.objects.filter(protocol__code="esi", code="follow-up-visit").update(visit_type=visit_type)
    return visit_type


def test_a_completed_esi_opens_a_follow_up_ticket_and_texts_its_link_once(
    working_anesthesiologist, esi, follow_up_visit, eager_celery, django_capture_on_commit_callbacks
):
    patient = PatientFactory(sms_consent=True, preferred_channel="sms")
    appointment = book(patient, working_anesthesiologist, esi, local(5), django_capture_on_commit_callbacks)
    done_at = timezone.now()
    appointment = complete(appointment, django_capture_on_commit_callbacks, now=done_at)
    ticket = BookingTicket.objects.get(patient=patient)
    zone = patient.zone
    assert ticket.source == "protocol" and ticket.visit_type == follow_up_visit and ticket.status == "open"
    assert ticket.earliest == (done_at + datetime.timedelta(days=14)).astimezone(zone).date()
    assert ticket.latest == (done_at + datetime.timedelta(days=28)).astimezone(zone).date()
    assert PatientLink.objects.filter(ticket=ticket, purpose="ticket").count() == 1
    (sms,) = Message.objects.filter(patient=patient, purpose="ticket")
    assert "/p/" in sms.body and "ESI" not in sms.body and "injection" not in sms.body.lower()
    # The patient books it themselves: no front-desk task yet (that comes if it stays unused).
    assert not Task.objects.filter(patient=patient, assignee_role="front_desk").exists()
    followup_assemble(appointment_id=appointment.pk, event="completed")
    assert BookingTicket.objects.filter(patient=patient).count() == 1 and Message.objects.filter(purpose="ticket").count() == 1


def test_a_plan_activity_opens_a_series_ticket(plan, physical_therapist):
    from careplans.models import Activity

    pt_session = VisitTypeFactory(code="pt-session", discipline=physical_therapist.discipline, self_schedulable=True)
    activity = Activity.objects.create(
        care_plan=plan,
        title="PT",
        discipline=physical_therapist.discipline,
        kind="visit_series",
        visit_type=pt_session,
        planned_count=12,
        per_week=2,
        weeks=6,
    )
    today = datetime.date.today()
    ticket = activity_ticket_open(activity=activity, earliest=today, latest=today + datetime.timedelta(days=14))
    again = activity_ticket_open(activity=activity, earliest=today, latest=today + datetime.timedelta(days=14))
    assert ticket.pk == again.pk and ticket.source == "plan" and (ticket.visits, ticket.per_week) == (12, 2)


def test_shipped_instructions_reach_a_spanish_speaker_in_spanish_and_an_edited_one_as_written(client, working_anesthesiologist):
    from careplans.services import instructions_link_for
    from scheduling.services import appointment_book

    step = ProtocolStep.objects.get(protocol__code="esi", code="glucose-warning")
    patient = PatientFactory(language="es")
    visit_type = VisitTypeFactory(code="consult-x", discipline=working_anesthesiologist.discipline)
    appointment = appointment_book(patient=patient, provider=working_anesthesiologist, visit_type=visit_type, start=local(3))
    html = client.get(instructions_link_for(step, appointment=appointment)).content.decode()
    assert "Su azúcar en sangre después de la inyección" in html and "El esteroide puede subir" in html
    assert "The steroid can raise" not in html
    step.description = "Our own words for this clinic."
    step.save()
    assert "Our own words for this clinic." in client.get(instructions_link_for(step, appointment=appointment)).content.decode()
