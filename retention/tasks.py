"""Celery tasks for retention: thin, one service call."""

from celery import shared_task

from retention import services


@shared_task(name="retention.tasks.retention_sweep_daily", ignore_result=True, soft_time_limit=600, time_limit=900)
def retention_sweep_daily() -> dict[str, int]:
    """Records past their retention are flagged for staff review (nothing is disposed of without a decision)."""
    return services.retention_sweep()
