from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.views import healthz
from scheduling.views import provider_feed

api_v1 = [
    path("", include("core.api_urls")),
    path("", include("clinic.api_urls")),
    path("", include("messaging.api_urls")),
    path("", include("careplans.api_urls")),
    path("", include("scheduling.api_urls")),
]

urlpatterns = [
    path("", RedirectView.as_view(url="/admin/", permanent=False)),
    path("healthz", healthz, name="healthz"),
    path("healthz/", healthz),
    path("admin/", admin.site.urls),
    path("workspace/", include("careplans.workspace_urls")),
    path("q/", include("careplans.public_urls")),
    path("calendar/<str:token>.ics", provider_feed, name="provider-feed"),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
    path("api/v1/", include(api_v1)),
    path("webhooks/", include("messaging.webhook_urls")),
    path("p/", include("messaging.link_urls")),
]
