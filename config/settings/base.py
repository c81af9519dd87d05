"""Settings shared by every environment. Everything configurable is read from the environment."""

from django.utils.translation import gettext_lazy as _

from config.env import BASE_DIR, env

# GENERAL
# ------------------------------------------------------------------------------
DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="insecure-local-development-key-change-me-0123456789")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
# The council's legal time zone; the Council row can narrow it per request (core.middleware).
TIME_ZONE = env("COUNCIL_TIME_ZONE", default="Africa/Johannesburg")
USE_TZ = True
USE_I18N = True
LANGUAGE_CODE = "en"
# Languages the code ships translations for. The Council row chooses which of them it offers.
LANGUAGES = [
    ("en", _("English")),
    ("es", _("Spanish")),
    ("fr", _("French")),
    ("ar", _("Arabic")),
]
LOCALE_PATHS = [BASE_DIR / "locale"]
SITE_ID = 1
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

# DATABASES
# ------------------------------------------------------------------------------
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=0)

# APPS
# ------------------------------------------------------------------------------
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "simple_history",
    "core",
    "registry",
    "licensing",
    "exams",
    "cpd",
    "discipline",
    "portal",
    "workforce",
    "legacy",
    "privacy",
    "retention",
]

# AUTHENTICATION
# ------------------------------------------------------------------------------
AUTH_USER_MODEL = "core.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "portal:home"
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# django-allauth: email log-in, mandatory verification, customised only through adapters.
ACCOUNT_ADAPTER = "core.adapters.AccountAdapter"
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = ""
ACCOUNT_ALLOW_REGISTRATION = env.bool("COUNCIL_ALLOW_SIGNUP", default=True)
ACCOUNT_RATE_LIMITS = {"login_failed": "10/m/ip,5/5m/key"}
MFA_ADAPTER = "core.adapters.MFAAdapter"
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = env("COUNCIL_MFA_ISSUER", default="Council Registry")

# MIDDLEWARE
# ------------------------------------------------------------------------------
MIDDLEWARE = [
    # First, so every log line of the request carries its id and the metrics time the whole answer.
    "core.middleware.RequestIdMiddleware",
    "core.metrics.MetricsMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "core.middleware.CouncilTimezoneMiddleware",
    "core.access.AccessRuleMiddleware",
]

# TEMPLATES AND STATIC FILES
# ------------------------------------------------------------------------------
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "core.context_processors.council",
            ],
        },
    },
]
STATIC_URL = "/static/"
STATIC_ROOT = env("DJANGO_STATIC_ROOT", default=str(BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env("DJANGO_MEDIA_ROOT", default=str(BASE_DIR / "media"))
STORAGES = {
    # Uploaded evidence is private: it is never served from MEDIA_URL, only through a checked view.
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

# UPLOADS
# ------------------------------------------------------------------------------
COUNCIL_UPLOAD_MAX_BYTES = env.int("COUNCIL_UPLOAD_MAX_BYTES", default=5 * 1024 * 1024)
DATA_UPLOAD_MAX_MEMORY_SIZE = COUNCIL_UPLOAD_MAX_BYTES + 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# EMAIL (Django's MAILERS)
# ------------------------------------------------------------------------------
EMAIL_BACKEND_PATH = env("DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
_MAIL_OPTIONS: dict[str, object] = {}
if EMAIL_BACKEND_PATH.endswith("smtp.EmailBackend"):
    _MAIL_OPTIONS = {
        "host": env("DJANGO_EMAIL_HOST", default="localhost"),
        "port": env.int("DJANGO_EMAIL_PORT", default=25),
        "username": env("DJANGO_EMAIL_HOST_USER", default=""),
        "password": env("DJANGO_EMAIL_HOST_PASSWORD", default=""),
        "use_tls": env.bool("DJANGO_EMAIL_USE_TLS", default=False),
        "timeout": 10,
    }
elif EMAIL_BACKEND_PATH.endswith("filebased.EmailBackend"):
    _MAIL_OPTIONS = {"file_path": env("DJANGO_EMAIL_FILE_PATH", default=str(BASE_DIR / "sent-mail"))}
MAILERS = {"default": {"BACKEND": EMAIL_BACKEND_PATH, "OPTIONS": _MAIL_OPTIONS}}
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="registry@council.example")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# CELERY
# ------------------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
# With no broker configured (the demo), tasks run in-process, eagerly, and nothing dials out.
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_BROKER_URL = CELERY_BROKER_URL or "memory://"
CELERY_TASK_EAGER_PROPAGATES = False
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True

# NOTIFICATIONS
# ------------------------------------------------------------------------------
# A notification still unsent after this many seconds is retried by the periodic sweep.
COUNCIL_NOTIFICATION_RETRY_AFTER_SECONDS = env.int("COUNCIL_NOTIFICATION_RETRY_AFTER_SECONDS", default=120)
COUNCIL_NOTIFICATION_MAX_ATTEMPTS = env.int("COUNCIL_NOTIFICATION_MAX_ATTEMPTS", default=8)

# SECURITY
# ------------------------------------------------------------------------------
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

# LOGGING
# ------------------------------------------------------------------------------
# Every line carries the request's id (core.logging); production can write JSON (DJANGO_LOG_JSON).
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "core.logging.RequestIdFilter"}},
    "formatters": {
        "plain": {"format": "%(levelname)s %(asctime)s %(name)s [%(request_id)s] %(message)s"},
        "json": {"()": "core.logging.JsonFormatter"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["request_id"]}},
    "root": {"level": env("DJANGO_LOG_LEVEL", default="INFO"), "handlers": ["console"]},
}

# OPERATIONS: the health report, the metrics endpoint
# ------------------------------------------------------------------------------
# The health report's Celery worker ping waits at most this long for a worker's answer (0: no ping).
COUNCIL_HEALTH_WORKER_TIMEOUT_SECONDS = env.float("COUNCIL_HEALTH_WORKER_TIMEOUT_SECONDS", default=1.0)
# GET /metrics serves only a caller with `Authorization: Bearer <this>`; unset, the URL is a 404.
COUNCIL_METRICS_TOKEN = env("COUNCIL_METRICS_TOKEN", default="")
# prometheus_client reads this itself, at import: a directory shared by gunicorn's workers (core/metrics.py).
PROMETHEUS_MULTIPROC_DIR = env("PROMETHEUS_MULTIPROC_DIR", default="")

# INTEGRATIONS (one module each)
# ------------------------------------------------------------------------------
from config.settings.signing import *  # noqa: E402, F403
from config.settings.stripe import *  # noqa: E402, F403

# EXAMS
# ------------------------------------------------------------------------------
# What approval asks when a category requires a passed national exam (registry.requirements).
REGISTRY_EXAM_CHECK = "exams.requirements.exam_passed_check"

# CPD
# ------------------------------------------------------------------------------
# What the renewal's CPD step asks (licensing.requirements): compliance in the cycle before the licence year.
LICENSING_CPD_CHECK = "cpd.requirements.cpd_step_check"
LICENSING_CPD_EXPRESSION = "cpd.requirements.cpd_step_expression"

# CONDUCT
# ------------------------------------------------------------------------------
# What application and restoration ask after a removal (registry.services.reapply_block).
REGISTRY_REAPPLY_CHECK = "discipline.requirements.reapply_block"
# What a removed entry's return to the register ends: the removal sanction and its public notice.
REGISTRY_RESTORED_HOOK = "discipline.services.removal_lifted"
# The public complaint form: at most this many complaints from one address per window.
COUNCIL_COMPLAINT_LIMIT = env.int("COUNCIL_COMPLAINT_LIMIT", default=5)
COUNCIL_COMPLAINT_WINDOW_SECONDS = env.int("COUNCIL_COMPLAINT_WINDOW_SECONDS", default=3600)
# A form sent back sooner than this after it was shown is a robot's (people take longer to write).
COUNCIL_COMPLAINT_MIN_SECONDS = env.int("COUNCIL_COMPLAINT_MIN_SECONDS", default=3)
# Behind a proxy, the request header that carries the client's address (e.g. HTTP_X_REAL_IP); empty: REMOTE_ADDR.
COUNCIL_CLIENT_ADDRESS_HEADER = env("COUNCIL_CLIENT_ADDRESS_HEADER", default="")

# PUBLIC VERIFICATION AND EMPLOYER SERVICES
# ------------------------------------------------------------------------------
# The verification API (portal/api.py): API-key callers only, problem+json errors, rates per key/address.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["portal.api_auth.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": ["portal.api_auth.ApiKeyRateThrottle", "portal.api_auth.AnonymousRateThrottle"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "portal.api_auth.problem_exception_handler",
    "UNAUTHENTICATED_USER": None,
    "UNICODE_JSON": True,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Council register verification API",
    "DESCRIPTION": (
        "Check registration and practising status, alone or in bulk, and keep an employer roster. "
        "Errors are RFC 9457 problem details (application/problem+json)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI from the installed package, not a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": ["drf_spectacular.hooks.postprocess_schema_enums", "portal.api.schema_limits"],
}
# Requests per minute: each API key, and each address calling without one (the public pages too).
COUNCIL_API_KEY_RATE = env("COUNCIL_API_KEY_RATE", default="600/min")
COUNCIL_ANONYMOUS_RATE = env("COUNCIL_ANONYMOUS_RATE", default="60/min")
# The most registration numbers one bulk verification may check.
COUNCIL_BULK_VERIFY_MAX = env.int("COUNCIL_BULK_VERIFY_MAX", default=10000)
# Numbers from the council's register before this one, kept as they were by the legacy import: a
# regular expression over the number upper-cased with single spaces, e.g. ^SW\d{5}$. It must not
# match this register's own numbers (SW-000123-7). Empty: only this register's numbers are accepted.
COUNCIL_LEGACY_NUMBER_PATTERN = env("COUNCIL_LEGACY_NUMBER_PATTERN", default="")
# Webhooks to addresses on private networks or loopback are refused unless this is on (tests, demo).
COUNCIL_WEBHOOK_ALLOW_PRIVATE = env.bool("COUNCIL_WEBHOOK_ALLOW_PRIVATE", default=False)
COUNCIL_WEBHOOK_TIMEOUT_SECONDS = env.int("COUNCIL_WEBHOOK_TIMEOUT_SECONDS", default=10)
# The API's lookups by number run as prepared statements on PostgreSQL (core.sql.fetch_prepared). Turn
# off behind a pooler that cannot carry them (PgBouncer before 1.21 in transaction mode).
COUNCIL_DB_PREPARED_STATEMENTS = env.bool("COUNCIL_DB_PREPARED_STATEMENTS", default=True)
# Public search counts are kept in each process and written after this many (0: at once).
COUNCIL_SEARCH_COUNT_FLUSH_EVERY = env.int("COUNCIL_SEARCH_COUNT_FLUSH_EVERY", default=200)
