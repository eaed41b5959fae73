"""What and why: care plans, problems, goals, team, activities, tasks, follow-up protocols,
pre-procedure checklists, procedure records and outcome questionnaires.

Statuses follow FHIR R4 (CarePlan, Task, activity status, Goal achievement). Status changes go
through careplans.services, one function per transition; nothing here has domain flow in save().

Split along its seams (plans, tasks, protocols, questionnaires); everything is re-exported here so
`from careplans.models import …` stays the one import.
"""

from careplans.models.break_glass import BreakGlass
from careplans.models.plans import (
    Activity,
    CarePlan,
    CarePlanEvent,
    CareTeamMember,
    Goal,
    Measure,
    Problem,
    TeamNote,
)
from careplans.models.protocols import (
    ChecklistItem,
    Complication,
    FollowupAssembly,
    ProcedureRecord,
    Protocol,
    ProtocolStep,
)
from careplans.models.questionnaires import QuestionnaireRequest, QuestionnaireResponse
from careplans.models.tasks import (
    CRISIS_SOURCES,
    DISCIPLINE_QUEUE,
    NON_CLINICAL_QUEUES,
    OPEN_TASK_STATUSES,
    RoleQueue,
    Task,
    TaskEvent,
    TaskEventAction,
)

__all__ = [
    "DISCIPLINE_QUEUE",
    "CRISIS_SOURCES",
    "NON_CLINICAL_QUEUES",
    "OPEN_TASK_STATUSES",
    "Activity",
    "BreakGlass",
    "CarePlan",
    "CarePlanEvent",
    "CareTeamMember",
    "ChecklistItem",
    "Complication",
    "FollowupAssembly",
    "Goal",
    "Measure",
    "ProcedureRecord",
    "Problem",
    "Protocol",
    "ProtocolStep",
    "QuestionnaireRequest",
    "QuestionnaireResponse",
    "RoleQueue",
    "Task",
    "TaskEvent",
    "TaskEventAction",
    "TeamNote",
]
