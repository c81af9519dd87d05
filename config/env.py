"""The one place environment variables are read (django-environ)."""

from pathlib import Path

import environ

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    environ.Env.read_env(str(BASE_DIR / ".env"))
