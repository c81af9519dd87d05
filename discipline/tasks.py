"""Celery tasks for conduct: thin, each one service call."""

from celery import shared_task

from discipline import services


@shared_task(name="discipline.tasks.daily_run", ignore_result=True, soft_time_limit=600, time_limit=900)
def daily_run() -> tuple[int, int]:
    """Sanctions whose period has ended come off the register entries; notices past their time come down."""
    return services.discipline_daily_run()
