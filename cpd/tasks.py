"""Celery tasks for CPD: thin, each one service call."""

from celery import shared_task

from cpd import services


@shared_task(name="cpd.tasks.compliance_nightly", ignore_result=True, soft_time_limit=1500, time_limit=1800)
def compliance_nightly() -> int:
    """Every practising entry's compliance in the current cycle (and, in January, the cycle just ended)."""
    return services.compliance_daily_run()


@shared_task(name="cpd.tasks.audit_reminders_daily", ignore_result=True)
def audit_reminders_daily() -> int:
    return services.audit_reminders_send()
