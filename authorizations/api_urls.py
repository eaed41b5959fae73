from django.urls import path

from authorizations import api

urlpatterns = [
    path("authorizations/", api.AuthorizationListCreateApi.as_view(), name="api-authorizations"),
    path("authorizations/<int:pk>/", api.AuthorizationDetailApi.as_view(), name="api-authorization"),
    *[path(f"authorizations/<int:pk>/{name}/", view.as_view(), name=f"api-authorization-{name}") for name, view in api.ACTIONS.items()],
    path("authorizations/<int:pk>/evidence/", api.EvidenceApi.as_view(), name="api-authorization-evidence"),
    path(
        "appointments/<int:pk>/authorization-override/",
        api.AppointmentAuthorizationOverrideApi.as_view(),
        name="api-appointment-authorization-override",
    ),
]
