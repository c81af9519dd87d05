"""Reads for the retention review: the rules with their open flags, and a page of open flags with their records."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, QuerySet

from retention.models import FlagStatus, RetentionFlag, RetentionRule
from retention.record_types import RECORD_TYPES, RecordTypeSpec


@dataclass(frozen=True)
class RuleSummary:
    spec: RecordTypeSpec
    rule: RetentionRule | None
    open_count: int


def rule_summaries() -> list[RuleSummary]:
    """Every record type, in the code's order, with its rule (if made yet) and how many flags await review."""
    rules = {rule.record_type: rule for rule in RetentionRule.objects.all()}
    counts = dict(
        RetentionFlag.objects.filter(status=FlagStatus.OPEN)
        .values("record_type")
        .annotate(open_count=Count("id"))
        .values_list("record_type", "open_count")
    )
    return [RuleSummary(spec, rules.get(code), counts.get(code, 0)) for code, spec in RECORD_TYPES.items()]


def rule_get(*, record_type: str) -> RetentionRule | None:
    return RetentionRule.objects.filter(record_type=record_type).first()


def open_flags(*, record_type: str) -> QuerySet[RetentionFlag]:
    return RetentionFlag.objects.filter(record_type=record_type, status=FlagStatus.OPEN).order_by("due_date", "id")


def open_flag_ids(*, record_type: str, among: Iterable[int] | None = None) -> list[int]:
    """The ids of a record type's flags awaiting review (only those of `among`, when given)."""
    flags = open_flags(record_type=record_type)
    if among is not None:
        flags = flags.filter(pk__in=list(among))
    return list(flags.values_list("pk", flat=True))


@dataclass(frozen=True)
class FlagRow:
    flag: RetentionFlag
    cells: tuple[str, ...] | None  # None: the record is no longer held


def flag_rows(*, spec: RecordTypeSpec, flags: Iterable[RetentionFlag]) -> list[FlagRow]:
    """The flags with their records' review columns: one query for all the records, whatever their number."""
    flags = list(flags)
    records: dict[int, Any] = {
        record.pk: record for record in spec.listed().filter(pk__in=[f.object_id for f in flags])
    }
    return [FlagRow(flag, spec.cells(records[flag.object_id]) if flag.object_id in records else None) for flag in flags]
