import logging
import logging.config
import os

from celery import Celery, signals
from django.conf import settings

from core.checks import refuse_weak_production_secret_key
from core.logging import ScrubPHIFilter

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("clinic")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


def _root_is_filtered() -> bool:
    return any(isinstance(f, ScrubPHIFilter) for handler in logging.getLogger().handlers for f in handler.filters)


@signals.setup_logging.connect
def use_django_logging(**kwargs) -> None:
    """Celery's own setup replaces the root handlers with ones that skip the PHI filter;
    handling this signal tells it not to, and workers log through settings.LOGGING (JSON lines
    through core.logging.ScrubPHIFilter) like the web processes. When Django has configured
    logging already (django.setup(), or an embedded test worker) it is left as it is."""
    if not _root_is_filtered():
        logging.config.dictConfig(settings.LOGGING)


@signals.celeryd_after_setup.connect
@signals.beat_init.connect
def redirect_prints_to_the_filtered_log(**kwargs) -> None:
    # Celery skips its stdout redirection once setup_logging is handled; print() output (a
    # library's, the console SMS backend's) must reach the filter too.
    if app.conf.worker_redirect_stdouts:
        app.log.redirect_stdouts(app.conf.worker_redirect_stdouts_level)


@signals.worker_init.connect
@signals.beat_init.connect
def refuse_weak_secret_key(**kwargs) -> None:
    refuse_weak_production_secret_key()
