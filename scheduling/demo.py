"""The demo clinic's scheduling: visit-type catalogue, weekly templates, example payer rules and
about six weeks of appointments (three past, three ahead) in every state, all booked and moved
through the services with suitable `now` values so history reads as if it happened.

Idempotent: catalogue and rules are found by natural key, templates only added for providers
without any, and appointments only created when no demo appointment exists yet.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta

from django.utils import timezone

from clinic.models import Discipline, Equipment, Location, Patient, Payer, Provider, RoomKind
from core.errors import DomainError
from scheduling.availability import provider_windows
from scheduling.bundles import bundle_book
from scheduling.demo_locations import seed_second_location
from scheduling.models import (
    DEFAULT_RISK_BY_FAMILY,
    Appointment,
    AppointmentStatus,
    AvailabilityTemplate,
    FrequencyRule,
    ProcedureFamily,
    VisitType,
    WaitlistEntry,
)
from scheduling.series import series_book
from scheduling.services import (
    appointment_book,
    appointment_cancel,
    appointment_check_in,
    appointment_complete,
    appointment_confirm,
    appointment_no_show,
    appointment_start,
)
from scheduling.slots import find_slots
from scheduling.waitlist import waitlist_add

DEMO_NOTE = "demo"
# Share of half-hours left free: keeps day sheets readable and the seed near 20 s (every booking
# and transition runs the real services, outbox and care-plan hooks included).
SKIP_SHARE = 0.8
F = ProcedureFamily
PROC = RoomKind.PROCEDURE_SUITE

_FLUORO_EN = "Fluoroscopy (X-ray) is used: tell us if you are or may be pregnant. "
_FLUORO_ES = "Se usa fluoroscopia (rayos X): avísenos si está o podría estar embarazada. "
_DRIVER_EN = "Bring an adult driver; you may not drive for the rest of the day. "
_DRIVER_ES = "Venga con un adulto que maneje; no podrá manejar el resto del día. "
_NPO_EN = "Nothing to eat for 6 hours and clear liquids only until 2 hours before. "
_NPO_ES = "No coma nada 6 horas antes; solo líquidos claros hasta 2 horas antes. "
_BLOOD_EN = "We will review any blood thinners with you; do not stop them unless we tell you to. "
_BLOOD_ES = "Revisaremos con usted los anticoagulantes; no los suspenda salvo que se lo indiquemos. "
_PROC_EN = _FLUORO_EN + _DRIVER_EN + _NPO_EN + _BLOOD_EN
_PROC_ES = _FLUORO_ES + _DRIVER_ES + _NPO_ES + _BLOOD_ES

# code, name, discipline, minutes, buffer before/after, room kind, equipment, family, telehealth,
# telehealth-capable, driver, consent, NPO, English prep, Spanish prep
CATALOGUE = [
    ("new-patient-consult", "New patient consult", "interventional-pain", 60, 0, 10, RoomKind.CONSULT, [], F.NONE, False, True, False, False, False,
     "Bring your medication list, imaging reports and insurance card. Arrive 15 minutes early.",
     "Traiga su lista de medicamentos, informes de imágenes y tarjeta del seguro. Llegue 15 minutos antes."),
    ("follow-up", "Follow-up visit", "interventional-pain", 30, 0, 5, RoomKind.CONSULT, [], F.NONE, False, True, False, False, False,
     "Bring your pain diary if you keep one.", "Traiga su diario de dolor si lo lleva."),
    ("telehealth-follow-up", "Telehealth follow-up", "interventional-pain", 20, 0, 0, RoomKind.VIRTUAL, ["video"], F.NONE, True, True, False, False, False,
     "Join from a quiet private place; the video link arrives with your reminder.",
     "Conéctese desde un lugar tranquilo y privado; el enlace de video llega con su recordatorio."),
    ("ebp", "Epidural blood patch", "interventional-pain", 60, 15, 30, PROC, ["fluoroscopy"], F.EBP, False, False, True, True, True,
     _PROC_EN + "Afterwards lie flat for 1-3 days and avoid bending, lifting and straining for 4-6 weeks. "
     "Call at once for new severe back or leg pain, leg weakness or numbness, fever, or a changed headache.",
     _PROC_ES + "Después permanezca acostado 1-3 días y evite agacharse, cargar peso y hacer fuerza durante 4-6 semanas. "
     "Llame de inmediato si tiene dolor nuevo e intenso de espalda o pierna, debilidad o adormecimiento de piernas, fiebre o un dolor de cabeza distinto."),
    ("lumbar-esi", "Lumbar epidural steroid injection", "interventional-pain", 30, 15, 15, PROC, ["fluoroscopy"], F.ESI, False, False, True, True, True,
     _PROC_EN + "If you are diabetic, check your glucose more often for 1-2 weeks.",
     _PROC_ES + "Si es diabético, mida su glucosa con más frecuencia durante 1-2 semanas."),
    ("cervical-esi", "Cervical epidural steroid injection", "interventional-pain", 45, 15, 15, PROC, ["fluoroscopy"], F.ESI, False, False, True, True, True,
     _PROC_EN + "If you are diabetic, check your glucose more often for 1-2 weeks.",
     _PROC_ES + "Si es diabético, mida su glucosa con más frecuencia durante 1-2 semanas."),
    ("medial-branch-block", "Diagnostic medial branch block", "interventional-pain", 45, 15, 15, PROC, ["fluoroscopy"], F.MBB, False, False, True, True, False,
     _FLUORO_EN + _DRIVER_EN + "Come with some pain so we can judge the block; you will keep a pain diary for 8 hours.",
     _FLUORO_ES + _DRIVER_ES + "Venga con algo de dolor para poder valorar el bloqueo; llevará un diario de dolor durante 8 horas."),
    ("rfa", "Radiofrequency ablation", "interventional-pain", 60, 15, 20, PROC, ["fluoroscopy", "rf-generator"], F.RFA, False, False, True, True, True,
     _PROC_EN + "Soreness for 1-2 weeks is common; a physical therapy referral follows.",
     _PROC_ES + "Es común tener molestias durante 1-2 semanas; después le remitiremos a fisioterapia."),
    ("scs-trial", "Spinal cord stimulator trial placement", "interventional-pain", 90, 20, 30, PROC, ["fluoroscopy"], F.SCS_TRIAL, False, False, True, True, True,
     _PROC_EN + "The trial lasts 3-8 days: keep the dressing dry and fill in the daily pain diary.",
     _PROC_ES + "La prueba dura 3-8 días: mantenga seco el vendaje y complete el diario de dolor cada día."),
    ("scs-lead-removal", "SCS trial lead removal", "interventional-pain", 30, 10, 15, PROC, [], F.SCS_REMOVAL, False, False, False, True, False,
     "Bring your completed pain diary. You may drive yourself.", "Traiga su diario de dolor completo. Puede manejar usted mismo."),
    ("pt-evaluation", "Physical therapy evaluation", "physical-therapy", 60, 0, 10, RoomKind.PT_GYM, [], F.NONE, False, False, False, False, False,
     "Wear loose, comfortable clothes and shoes you can exercise in.", "Use ropa holgada y cómoda y calzado para hacer ejercicio."),
    ("pt-session", "Physical therapy session", "physical-therapy", 45, 0, 10, RoomKind.PT_GYM, [], F.NONE, False, False, False, False, False,
     "Wear comfortable clothes; bring your home exercise sheet.", "Use ropa cómoda; traiga su hoja de ejercicios en casa."),
    ("psychology-intake", "Psychology intake", "psychology", 60, 0, 0, RoomKind.CONSULT, [], F.NONE, False, True, False, False, False,
     "You will fill in short questionnaires about mood and pain (PHQ-9, GAD-7).",
     "Completará cuestionarios breves sobre estado de ánimo y dolor (PHQ-9, GAD-7)."),
    ("cbt-session", "CBT for chronic pain session", "psychology", 50, 0, 0, RoomKind.CONSULT, [], F.NONE, False, True, False, False, False,
     "Bring your practice log from last session.", "Traiga su registro de práctica de la última sesión."),
    ("nutrition-consult", "Nutrition consult", "nutrition", 45, 0, 0, RoomKind.CONSULT, [], F.NONE, False, True, False, False, False,
     "Bring a 3-day food diary. Before an epidural blood patch we check B12, iron and vitamin K.",
     "Traiga un diario de comidas de 3 días. Antes de un parche hemático epidural revisamos B12, hierro y vitamina K."),
]  # fmt: skip

# Per discipline: (weekday, start, end, visit-type codes or None for all)
WEEK_PLANS = {
    "interventional-pain": [
        *[(d, time(8), time(12), ["new-patient-consult", "follow-up", "telehealth-follow-up"]) for d in range(5)],
        *[(d, time(13), time(17), None) for d in range(5)],
    ],
    "physical-therapy": [(d, time(8), time(17), None) for d in range(5)],
    "psychology": [(d, time(9), time(17), None) for d in range(5)],
    "nutrition": [(d, time(9), time(16), None) for d in (0, 2, 3)],
}

EXAMPLE_RULES = [
    ("bcbs-ma", "BCBS MA example: ESI at least 30 days apart", ["esi"], None, 12, 30, "Example commercial policy (BCBS MA)"),
    ("aetna", "Aetna example (eviCore-style): ESI at most 3 per region per 6 months, 14 days apart", ["esi"], 3, 6, 14,
     "Example commercial policy (eviCore-style)"),
]  # fmt: skip

REGION_FOR = {"lumbar-esi": "lumbar", "cervical-esi": "cervical", "ebp": "lumbar", "medial-branch-block": "lumbar", "rfa": "lumbar"}


def seed(*, out=print) -> None:
    visit_types = seed_catalogue()
    templates = _seed_templates(visit_types)
    rules = _seed_rules()
    out(f"scheduling: {len(visit_types)} visit types, {templates} new templates, {rules} new example rules")
    out("scheduling: " + seed_second_location(visit_types=visit_types))  # before the bookings: they use it
    if Appointment.objects.filter(notes=DEMO_NOTE).exists():
        out("scheduling: demo appointments already present")
        return
    counts = _seed_appointments(visit_types)
    out("scheduling: demo appointments " + ", ".join(f"{status} {n}" for status, n in sorted(counts.items())))


def seed_catalogue() -> dict[str, VisitType]:
    disciplines = {d.code: d for d in Discipline.objects.all()}
    equipment = {e.code: e for e in Equipment.objects.all()}
    result = {}
    for code, name, discipline, minutes, before, after, kind, kit, family, tele, tele_ok, driver, consent, npo, en, es in CATALOGUE:
        vt, created = VisitType.objects.get_or_create(
            code=code,
            defaults=dict(
                name=name,
                discipline=disciplines[discipline],
                duration_minutes=minutes,
                buffer_before_minutes=before,
                buffer_after_minutes=after,
                room_kind=kind,
                is_procedure=bool(family),
                procedure_family=family,
                procedure_risk=DEFAULT_RISK_BY_FAMILY.get(family, ""),
                telehealth=tele,
                telehealth_capable=tele_ok,
                requires_driver=driver,
                requires_consent=consent,
                requires_npo=npo,
                prep_text_en=en,
                prep_text_es=es,
                min_notice_minutes=24 * 60 if family else 120,
            ),
        )
        if created and kit:
            vt.required_equipment.set([equipment[c] for c in kit])
        result[code] = vt
    return result


def _seed_templates(visit_types: dict[str, VisitType]) -> int:
    location = Location.objects.order_by("id").first()
    staffed = set(AvailabilityTemplate.objects.values_list("provider_id", flat=True).distinct())
    valid_from = timezone.now().date() - timedelta(days=120)
    created = 0
    for provider in Provider.objects.filter(active=True).select_related("discipline").order_by("id"):
        if provider.pk in staffed:
            continue
        for weekday, start, end, codes in WEEK_PLANS.get(provider.discipline.code, WEEK_PLANS["physical-therapy"]):
            template = AvailabilityTemplate.objects.create(
                provider=provider,
                location=provider.home_location or location,
                weekday=weekday,
                start_time=start,
                end_time=end,
                valid_from=valid_from,
            )
            if codes:
                template.visit_types.set([visit_types[c] for c in codes])
            created += 1
    return created


def _seed_rules() -> int:
    created = 0
    payers = {p.code: p for p in Payer.objects.all()}
    for payer_code, name, families, max_sessions, window, interval, source in EXAMPLE_RULES:
        if payer_code in payers:
            _, new = FrequencyRule.objects.get_or_create(
                name=name,
                payer=payers[payer_code],
                defaults=dict(
                    procedure_families=families, max_sessions=max_sessions, window_months=window, min_interval_days=interval, source=source
                ),
            )
            created += new
    return created


def _seed_appointments(visit_types: dict[str, VisitType]) -> dict[str, int]:
    rng = random.Random(20261123)
    now = timezone.now()
    today = now.date()
    first_day = today - timedelta(days=today.weekday() + 21)  # Monday three weeks ago
    last_day = first_day + timedelta(days=42)
    providers = {p.pk: p for p in Provider.objects.filter(active=True).select_related("discipline")}
    patients = list(Patient.objects.order_by("id")[:300])
    if not providers or not patients:
        return {}
    by_discipline: dict[int, list[VisitType]] = {}
    for vt in visit_types.values():
        by_discipline.setdefault(vt.discipline_id, []).append(vt)
    windows = provider_windows(provider_ids=list(providers), start=_utc(first_day), end=_utc(last_day))
    booked: list[Appointment] = []
    for pid, provider_windows_list in sorted(windows.items()):
        provider = providers[pid]
        choices = by_discipline.get(provider.discipline_id, [])
        for window in provider_windows_list:
            allowed = [vt for vt in choices if window.allows(vt.pk)]
            t = window.start
            while allowed and t < window.end:
                vt = rng.choice(allowed)
                if rng.random() < SKIP_SHARE or t + timedelta(minutes=vt.duration_minutes) > window.end:
                    t += timedelta(minutes=30)  # leave a gap: the demo day sheet has free time
                    continue
                patient = rng.choice(patients)
                try:
                    booked.append(
                        appointment_book(
                            patient=patient,
                            provider=provider,
                            visit_type=vt,
                            start=t,
                            region=REGION_FOR.get(vt.code, ""),
                            laterality=rng.choice(["left", "right", "bilateral"]) if vt.code in REGION_FOR else "",
                            notes=DEMO_NOTE,
                            now=min(now, t - timedelta(days=3)),
                        )
                    )
                except DomainError:
                    pass  # patient busy, room taken, rule refused: just leave the gap
                t += timedelta(minutes=-(-vt.duration_minutes // 15) * 15)

    counts: dict[str, int] = {}
    for appointment in booked:
        start, end = appointment.start, appointment.end
        roll = rng.random()
        try:
            if end <= now:  # history: mostly completed, some cancelled or no-show
                if roll < 0.08:
                    appointment = appointment_cancel(appointment=appointment, reason="patient unwell", now=start - timedelta(days=1))
                elif roll < 0.14:
                    appointment = appointment_no_show(appointment=appointment, now=start + timedelta(minutes=15))
                else:
                    if roll < 0.7:
                        appointment_confirm(appointment=appointment, via="sms", now=start - timedelta(days=2))
                    appointment_check_in(appointment=appointment, now=start - timedelta(minutes=10))
                    appointment_start(appointment=appointment, now=start)
                    relief = rng.choice([40, 60, 80, 85, 90]) if appointment.visit_type.is_procedure else None
                    appointment = appointment_complete(appointment=appointment, relief_percent=relief, now=end)
            elif start <= now:  # happening now
                appointment = appointment_check_in(appointment=appointment, now=start - timedelta(minutes=5))
                if roll < 0.5:
                    appointment = appointment_start(appointment=appointment, now=start)
            elif roll < 0.35:
                appointment = appointment_confirm(appointment=appointment, via="sms", now=now)
            elif roll < 0.40:
                appointment = appointment_cancel(appointment=appointment, reason="schedule conflict", now=now)
        except DomainError:
            pass
        counts[appointment.status] = counts.get(appointment.status, 0) + 1

    # A few held slots, a series, a same-day bundle and waitlist entries for the front desk.
    for vt in (visit_types["follow-up"], visit_types["pt-session"]):
        for slot in find_slots(visit_type=vt, start=now + timedelta(days=2), end=now + timedelta(days=9), limit=2, now=now):
            try:
                appointment_book(
                    patient=rng.choice(patients),
                    provider=providers[slot.provider_id],
                    visit_type=vt,
                    start=slot.start,
                    hold_minutes=24 * 60,
                    notes=DEMO_NOTE,
                    now=now,
                )
                counts[AppointmentStatus.HELD] = counts.get(AppointmentStatus.HELD, 0) + 1
            except DomainError:
                pass
    next_monday = today + timedelta(days=7 - today.weekday())
    try:
        series_book(
            patient=patients[1],
            visit_type=visit_types["pt-session"],
            per_week=2,
            weeks=3,
            start_date=next_monday,
            preferred_weekdays=[1, 3],
            preferred_time=time(10),
            now=now,
        )
    except DomainError:
        pass
    home_bound = next((p for p in patients if p.mobility == "home_bound"), patients[2])
    try:
        bundle_book(
            patient=home_bound,
            visit_types=[visit_types["pt-evaluation"], visit_types["psychology-intake"], visit_types["nutrition-consult"]],
            date=next_monday + timedelta(days=2),
            max_gap_minutes=30,
            now=now,
        )
    except DomainError:
        pass
    for i, code in enumerate(["follow-up", "pt-session", "cbt-session", "nutrition-consult", "new-patient-consult"]):
        waitlist_add(
            patient=patients[10 + i],
            visit_type=visit_types[code],
            earliest_date=today,
            latest_date=today + timedelta(days=21),
            priority=[WaitlistEntry.Priority.ROUTINE, WaitlistEntry.Priority.SOON, WaitlistEntry.Priority.URGENT][i % 3],
            notes=DEMO_NOTE,
            now=now,
        )
    return counts


def _utc(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)
