"""Local development and the demo: SQLite and eager Celery unless the environment says otherwise."""

from config.settings.base import *  # noqa: F403

DEBUG = True

# runserver and the test live server serve static files themselves; WhiteNoise is for production.
MIDDLEWARE = [m for m in MIDDLEWARE if m != "whitenoise.middleware.WhiteNoiseMiddleware"]
