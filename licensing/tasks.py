"""Celery tasks for licensing: thin, each one service call."""

from celery import shared_task

from licensing import services


@shared_task(name="licensing.tasks.renewal_daily", ignore_result=True, soft_time_limit=1500, time_limit=1800)
def renewal_daily() -> dict[str, int]:
    return services.renewal_daily_run()
