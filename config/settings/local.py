"""Local development and the demo: SQLite and eager Celery unless the environment says otherwise."""

from config.settings.base import *  # noqa: F403

DEBUG = True
