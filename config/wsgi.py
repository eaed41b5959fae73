import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()

# gunicorn runs no system checks: a published SECRET_KEY stops the worker here instead.
from core.checks import refuse_weak_production_secret_key  # noqa: E402

refuse_weak_production_secret_key()
