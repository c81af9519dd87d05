"""The subject-access export: every row held about a person, found by walking the model graph.

`personal_data_collect` walks `core.person_graph.references_to` (docs/architecture.md, "Subject-access
export"):

1. The person's Practitioner and User rows, then every row of every model that references either
   directly, history models included (that is how past values of their records come in).
2. Ownership: rows referencing a row already held about them, transitively (their invoice's lines,
   their register entry's licences, their case's hearings). Rows that name them only as the one who
   acted (privacy.rules.is_acting_relation: a registrar's decisions, a panel member's seats) are
   listed, not copied, and nothing is followed from them: they hold other people's data.
3. The history rows of every row held about them, and the audit events about those rows.

Each hop asks one query per referencing model (its relations OR-ed, pk__in in chunks), so the query
count grows with the number of relations and hops, never with the number of rows.
`personal_data_document` turns the result into the JSON-safe document; `export_missing_rows` checks a
document against the graph, independently of the walk.
"""

from __future__ import annotations

import base64
import datetime as dt
import enum
import functools
import json
import operator
import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.db.models.fields.files import FieldFile
from django.utils import timezone
from django.utils.duration import duration_iso_string
from django.utils.functional import Promise

from core.models import AuditEvent, User
from core.person_graph import Reference, references_to
from core.selectors import council_get
from privacy import rules
from registry.models import Practitioner, RegisterEntry

CHUNK = 500  # ids per query: well inside every database's limit on parameters

ModelType = type[models.Model]


class Extent(enum.StrEnum):
    FULL = "full"  # held about the person: every field, less what privacy.rules withholds
    MENTION = "mention"  # names the person only as the one who acted: listed, not copied


@dataclass(frozen=True)
class Subject:
    """The person: their practitioner row, their account, or both."""

    practitioner: Practitioner | None
    user: User | None

    def __post_init__(self) -> None:
        if self.practitioner is None and self.user is None:
            raise ValueError("A subject needs a practitioner row or a user account")

    @property
    def name(self) -> str:
        if self.practitioner is not None and self.practitioner.full_name:
            return self.practitioner.full_name
        assert self.user is not None  # noqa: S101 (a subject without a practitioner has a user)
        return self.user.display_name

    def seeds(self) -> list[models.Model]:
        return [row for row in (self.practitioner, self.user) if row is not None]


def subject_for_user(*, user: User) -> Subject:
    """A signed-in person: their account and, once they are registered, their practitioner row."""
    return Subject(practitioner=Practitioner.objects.filter(user=user).first(), user=user)


def subject_for_practitioner(*, practitioner_id: int) -> Subject:
    """A practitioner (and their account, if they have one). Raises Practitioner.DoesNotExist."""
    practitioner = Practitioner.objects.select_related("user").get(pk=practitioner_id)
    return Subject(practitioner=practitioner, user=practitioner.user)


# --- The walk ----------------------------------------------------------------------------------


@dataclass
class HeldRow:
    instance: models.Model
    extent: Extent
    named_as: set[str] = field(default_factory=set)  # the relations through which the row was found


@dataclass
class Holding:
    """Every row found, by model and primary key."""

    subject: Subject
    rows: dict[ModelType, dict[Any, HeldRow]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, instance: models.Model, extent: Extent, named_as: Iterable[str] = ()) -> bool:
        """Hold a row; True when it is newly held in full (and so its own references are to be followed)."""
        by_pk = self.rows[instance._meta.model]
        held = by_pk.get(instance.pk)
        if held is None:
            by_pk[instance.pk] = HeldRow(instance=instance, extent=extent, named_as=set(named_as))
            return extent is Extent.FULL
        held.named_as.update(named_as)
        if extent is Extent.FULL and held.extent is Extent.MENTION:
            held.extent = Extent.FULL
            return True
        return False

    def full_pks(self) -> dict[ModelType, list[Any]]:
        found = {
            model: sorted(pk for pk, held in by_pk.items() if held.extent is Extent.FULL)
            for model, by_pk in self.rows.items()
        }
        return {model: pks for model, pks in found.items() if pks}

    def holds_in_full(self, model: ModelType, pk: Any) -> bool:
        held = self.rows.get(model, {}).get(pk)
        return held is not None and held.extent is Extent.FULL

    @property
    def row_count(self) -> int:
        return sum(len(by_pk) for by_pk in self.rows.values())


@functools.cache
def _references(target: ModelType) -> tuple[Reference, ...]:
    """Every relation pointing at `target` (the installed models do not change while the process runs)."""
    return tuple(references_to(target))


def is_history_model(model: ModelType) -> bool:
    return hasattr(model, "instance_type") and (model._meta.object_name or "").startswith("Historical")


def tracked_label(model: ModelType) -> str:
    """A history model's tracked model's label (what privacy.rules is keyed by); else the model's own."""
    if is_history_model(model):
        return str(model.instance_type._meta.label)  # type: ignore[attr-defined]
    return str(model._meta.label)


@functools.cache
def _history_model(model: ModelType) -> ModelType | None:
    attribute = getattr(model._meta, "simple_history_manager_attribute", None)
    if attribute is None:
        return None
    history: ModelType = getattr(model, attribute).model
    return history


def _related(relation: Any) -> ModelType:
    """The model a relation points at (a resolved relation always has one)."""
    target: ModelType | None = relation.related_model
    if target is None:
        raise ValueError(f"{relation} points at no model")
    return target


def _is_followed(model: ModelType) -> bool:
    """Rows whose own references are followed: not snapshots, not audit events (leaves of the walk)."""
    return not is_history_model(model) and model is not AuditEvent


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def personal_data_collect(*, subject: Subject) -> Holding:
    """Every row held about the subject, or naming them (module docstring)."""
    holding = Holding(subject=subject)
    frontier: dict[ModelType, set[Any]] = defaultdict(set)
    for seed in subject.seeds():
        holding.add(seed, Extent.FULL)
        frontier[seed._meta.model].add(seed.pk)
    while frontier:
        following: dict[ModelType, set[Any]] = defaultdict(set)
        for instance, matched in _rows_referencing(frontier):
            model = instance._meta.model
            owning = [
                reference
                for reference in matched
                if not (
                    reference.field.related_model is User
                    and rules.is_acting_relation(model._meta.label, reference.field.name)
                )
            ]
            extent = Extent.FULL if owning else Extent.MENTION
            newly_full = holding.add(instance, extent, named_as={reference.field.name for reference in matched})
            if newly_full and _is_followed(model):
                following[model].add(instance.pk)
        frontier = following
    _add_history(holding)
    _add_audit_events(holding)
    return holding


def _rows_referencing(frontier: Mapping[ModelType, set[Any]]) -> Iterator[tuple[models.Model, list[Reference]]]:
    """Each row with a relation into the frontier, with the relations that matched. One query per
    referencing model and chunk of ids (its relations OR-ed), plus one per many-to-many relation."""
    wanted: dict[ModelType, list[Reference]] = defaultdict(list)
    for target in frontier:
        for reference in _references(target):
            wanted[reference.model].append(reference)
    for model, references in wanted.items():
        plain = [reference for reference in references if not reference.is_many_to_many]
        for batch in _batches(plain, frontier):
            condition = functools.reduce(
                operator.or_, (Q(**{f"{reference.field.attname}__in": ids}) for reference, ids in batch)
            )
            for instance in model._base_manager.filter(condition).order_by():
                matched = [
                    reference
                    for reference in plain
                    if getattr(instance, reference.field.attname) in frontier[_related(reference.field)]
                ]
                yield instance, matched
        for reference in references:
            if reference.is_many_to_many:
                yield from _many_to_many_rows(reference, frontier[_related(reference.field)])


def _batches(
    references: Sequence[Reference], frontier: Mapping[ModelType, set[Any]]
) -> Iterator[list[tuple[Reference, Sequence[Any]]]]:
    """(relation, ids) pairs grouped so that no query asks for more than CHUNK ids."""
    batch: list[tuple[Reference, Sequence[Any]]] = []
    size = 0
    for reference in references:
        for ids in _chunks(sorted(frontier[_related(reference.field)])):
            if batch and size + len(ids) > CHUNK:
                yield batch
                batch, size = [], 0
            batch.append((reference, ids))
            size += len(ids)
    if batch:
        yield batch


def _many_to_many_rows(reference: Reference, ids: set[Any]) -> Iterator[tuple[models.Model, list[Reference]]]:
    m2m = reference.field
    through = m2m.remote_field.through  # type: ignore[union-attr]
    source = m2m.m2m_field_name()  # type: ignore[attr-defined]
    target = m2m.m2m_reverse_field_name()  # type: ignore[attr-defined]
    for part in _chunks(sorted(ids)):
        linked = through._default_manager.filter(**{f"{target}__in": part}).values(source)
        for instance in reference.model._base_manager.filter(pk__in=linked).order_by():
            yield instance, [reference]


def _add_history(holding: Holding) -> None:
    """The history rows of every row held in full: one query per model and chunk of ids."""
    for model, pks in holding.full_pks().items():
        history = _history_model(model) if _is_followed(model) else None
        if history is None:
            continue
        for part in _chunks(pks):
            lookup = {f"{model._meta.pk.attname}__in": part}
            for snapshot in history._base_manager.filter(**lookup).order_by():
                holding.add(snapshot, Extent.FULL)


def _add_audit_events(holding: Holding) -> None:
    """The audit events about every row held in full: one query per CHUNK ids, whatever their models."""
    held = {model: pks for model, pks in holding.full_pks().items() if _is_followed(model)}
    if not held:
        return
    content_types = ContentType.objects.get_for_models(*held, for_concrete_models=True)
    batch: list[Q] = []
    size = 0
    for model, pks in held.items():
        for part in _chunks([str(pk) for pk in pks]):
            if batch and size + len(part) > CHUNK:
                _add_events(holding, batch)
                batch, size = [], 0
            batch.append(Q(object_type=content_types[model], object_id__in=part))
            size += len(part)
    _add_events(holding, batch)


def _add_events(holding: Holding, conditions: list[Q]) -> None:
    for event in AuditEvent.objects.filter(functools.reduce(operator.or_, conditions)).order_by():
        holding.add(event, Extent.FULL)


# --- The document ------------------------------------------------------------------------------

# What a row that names the person only as the actor shows besides those relations.
_MENTION_DETAILS: Mapping[str, tuple[str, ...]] = {"core.AuditEvent": ("action", "object_type", "object_id")}


def json_value(value: Any) -> Any:
    """A field's value in JSON: dates in ISO 8601, decimals as strings, files by name."""
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, FieldFile):
        return value.name or None
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, dt.timedelta):
        return duration_iso_string(value)
    if isinstance(value, Decimal | uuid.UUID | Promise):
        return str(value)
    if isinstance(value, bytes | memoryview):
        return base64.b64encode(bytes(value)).decode("ascii")
    # JSON columns: already JSON, except what a JSON encoder would write with default=str.
    return json.loads(json.dumps(value, default=str))


def personal_data_document(*, holding: Holding) -> dict[str, Any]:
    """The export as a JSON-safe dict: the subject, then one section per model in a stable order."""
    many = _many_to_many_values(holding)
    labels = _labels(holding, many)
    sections = []
    for model in sorted(holding.rows, key=_section_key):
        held_rows = sorted(holding.rows[model].values(), key=lambda held: held.instance.pk)
        sections.append(
            {
                "model": model._meta.label,
                "verbose_name": str(model._meta.verbose_name_plural),
                "rows": [_row(held, holding, labels, many) for held in held_rows],
            }
        )
    council = council_get()
    return {
        "generated_at": timezone.now().isoformat(),
        "council": council.name if council is not None else "",
        "subject": _subject(holding),
        "sections": sections,
    }


def _section_key(model: ModelType) -> tuple[int, str, str, int]:
    """The person's own rows first, then by app and model, each model's history right after it."""
    order = {"core.User": 0, "registry.Practitioner": 1}
    tracked = tracked_label(model)
    app_label, _dot, name = tracked.partition(".")
    return (order.get(tracked, 2), app_label, name, 1 if is_history_model(model) else 0)


def _subject(holding: Holding) -> dict[str, Any]:
    subject = holding.subject
    entries = holding.rows.get(RegisterEntry, {})
    return {
        "name": subject.name,
        "practitioner": subject.practitioner.pk if subject.practitioner is not None else None,
        "user": subject.user.pk if subject.user is not None else None,
        "email": subject.user.email if subject.user is not None else "",
        "registration_numbers": sorted(
            held.instance.registration_number  # type: ignore[attr-defined]
            for held in entries.values()
            if held.extent is Extent.FULL
        ),
    }


def _row(
    held: HeldRow, holding: Holding, labels: Mapping[tuple[ModelType, Any], str], many: Mapping[Any, Any]
) -> dict[str, Any]:
    instance = held.instance
    model = instance._meta.model
    row: dict[str, Any] = {"model": model._meta.label, "pk": json_value(instance.pk), "extent": str(held.extent)}
    if held.extent is Extent.MENTION:
        row["named_as"] = sorted(held.named_as)
        shown = set(held.named_as) | set(_MENTION_DETAILS.get(model._meta.label, ()))
        if is_history_model(model):
            shown.add("history_type")
        row["fields"] = {
            name: value
            for name, value in _field_values(instance, labels, many).items()
            if name in shown or isinstance(model._meta.get_field(name), models.DateTimeField)
        }
        user = holding.subject.user
        for m2m in model._meta.many_to_many:
            if m2m.name in held.named_as and user is not None:  # the person's own place in the list
                row["fields"][m2m.name] = [{"pk": user.pk, "label": labels.get((User, user.pk))}]
        return row
    fields = _field_values(instance, labels, many)
    user = holding.subject.user
    withheld = _withheld(model, fields, user.pk if user is not None else None)
    row["fields"] = {name: value for name, value in fields.items() if name not in withheld}
    if withheld:
        row["withheld"] = withheld
    return row


def _withheld(model: ModelType, fields: Mapping[str, Any], user_id: int | None) -> dict[str, str]:
    label = tracked_label(model)
    withheld = {name: str(reason) for name, reason in rules.WITHHELD.get(label, {}).items() if name in fields}
    conditional = rules.WITHHELD_WHEN.get(label)
    if conditional is not None:
        applies, names, reason = conditional
        if applies(fields, user_id):
            withheld.update({name: str(reason) for name in names if name in fields})
    return dict(sorted(withheld.items()))


def _field_values(
    instance: models.Model, labels: Mapping[tuple[ModelType, Any], str], many: Mapping[Any, Any]
) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for model_field in instance._meta.concrete_fields:
        if model_field.primary_key:
            continue
        raw = getattr(instance, model_field.attname)
        if model_field.is_relation:
            label = labels.get((_related(model_field), raw))
            values[model_field.name] = None if raw is None else {"pk": json_value(raw), "label": label}
        else:
            values[model_field.name] = json_value(raw)
    for m2m in instance._meta.many_to_many:
        target = _related(m2m)
        ids = many.get((instance._meta.model, instance.pk, m2m.name), [])
        values[m2m.name] = [{"pk": json_value(pk), "label": labels.get((target, pk))} for pk in ids]
    return values


def _many_to_many_values(holding: Holding) -> dict[tuple[ModelType, Any, str], list[Any]]:
    """The many-to-many ids of every row held in full: one query per relation and chunk of ids."""
    values: dict[tuple[ModelType, Any, str], list[Any]] = defaultdict(list)
    for model, pks in holding.full_pks().items():
        for m2m in model._meta.many_to_many:
            through: ModelType = m2m.remote_field.through  # type: ignore[assignment]
            source = m2m.m2m_field_name()
            target = m2m.m2m_reverse_field_name()
            for part in _chunks(pks):
                pairs = through._default_manager.filter(**{f"{source}__in": part}).values_list(source, target)
                for source_pk, target_pk in pairs.order_by(source, target):
                    values[(model, source_pk, m2m.name)].append(target_pk)
    return values


def _labels(holding: Holding, many: Mapping[tuple[ModelType, Any, str], list[Any]]) -> dict[tuple[ModelType, Any], str]:
    """A short label for each row that a row held in full points at: one query per target model and
    chunk of ids. People are labelled only when the row is the subject's own: anyone else (the registrar
    who decided, another person) is shown by number only."""
    wanted: dict[ModelType, set[Any]] = defaultdict(set)
    for model, pks in holding.full_pks().items():
        relations = [f for f in model._meta.concrete_fields if f.is_relation]
        by_pk = holding.rows[model]
        for pk in pks:
            for relation in relations:
                raw = getattr(by_pk[pk].instance, relation.attname)
                if raw is not None:
                    wanted[_related(relation)].add(raw)
    for (model, _pk, name), m2m_ids in many.items():
        wanted[_related(model._meta.get_field(name))].update(m2m_ids)
    labels: dict[tuple[ModelType, Any], str] = {
        (seed._meta.model, seed.pk): str(seed) for seed in holding.subject.seeds()
    }
    for target, ids in wanted.items():
        held = holding.rows.get(target, {})
        if target in (User, Practitioner):
            labels.update(((target, pk), str(held[pk].instance)) for pk in ids if holding.holds_in_full(target, pk))
            continue
        labels.update(((target, pk), str(held[pk].instance)) for pk in ids if pk in held)
        # The parents a __str__ may name come in the same query (the non-null keys, one level).
        parents = [f.name for f in target._meta.concrete_fields if f.is_relation and not f.null]
        for part in _chunks(sorted(set(ids) - set(held))):
            rows = target._base_manager.filter(pk__in=part)
            if parents:
                rows = rows.select_related(*parents)
            labels.update(((target, row.pk), str(row)) for row in rows)
    return labels


# --- The completeness check --------------------------------------------------------------------


@dataclass(frozen=True)
class Completeness:
    found: dict[str, int]  # every relation walked, "app.Model.field", and how many rows reference the subject by it
    missing: list[tuple[str, Any, str]]  # (model label, pk, relation) of each such row the document lacks


def export_missing_rows(*, subject: Subject, document: Mapping[str, Any]) -> Completeness:
    """Every row that references the subject directly, through any relation of any installed model,
    and is not in `document`. Walks core.person_graph itself (not the export's walk), one query per
    relation, so a relation the export forgot is found."""
    present = {(section["model"], row["pk"]) for section in document["sections"] for row in section["rows"]}
    found: dict[str, int] = {}
    missing: list[tuple[str, Any, str]] = []
    for seed in subject.seeds():
        for reference in references_to(seed._meta.model):
            rows = reference.model._base_manager.filter(**{reference.field.name: seed.pk})
            pks = sorted(set(rows.values_list("pk", flat=True)))
            found[reference.label] = len(pks)
            label = reference.model._meta.label
            missing.extend((label, pk, reference.label) for pk in pks if (label, json_value(pk)) not in present)
    return Completeness(found=found, missing=missing)
