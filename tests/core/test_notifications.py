"""The notification outbox: rows commit with the action; a task sends them; a sweep retries what failed."""

from __future__ import annotations

import datetime as dt
import os
import selectors
import smtplib
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.utils import timezone
from kombu.exceptions import OperationalError

from config.celery_app import app as celery_app
from core import services
from core.models import Notification
from core.tasks import notification_send
from registry import services as registry_services
from tests import factories
from tests.conftest import require


class BrokenMailBackend:
    """A mail server that is down."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        pass

    def send_messages(self, messages: Any) -> int:
        raise smtplib.SMTPServerDisconnected("Connection unexpectedly closed")


@pytest.mark.django_db
def test_a_mail_outage_keeps_the_action_and_the_notification(
    settings, categories, applicant, django_capture_on_commit_callbacks
):
    # given a mail server that is down
    settings.MAILERS = {"default": {"BACKEND": "tests.core.test_notifications.BrokenMailBackend"}}
    application = factories.draft_application(applicant=applicant, category=categories["social-worker"])
    # when the applicant submits
    with django_capture_on_commit_callbacks(execute=True):
        registry_services.application_submit(actor=applicant, application=application)
    # then the submission stands, and the notification waits with its error
    application.refresh_from_db()
    assert application.status == "SUBMITTED"
    notification = Notification.objects.get()
    assert (notification.status, notification.attempts, notification.last_error) == (
        "PENDING",
        1,
        "SMTPServerDisconnected: Connection unexpectedly closed",
    )
    # and when the mail server is back, the sweep sends it
    settings.MAILERS = {"default": {"BACKEND": "django.core.mail.backends.locmem.EmailBackend"}}
    Notification.objects.filter(pk=notification.pk).update(last_attempt_at=timezone.now() - dt.timedelta(hours=1))
    assert services.notification_sweep() == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == ("SENT", 2, "")
    assert mail.outbox[0].subject == f"We have received your application {application.reference}"


@pytest.mark.django_db
def test_a_broker_outage_never_fails_the_action(monkeypatch, categories, applicant, django_capture_on_commit_callbacks):
    # given a broker that refuses connections
    def broker_down(*args: Any, **kwargs: Any) -> None:
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(notification_send, "delay", broker_down)
    application = factories.draft_application(applicant=applicant, category=categories["social-worker"])
    # when the applicant submits
    with django_capture_on_commit_callbacks(execute=True):
        registry_services.application_submit(actor=applicant, application=application)
    # then the action committed and the notification is waiting for the sweep
    application.refresh_from_db()
    assert application.status == "SUBMITTED"
    assert Notification.objects.get().status == "PENDING"
    assert mail.outbox == []


@pytest.mark.django_db
def test_the_sweep_leaves_recent_and_sent_rows_alone(settings, applicant):
    settings.COUNCIL_NOTIFICATION_RETRY_AFTER_SECONDS = 120
    fresh = Notification.objects.create(recipient=applicant, to_email=applicant.email, subject="s", body="b", kind="k")
    done = Notification.objects.create(
        recipient=applicant,
        to_email=applicant.email,
        subject="s",
        body="b",
        kind="k",
        status="SENT",
        sent_at=timezone.now(),
    )
    assert services.notification_sweep() == 0
    assert Notification.objects.get(pk=fresh.pk).attempts == 0
    assert Notification.objects.get(pk=done.pk).attempts == 0


@pytest.mark.django_db
def test_a_notification_fails_for_good_after_the_attempt_limit(settings, applicant):
    settings.MAILERS = {"default": {"BACKEND": "tests.core.test_notifications.BrokenMailBackend"}}
    settings.COUNCIL_NOTIFICATION_MAX_ATTEMPTS = 2
    notification = Notification.objects.create(
        recipient=applicant, to_email=applicant.email, subject="s", body="b", kind="k"
    )
    services.notification_deliver(notification_id=notification.pk)
    services.notification_deliver(notification_id=notification.pk)
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("FAILED", 2)
    assert services.notification_deliver(notification_id=notification.pk) is None


@pytest.mark.django_db
def test_notifications_are_written_in_the_recipients_language(categories, django_capture_on_commit_callbacks):
    applicant = factories.UserFactory(preferred_language="fr")
    application = factories.draft_application(applicant=applicant, category=categories["social-worker"])
    with django_capture_on_commit_callbacks(execute=True):
        registry_services.application_submit(actor=applicant, application=application)
    notification = Notification.objects.get()
    assert notification.subject == f"Nous avons bien reçu votre demande {application.reference}"


def _redis_available() -> bool:
    import redis

    try:
        return bool(redis.Redis(host="127.0.0.1", port=6379, socket_timeout=2).ping())
    except redis.exceptions.ConnectionError:
        return False


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_outbox_through_redis(categories, applicant, tmp_path: Path):
    # given a real Celery worker on the machine's Redis, reading this test's database, on a queue of its own
    require(_redis_available(), "Redis on 127.0.0.1:6379")
    assert connection.vendor == "postgresql"
    broker = "redis://127.0.0.1:6379/9"
    queue = f"test-{uuid.uuid4().hex}"
    mail_dir = tmp_path / "mail"
    database = connection.settings_dict
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "CELERY_BROKER_URL": broker,
        "DJANGO_EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "DJANGO_EMAIL_FILE_PATH": str(mail_dir),
    }
    worker = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "config",
            "worker",
            "--pool=solo",
            "-Q",
            queue,
            "-l",
            "INFO",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    saved = {key: celery_app.conf[key] for key in ("task_always_eager", "broker_url", "task_routes")}
    celery_app.conf.update(task_always_eager=False, broker_url=broker, task_routes={"core.tasks.*": {"queue": queue}})
    _forget_connections()
    try:
        # when the applicant submits (the service queues the notification after commit)
        application = factories.draft_application(applicant=applicant, category=categories["social-worker"])
        registry_services.application_submit(actor=applicant, application=application)
        # then the worker picks the task from Redis and sends the mail
        log = _read_until(worker, "core.tasks.notification_send", "succeeded", deadline_seconds=60)
        notification = Notification.objects.get()
        assert notification.status == "SENT", log
        assert notification.attempts == 1
        sent = list(mail_dir.iterdir())
        assert len(sent) == 1
        assert f"We have received your application {application.reference}" in sent[0].read_text()
    finally:
        celery_app.conf.update(saved)
        _forget_connections()
        worker.terminate()
        worker.wait(timeout=20)


def _forget_connections() -> None:
    """Drop the app's cached connection pools and routes, so the next send uses the current broker and routes."""
    celery_app._pool = None
    amqp = celery_app.amqp
    amqp._producer_pool = None
    amqp._rtable = None
    for cached in ("queues", "router"):
        amqp.__dict__.pop(cached, None)


def _read_until(process: subprocess.Popen[str], *needles: str, deadline_seconds: float) -> str:
    """Read the worker's log until one line holds every needle; fail with the log at the deadline."""
    assert process.stdout is not None
    selector = selectors.DefaultSelector()
    selector.register(process.stdout, selectors.EVENT_READ)
    lines: list[str] = []
    deadline = time.monotonic() + deadline_seconds
    while time.monotonic() < deadline:
        if not selector.select(timeout=deadline - time.monotonic()):
            break
        line = process.stdout.readline()
        if not line:
            break
        lines.append(line)
        if all(needle in line for needle in needles):
            return "".join(lines)
    pytest.fail("the worker did not report the task:\n" + "".join(lines[-40:]))
