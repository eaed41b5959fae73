"""Field history (who changed what, from what, to what) of the records a clinic must be able to
reconstruct: patients and their consent, appointments, care plans and their parts, tasks, notes
and questionnaire responses.

django-pghistory records it by trigger in PostgreSQL, so a change made by a service, the admin,
a bulk update or a raw query is recorded alike; each event row is a snapshot of the row after
the change (before it, for a delete) with the acting user and request id as its context
(history/middleware.py). Event tables are append-only (pghistory's protection triggers refuse
UPDATE and DELETE).

This app sits above every domain app (pyproject's layers) so they never import pghistory.
"""

from __future__ import annotations

import pghistory

from authorizations.models import Authorization, AuthorizationLine
from careplans.models import Activity, CarePlan, CareTeamMember, Goal, Problem, QuestionnaireResponse, Task, TeamNote
from clinic.models import ConsentEvent, Patient
from scheduling.models import Appointment

TRACKED = (
    Patient,
    ConsentEvent,
    Appointment,
    CarePlan,
    Problem,
    Goal,
    CareTeamMember,
    Activity,
    Task,
    TeamNote,
    QuestionnaireResponse,
    Authorization,
    AuthorizationLine,
)


def _event_model(model):
    return pghistory.create_event_model(
        model,
        pghistory.InsertEvent(),
        pghistory.UpdateEvent(),
        pghistory.DeleteEvent(),
        model_name=f"{model.__name__}History",
        # Several apps keep their own `events` (state transitions with reasons); this is the
        # trigger-made snapshot history beside them.
        obj_field=pghistory.ObjForeignKey(related_name="field_history"),
        app_label="history",
        abstract=False,
        append_only=True,
    )


PatientHistory = _event_model(Patient)
ConsentEventHistory = _event_model(ConsentEvent)
AppointmentHistory = _event_model(Appointment)
CarePlanHistory = _event_model(CarePlan)
ProblemHistory = _event_model(Problem)
GoalHistory = _event_model(Goal)
CareTeamMemberHistory = _event_model(CareTeamMember)
ActivityHistory = _event_model(Activity)
TaskHistory = _event_model(Task)
TeamNoteHistory = _event_model(TeamNote)
QuestionnaireResponseHistory = _event_model(QuestionnaireResponse)
AuthorizationHistory = _event_model(Authorization)
AuthorizationLineHistory = _event_model(AuthorizationLine)
