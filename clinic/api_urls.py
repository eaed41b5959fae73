from django.urls import path

from clinic import api

urlpatterns = [
    path("providers/", api.ProviderListApi.as_view(), name="api-providers"),
    path("patients/", api.PatientListCreateApi.as_view(), name="api-patients"),
    path("patients/<int:pk>/", api.PatientDetailApi.as_view(), name="api-patient"),
]
