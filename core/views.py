from django.http import JsonResponse
from django.views import defaults
from django.views.decorators.cache import never_cache

from core.health import health


@never_cache
def healthz(request):
    checks = health()
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if ok else "degraded", "checks": checks}, status=200 if ok else 503)


def not_found(request, exception):
    """handler404: under /api/ a path that names nothing (e.g. /api/v1/appointments/abc/) answers
    in the API's error body, as its schema declares; elsewhere Django's page."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": "Not found."}, status=404)
    return defaults.page_not_found(request, exception)
