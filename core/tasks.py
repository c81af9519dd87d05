"""Celery tasks: thin, take ids, call one service."""

from celery import shared_task

from core import services


@shared_task(name="core.tasks.notification_send", ignore_result=True)
def notification_send(notification_id: int) -> None:
    services.notification_deliver(notification_id=notification_id)


@shared_task(name="core.tasks.notification_send_many", ignore_result=True, soft_time_limit=280, time_limit=300)
def notification_send_many(notification_ids: list[int]) -> None:
    for notification_id in notification_ids:
        services.notification_deliver(notification_id=notification_id)


@shared_task(name="core.tasks.notification_sweep", ignore_result=True, soft_time_limit=280, time_limit=300)
def notification_sweep() -> int:
    return services.notification_sweep()
