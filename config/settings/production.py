"""Production: every secret comes from the environment, with no default."""

from config.env import env
from config.settings.base import *  # noqa: F403
from core.sentry import sentry_init

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": env.db("DATABASE_URL")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
# Production runs real workers: a missing broker must fail loudly, not run tasks inside web requests.
CELERY_BROKER_URL = env("CELERY_BROKER_URL")
CELERY_TASK_ALWAYS_EAGER = False
# A shared cache, so rate limits (sign-in attempts) count across every gunicorn process. On Redis it is
# core.cache's: an unreachable Redis is a cache miss (the site keeps serving), not a server error.
CACHES = {"default": env.cache("DJANGO_CACHE_URL", default=CELERY_BROKER_URL.replace("/0", "/1"))}
if CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
    CACHES["default"]["BACKEND"] = "core.cache.ResilientRedisCache"

# Real Stripe keys, with no defaults. STRIPE_API_BASE stays as the environment sets it (empty: Stripe).
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY")
STRIPE_PUBLISHABLE_KEY = env("STRIPE_PUBLISHABLE_KEY")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET")

# Mail must be configured explicitly in production (e.g. the SMTP backend with DJANGO_EMAIL_HOST...).
env("DJANGO_EMAIL_BACKEND")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("DJANGO_SECURE_HSTS_PRELOAD", default=True)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

# A load balancer probes /health/ over plain HTTP on the private network: answer it, not redirect it.
SECURE_REDIRECT_EXEMPT = [r"^health/$"]

# One JSON object a log line (core.logging.JsonFormatter), for a log collector; false: readable lines.
if env.bool("DJANGO_LOG_JSON", default=False):
    LOGGING["handlers"]["console"]["formatter"] = "json"  # type: ignore[index]

# Error reporting, only when SENTRY_DSN is set (core/sentry.py). No personal data unless asked for.
sentry_init(
    dsn=env("SENTRY_DSN", default=""),
    environment=env("SENTRY_ENVIRONMENT", default="production"),
    release=env("SENTRY_RELEASE", default=""),
    traces_sample_rate=env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0),
    send_default_pii=env.bool("SENTRY_SEND_DEFAULT_PII", default=False),
)
