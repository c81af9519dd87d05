"""Writes for shared pieces: the notification outbox and council configuration."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import smtplib
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext

from core.exceptions import ApplicationError
from core.models import Notification, User

logger = logging.getLogger(__name__)


def notification_queue(
    *,
    recipient: User | None,
    kind: str,
    context: Mapping[str, Any] | None = None,
    to_email: str | None = None,
    language: str = "",
) -> Notification:
    """Render a notification in the recipient's language and put it in the outbox.

    `recipient` is None for people without an account (a complainant): then `to_email` is required,
    and `language` is the one they used. The row commits with the caller's transaction; sending starts
    only after that commit, so a mail or broker outage never fails the user's action and loses nothing.
    """
    from core.tasks import notification_send

    if recipient is None and not to_email:
        raise ValueError("A notification with no recipient account needs an address")
    language = (recipient.preferred_language if recipient is not None else language) or settings.LANGUAGE_CODE
    with translation.override(language):
        full_context = {"recipient": recipient, "site_name": _site_name(), **(context or {})}
        subject = render_to_string(f"notifications/{kind}_subject.txt", full_context).strip()
        body = render_to_string(f"notifications/{kind}_body.txt", full_context).strip() + "\n"
    address = to_email or (recipient.email if recipient is not None else "")
    notification = Notification.objects.create(
        recipient=recipient, to_email=address, subject=subject, body=body, kind=kind
    )
    # robust: if the broker is down, the error is logged and the periodic sweep sends it later.
    transaction.on_commit(lambda: notification_send.delay(notification.pk), robust=True)
    return notification


def notification_queue_many(*, kind: str, items: list[tuple[User, Mapping[str, Any]]]) -> int:
    """The batch form of notification_queue: one INSERT, one task per thousand rows after commit."""
    from core.tasks import notification_send_many

    site_name = _site_name()
    rows = []
    for recipient, context in items:
        with translation.override(recipient.preferred_language or settings.LANGUAGE_CODE):
            full_context = {"recipient": recipient, "site_name": site_name, **context}
            subject = render_to_string(f"notifications/{kind}_subject.txt", full_context).strip()
            body = render_to_string(f"notifications/{kind}_body.txt", full_context).strip() + "\n"
        rows.append(Notification(recipient=recipient, to_email=recipient.email, subject=subject, body=body, kind=kind))
    created = Notification.objects.bulk_create(rows, batch_size=1000)
    ids = [row.pk for row in created]
    for start in range(0, len(ids), 1000):
        transaction.on_commit(functools.partial(notification_send_many.delay, ids[start : start + 1000]), robust=True)
    return len(ids)


def _site_name() -> str:
    from core.selectors import council_get

    council = council_get()
    return council.name if council is not None else gettext("Council registry")


@transaction.atomic
def notification_deliver(*, notification_id: int) -> Notification | None:
    """Send one pending notification. Returns None when another worker holds it or it is done."""
    notification = (
        Notification.objects.select_for_update(skip_locked=True)
        .filter(pk=notification_id, status=Notification.Status.PENDING)
        .first()
    )
    if notification is None:
        return None
    now = timezone.now()
    notification.attempts += 1
    notification.last_attempt_at = now
    try:
        send_mail(
            notification.subject,
            notification.body,
            settings.DEFAULT_FROM_EMAIL,
            [notification.to_email],
            fail_silently=False,
        )
    except (smtplib.SMTPException, OSError) as exc:
        # Mail server trouble: worth retrying later.
        _record_failure(notification, exc)
    except Exception as exc:
        # Anything else (a bad address, a backend bug) is recorded too, so the row can't retry forever unseen.
        logger.exception("Notification %s failed unexpectedly", notification.pk)
        _record_failure(notification, exc)
    else:
        notification.status = Notification.Status.SENT
        notification.sent_at = now
        notification.last_error = ""
    notification.save(update_fields=["attempts", "last_attempt_at", "status", "sent_at", "last_error", "updated_at"])
    return notification


def _record_failure(notification: Notification, exc: Exception) -> None:
    notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
    if notification.attempts >= settings.COUNCIL_NOTIFICATION_MAX_ATTEMPTS:
        notification.status = Notification.Status.FAILED
    logger.warning("Notification %s not sent (attempt %s): %s", notification.pk, notification.attempts, exc)


def notification_sweep(*, limit: int = 100) -> int:
    """Retry every pending notification not tried recently. Returns how many were sent."""
    cutoff = timezone.now() - dt.timedelta(seconds=settings.COUNCIL_NOTIFICATION_RETRY_AFTER_SECONDS)
    due_ids = list(
        Notification.objects.filter(status=Notification.Status.PENDING)
        .filter(Q(last_attempt_at__isnull=True, created_at__lte=cutoff) | Q(last_attempt_at__lte=cutoff))
        .order_by("id")
        .values_list("id", flat=True)[:limit]
    )
    sent = 0
    for notification_id in due_ids:
        delivered = notification_deliver(notification_id=notification_id)
        if delivered is not None and delivered.status == Notification.Status.SENT:
            sent += 1
    return sent


@transaction.atomic
def configuration_save(*, actor: User | None, instance: Any, changed_fields: list[str], reason: str = "") -> Any:
    """Save a configuration row edited in the admin (council settings, rules, categories) with its audit event."""
    from django.forms.models import model_to_dict

    from core.audit import audit_record

    is_new = instance.pk is None
    before: dict[str, Any] = {}
    if not is_new:
        stored = type(instance)._default_manager.get(pk=instance.pk)
        before = {name: value for name, value in model_to_dict(stored).items() if name in changed_fields}
    instance._change_reason = reason or ("created in admin" if is_new else "edited in admin")
    instance.save()
    after = {name: value for name, value in model_to_dict(instance).items() if is_new or name in changed_fields}
    audit_record(
        actor=actor,
        action="configuration.created" if is_new else "configuration.changed",
        obj=instance,
        reason=instance._change_reason,
        before=before,
        after=after,
    )
    return instance


def permission_require(actor: User | None, permission: str) -> None:
    """Refuse a staff action to someone without the permission. `None` is the system (scheduled jobs)."""
    if actor is not None and not actor.has_perm(permission):
        raise ApplicationError(gettext("You do not have permission to do this."))


# Encryption keys ------------------------------------------------------------------------------


@transaction.atomic
def identifiers_reencrypt(*, actor: User | None, reason: str) -> dict[str, int]:
    """Re-encrypt every stored identifier under the first COUNCIL_FIELD_ENCRYPTION_KEYS key and
    recompute its digest, in history tables too, so an old key can then be dropped. The values
    themselves do not change, so no history rows are added; one audit event records the run."""
    from django.apps import apps

    from core.audit import audit_record
    from core.crypto import EncryptedTextField, decrypt, identifier_digest, reencrypt
    from core.models import Council

    counts: dict[str, int] = {}
    connection = transaction.get_connection()
    quote = connection.ops.quote_name
    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if not isinstance(field, EncryptedTextField):
                continue
            table, pk = quote(model._meta.db_table), quote(model._meta.pk.column)
            digest = quote(field.digest_field) if field.digest_field else None  # a plain field: its column is its name
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {pk}, {quote(field.column)} FROM {table} WHERE {quote(field.column)} <> ''")  # noqa: S608
                rows = cursor.fetchall()
                for row_id, token in rows:
                    assignments, values = [f"{quote(field.column)} = %s"], [reencrypt(token)]
                    if digest:
                        assignments.append(f"{digest} = %s")
                        values.append(identifier_digest(decrypt(token)))
                    cursor.execute(f"UPDATE {table} SET {', '.join(assignments)} WHERE {pk} = %s", [*values, row_id])  # noqa: S608
            counts[f"{model._meta.label}.{field.name}"] = len(rows)
    council = Council.objects.first()
    if council is not None:
        audit_record(actor=actor, action="encryption.keys_rotated", obj=council, reason=reason, after=counts)
    return counts
