"""Patient-facing pages reached by signed links; no login, nothing about the patient in the URL."""

from django.urls import path

from careplans.views import public as views

urlpatterns = [
    path("i/<str:token>/", views.instructions_view, name="instructions"),
    path("<str:token>/", views.questionnaire_answer_view, name="questionnaire-answer"),
]
