"""Care-plan admin: a client of careplans.services, never a back door.

Protocols and their steps are configuration, the clinic admin's to edit. Every clinical record
(plans, problems, goals, team, activities, notes, tasks, checklist items, procedure records,
questionnaires) is added through its service (`save_model` calls `problem_add`, `goal_add`,
`team_member_add`, …) and changes only through a transition service (goal achievement, activity
status, task reassignment, care-plan actions); nothing clinical is edited or deleted raw. A
refusal from a service comes back as a form error, never a 500. Rows, foreign-key choices and
autocomplete are scoped by the one access policy (core.access via PolicyAdmin/PolicyInline).
"""

from careplans.admin import break_glass, configuration, plans, records, tasks  # noqa: F401 - each module registers its admins
from careplans.admin.base import ReadOnlyInline, ServiceAdmin, ServiceForm  # noqa: F401
