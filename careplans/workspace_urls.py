from django.urls import path

from careplans.views import break_glass, staff_entry
from careplans.views import workspace as views

app_name = "workspace"

urlpatterns = [
    path("", views.my_day_view, name="my-day"),
    path("tasks/", views.my_tasks_view, name="tasks"),
    path("tasks/<int:pk>/<slug:action>/", views.task_action_view, name="task-action"),
    path("checklist/<int:pk>/", views.checklist_mark_view, name="checklist-mark"),
    path("patients/", views.patient_search_view, name="patient-search"),
    path("patients/<int:pk>/", views.patient_view, name="patient"),
    path("patients/<int:pk>/tickets/", views.ticket_create_view, name="ticket-create"),
    path("tickets/<int:pk>/<slug:action>/", views.ticket_action_view, name="ticket-action"),
    path("patients/<int:pk>/break-glass/", break_glass.break_glass_view, name="break-glass"),
    path("questionnaires/<int:pk>/enter/", staff_entry.questionnaire_enter_view, name="questionnaire-enter"),
    path("appointments/<int:pk>/procedure-record/", views.procedure_record_view, name="procedure-record"),
    path("plans/<int:pk>/notes/", views.team_note_view, name="team-note"),
    path("plans/<int:pk>/status/<slug:move>/", views.careplan_status_view, name="careplan-status"),
    path("goals/<int:pk>/achievement/", views.goal_achievement_view, name="goal-achievement"),
    path("activities/<int:pk>/book-series/", views.activity_book_series_view, name="activity-book-series"),
]
