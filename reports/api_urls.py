from django.urls import path

from reports import api

urlpatterns = [
    path("reports/operations/", api.OperationsReportApi.as_view(), name="api-reports-operations"),
    path("reports/outcomes/", api.OutcomesReportApi.as_view(), name="api-reports-outcomes"),
]
