from django.urls import path

from messaging import api

urlpatterns = [
    path("appointments/<int:pk>/messages/", api.AppointmentMessagesApi.as_view(), name="api-appointment-messages"),
]
