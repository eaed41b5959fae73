"""Red flags after an epidural blood patch (2023 consensus, JNNP): new severe back or leg pain,
leg weakness or numbness, bladder or bowel change, saddle numbness, fever, a changed headache.
Any of them may be a spinal haematoma, an abscess or a new leak, so it is anesthesiology's
urgent work now, never a routine front-desk callback.

Two doors lead here: the "New symptoms?" form on the patient's post-EBP instructions page, and a
text the patient sends within RED_FLAG_WINDOW of the patch that mentions one of them (the
keyword table below, English and Spanish, matched without accents or case).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from careplans.models import RoleQueue, Task
from careplans.services.crisis import crisis_alert_raise
from careplans.services.tasks import task_create
from core.errors import ValidationFailed
from messaging.services.staff_alerts import StaffContact
from scheduling.models import Appointment, AppointmentStatus, ProcedureFamily

RED_FLAG_WINDOW = timedelta(days=14)
_UNDERWAY = (AppointmentStatus.CHECKED_IN, AppointmentStatus.IN_PROGRESS)


@dataclass(frozen=True)
class RedFlag:
    code: str
    label: object  # a lazy translation: the patient sees it in their language
    staff_label: str
    # Regular expressions over lower-case text without accents; English and Spanish.
    patterns: tuple[str, ...]


RED_FLAGS: tuple[RedFlag, ...] = (
    RedFlag(
        "back_leg_pain",
        _("New or severe back or leg pain"),
        "new severe back or leg pain",
        (
            r"\b(leg|legs|back) (pain|hurts?|is killing)",
            r"\bpain (in|down) my (leg|legs|back)",
            r"\bdolor (de|en) (la |las |mi |mis )?(pierna|piernas|espalda)",
            r"\bme duele(n)? (mucho |bastante )?(la |las |mi |mis )?(pierna|piernas|espalda)",
        ),
    ),
    RedFlag(
        "leg_weakness_numbness",
        _("Weakness or numbness in your legs"),
        "leg weakness or numbness",
        (
            r"\bweak",
            r"\bnumb(?!er)",  # not "number"
            r"\btingl",
            r"\bcan'?t (move|feel) my",
            r"\bcannot (move|feel) my",
            r"\bdebil",
            r"\bentumec",
            r"\badormec",
            r"\bhormigue",
            r"\bno (puedo mover|siento) (la |las |mi |mis )?(pierna|piernas|pie|pies)",
        ),
    ),
    RedFlag(
        "bladder_bowel",
        _("A change in passing urine or stool, or losing control of them"),
        "bladder or bowel change",
        (
            r"\bbladder",
            r"\bbowel",
            r"\bincontinen",
            r"\b(can'?t|cannot) (pee|urinate)",
            r"\bwet myself",
            r"\bvejiga",
            r"\bintestin",
            r"\bno puedo orinar",
            r"\bno puedo evacuar",
            r"\bme orine",
        ),
    ),
    RedFlag(
        "saddle_numbness",
        _("Numbness between your legs or around your bottom"),
        "saddle numbness",
        (r"\bsaddle", r"\bgroin", r"\bbetween my legs", r"\bentrepierna", r"\bsilla de montar", r"\bingle\b"),
    ),
    RedFlag(
        "fever",
        _("Fever or chills"),
        "fever",
        (r"\bfever", r"\bchills", r"\bfiebre", r"\bcalentura", r"\bescalofrio"),
    ),
    RedFlag(
        "headache_change",
        _("A headache that is new, worse or different"),
        "changed headache",
        (
            r"\bheadache",
            r"\bhead (hurts|aches?|is pounding)",
            r"\bmigraine",
            r"\bdolor de cabeza",
            r"\bme duele la cabeza",
            r"\bcefalea",
            r"\bjaqueca",
            r"\bmigrana",
        ),
    ),
)
RED_FLAG_CODES = tuple(flag.code for flag in RED_FLAGS)
_COMPILED = tuple((flag.code, re.compile("|".join(flag.patterns))) for flag in RED_FLAGS)


def _plain(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("\u2019", "'")


def red_flags_in_text(text: str) -> list[str]:
    """The red-flag codes a patient's free text mentions, in RED_FLAGS order."""
    plain = _plain(text or "")
    return [code for code, pattern in _COMPILED if pattern.search(plain)]


def _in_window(now: datetime) -> Q:
    """An epidural blood patch that started within RED_FLAG_WINDOW before now: completed (it has
    happened, whatever its booked start), or checked in / in progress and past its start (a visit
    nobody closed yet still had its patch), anchored at its start. The one statement of the rule."""
    return Q(visit_type__procedure_family=ProcedureFamily.EBP, start__gte=now - RED_FLAG_WINDOW) & (
        Q(status=AppointmentStatus.COMPLETED) | Q(status__in=_UNDERWAY, start__lte=now)
    )


def ebp_red_flag_window_appointment(*, patient_id: int, now: datetime | None = None) -> Appointment | None:
    """The patient's latest epidural blood patch inside the red-flag window (_in_window)."""
    now = now or timezone.now()
    return (
        Appointment.objects.filter(_in_window(now), patient_id=patient_id)
        .select_related("provider__user", "patient")
        .order_by("-start")
        .first()
    )


def is_in_red_flag_window(appointment: Appointment, *, now: datetime | None = None) -> bool:
    return Appointment.objects.filter(_in_window(now or timezone.now()), pk=appointment.pk).exists()


def red_flags_report(
    *, appointment: Appointment, flags: list[str], source: str, text: str = "", dedupe_key: str, now: datetime | None = None
) -> Task:
    """An urgent anesthesiology task for red flags after this EBP, due now, and its urgent
    alerts (the proceduralist and the on-call rota) planned in the same transaction.

    `source`: "form" (the patient ticked them) or "inbound_sms" (`text` is what they wrote).
    Idempotent on `dedupe_key`."""
    now = now or timezone.now()
    unknown = [flag for flag in flags if flag not in RED_FLAG_CODES]
    if not flags or unknown:
        raise ValidationFailed("Choose the symptoms from the list.", field_errors={"flags": [", ".join(RED_FLAG_CODES)]})
    labels = ", ".join(flag.staff_label for flag in RED_FLAGS if flag.code in flags)
    how = "texted" if source == "inbound_sms" else "reported on the instructions page"
    description = (
        f"After the epidural blood patch on {appointment.start:%Y-%m-%d}, the patient {how}: {labels}. "
        "Call the patient now and assess for spinal haematoma, abscess or a new CSF leak."
    )
    if text:
        description += f"\n\nTheir text: {text}"
    task = task_create(
        title="EBP red flag: call the patient now",
        description=description,
        patient=appointment.patient,
        appointment=appointment,
        assignee_role=RoleQueue.ANESTHESIOLOGY,
        priority=Task.Priority.URGENT,
        source=Task.Source.RED_FLAG,
        due=now,
        dedupe_key=dedupe_key,
        now=now,
    )
    proceduralist = appointment.provider
    notify: list[StaffContact] = []
    if proceduralist.active and proceduralist.user.is_active:
        phone = proceduralist.alert_phone.as_e164 if proceduralist.alert_phone else ""
        notify.append(StaffContact(user=proceduralist.user, phone=phone, email=proceduralist.user.email or ""))
    crisis_alert_raise(task=task, notify=notify or None, now=now)
    return task
