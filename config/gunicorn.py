"""gunicorn settings (`gunicorn --config config/gunicorn.py config.wsgi:application`).

The access log is the one place every patient-link and calendar-feed URL passes through, so it
goes through the same PHI filter and JSON formatter as the application's own log: the path
without its query string (search terms live there), with link and feed tokens masked
(core.logging), and no referrer or user agent (a referrer can carry a patient link)."""

accesslog = "-"
# method, path (no query string), status, response bytes, seconds
access_log_format = "%(m)s %(U)s %(s)s %(B)s %(L)ss"

_handler = {"class": "logging.StreamHandler", "formatter": "json", "filters": ["scrub"], "stream": "ext://sys.stdout"}
logconfig_dict = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "core.logging.ScrubPHIFilter"}},
    "formatters": {"json": {"()": "core.logging.JsonFormatter"}},
    "handlers": {"console": _handler},
    "root": {"level": "INFO", "handlers": ["console"]},
    "loggers": {
        "gunicorn.error": {"level": "INFO", "handlers": ["console"], "propagate": False},
        "gunicorn.access": {"level": "INFO", "handlers": ["console"], "propagate": False},
    },
}
