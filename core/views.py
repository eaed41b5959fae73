from django.http import JsonResponse
from django.views.decorators.cache import never_cache

from core.health import health


@never_cache
def healthz(request):
    checks = health()
    ok = all(check["ok"] for check in checks.values())
    return JsonResponse({"status": "ok" if ok else "degraded", "checks": checks}, status=200 if ok else 503)
