"""Sentry is off without SENTRY_DSN and on, with no personal data, with it. Each case runs in its own
interpreter, so the test process never has a Sentry client, and the DSN points at a closed loopback port."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "DJANGO_SECRET_KEY": "x" * 50,
    "DJANGO_ALLOWED_HOSTS": "registry.example",
    "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/postgres",
    "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "STRIPE_SECRET_KEY": "sk_test_x",
    "STRIPE_PUBLISHABLE_KEY": "pk_test_x",
    "STRIPE_WEBHOOK_SECRET": "whsec_x",
}
REPORT = (
    "import json, sys, django; django.setup(); import sentry_sdk; client = sentry_sdk.get_client(); "
    "sys.stdout.write(json.dumps({'active': client.is_active(), "
    "'pii': client.options.get('send_default_pii'), 'rate': client.options.get('traces_sample_rate'), "
    "'environment': client.options.get('environment'), "
    "'integrations': sorted(getattr(client, 'integrations', {}))}))"
)


def _production_sentry(**extra: str) -> dict:
    environment = {key: value for key, value in os.environ.items() if not key.startswith("SENTRY_")}
    environment.update(PRODUCTION, **extra)
    result = subprocess.run(
        [sys.executable, "-c", REPORT],
        env=environment,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_sentry_stays_off_without_a_dsn():
    report = _production_sentry()
    assert report["active"] is False
    assert report["integrations"] == []


def test_sentry_starts_with_a_dsn_sending_no_personal_data():
    report = _production_sentry(
        SENTRY_DSN="http://public@127.0.0.1:9/1", SENTRY_TRACES_SAMPLE_RATE="0.25", SENTRY_ENVIRONMENT="staging"
    )
    assert report["active"] is True
    assert report["pii"] is False
    assert report["rate"] == 0.25
    assert report["environment"] == "staging"
    assert {"django", "celery"} <= set(report["integrations"])
