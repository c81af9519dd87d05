"""The audit chain: one event per business action, append-only and hash-chained.

`audit_record` is called by services inside their transaction, after the change is made.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator, Mapping, Sequence
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
    return _payload_hash(
        previous_hash=previous_hash,
        occurred_at=_utc_iso(occurred_at),
        actor_id=actor_id,
        actor_label=actor_label,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr,
        reason=reason,
        before=before,
        after=after,
    )


def _utc_iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat()


def _payload_hash(
    *,
    previous_hash: str,
    occurred_at: str,
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
    """The hash of one event, with its time already in UTC ISO form (batches compute that once)."""
    payload = {
        "previous_hash": previous_hash,
        "occurred_at": occurred_at,
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


@dataclass(frozen=True, slots=True)
class AuditRow:
    """One event of a batch about a row the batch knows by id and label, with no model instance loaded.

    `object_repr` must be what str() of the instance would give (the model's __str__).
    """

    object_id: int | str
    object_repr: str
    before: Mapping[str, Any] | None = None
    after: Mapping[str, Any] | None = None


def audit_record_many(*, actor: User | None, action: str, items: list[AuditItem], reason: str = "") -> int:
    """Append one event per item, chained in order, written in bulk (for batch jobs)."""
    if not items:
        return 0
    content_types = ContentType.objects.get_for_models(*{type(item.obj) for item in items}, for_concrete_models=True)
    return _append_many(
        actor=actor,
        action=action,
        reason=reason,
        rows=[
            (content_types[type(item.obj)], AuditRow(str(item.obj.pk), str(item.obj), item.before, item.after))
            for item in items
        ],
    )


def audit_record_rows(
    *, actor: User | None, action: str, model: type[models.Model], rows: Sequence[AuditRow], reason: str = ""
) -> int:
    """Append one event per row of `model`, chained in order: the batch jobs' path, with no instances built."""
    if not rows:
        return 0
    content_type = ContentType.objects.get_for_model(model, for_concrete_model=True)
    return _append_many(actor=actor, action=action, reason=reason, rows=[(content_type, row) for row in rows])


def _append_many(*, actor: User | None, action: str, reason: str, rows: Sequence[tuple[ContentType, AuditRow]]) -> int:
    """Hash the events in order after the chain's last one, then insert them in one COPY (PostgreSQL) or batch."""
    _lock_chain()
    previous_hash = AuditEvent.objects.order_by("-id").values_list("hash", flat=True).first() or GENESIS_HASH
    occurred_at = timezone.now()
    actor_id = actor.pk if actor is not None else None
    actor_label = actor.email if actor is not None else SYSTEM_ACTOR_LABEL
    hasher = _BatchHasher(
        occurred_at=_utc_iso(occurred_at), actor_id=actor_id, actor_label=actor_label, action=action, reason=reason
    )
    labels: dict[int, str] = {}
    events: list[tuple[Any, ...]] = []
    for content_type, row in rows:
        label = labels.get(content_type.pk)
        if label is None:
            label = labels[content_type.pk] = f"{content_type.app_label}.{content_type.model}"
        object_id, object_repr = str(row.object_id), row.object_repr[:255]
        before, after = _canonical_json(row.before), _canonical_json(row.after)
        event_digest = hasher.digest(
            previous_hash=previous_hash,
            object_type=label,
            object_id=object_id,
            object_repr=object_repr,
            before_json=before,
            after_json=after,
        )
        events.append(
            (
                occurred_at,
                actor_id,
                actor_label,
                action,
                content_type.pk,
                object_id,
                object_repr,
                reason,
                before,
                after,
                previous_hash,
                event_digest,
            )
        )
        previous_hash = event_digest
    _insert_events(events)
    return len(events)


# Batches hash thousands of events: the encoders are built once, and what every event of a batch
# shares is encoded once. The result is byte for byte what event_hash gives (tests check both).
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)
_NORMALISING = json.JSONEncoder(default=str, sort_keys=True)
_PLAIN_VALUES = (str, int, type(None))


def _canonical_json(value: Mapping[str, Any] | None) -> str:
    """The canonical JSON text of _jsonable(value): what event_hash puts in its payload for `before`/`after`.

    A flat mapping of text keys to text, whole numbers, booleans or null comes out of _jsonable's round
    trip unchanged, so it is encoded directly; anything else takes the round trip.
    """
    if not value:
        return "{}"
    plain = all(
        type(key) is str and isinstance(item, _PLAIN_VALUES) and not isinstance(item, float)
        for key, item in value.items()
    )
    normalised = value if plain else json.loads(_NORMALISING.encode(dict(value)))
    return _CANONICAL.encode(normalised)


class _BatchHasher:
    """event_hash for events sharing their time, actor, action and reason, with the payload built as text."""

    def __init__(self, *, occurred_at: str, actor_id: int | None, actor_label: str, action: str, reason: str) -> None:
        encode = _CANONICAL.encode
        # The payload's keys in sorted order, as json.dumps(..., sort_keys=True) writes them.
        self._head = (
            f'{{"action":{encode(action)},"actor_id":{encode(actor_id)},"actor_label":{encode(actor_label)},"after":'
        )
        self._occurred_at = f',"occurred_at":{encode(occurred_at)},"previous_hash":'
        self._tail = f',"reason":{encode(reason)}}}'

    def digest(
        self,
        *,
        previous_hash: str,
        object_type: str,
        object_id: str,
        object_repr: str,
        before_json: str,
        after_json: str,
    ) -> str:
        encode = _CANONICAL.encode
        canonical = (
            f'{self._head}{after_json},"before":{before_json},"object_id":{encode(object_id)},'
            f'"object_repr":{encode(object_repr)},"object_type":{encode(object_type)}'
            f"{self._occurred_at}{encode(previous_hash)}{self._tail}"
        )
        return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


_EVENT_COLUMNS = (
    "occurred_at",
    "actor_id",
    "actor_label",
    "action",
    "object_type_id",
    "object_id",
    "object_repr",
    "reason",
    "before",
    "after",
    "previous_hash",
    "hash",
)


def _insert_events(events: list[tuple[Any, ...]]) -> None:
    """Insert hashed events (JSON already as text) in chain order: ids follow the order of the rows."""
    table = AuditEvent._meta.db_table
    columns = ", ".join(_EVENT_COLUMNS)
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # COPY is the fastest way in; PostgreSQL parses the JSON text into jsonb.
            with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                for event in events:
                    copy.write_row(event)
            return
        adapt = connection.ops.adapt_datetimefield_value
        placeholders = ", ".join(["%s"] * len(_EVENT_COLUMNS))
        cursor.executemany(
            f"INSERT INTO {table} ({columns}) VALUES ({placeholders})",  # noqa: S608 - names from the model
            [(adapt(event[0]), *event[1:]) for event in events],
        )


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
