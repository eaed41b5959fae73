"""Demo care plans: ~50 patients with problems, goals, interdisciplinary teams, activities, past
procedures with their follow-up tasks, and months of questionnaire answers so charts look real.

Idempotent: a patient who already has a demo plan is skipped. Runs after clinic.demo and
scheduling.demo; works with whatever visit types exist (procedures are skipped if none do)."""

from __future__ import annotations

import random
from datetime import UTC, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from careplans.models import Activity, CarePlan, CareTeamMember, Goal, Problem, ProcedureRecord, ProtocolStep, QuestionnaireResponse, Task
from careplans.scoring import score_answers
from careplans.services import followup_assemble, task_complete, task_create, team_note_add
from clinic.medications import medications_apply, medications_current
from clinic.models import AnticoagulantDrug, Discipline, Location, Patient, Provider
from messaging.services.links import link_url
from scheduling.models import TIME_HOLDING, Appointment, AppointmentStatus, VisitType
from scheduling.tickets import ticket_create

PATIENTS = 50
MARKER = "[demo]"

PLANS = [
    (
        "CSF leak after epidural: recovery plan",
        [("G97.1", "Other reaction to spinal and lumbar puncture"), ("G96.00", "Cerebrospinal fluid leak, unspecified")],
        "ebp",
    ),
    ("Lumbar radiculopathy: interdisciplinary plan", [("M54.16", "Radiculopathy, lumbar region")], "esi"),
    ("Lumbar facet arthropathy", [("M47.816", "Spondylosis without myelopathy or radiculopathy, lumbar region")], "mbb"),
    (
        "Facet pain after diagnostic blocks: RFA and rehabilitation",
        [("M47.816", "Spondylosis without myelopathy or radiculopathy, lumbar region")],
        "rfa",
    ),
    ("Persistent pain after spine surgery: SCS evaluation", [("M96.1", "Postlaminectomy syndrome, not elsewhere classified")], "scs_trial"),
    (
        "Chronic widespread pain with low mood",
        [("M79.7", "Fibromyalgia"), ("F32.1", "Major depressive disorder, single episode, moderate")],
        "",
    ),
]


def seed(*, out=print) -> None:
    seed_self_service(out=out)
    rng = random.Random(5)
    now = timezone.now()
    providers = {p.user.username: p for p in Provider.objects.select_related("user", "discipline")}
    if not providers:
        out("care plans: no providers (run clinic.demo first)")
        return
    by_discipline: dict[str, list[Provider]] = {}
    for p in providers.values():
        by_discipline.setdefault(p.discipline.code, []).append(p)
    marsh = providers.get("provider")
    coordinator = get_user_model().objects.filter(username="coordinator").first()
    disciplines = {d.code: d for d in Discipline.objects.all()}
    procedures = {vt.procedure_family: vt for vt in VisitType.objects.filter(is_procedure=True, active=True).exclude(procedure_family="")}
    pt_visit = VisitType.objects.filter(discipline__code="physical-therapy", is_procedure=False, active=True).order_by("id").first()
    location = Location.objects.filter(active=True).order_by("id").first()
    patients = list(Patient.objects.filter(email__endswith="@patients.example").order_by("email")[:PATIENTS])
    existing = set(CarePlan.objects.filter(description__startswith=MARKER).values_list("patient_id", flat=True))
    made = 0
    for index, patient in enumerate(patients):
        if patient.pk in existing:
            continue
        title, problems, family = PLANS[index % len(PLANS)]
        if index % 7 == 0 and not medications_current(patient.pk):
            # Some on one drug, some on dual antiplatelet therapy (common after a stent).
            codes = rng.choice([["warfarin"], ["clopidogrel"], ["apixaban"], ["aspirin"], ["aspirin", "clopidogrel"]])
            medications_apply(patient=patient, drugs=AnticoagulantDrug.objects.filter(code__in=codes), by=None, now=now)
            patient.diabetic = index % 5 == 0
            patient.save(update_fields=["diabetic"])
        start = (now - timedelta(days=150 + index)).date()
        plan = CarePlan.objects.create(
            patient=patient,
            title=title,
            status=CarePlan.Status.ACTIVE,
            period_start=start,
            description=f"{MARKER} shared interdisciplinary plan",
            created_by=coordinator,
        )
        # A new plan: its rows are inserted together (one statement per table).
        Problem.objects.bulk_create([Problem(care_plan=plan, code=code, text=text) for code, text in problems])
        goals = [
            Goal(
                care_plan=plan,
                description="Average pain (PEG) ≤ 4",
                measure="PEG",
                target_comparator="<=",
                target_value=4,
                target_date=start + timedelta(days=180),
            ),
            Goal(
                care_plan=plan,
                description="Walk 30 minutes without stopping",
                measure="other",
                target_text="30 minutes",
                target_date=start + timedelta(days=120),
            ),
            Goal(
                care_plan=plan,
                description="Disability (ODI) ≤ 30 %",
                measure="ODI",
                target_comparator="<=",
                target_value=30,
                achievement_status="improving",
            ),
        ]
        Goal.objects.bulk_create(goals)
        lead = marsh if (marsh and index % 3 == 0) else rng.choice(by_discipline.get("interventional-pain", [marsh]))
        team = [(lead, CareTeamMember.Role.LEAD_PHYSICIAN)]
        for code, role in (
            ("physical-therapy", CareTeamMember.Role.PHYSICAL_THERAPIST),
            ("psychology", CareTeamMember.Role.PSYCHOLOGIST),
            ("nutrition", CareTeamMember.Role.DIETITIAN),
        ):
            if by_discipline.get(code) and (code != "nutrition" or family == "ebp" or index % 4 == 0):
                team.append((by_discipline[code][index % len(by_discipline[code])], role))
        members = [CareTeamMember(care_plan=plan, provider=provider, role=role) for provider, role in team if provider is not None]
        if coordinator:
            members.append(CareTeamMember(care_plan=plan, user=coordinator, role=CareTeamMember.Role.CARE_COORDINATOR, provider=None))
        CareTeamMember.objects.bulk_create(members)
        activities = []
        if "physical-therapy" in disciplines:
            activities.append(
                Activity(
                    care_plan=plan,
                    title="Physical therapy: graded activity",
                    discipline=disciplines["physical-therapy"],
                    kind=Activity.Kind.VISIT_SERIES,
                    visit_type=pt_visit,
                    per_week=2,
                    weeks=6,
                    planned_count=12,
                    status=Activity.Status.IN_PROGRESS,
                )
            )
        if "psychology" in disciplines:
            activities.append(
                Activity(
                    care_plan=plan,
                    title="Pain coping skills (CBT)",
                    discipline=disciplines["psychology"],
                    kind=Activity.Kind.VISIT_SERIES,
                    per_week=1,
                    weeks=8,
                    planned_count=8,
                )
            )
            activities.append(
                Activity(
                    care_plan=plan,
                    title="PEG every 2 weeks",
                    discipline=disciplines["psychology"],
                    kind=Activity.Kind.QUESTIONNAIRE,
                    questionnaire="PEG",
                    planned_count=10,
                    status=Activity.Status.IN_PROGRESS,
                )
            )
        if "interventional-pain" in disciplines and family:
            activities.append(
                Activity(
                    care_plan=plan,
                    title=f"Procedure: {family.upper()}",
                    discipline=disciplines["interventional-pain"],
                    kind=Activity.Kind.PROCEDURE,
                    planned_count=1,
                )
            )
        if family == "ebp" and "nutrition" in disciplines:
            activities.append(
                Activity(
                    care_plan=plan,
                    title="Nutrition screen (B12, iron, vitamin K)",
                    discipline=disciplines["nutrition"],
                    kind=Activity.Kind.EDUCATION,
                    planned_count=1,
                )
            )
        Activity.objects.bulk_create(activities)
        _answers(patient, plan, start, now, rng, improving=index % 4 != 3)
        if family and family in procedures and lead is not None and location is not None:
            _past_procedure(patient, plan, lead, procedures[family], location, now - timedelta(days=10 + index % 40), index, now)
        if coordinator:
            team_note_add(
                care_plan=plan,
                author=coordinator,
                text="Team huddle: plan reviewed with the patient; goals agreed.",
                now=now - timedelta(days=30),
            )
        made += 1
    if marsh is not None:
        _tasks_today_for(marsh, now)
    _checklists_for_upcoming(now)
    seed_registry_history(now=now, out=out)
    out(
        f"care plans: {made} new, {CarePlan.objects.filter(description__startswith=MARKER).count()} demo plans, {Task.objects.count()} tasks"
    )


def _answers(patient, plan, start, now, rng, *, improving: bool) -> None:
    rows = []
    weeks = max(2, (now.date() - start).days // 14)
    for k in range(weeks + 1):
        at = datetime.combine(start + timedelta(days=14 * k), time(15, 0), tzinfo=UTC)
        if at > now:
            break
        trend = k / max(weeks, 1)
        pain = max(0, min(10, round((8 - (4 * trend if improving else 1 * trend)) + rng.uniform(-1, 1))))
        odi_level = max(0, min(5, round(3 - (2 * trend if improving else 0.3 * trend) + rng.uniform(-0.5, 0.5))))
        sets = [
            ("NRS", [pain]),
            ("PEG", [pain, max(0, pain - 1), min(10, pain + rng.choice([0, 1]))]),
            ("ODI", [odi_level] * 9 + [max(0, odi_level - 1)]),
        ]
        if k % 2 == 0:
            mood = max(0, min(3, round(2 - (1.5 * trend if improving else 0) + rng.uniform(-0.4, 0.4))))
            sets += [("PHQ-9", [mood] * 8 + [0]), ("GAD-7", [mood] * 7)]
        for code, answers in sets:
            scored = score_answers(code, answers)
            rows.append(
                QuestionnaireResponse(
                    patient=patient,
                    care_plan=plan,
                    questionnaire=code,
                    answers=answers,
                    score=scored.score,
                    severity=scored.severity,
                    answered_at=at,
                    source="link",
                )
            )
    QuestionnaireResponse.objects.bulk_create(rows)


def _past_procedure(patient, plan, provider, visit_type, location, when, index, now) -> None:
    start = when.replace(hour=13 + index % 4, minute=0, second=0, microsecond=0)
    appointment = Appointment.objects.create(
        patient=patient,
        provider=provider,
        visit_type=visit_type,
        location=location,
        start=start,
        end=start + timedelta(minutes=visit_type.duration_minutes),
        room_start=start,
        room_end=start + timedelta(minutes=visit_type.duration_minutes),
        status=AppointmentStatus.COMPLETED,
        region="lumbar",
        completed_at=start + timedelta(minutes=visit_type.duration_minutes),
        relief_percent=None if visit_type.procedure_family == "esi" else 40 + index % 50,
        notes="demo",
    )
    dural_puncture = visit_type.procedure_family == "esi" and index % 6 == 1
    if dural_puncture or appointment.relief_percent is not None:
        # Version 1 of the procedure record, as the proceduralist would have entered it.
        ProcedureRecord.objects.create(
            appointment=appointment,
            version=1,
            source=ProcedureRecord.Source.PROVIDER,
            relief_percent=appointment.relief_percent,
            complications=["dural_puncture"] if dural_puncture else [],
            recorded_by=provider.user,
            recorded_at=appointment.completed_at,
            note="Wet tap at L4-5; patient informed." if dural_puncture else "",
        )
    # Follow-up tasks as the protocols would have assembled them (messages in the past are not queued).
    steps = ProtocolStep.objects.filter(
        protocol__procedure_families__contains=[visit_type.procedure_family], anchor="completed", kind__in=["task", "follow_up_visit"]
    )
    dural = ProtocolStep.objects.filter(protocol__code="dural-puncture") if dural_puncture else ProtocolStep.objects.none()
    for step in [*steps.select_related("protocol"), *dural.select_related("protocol")]:
        due = appointment.completed_at + timedelta(minutes=step.offset_minutes)
        task = task_create(
            title=step.title,
            description=step.description,
            patient=patient,
            care_plan=plan,
            appointment=appointment,
            assignee_role=step.assignee_role or "care_coordinator",
            priority=step.priority,
            source="protocol",
            due=due,
            dedupe_key=f"proc:{appointment.pk}:{step.protocol.code}:{step.code}",
            protocol_step=step,
            now=appointment.completed_at,
        )
        if due < now - timedelta(days=1) and task.is_open:
            task_complete(task=task, note="demo: done", now=due + timedelta(hours=2))


def _tasks_today_for(marsh, now) -> None:
    plans = list(CarePlan.objects.filter(team__provider=marsh, description__startswith=MARKER).select_related("patient").order_by("id")[:5])
    titles = [
        "Review 2-week PEG after ESI",
        "Call back about post-procedure headache",
        "Sign RFA pre-authorisation letter",
        "Review MRI report",
        "Discuss SCS trial result",
    ]
    zone = marsh.home_location.zone if marsh.home_location_id else UTC
    today = timezone.localdate(now, zone)
    for days_ahead, (plan, title) in enumerate(zip(plans, titles, strict=False)):
        urgent = "headache" in title
        # Spread over the coming days (the urgent call-back within hours), so the demo's task list
        # looks like a working week rather than everything falling due the moment it was seeded.
        due = (
            now + timedelta(hours=3)
            if urgent
            else datetime.combine(today + timedelta(days=days_ahead), time(10 + days_ahead, 0), tzinfo=zone)
        )
        task_create(
            title=title,
            patient=plan.patient,
            care_plan=plan,
            assignee_provider=marsh,
            priority="urgent" if urgent else "routine",
            due=max(due, now + timedelta(hours=1)),
            dedupe_key=f"demo-today:{plan.pk}:{title}",
            now=now,
        )


def _checklists_for_upcoming(now) -> None:
    """Upcoming procedures booked by the scheduling demo get their checklists (as the Celery
    task would after booking)."""
    for appointment_id in Appointment.objects.filter(
        visit_type__is_procedure=True, status__in=TIME_HOLDING, start__gt=now, start__lt=now + timedelta(days=21)
    ).values_list("id", flat=True)[:200]:
        followup_assemble(appointment_id=appointment_id, event="booked", now=now)


# --- Outcome registry history (reports/) -----------------------------------------------------
# Procedures over the past eleven months with pain and function answered before and after, so the
# registry's follow-up windows (2 weeks to 6 months) have realistic numbers: most patients
# answer the early follow-ups, fewer the late ones; most improve, some do not, a few get worse;
# a diagnostic block's relief fades within weeks while an RFA's lasts months.
REGISTRY_NOTE = "demo registry"
REGISTRY_PATIENTS = 90
REGISTRY_FAMILIES = ["esi"] * 6 + ["mbb"] * 4 + ["rfa"] * 3 + ["ebp"] * 2 + ["scs_trial"] * 3
# (days after the procedure, share answering, share of the peak effect left), per window.
REGISTRY_FOLLOWUPS = [(14, 0.85), (42, 0.75), (91, 0.68), (182, 0.6)]
EFFECT_LEFT = {
    "esi": [1.0, 0.8, 0.6, 0.4],
    "mbb": [0.7, 0.3, 0.1, 0.0],
    "rfa": [0.8, 1.0, 0.9, 0.7],
    "ebp": [1.0, 1.0, 1.0, 1.0],
    "scs_trial": [0.9, 0.8, 0.8, 0.7],
}


def seed_registry_history(*, now, out=print) -> None:
    """Idempotent: does nothing once the registry's demo procedures exist."""
    if Appointment.objects.filter(notes=REGISTRY_NOTE).exists():
        return
    rng = random.Random(13)
    doctors = list(Provider.objects.filter(discipline__code="interventional-pain", active=True).order_by("id"))
    psychologists = list(Provider.objects.filter(discipline__code="psychology", active=True).order_by("id"))
    location = Location.objects.filter(active=True).order_by("id").first()
    procedures = {vt.procedure_family: vt for vt in VisitType.objects.filter(is_procedure=True, active=True).exclude(procedure_family="")}
    therapy = VisitType.objects.filter(discipline__code="psychology", is_procedure=False, active=True).order_by("-duration_minutes").first()
    patients = list(Patient.objects.filter(email__endswith="@patients.example").order_by("email")[PATIENTS : PATIENTS + REGISTRY_PATIENTS])
    if not doctors or location is None or not patients:
        return
    appointments, answers = [], []
    for index, patient in enumerate(patients):
        family = REGISTRY_FAMILIES[index % len(REGISTRY_FAMILIES)]
        visit_type = procedures.get(family)
        if visit_type is None:
            continue
        start = (now - timedelta(days=rng.randint(15, 330))).replace(hour=14 + index % 5, minute=0, second=0, microsecond=0)
        end = start + timedelta(minutes=visit_type.duration_minutes)
        appointments.append(
            Appointment(
                patient=patient, provider=doctors[index % len(doctors)], visit_type=visit_type, location=location,
                start=start, end=end, room_start=start, room_end=end, status=AppointmentStatus.COMPLETED,
                completed_at=end, region="lumbar", notes=REGISTRY_NOTE,
            )
        )  # fmt: skip
        roll = rng.random()
        peak = rng.uniform(0.35, 0.65) if roll < 0.6 else rng.uniform(0.1, 0.25) if roll < 0.85 else -rng.uniform(0.15, 0.4)
        pain0, odi0 = rng.randint(6, 9), rng.randint(30, 60)
        points = [(start - timedelta(days=rng.randint(2, 14), hours=3), 0.0)]
        for (days, share), left in zip(REGISTRY_FOLLOWUPS, EFFECT_LEFT[family], strict=True):
            at = start + timedelta(days=days + rng.randint(-4, 4), hours=2)
            if at <= now and rng.random() < share:
                points.append((at, peak * left))
        for at, effect in points:
            pain = max(0, min(10, round(pain0 * (1 - effect) + rng.uniform(-0.6, 0.6))))
            odi = max(0, min(100, odi0 * (1 - effect * 0.8) + rng.uniform(-4, 4)))
            level = round(odi / 100 * 50)  # ODI: sum of ten 0–5 sections, as a percent of 50
            sections = [level // 10 + (1 if i < level % 10 else 0) for i in range(10)]
            for code, items in (("NRS", [pain]), ("PEG", [pain, min(10, pain + 1), max(0, pain - 1)]), ("ODI", sections)):
                answers.append(_registry_response(patient, code, items, at))
    if psychologists and therapy is not None:
        # Psychology: monthly CBT visits with PHQ-9 and GAD-7 easing over six months.
        for index, patient in enumerate(patients[:20]):
            mood0 = rng.randint(10, 18)
            for month in range(6):
                at = (now - timedelta(days=180 - 30 * month)).replace(hour=15, minute=0, second=0, microsecond=0)
                end = at + timedelta(minutes=therapy.duration_minutes)
                appointments.append(
                    Appointment(
                        patient=patient, provider=psychologists[index % len(psychologists)], visit_type=therapy,
                        location=location, start=at, end=end, room_start=at, room_end=end,
                        status=AppointmentStatus.COMPLETED, completed_at=end, notes=REGISTRY_NOTE,
                    )
                )  # fmt: skip
                mood = max(0, round(mood0 * (1 - 0.08 * month) + rng.uniform(-1.5, 1.5)))
                phq = [min(3, mood // 8 + (1 if i < mood % 8 else 0)) for i in range(8)] + [0]
                gad = [min(3, mood // 7 + (1 if i < mood % 7 else 0)) for i in range(7)]
                answers += [_registry_response(patient, "PHQ-9", phq, at), _registry_response(patient, "GAD-7", gad, at)]
    Appointment.objects.bulk_create(appointments)
    QuestionnaireResponse.objects.bulk_create(answers)
    out(f"outcome registry: {len(appointments)} past visits, {len(answers)} questionnaire answers")


def _registry_response(patient, code, items, at):
    scored = score_answers(code, items)
    return QuestionnaireResponse(
        patient=patient, questionnaire=code, answers=items, score=scored.score, severity=scored.severity, answered_at=at, source="link"
    )


# --- patient self-service (booking tickets) ---------------------------------------------------
SELF_SCHEDULABLE = ("follow-up", "telehealth-follow-up", "pt-session", "cbt-session", "nutrition-consult")


def seed_self_service(*, out=print) -> None:
    """Visit types patients book themselves, the ESI protocol's follow-up as a booking ticket, and
    a few open tickets whose links are printed (open one on a phone). Idempotent (source keys)."""
    now = timezone.now()
    VisitType.objects.filter(code__in=SELF_SCHEDULABLE, is_procedure=False).update(self_schedulable=True)
    follow_up = VisitType.objects.filter(code="follow-up").first()
    if follow_up is not None:
        ProtocolStep.objects.filter(protocol__code="esi", code="follow-up-visit", visit_type__isnull=True).update(visit_type=follow_up)
    patients = list(Patient.objects.filter(email__endswith="@patients.example").order_by("email")[:3])
    pt = VisitType.objects.filter(code="pt-session").first()
    today = timezone.localdate(now)
    made = []
    for index, (patient, visit_type, visits, per_week) in enumerate(
        zip(patients, [follow_up, pt, follow_up], [1, 6, 1], [1, 2, 1], strict=False)
    ):
        if visit_type is None:
            continue
        ticket = ticket_create(
            patient=patient,
            visit_type=visit_type,
            earliest=today + timedelta(days=2 + index),
            latest=today + timedelta(days=21 + index),
            visits=visits,
            per_week=per_week,
            source="staff",
            source_key=f"demo:ticket:{index}",
            source_label="Demo booking ticket",
            now=now,
        )
        made.append(ticket)
    for ticket in made:
        link = ticket.patient_links.filter(purpose="ticket").first()
        if link is not None:
            out(
                f"self-service: booking link for ticket #{ticket.pk} ({ticket.visit_type.name}, {ticket.patient.language}): {link_url(link)}"
            )
