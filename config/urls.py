from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.api_login import ApiLoginView, ApiLogoutAllView, ApiLogoutView
from core.views import healthz
from fhir.views import SmartConfigurationView
from scheduling.views import provider_feed

api_v1 = [
    path("auth/login/", ApiLoginView.as_view(), name="api-login"),
    path("auth/logout/", ApiLogoutView.as_view(), name="api-logout"),
    path("auth/logoutall/", ApiLogoutAllView.as_view(), name="api-logout-all"),
    path("", include("core.api_urls")),
    path("", include("clinic.api_urls")),
    path("", include("messaging.api_urls")),
    path("", include("careplans.api_urls")),
    path("", include("scheduling.api_urls")),
    path("", include("reports.api_urls")),
    path("", include("authorizations.api_urls")),
]

handler404 = "core.views.not_found"

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("healthz/", healthz),
    path("admin/", admin.site.urls),
    path("account/", include("core.account_urls")),
    path("workspace/reports/", include("reports.workspace_urls")),
    path("workspace/", include("careplans.workspace_urls")),
    path("q/", include("careplans.public_urls")),
    path("calendar/<str:token>.ics", provider_feed, name="provider-feed"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view loads its start-up script as a file of its own, so no inline script (CSP);
    # a browser that is not signed in is sent to sign in rather than shown a bare 403.
    path(
        "api/docs/",
        login_required(SpectacularSwaggerSplitView.as_view(url_name="api-schema", template_name="api/swagger_ui.html")),
        name="api-docs",
    ),
    path("api/v1/", include(api_v1)),
    path("webhooks/", include("messaging.webhook_urls")),
    path("p/", include("messaging.link_urls")),
    path("fhir/R4/", include("fhir.urls")),
    path(".well-known/smart-configuration", SmartConfigurationView.as_view(), name="smart-configuration"),
]
