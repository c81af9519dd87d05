"""The test suite: PostgreSQL by default, fast hashing, mail kept in memory."""

import os

from config.env import env
from config.settings.base import *  # noqa: F403

SECRET_KEY = "test-secret-key-not-for-production-0123456789abcdef"  # noqa: S105
DATABASES = {"default": env.db("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/council_registry")}
DATABASES["default"]["ATOMIC_REQUESTS"] = True
# A separate name lets two checkouts on one machine run their suites side by side.
DATABASES["default"]["TEST"] = {"NAME": env("COUNCIL_TEST_DATABASE_NAME", default="test_council_registry")}
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
CELERY_TASK_ALWAYS_EAGER = True
CELERY_BROKER_URL = "memory://"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
ACCOUNT_RATE_LIMITS = False  # type: ignore[assignment]
# Playwright's sync API runs an event loop in the test thread; the ORM calls there are safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# runserver and the test live server serve static files themselves; WhiteNoise is for production.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]

COUNCIL_WEBHOOK_ALLOW_PRIVATE = True
# Generous, so journeys in one test never meet them; the throttling tests set their own.
COUNCIL_ANONYMOUS_RATE = "1000/min"
COUNCIL_API_KEY_RATE = "5000/min"
COUNCIL_SEARCH_COUNT_FLUSH_EVERY = 0
