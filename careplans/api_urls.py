from django.urls import path

from careplans import api

urlpatterns = [
    path("careplans/", api.CarePlanListCreateApi.as_view(), name="api-careplans"),
    path("tasks/", api.TaskListApi.as_view(), name="api-tasks"),
    path("tasks/<int:pk>/accept/", api.TaskActionApi.as_view(action_name="accept"), name="api-task-accept"),
    path("tasks/<int:pk>/complete/", api.TaskActionApi.as_view(action_name="complete"), name="api-task-complete"),
    path("tasks/<int:pk>/cancel/", api.TaskActionApi.as_view(action_name="cancel"), name="api-task-cancel"),
    path("patients/<int:pk>/break-glass/", api.BreakGlassApi.as_view(), name="api-patient-break-glass"),
    path("questionnaire-responses/", api.QuestionnaireResponseCreateApi.as_view(), name="api-questionnaire-responses"),
    path("appointments/<int:pk>/procedure-record/", api.ProcedureRecordApi.as_view(), name="api-appointment-procedure-record"),
]
