#!/usr/bin/env bash
# Static checks, each of which must pass: lint, format, types, migrations, deploy settings.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
echo "== ruff check";  $BIN/ruff check .
echo "== ruff format"; $BIN/ruff format --check .
echo "== mypy";        $BIN/mypy .
echo "== makemigrations --check"
DJANGO_SETTINGS_MODULE=config.settings.local DATABASE_URL=sqlite:///:memory: \
  $BIN/python manage.py makemigrations --check --dry-run
echo "== check --deploy (production settings)"
DJANGO_SETTINGS_MODULE=config.settings.production \
  DJANGO_SECRET_KEY="ci-$(head -c 48 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')" \
  DJANGO_ALLOWED_HOSTS=registry.council.example DJANGO_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend \
  CELERY_BROKER_URL=redis://127.0.0.1:6379/0 \
  STRIPE_SECRET_KEY=sk_live_ci STRIPE_PUBLISHABLE_KEY=pk_live_ci STRIPE_WEBHOOK_SECRET=whsec_ci \
  COUNCIL_SIGNING_KEY="$($BIN/python -c "import base64, os; print(base64.urlsafe_b64encode(os.urandom(32)).rstrip(b'=').decode())")" \
  COUNCIL_FIELD_ENCRYPTION_KEYS="$($BIN/python -c "from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())")" \
  DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \
  $BIN/python manage.py check --deploy --fail-level WARNING
