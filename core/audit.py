"""The audit chain: one event per business action, append-only and hash-chained.

`audit_record` is called by services inside their transaction, after the change is made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import connection, models
from django.utils import timezone

from core.models import AuditEvent, User

GENESIS_HASH = "0" * 64
SYSTEM_ACTOR_LABEL = "system"
# Any constant works: it names the advisory lock that serialises appends to the chain.
_CHAIN_LOCK_KEY = 7_310_001


def _jsonable(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """Round-trip through JSON so what we hash is exactly what the database gives back."""
    normalised: dict[str, Any] = json.loads(json.dumps(dict(value or {}), default=str, sort_keys=True))
    return normalised


def event_hash(
    *,
    previous_hash: str,
    occurred_at: dt.datetime,
    actor_id: int | None,
    actor_label: str,
    action: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    reason: str,
    before: Mapping[str, Any],
    after: Mapping[str, Any],
) -> str:
    payload = {
        "previous_hash": previous_hash,
        "occurred_at": occurred_at.astimezone(dt.UTC).isoformat(),
        "actor_id": actor_id,
        "actor_label": actor_label,
        "action": action,
        "object_type": object_type,
        "object_id": object_id,
        "object_repr": object_repr,
        "reason": reason,
        "before": before,
        "after": after,
    }
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _lock_chain() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK_KEY])
    # SQLite serialises writers on the whole database, so the chain cannot fork there.


def audit_record(
    *,
    actor: User | None,
    action: str,
    obj: models.Model,
    reason: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
) -> AuditEvent:
    """Append one event to the chain. Must run inside the service's transaction."""
    _lock_chain()
    previous_hash = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
    content_type = ContentType.objects.get_for_model(obj, for_concrete_model=True)
    event = AuditEvent(
        occurred_at=timezone.now(),
        actor=actor,
        actor_label=actor.email if actor is not None else SYSTEM_ACTOR_LABEL,
        action=action,
        object_type=content_type,
        object_id=str(obj.pk),
        object_repr=str(obj)[:255],
        reason=reason,
        before=_jsonable(before),
        after=_jsonable(after),
        previous_hash=previous_hash,
    )
    event.hash = _hash_of(event, object_type_label=f"{content_type.app_label}.{content_type.model}")
    event.save(force_insert=True)
    return event


@dataclass(frozen=True)
class AuditItem:
    obj: models.Model
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None


def audit_record_many(*, actor: User | None, action: str, items: list[AuditItem], reason: str = "") -> int:
    """Append one event per item, chained in order, with one INSERT per batch (for batch jobs)."""
    if not items:
        return 0
    _lock_chain()
    previous_hash = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
    content_types = ContentType.objects.get_for_models(*{type(item.obj) for item in items}, for_concrete_models=True)
    now = timezone.now()
    events = []
    for item in items:
        content_type = content_types[type(item.obj)]
        event = AuditEvent(
            occurred_at=now,
            actor=actor,
            actor_label=actor.email if actor is not None else SYSTEM_ACTOR_LABEL,
            action=action,
            object_type=content_type,
            object_id=str(item.obj.pk),
            object_repr=str(item.obj)[:255],
            reason=reason,
            before=_jsonable(item.before),
            after=_jsonable(item.after),
            previous_hash=previous_hash,
        )
        event.hash = _hash_of(event, object_type_label=f"{content_type.app_label}.{content_type.model}")
        previous_hash = event.hash
        events.append(event)
    AuditEvent.objects.bulk_create(events, batch_size=1000)
    return len(events)


def _hash_of(event: AuditEvent, *, object_type_label: str) -> str:
    return event_hash(
        previous_hash=event.previous_hash,
        occurred_at=event.occurred_at,
        actor_id=event.actor_id,
        actor_label=event.actor_label,
        action=event.action,
        object_type=object_type_label,
        object_id=event.object_id,
        object_repr=event.object_repr,
        reason=event.reason,
        before=event.before,
        after=event.after,
    )


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    problem: str


def audit_chain_verify(*, batch_size: int = 2000) -> tuple[int, ChainBreak | None]:
    """Walk the chain in order. Returns how many events were checked and the first break, if any."""
    labels = {ct.pk: f"{ct.app_label}.{ct.model}" for ct in ContentType.objects.all()}
    expected_previous = GENESIS_HASH
    checked = 0
    for event in _iter_events(batch_size=batch_size):
        checked += 1
        if event.previous_hash != expected_previous:
            return checked, ChainBreak(event.pk, "previous_hash does not match the hash of the event before it")
        if _hash_of(event, object_type_label=labels[event.object_type_id]) != event.hash:
            return checked, ChainBreak(event.pk, "the stored hash does not match the event's contents")
        expected_previous = event.hash
    return checked, None


def _iter_events(*, batch_size: int) -> Iterator[AuditEvent]:
    last_id = 0
    while True:
        batch = list(AuditEvent.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return
        yield from batch
        last_id = batch[-1].pk
