"""The Celery application. Periodic jobs are declared here, in code, in one place."""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

app = Celery("council_registry")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Retry every notification that is still unsent (https://crontab.guru/#*/5_*_*_*_*).
    # Open renewal, bill, add late penalties and lapse, on the council's local day (https://crontab.guru/#15_2_*_*_*).
    "renewal-daily": {
        "task": "licensing.tasks.renewal_daily",
        "schedule": crontab(hour=2, minute=15),
    },
    # Renewal reminders and at-risk reminders, in the morning of the council's day (https://crontab.guru/#30_7_*_*_*).
    "renewal-reminders": {
        "task": "licensing.tasks.renewal_reminders_daily",
        "schedule": crontab(hour=7, minute=30),
    },
    # Stripe events stored while the broker was down (https://crontab.guru/#*/10_*_*_*_*).
    "stripe-events-sweep": {
        "task": "licensing.tasks.stripe_events_sweep",
        "schedule": crontab(minute="*/10"),
    },
    # Every practising entry's CPD compliance, set-based, after the renewal run (https://crontab.guru/#45_2_*_*_*).
    "cpd-compliance": {
        "task": "cpd.tasks.compliance_nightly",
        "schedule": crontab(hour=2, minute=45),
    },
    # Sanctions that have run their course end, then published notices past their period come down
    # (https://crontab.guru/#5_0_*_*_*): just after midnight, so a suspension ends on its end date.
    "discipline-daily": {
        "task": "discipline.tasks.daily_run",
        "schedule": crontab(hour=0, minute=5),
    },
    # CPD audit evidence reminders (https://crontab.guru/#40_7_*_*_*).
    "cpd-audit-reminders": {
        "task": "cpd.tasks.audit_reminders_daily",
        "schedule": crontab(hour=7, minute=40),
    },
    # Read new audit events for changes to rostered practitioners; send immediate alerts and webhooks
    # (https://crontab.guru/#*_*_*_*_*).
    "employer-alerts": {
        "task": "portal.tasks.alerts_run",
        "schedule": crontab(minute="*"),
    },
    # Webhook deliveries whose back-off has run out (https://crontab.guru/#*_*_*_*_*).
    "webhook-retries": {
        "task": "portal.tasks.webhook_retry_due",
        "schedule": crontab(minute="*"),
    },
    # The daily alert digest for employers who chose it (https://crontab.guru/#0_6_*_*_*).
    "employer-alert-digest": {
        "task": "portal.tasks.alert_digest_daily",
        "schedule": crontab(hour=6, minute=0),
    },
    # Records past their retention rule are flagged for staff review, after the night's other jobs
    # (https://crontab.guru/#30_3_*_*_*).
    "retention-sweep": {
        "task": "retention.tasks.retention_sweep_daily",
        "schedule": crontab(hour=3, minute=30),
    },
    "notification-sweep": {
        "task": "core.tasks.notification_sweep",
        "schedule": crontab(minute="*/5"),
    },
}
