import logging.config
import os

from celery import Celery, signals
from django.conf import settings

from core.checks import refuse_weak_production_secret_key

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@signals.setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Celery's own setup replaces the root handlers with ones that skip the PHI filter;
    connecting this signal tells it not to, and workers log through settings.LOGGING
    (JSON lines through core.logging.ScrubPHIFilter) like the web processes."""
    logging.config.dictConfig(settings.LOGGING)


@signals.worker_init.connect
@signals.beat_init.connect
def refuse_weak_secret_key(**kwargs) -> None:
    refuse_weak_production_secret_key()
