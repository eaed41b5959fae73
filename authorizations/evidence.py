"""The evidence pack: what payers ask for, assembled from the clinic's own records, with dates.

Diagnoses (ICD-10-CM, from the care plans' problems), the requested codes with region and levels,
pain and function scores over time (NRS, PEG, ODI, each with its baseline), physical therapy and
psychology visits attended (dates, count, weeks), prior procedures with % relief and how long it
lasted, current anticoagulants, and for a spinal cord stimulator the psychological evaluation.
Callers check access first (authorizations.policy.require_evidence_access); nothing here does.
A fixed number of queries whatever the history's length."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from django.template.loader import render_to_string
from django.utils import timezone
from fpdf import FPDF

from authorizations.models import Authorization
from careplans.models import Problem, QuestionnaireResponse
from clinic.medications import medications_current
from scheduling.models import Appointment, AppointmentStatus, ProcedureFamily

INSTRUMENTS = ("NRS", "PEG", "ODI")
PSYCH_INSTRUMENTS = ("PHQ-9", "GAD-7")
THERAPY_DISCIPLINES = {"physical-therapy": "Physical therapy", "psychology": "Psychology"}


@dataclass
class Series:
    instrument: str
    points: list[tuple[date, str, str]]  # (date, score, severity)

    @property
    def baseline(self):
        return self.points[0] if self.points else None

    @property
    def latest(self):
        return self.points[-1] if self.points else None


@dataclass
class Attendance:
    discipline: str
    dates: list[date]

    @property
    def count(self) -> int:
        return len(self.dates)

    @property
    def weeks(self) -> int:
        return ((self.dates[-1] - self.dates[0]).days // 7 + 1) if self.dates else 0


@dataclass
class Pack:
    authorization: Authorization
    generated_at: object
    patient: object
    diagnoses: list[tuple[str, str, date | None]] = field(default_factory=list)
    lines: list = field(default_factory=list)
    scores: list[Series] = field(default_factory=list)
    therapy: list[Attendance] = field(default_factory=list)
    procedures: list[dict] = field(default_factory=list)
    anticoagulants: list[str] = field(default_factory=list)
    scs: bool = False
    psych_evaluation: list[date] = field(default_factory=list)
    psych_scores: list[Series] = field(default_factory=list)


def _local(dt, zone) -> date:
    return dt.astimezone(zone).date()


def evidence_pack(*, authorization: Authorization) -> Pack:
    patient = authorization.patient
    zone = patient.zone
    pack = Pack(authorization=authorization, generated_at=timezone.now(), patient=patient)
    pack.lines = list(authorization.lines.all())
    seen = set()
    for code, text, onset in (
        Problem.objects.filter(care_plan__patient=patient).order_by("onset", "code", "id").values_list("code", "text", "onset")
    ):
        if code not in seen:
            seen.add(code)
            pack.diagnoses.append((code, text, onset))
    responses = QuestionnaireResponse.objects.filter(patient=patient, questionnaire__in=INSTRUMENTS + PSYCH_INSTRUMENTS).order_by(
        "answered_at", "id"
    )
    by_instrument: dict[str, list] = {}
    for r in responses.values_list("questionnaire", "answered_at", "score", "severity"):
        by_instrument.setdefault(r[0], []).append((_local(r[1], zone), f"{r[2].normalize():f}", r[3]))
    pack.scores = [Series(i, by_instrument[i]) for i in INSTRUMENTS if i in by_instrument]
    pack.psych_scores = [Series(i, by_instrument[i]) for i in PSYCH_INSTRUMENTS if i in by_instrument]
    done = (
        Appointment.objects.filter(patient=patient, status=AppointmentStatus.COMPLETED)
        .select_related("visit_type", "provider__discipline", "location")
        .order_by("start", "id")
    )
    attended: dict[str, list[date]] = {}
    for visit in done:
        day = _local(visit.start, visit.location.zone)
        discipline = visit.provider.discipline.code
        if visit.visit_type.is_procedure:
            pack.procedures.append(
                {
                    "date": day,
                    "name": visit.visit_type.name,
                    "region": visit.get_region_display(),
                    "laterality": visit.get_laterality_display(),
                    "relief_percent": visit.relief_percent,
                    "relief_weeks": visit.relief_weeks,
                    "functional_improvement": visit.functional_improvement,
                }
            )
        elif discipline in THERAPY_DISCIPLINES:
            attended.setdefault(discipline, []).append(day)
            if discipline == "psychology" and "intake" in visit.visit_type.code:
                pack.psych_evaluation.append(day)
    pack.therapy = [Attendance(label, attended.get(code, [])) for code, label in THERAPY_DISCIPLINES.items()]
    pack.anticoagulants = [drug.name for drug in medications_current(patient.pk)]
    pack.scs = any(line.procedure_family == ProcedureFamily.SCS_TRIAL for line in pack.lines)
    if pack.scs and not pack.psych_evaluation:
        pack.psych_evaluation = attended.get("psychology", [])[:1]
    return pack


def render_html(pack: Pack, *, request=None) -> str:
    return render_to_string("authorizations/evidence.html", {"pack": pack}, request=request)


def _relief(p: dict) -> str:
    if p["relief_percent"] is None:
        return "not recorded" + (" (functional improvement documented)" if p["functional_improvement"] else "")
    weeks = f" for {p['relief_weeks']} weeks" if p["relief_weeks"] is not None else ""
    return f"{p['relief_percent']}% relief{weeks}"


def render_pdf(pack: Pack) -> bytes:
    """The same content as the HTML page, laid out with fpdf2 (pure Python, core fonts)."""
    pdf = FPDF(format="Letter")
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    def text(value: str) -> str:
        # Core fonts are Latin-1: anything else is replaced, never an error.
        return value.encode("latin-1", "replace").decode("latin-1")

    def heading(title: str) -> None:
        pdf.ln(2)
        pdf.set_font("Helvetica", "B", 12)
        pdf.cell(width, 7, text(title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)

    def line(value: str) -> None:
        pdf.multi_cell(width, 5, text(value), new_x="LMARGIN", new_y="NEXT")

    a, p = pack.authorization, pack.patient
    pdf.set_font("Helvetica", "B", 15)
    pdf.cell(width, 9, text(f"Prior authorization evidence - request #{a.pk}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    line(f"Patient: {p.last_name}, {p.first_name} - DOB {p.date_of_birth:%Y-%m-%d} - {p.mrn}")
    line(f"Payer: {a.payer.name} - member {a.member_id or '-'} - {a.get_reference_kind_display()}: {a.number or 'pending'}")
    line(f"Status: {a.get_status_display()} - urgency {a.get_urgency_display().lower()} - place of service {a.place_of_service}")
    line(f"Generated {pack.generated_at.astimezone(p.zone):%Y-%m-%d %H:%M %Z} from the clinic's records")
    heading("Diagnoses (ICD-10-CM)")
    for code, desc, onset in pack.diagnoses or [("-", "none recorded", None)]:
        line(f"{code}  {desc}" + (f" (onset {onset:%Y-%m-%d})" if onset else ""))
    heading("Requested procedures")
    for ln in pack.lines:
        mods = " ".join(ln.modifiers)
        line(f"{ln.code} {mods}  {ln.get_procedure_family_display()} - region {ln.get_region_display() or 'any'}"
             f"{' - levels ' + ln.levels if ln.levels else ''} - units requested {ln.requested_units}"
             f"{', approved ' + str(ln.approved_units) if ln.approved_units is not None else ''}")  # fmt: skip
    heading("Pain and function scores over time")
    if not pack.scores:
        line("No NRS, PEG or ODI recorded.")
    for series in pack.scores:
        base = series.baseline
        line(f"{series.instrument}: baseline {base[1]} on {base[0]:%Y-%m-%d}; latest {series.latest[1]} on {series.latest[0]:%Y-%m-%d}")
        line("   " + "; ".join(f"{d:%Y-%m-%d} {s}" for d, s, _ in series.points))
    heading("Conservative care attended")
    for att in pack.therapy:
        if att.dates:
            line(f"{att.discipline}: {att.count} visits over {att.weeks} weeks ({att.dates[0]:%Y-%m-%d} to {att.dates[-1]:%Y-%m-%d})")
            line("   " + ", ".join(f"{d:%Y-%m-%d}" for d in att.dates))
        else:
            line(f"{att.discipline}: no visits attended at this clinic")
    heading("Prior procedures")
    if not pack.procedures:
        line("None at this clinic.")
    for proc in pack.procedures:
        where = ", ".join(x for x in (proc["region"], proc["laterality"]) if x)
        line(f"{proc['date']:%Y-%m-%d}  {proc['name']}{' (' + where + ')' if where else ''}: {_relief(proc)}")
    heading("Current anticoagulants and antiplatelets")
    line(", ".join(pack.anticoagulants) if pack.anticoagulants else "None recorded.")
    if pack.scs:
        heading("Psychological evaluation (spinal cord stimulation)")
        line(
            "Evaluation: " + ", ".join(f"{d:%Y-%m-%d}" for d in pack.psych_evaluation)
            if pack.psych_evaluation
            else "No psychological evaluation attended yet."
        )
        for series in pack.psych_scores:
            line(f"{series.instrument}: latest {series.latest[1]} ({series.latest[2]}) on {series.latest[0]:%Y-%m-%d}")
    return bytes(pdf.output())
