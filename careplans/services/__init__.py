"""Care-plan commands. Admin, API views, workspace pages, patient links, Celery tasks and other
apps (scheduling, messaging) call these; nothing else changes care-plan state."""

from careplans.services.break_glass import (  # noqa: F401
    break_glass_live,
    break_glass_notify,
    break_glass_open,
    may_break_glass,
)
from careplans.services.checklists import checklist_item_mark, checklists_raise_incomplete  # noqa: F401
from careplans.services.crisis import crisis_alert_raise, crisis_tasks_escalate  # noqa: F401
from careplans.services.plans import (  # noqa: F401
    activity_add,
    activity_book_bundle,
    activity_book_series,
    activity_link_appointment,
    activity_set_status,
    activity_ticket_open,
    careplan_activate,
    careplan_complete,
    careplan_create,
    careplan_hold,
    careplan_resume,
    careplan_revoke,
    goal_add,
    goal_set_achievement,
    problem_add,
    team_member_add,
    team_member_remove,
    team_note_add,
)
from careplans.services.protocols import (  # noqa: F401
    followup_assemble,
    followup_sweep,
)
from careplans.services.questionnaires import (  # noqa: F401
    instructions_for_token,
    instructions_link_for,
    instructions_step_for_token,
    questionnaire_answer_for_patient,
    questionnaire_link_for,
    questionnaire_request_create,
    questionnaire_request_for_staff,
    questionnaire_request_for_token,
    questionnaire_response_create,
    response_shows_crisis_resources,
)
from careplans.services.records import (  # noqa: F401
    effective_outcome,
    procedure_record_add,
    procedure_record_latest,
    procedure_record_set,
)
from careplans.services.red_flags import (  # noqa: F401
    RED_FLAGS,
    ebp_red_flag_window_appointment,
    red_flags_in_text,
    red_flags_report,
)
from careplans.services.tasks import (  # noqa: F401
    task_accept,
    task_cancel,
    task_complete,
    task_create,
    task_hold,
    task_reassign,
    task_start,
    tasks_escalate_overdue,
)
