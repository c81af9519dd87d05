"""Celery tasks for licensing: thin, each one service call."""

from celery import shared_task

from licensing import services


@shared_task(name="licensing.tasks.renewal_daily", ignore_result=True, soft_time_limit=1500, time_limit=1800)
def renewal_daily() -> dict[str, int]:
    return services.renewal_daily_run()


@shared_task(name="licensing.tasks.renewal_reminders_daily", ignore_result=True, soft_time_limit=1500, time_limit=1800)
def renewal_reminders_daily() -> int:
    return services.renewal_reminders_daily_run()


@shared_task(
    name="licensing.tasks.stripe_event_process",
    ignore_result=True,
    autoretry_for=(Exception,),
    retry_backoff=True,
    max_retries=8,
)
def stripe_event_process(stripe_event_id: int) -> None:
    services.stripe_event_process(stripe_event_id=stripe_event_id)


@shared_task(name="licensing.tasks.stripe_events_sweep", ignore_result=True)
def stripe_events_sweep() -> int:
    return services.stripe_events_sweep()
