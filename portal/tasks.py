"""Celery tasks for employer alerts and webhooks: thin, each one service call."""

from celery import shared_task

from portal import alerts, webhooks
from portal.models import AlertFrequency


@shared_task(name="portal.tasks.alerts_run", ignore_result=True, soft_time_limit=120, time_limit=180)
def alerts_run() -> dict[str, int]:
    """New audit events become alerts for the organisations watching; immediate emails go out."""
    return alerts.alerts_run()


@shared_task(name="portal.tasks.alert_digest_daily", ignore_result=True, soft_time_limit=600, time_limit=900)
def alert_digest_daily() -> int:
    alerts.alerts_collect()
    return alerts.alerts_email(frequency=AlertFrequency.DAILY)


@shared_task(name="portal.tasks.webhook_deliver", ignore_result=True, soft_time_limit=60, time_limit=90)
def webhook_deliver(delivery_id: int) -> None:
    webhooks.deliver(delivery_id=delivery_id)


@shared_task(name="portal.tasks.webhook_retry_due", ignore_result=True, soft_time_limit=240, time_limit=300)
def webhook_retry_due() -> int:
    """Deliveries whose back-off has run out are tried again, one task each."""
    due = webhooks.due_ids()
    for delivery_id in due:
        webhook_deliver.delay(delivery_id)
    return len(due)
