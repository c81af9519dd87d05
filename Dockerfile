# syntax=docker/dockerfile:1
#
# One image for every process of the registry: the web server (gunicorn, the default CMD),
# the Celery worker and Celery beat (docker-compose.yml overrides the command for those).
# docs/operations.md explains how to build and run it.
#
#   docker build -t council-registry .

# ---------------------------------------------------------------------------------------------
# Stage 1: dependencies, compiled translations and collected static files.
# ---------------------------------------------------------------------------------------------
FROM python:3.12-slim AS build

# gettext's msgfmt compiles the translations. Only this stage needs it.
RUN apt-get update \
 && apt-get install -y --no-install-recommends gettext \
 && rm -rf /var/lib/apt/lists/*

RUN python -m venv /opt/venv
ENV PATH="/opt/venv/bin:$PATH"

WORKDIR /app

# Dependencies first, so that a code change does not reinstall them. pyproject.toml declares
# `packages = []`: `pip install .` installs the dependencies only, and the code is copied below.
COPY pyproject.toml ./
RUN pip install --no-cache-dir --upgrade pip \
 && pip install --no-cache-dir .

COPY . .

# Production settings read these four variables with no default. The values below exist only
# for this one RUN step (they are not ENV, so they are not in the image): compilemessages and
# collectstatic touch neither the database nor the mail server. Real values come at run time.
# locale/ may be empty, and git does not keep empty directories, so it is created if missing:
# compilemessages fails when it finds no locale directory at all.
RUN mkdir -p locale \
 && DJANGO_SETTINGS_MODULE=config.settings.production \
    DJANGO_SECRET_KEY=build-only-dummy-key-not-used-at-run-time \
    DJANGO_ALLOWED_HOSTS=localhost \
    DATABASE_URL=sqlite:///:memory: \
    DJANGO_EMAIL_BACKEND=django.core.mail.backends.dummy.EmailBackend \
    CELERY_BROKER_URL=redis://build.invalid:6379/0 \
    STRIPE_SECRET_KEY=sk_build_dummy STRIPE_PUBLISHABLE_KEY=pk_build_dummy STRIPE_WEBHOOK_SECRET=whsec_build_dummy \
    sh -c "python manage.py compilemessages -v 0 && python manage.py collectstatic --noinput -v 0" \
 && python -m compileall -q .

# ---------------------------------------------------------------------------------------------
# Stage 2: the runtime image: the virtualenv and the built app, no gettext, run as `registry`.
# ---------------------------------------------------------------------------------------------
FROM python:3.12-slim AS runtime

ENV PATH="/opt/venv/bin:$PATH" \
    PYTHONUNBUFFERED=1 \
    DJANGO_SETTINGS_MODULE=config.settings.production

# The code stays owned by root, read-only for the process. The user's home is writable because
# gunicorn puts its control socket in ~/.gunicorn.
RUN groupadd --system --gid 10001 registry \
 && useradd --system --uid 10001 --gid registry --create-home --home-dir /home/registry \
    --shell /usr/sbin/nologin registry

COPY --from=build /opt/venv /opt/venv
COPY --from=build /app /app

# Uploaded files (MEDIA_ROOT, /app/media unless DJANGO_MEDIA_ROOT says otherwise) are the only
# thing the application writes to disk. A named volume mounted here starts with this owner.
RUN mkdir -p /app/media \
 && chown registry:registry /app/media

WORKDIR /app
USER registry
EXPOSE 8000

# GET / (the public register's home page, which reads the database) must answer 200. The Host
# header is the first of DJANGO_ALLOWED_HOSTS, and X-Forwarded-Proto says https, as the load
# balancer would, so that neither ALLOWED_HOSTS nor SECURE_SSL_REDIRECT turns the probe away.
# docker-compose.yml replaces this check for the worker and switches it off for beat.
HEALTHCHECK --interval=30s --timeout=10s --start-period=40s --retries=3 \
  CMD ["python", "-c", "import http.client, os, sys; h = os.environ.get('DJANGO_ALLOWED_HOSTS', '').split(',')[0].strip().lstrip('.'); h = 'localhost' if h in ('', '*') else h; c = http.client.HTTPConnection('127.0.0.1', 8000, timeout=8); c.request('GET', '/', headers={'Host': h, 'X-Forwarded-Proto': 'https'}); sys.exit(0 if c.getresponse().status == 200 else 1)"]

# 3 workers suits a 1-2 CPU machine; the usual rule is (2 x CPUs) + 1. Override the command
# to change it (see docs/operations.md).
CMD ["gunicorn", "config.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
