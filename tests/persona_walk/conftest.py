"""The seeded world of the persona walk, built once per module (and per xdist worker) inside a
transaction that is rolled back at the end; each test runs in a savepoint inside it.

One patient carries the canaries in every piece of clinical content. Every walked persona is, by
the policy, refused that patient's clinical record; the world asserts that premise through
core.access before anything is walked, so a change of grants cannot make the walk vacuous."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import pytest
from axes.models import AccessAttempt
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.test import Client
from django.utils import timezone
from django_celery_beat.models import ClockedSchedule, CrontabSchedule, IntervalSchedule, PeriodicTask, SolarSchedule
from knox.models import AuthToken

from authorizations.models import Authorization, AuthorizationLine
from careplans.models import (
    Activity,
    CarePlan,
    CareTeamMember,
    ChecklistItem,
    Goal,
    Problem,
    ProcedureRecord,
    Protocol,
    ProtocolStep,
    QuestionnaireRequest,
    QuestionnaireResponse,
    RoleQueue,
    Task,
    TeamNote,
)
from careplans.services import instructions_link_for, questionnaire_link_for
from clinic.models import ConsentEvent, RoomKind, TravelTime
from clinic.roles import CARE_COORDINATOR, CLINIC_ADMIN, FRONT_DESK
from core import access, health
from core.access import Action, Kind
from core.audit import audit_record
from core.models import AuditEvent
from messaging.models import InboundSms, Message, PatientLink, ReminderRule
from messaging.services.links import link_token
from scheduling.models import (
    Appointment,
    AppointmentBundle,
    AppointmentSeries,
    AvailabilityException,
    BillingRegion,
    BookingTicket,
    CalendarFeed,
    ClinicClosure,
    FrequencyRule,
    WaitlistEntry,
)
from scheduling.services.feeds import calendar_feed_issue
from tests.factories import (
    CarePlanFactory,
    CareTeamMemberFactory,
    DisciplineFactory,
    EquipmentFactory,
    LocationFactory,
    PatientFactory,
    PayerFactory,
    ProviderFactory,
    RoomFactory,
    UserFactory,
    VisitTypeFactory,
    sign_in,
    weekly_templates,
)
from tests.persona_walk import registry as r

C = r.CANARIES


@dataclass
class World:
    patient: object
    plan: object
    other_patient: object
    objects: dict = field(default_factory=dict)  # model -> the seeded instance walked for it
    users: dict = field(default_factory=dict)  # persona -> user (None: anonymous)
    clients: dict = field(default_factory=dict)  # persona -> a logged-in django.test.Client
    tokens: dict = field(default_factory=dict)  # public page -> a valid token / path
    day: datetime.date | None = None  # the day of the upcoming visit
    procedure_day: datetime.date | None = None

    def obj(self, model):
        """The seeded instance of `model`, else any row of it (reference data), else None."""
        if model in self.objects:
            return self.objects[model]
        return model._default_manager.order_by("pk").first()

    def pk(self, model) -> int:
        found = self.obj(model)
        return found.pk if found is not None else 0


def _appointment(patient, provider, visit_type, start, status="booked", room=None):
    end = start + datetime.timedelta(minutes=visit_type.duration_minutes)
    return Appointment.objects.create(
        patient=patient,
        provider=provider,
        visit_type=visit_type,
        location=provider.home_location,
        room=room,
        start=start,
        end=end,
        room_start=start,
        room_end=end,
        status=status,
        completed_at=end if status == "completed" else None,
    )


def build_world() -> World:
    now = timezone.now()
    location = LocationFactory()
    consult_room = RoomFactory(location=location, kind=RoomKind.CONSULT, name="Walk consult")
    suite = RoomFactory(
        location=location, kind=RoomKind.PROCEDURE_SUITE, name="Walk suite", equipment=[EquipmentFactory(code="fluoroscopy")]
    )
    # A health system's second location, so the travel-time pages walk a real row.
    TravelTime.objects.create(origin=location, destination=LocationFactory(name="Walk annex"), minutes=20)
    pain = DisciplineFactory(code="interventional-pain")
    pt_discipline = DisciplineFactory(code="physical-therapy")

    on_team = ProviderFactory(discipline=pain, credentials="MD", home_location=location, user__username="walk-on-team")
    pt_off = ProviderFactory(discipline=pt_discipline, credentials="DPT", home_location=location, user__username="walk-pt")
    anes_off = ProviderFactory(discipline=pain, credentials="MD", home_location=location, user__username="walk-anes")
    front_desk = UserFactory(username="walk-desk", role=FRONT_DESK)
    coordinator = UserFactory(username="walk-coord", role=CARE_COORDINATOR)
    clinic_admin = UserFactory(username="walk-admin", role=CLINIC_ADMIN)
    weekly_templates(on_team, location)

    consult = VisitTypeFactory(code="walk-consult", discipline=pain, duration_minutes=30, room_kind=RoomKind.CONSULT)
    procedure = VisitTypeFactory(
        code="walk-esi", discipline=pain, duration_minutes=30, room_kind=RoomKind.PROCEDURE_SUITE, is_procedure=True, procedure_family="esi"
    )

    # The canary patient: on-team clinician's care plan, every clinical piece carrying a canary.
    patient = PatientFactory(first_name=r.PATIENT_NAME, payer=PayerFactory(), anticoagulant="apixaban", diabetic=True)
    plan = CarePlanFactory(patient=patient, title=f"Low back pain {C['plan']}", description=C["plan_description"])
    CareTeamMemberFactory(care_plan=plan, provider=on_team, role=CareTeamMember.Role.LEAD_PHYSICIAN)
    problem = Problem.objects.create(care_plan=plan, code="M54.50", text=C["problem"])
    goal = Goal.objects.create(care_plan=plan, description=C["goal"])
    # The activity's visit type and the psychologist's task are their only uses, so deleting either
    # in the admin meets the clinical row as a protected related object.
    series_type = VisitTypeFactory(code="walk-pt-series", discipline=pt_discipline, duration_minutes=45, room_kind=RoomKind.CONSULT)
    activity = Activity.objects.create(
        care_plan=plan, title=C["activity"], discipline=pain, kind=Activity.Kind.VISIT_SERIES, visit_type=series_type
    )
    psychologist = ProviderFactory(
        discipline=DisciplineFactory(code="psychology"), credentials="PhD", home_location=location, user__username="walk-psych"
    )
    CareTeamMemberFactory(care_plan=plan, provider=psychologist, role=CareTeamMember.Role.PSYCHOLOGIST)
    Task.objects.create(
        title=C["task"], description=C["task_description"], patient=patient, care_plan=plan, assignee_provider=psychologist, created_at=now
    )
    note = TeamNote.objects.create(care_plan=plan, author=on_team.user, at=now - datetime.timedelta(days=2), text=C["note"])
    # A routine clinical task for the on-team clinician (no coordinator queue, no alert grant).
    task = Task.objects.create(
        title=C["task"], description=C["task_description"], patient=patient, care_plan=plan, assignee_provider=on_team, created_at=now
    )
    front_desk_task = Task.objects.create(
        title="Call to arrange a ride", patient=patient, care_plan=plan, assignee_role=RoleQueue.FRONT_DESK, created_at=now
    )

    day = (now + datetime.timedelta(days=3)).date()
    visit_start = timezone.make_aware(datetime.datetime.combine(day, datetime.time(10, 0)))
    visit = _appointment(patient, on_team, consult, visit_start, room=consult_room)
    # A procedure ten days ago (outside every coordinator window), with its record and checklist.
    procedure_start = timezone.make_aware(datetime.datetime.combine((now - datetime.timedelta(days=10)).date(), datetime.time(9, 0)))
    done = _appointment(patient, on_team, procedure, procedure_start, status="completed", room=suite)
    Appointment.objects.filter(pk=done.pk).update(relief_percent=r.RELIEF)
    record = ProcedureRecord.objects.create(
        appointment=done, complications=["dural_puncture", C["complication"]], note=C["procedure_note"], recorded_at=procedure_start
    )
    checklist = ChecklistItem.objects.create(
        appointment=done,
        code=ChecklistItem.Code.ANTICOAGULANT,
        label="Anticoagulant review",
        detail=C["checklist"],
        assignee_role=RoleQueue.ANESTHESIOLOGY,
    )
    answered = QuestionnaireRequest.objects.create(
        patient=patient, care_plan=plan, appointment=done, questionnaire="PEG", due_at=now - datetime.timedelta(days=6),
        expires_at=now + datetime.timedelta(days=1), dedupe_key="walk-answered", answered_at=now - datetime.timedelta(days=5),
    )  # fmt: skip
    response = QuestionnaireResponse.objects.create(
        patient=patient, care_plan=plan, request=answered, appointment=done, questionnaire="PEG", answers=[6, 5, 4],
        score=5, severity=C["answer"], relief_percent=r.RELIEF, answered_at=now - datetime.timedelta(days=5), source="link",
    )  # fmt: skip
    open_request = QuestionnaireRequest.objects.create(
        patient=patient, care_plan=plan, appointment=done, questionnaire="NRS", due_at=now - datetime.timedelta(hours=1),
        expires_at=now + datetime.timedelta(days=6), dedupe_key="walk-open",
    )  # fmt: skip

    # Non-clinical records of the same patient, so their pages have real ids.
    waitlist = WaitlistEntry.objects.create(
        patient=patient, visit_type=consult, provider=on_team, earliest_date=day, latest_date=day + datetime.timedelta(days=30)
    )
    series = AppointmentSeries.objects.create(patient=patient, visit_type=consult, provider=on_team, per_week=1, weeks=2, start_date=day)
    bundle = AppointmentBundle.objects.create(patient=patient, date=day)
    message = Message.objects.create(
        appointment=visit,
        patient=patient,
        channel="sms",
        purpose="reminder",
        due_at=now,
        idempotency_key="walk-reminder",
        body="Reminder: visit on Friday at 10:00.",
    )
    Message.objects.create(
        appointment=visit, patient=patient, channel="sms", purpose="confirmation", due_at=now, idempotency_key="walk-failed",
        body="Your visit is booked.", status="failed", last_error="30003 unreachable",
    )  # fmt: skip
    link = PatientLink.objects.create(
        purpose=PatientLink.LinkPurpose.CONFIRM, patient=patient, appointment=visit, expires_at=now + datetime.timedelta(days=3)
    )
    ticket = BookingTicket.objects.create(
        patient=patient,
        visit_type=consult,
        provider=on_team,
        earliest=day,
        latest=day + datetime.timedelta(days=14),
        source="staff",
        created_at=now,
    )
    ticket_link = PatientLink.objects.create(
        purpose=PatientLink.LinkPurpose.TICKET, patient=patient, ticket=ticket, expires_at=now + datetime.timedelta(days=14)
    )
    inbound = InboundSms.objects.create(
        provider_message_id="SMwalk", from_number=str(patient.phone), patient=patient, body="C", action="confirmed", received_at=now
    )
    consent = ConsentEvent.objects.create(patient=patient, channel="sms", granted=True, at=now, source="front desk", recorded_by=front_desk)
    feed = calendar_feed_issue(provider=on_team, now=now)
    # A prior authorization in the coordinators' queue (scheduling data; its evidence pack is clinical).
    authorization = Authorization.objects.create(patient=patient, payer=patient.payer, status="submitted", created_at=now)
    AuthorizationLine.objects.create(authorization=authorization, code="62323", procedure_family="esi", region="lumbar")

    # Near misses of the grants, which must not open the record: the physical therapist holds a
    # time, the anesthesiologist had a visit cancelled and saw the patient 45 days ago, and the
    # procedures of the next 30 days (the coordinators' grant) are only held or cancelled.

    def at(days: int, hour: int) -> datetime.datetime:
        return timezone.make_aware(datetime.datetime.combine(day + datetime.timedelta(days=days), datetime.time(hour, 0)))

    held = _appointment(patient, pt_off, consult, at(0, 14), status="held")
    Appointment.objects.filter(pk=held.pk).update(hold_expires_at=now + datetime.timedelta(hours=1))
    _appointment(patient, anes_off, consult, at(0, 15), status="cancelled")
    _appointment(patient, anes_off, consult, now - datetime.timedelta(days=45), status="completed")
    held_procedure = _appointment(patient, on_team, procedure, at(2, 9), status="held", room=suite)
    Appointment.objects.filter(pk=held_procedure.pk).update(hold_expires_at=now + datetime.timedelta(hours=1))
    _appointment(patient, on_team, procedure, at(2, 11), status="cancelled", room=suite)

    # The other patient: the off-team personas' own work, so each has clinical access to someone.
    other = PatientFactory(first_name="Otherpatient")
    other_plan = CarePlanFactory(patient=other, title="Neck pain plan")
    CareTeamMemberFactory(care_plan=other_plan, provider=pt_off, role=CareTeamMember.Role.PHYSICAL_THERAPIST)
    CareTeamMemberFactory(care_plan=other_plan, provider=anes_off, role=CareTeamMember.Role.LEAD_PHYSICIAN)
    CareTeamMember.objects.create(care_plan=other_plan, user=coordinator, role=CareTeamMember.Role.CARE_COORDINATOR)
    _appointment(other, anes_off, consult, visit_start + datetime.timedelta(hours=2), room=consult_room)
    Task.objects.create(title="Check home exercises", patient=other, assignee_role=RoleQueue.CARE_COORDINATOR, created_at=now)

    # Configuration rows for the remaining admin pages.
    interval = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.MINUTES)
    periodic = PeriodicTask.objects.create(name="walk-task", task="core.tasks.noop", interval=interval)
    clocked = ClockedSchedule.objects.create(clocked_time=now)
    crontab = CrontabSchedule.objects.create(minute="0", hour="3")
    solar = SolarSchedule.objects.create(event="sunrise", latitude=42.36, longitude=-71.06)
    exception = AvailabilityException.objects.create(
        provider=on_team,
        kind="block",
        start=visit_start + datetime.timedelta(days=1),
        end=visit_start + datetime.timedelta(days=1, hours=1),
    )
    closure = ClinicClosure.objects.create(location=location, date=day + datetime.timedelta(days=60), reason="Holiday")
    # The admin's own history of clinical rows (its object_repr is the row's title).
    for obj in (plan, problem, goal, note, task):
        LogEntry.objects.log_actions(
            user_id=on_team.user.pk, queryset=[obj], action_flag=CHANGE, change_message="Changed.", single_object=True
        )
    token, _ = AuthToken.objects.create(user=front_desk)
    attempt = AccessAttempt.objects.create(
        username="walk-locked", ip_address="10.0.0.9", user_agent="walk", get_data="", post_data="", http_accept="*/*",
        path_info="/admin/login/", failures_since_start=5, attempt_time=now,
    )  # fmt: skip
    audit = audit_record(user=on_team.user, action="view", obj=plan, patient_ids=[patient.pk], reason="open urgent task (alert access)")

    users = {
        r.FRONT_DESK: front_desk,
        r.PT_OFF_TEAM: pt_off.user,
        r.ANESTHESIOLOGIST_OFF_TEAM: anes_off.user,
        r.OTHER_COORDINATOR: coordinator,
        r.CLINIC_ADMIN: clinic_admin,
        r.ANONYMOUS: None,
        r.ON_TEAM: on_team.user,
    }
    objects = {
        CarePlan: plan, Problem: problem, Goal: goal, Activity: activity, TeamNote: note, Task: task,
        CareTeamMember: plan.team.get(provider=on_team), ChecklistItem: checklist, ProcedureRecord: record,
        QuestionnaireRequest: answered, QuestionnaireResponse: response, Appointment: visit,
        WaitlistEntry: waitlist, AppointmentSeries: series, AppointmentBundle: bundle, Message: message,
        InboundSms: inbound, ConsentEvent: consent, CalendarFeed: feed, AvailabilityException: exception,
        ClinicClosure: closure, PeriodicTask: periodic, IntervalSchedule: interval, ClockedSchedule: clocked,
        CrontabSchedule: crontab, SolarSchedule: solar, type(token): token, AccessAttempt: attempt, get_user_model(): on_team.user,
        Group: Group.objects.get(name=FRONT_DESK), AuditEvent: audit, type(patient): patient, type(on_team): on_team,
        type(location): location, type(consult_room): consult_room, type(consult): consult, type(pain): pain,
        ProtocolStep: ProtocolStep.objects.order_by("pk").first(), Protocol: Protocol.objects.order_by("pk").first(),
        ReminderRule: ReminderRule.objects.order_by("pk").first(), FrequencyRule: FrequencyRule.objects.order_by("pk").first(),
        BillingRegion: BillingRegion.objects.order_by("pk").first(), BookingTicket: ticket, Authorization: authorization,
    }  # fmt: skip
    objects["procedure_appointment"] = done
    objects["activity_visit_type"] = series_type
    objects["task_only_provider"] = psychologist
    objects["front_desk_task"] = front_desk_task
    world = World(
        patient=patient, plan=plan, other_patient=other, objects=objects, users=users, day=day, procedure_day=procedure_start.date()
    )
    world.tokens = {
        "questionnaire": questionnaire_link_for(open_request),
        "instructions": instructions_link_for(ProtocolStep.objects.filter(kind=ProtocolStep.Kind.PATIENT_MESSAGE).order_by("pk").first()),
        "link": f"/p/{link_token(link)}/",
        "ticket_link": f"/p/{link_token(ticket_link)}/",
        "feed": f"/calendar/{feed.issued_token}.ics",
    }
    _assert_premise(world, now)
    return world


def _assert_premise(world: World, now) -> None:
    """The walk means something only if the policy refuses every walked persona the canary
    patient's clinical record, lets the control see it, and gives the off-team clinicians
    clinical access to their own patient."""
    for persona in r.REFUSED:
        user = world.users[persona]
        if user is None:
            continue
        assert not access.can(user, Action.VIEW, patient=world.patient, kind=Kind.CLINICAL, now=now), (
            f"premise: {persona} may see the canary patient's clinical record, so the walk cannot refuse it"
        )
    assert access.can(world.users[r.ON_TEAM], Action.VIEW, patient=world.patient, kind=Kind.CLINICAL, now=now), "premise: the control"
    for persona in r.CLINICIANS_OFF_TEAM:
        assert access.can(world.users[persona], Action.VIEW, patient=world.other_patient, kind=Kind.CLINICAL, now=now), persona


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker):
    # /healthz is walked for what it shows, not for whether a Celery worker runs here (its ping
    # would also cost a second a request).
    with pytest.MonkeyPatch.context() as patch, django_db_blocker.unblock(), transaction.atomic():
        patch.setattr(health, "check_worker", lambda: (True, "not checked by the persona walk"))
        built = build_world()
        built.clients = {persona: _client(user) for persona, user in built.users.items()}
        yield built
        transaction.set_rollback(True)


def _client(user) -> Client:
    client = Client(raise_request_exception=False)
    if user is not None:
        sign_in(client, user)
    return client
