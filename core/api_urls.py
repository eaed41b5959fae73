from django.urls import path

from core import audit_api

urlpatterns = [
    path("audit-events/", audit_api.AuditEventListApi.as_view(), name="api-audit-events"),
]
