"""Retention: the rules' defaults, the nightly sweep that flags records past retention, and staff decisions.

The sweep is set-based: per active rule, one INSERT ... SELECT writes a flag for every record past its
period that no flag covers (none awaiting review, none disposed of, none kept until a later date), then
its history rows in one statement and its audit events in one batch. Running it twice flags nothing
twice (and a partial unique constraint would refuse it). Keep and dispose are staff decisions with a
reason; disposal is the record type's own (retention.record_types), with an audit event per record.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from core.audit import AuditRow, audit_record_rows
from core.exceptions import ApplicationError, InvalidTransition
from core.history import history_copy_rows, history_params, update_with_history
from core.models import User
from core.selectors import council_get, council_today
from core.services import configuration_save, permission_require
from core.sql import db_now, id_in
from retention.dates import add_months
from retention.models import ALLOWED_TRANSITIONS, MAX_PERIOD_MONTHS, FlagStatus, RetentionFlag, RetentionRule
from retention.record_types import RECORD_TYPES, RecordTypeSpec, due_records, flag_condition_in_force

REVIEW_PERMISSION = "retention.review_retention"
DEFAULT_RULE_REASON = "default retention rule"


def council_zone() -> str:
    council = council_get()
    return council.time_zone if council is not None and council.time_zone else settings.TIME_ZONE


# Rules ------------------------------------------------------------------------------------------


def retention_rules_ensure(*, actor: User | None, reason: str = DEFAULT_RULE_REASON) -> int:
    """Give every record type its rule, with the default period, where it has none yet (configuration_save:
    history row and audit event). Returns how many were made. The council then edits them in the admin."""
    made = 0
    existing = set(RetentionRule.objects.values_list("record_type", flat=True))
    for code, spec in RECORD_TYPES.items():
        if code in existing:
            continue
        rule = RetentionRule(record_type=code, period_months=spec.default_months, is_active=True)
        try:
            with transaction.atomic():
                configuration_save(actor=actor, instance=rule, changed_fields=[], reason=reason)
        except IntegrityError:  # made by a sweep running at the same time
            continue
        made += 1
    return made


# The sweep --------------------------------------------------------------------------------------

# The due records' query is the ORM's (record_types.due_records); the CTE names its two columns. "WHERE true"
# lets SQLite read ON CONFLICT as the upsert clause; the conflict is the one-open-flag constraint.
_FLAG_INSERT = """
WITH due (record_id, retention_due) AS ({select})
INSERT INTO retention_retentionflag
    (created_at, updated_at, rule_id, record_type, content_type_id, object_id, due_date, status, reason)
SELECT %s, %s, %s, %s, %s, due.record_id, due.retention_due, %s, ''
FROM due
WHERE true
ON CONFLICT DO NOTHING
RETURNING id, object_id, due_date
"""


@transaction.atomic
def retention_sweep(*, today: dt.date | None = None) -> dict[str, int]:
    """Flag, for every active rule, the records past their retention that no flag covers. Returns the number
    flagged per record type. The system's job (actor None); safe to run again at any time."""
    retention_rules_ensure(actor=None)
    today = today or council_today()
    zone = council_zone()
    flagged: dict[str, int] = {}
    for rule in RetentionRule.objects.filter(is_active=True).order_by("record_type"):
        spec = RECORD_TYPES[rule.record_type]
        flagged[rule.record_type] = _flag_due(spec, rule=rule, today=today, zone=zone)
    return flagged


def _flag_due(spec: RecordTypeSpec, *, rule: RetentionRule, today: dt.date, zone: str) -> int:
    content_type = ContentType.objects.get_for_model(spec.model, for_concrete_model=True)
    covered = RetentionFlag.objects.filter(content_type=content_type, object_id=OuterRef("pk")).filter(
        flag_condition_in_force(today=today)
    )
    due = (
        due_records(spec, rule=rule, today=today, zone=zone)
        .exclude(Exists(covered))
        .order_by("pk")
        .values_list("pk", "retention_due")
    )
    select_sql, select_params = due.query.sql_with_params()
    now, moment = db_now()
    params = (*select_params, moment, moment, rule.pk, rule.record_type, content_type.pk, FlagStatus.OPEN)
    with connection.cursor() as cursor:
        cursor.execute(_FLAG_INSERT.format(select=select_sql), params)
        written = sorted(cursor.fetchall())
    if not written:
        return 0
    reason = f"Past the {rule.period_months}-month retention period for {rule.record_type}"
    condition, id_params = id_in("id", "flag", [row[0] for row in written])
    history_copy_rows(
        model=RetentionFlag,
        where=condition,
        params={**id_params, **history_params(actor=None, reason=reason, history_date=now)},
        history_type="+",
    )
    audit_record_rows(
        actor=None,
        action="retention.flagged",
        model=RetentionFlag,
        reason=reason,
        rows=[
            AuditRow(
                flag_id,
                f"#{flag_id} {rule.record_type} {object_id}",  # RetentionFlag.__str__
                after={
                    "record_type": rule.record_type,
                    "object_id": object_id,
                    "due_date": _iso(due_date),
                    "status": FlagStatus.OPEN,
                },
            )
            for flag_id, object_id, due_date in written
        ],
    )
    return len(written)


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, dt.date) else str(value)


# Decisions ----------------------------------------------------------------------------------------


def _decider(actor: User | None, reason: str, *, missing: str) -> str:
    if actor is None:
        raise ApplicationError(_("Only a member of staff can decide what happens to a record past retention."))
    permission_require(actor, REVIEW_PERMISSION)
    reason = reason.strip()
    if not reason:
        raise ApplicationError(missing)
    return reason


def _lock_open(flag_ids: Sequence[int], *, to_status: str) -> list[RetentionFlag]:
    """The flags, locked, each allowed to move to `to_status`; refuses the whole batch otherwise."""
    wanted = sorted(set(flag_ids))
    if not wanted:
        raise ApplicationError(_("Choose at least one record."))
    flags = list(RetentionFlag.objects.select_for_update().select_related("rule").filter(pk__in=wanted).order_by("pk"))
    if len(flags) != len(wanted):
        raise ApplicationError(_("Some of the chosen records are not awaiting review."))
    for flag in flags:
        if to_status not in ALLOWED_TRANSITIONS[flag.status]:
            raise InvalidTransition(
                _("A record already %(status)s cannot be decided again.")
                % {"status": str(FlagStatus(flag.status).label).lower()}
            )
    return flags


def _decided(flags: list[RetentionFlag], *, status: str, actor: User, reason: str, **extra: Any) -> None:
    now = timezone.now()
    update_with_history(
        model=RetentionFlag,
        objs=flags,
        changes={
            "status": status,
            "decided_by": actor,
            "decided_at": now,
            "reason": reason,
            "updated_at": now,
            **extra,
        },
        actor=actor,
        reason=reason,
    )


@transaction.atomic
def retention_flags_keep(
    *, actor: User | None, flag_ids: Sequence[int], reason: str, keep_until: dt.date
) -> list[RetentionFlag]:
    """Keep the flagged records until a date, for a reason. The sweep flags them again after that date."""
    reason = _decider(actor, reason, missing=_("Give the reason for keeping these records."))
    assert actor is not None  # noqa: S101 - _decider refused None
    today = council_today()
    if keep_until <= today:
        raise ApplicationError(_("The date to review them again must be in the future."))
    if keep_until > add_months(today, MAX_PERIOD_MONTHS):
        raise ApplicationError(_("The date to review them again must be within 100 years."))
    flags = _lock_open(flag_ids, to_status=FlagStatus.KEPT)
    _decided(flags, status=FlagStatus.KEPT, actor=actor, reason=reason, keep_until_date=keep_until)
    audit_record_rows(
        actor=actor,
        action="retention.kept",
        model=RetentionFlag,
        reason=reason,
        rows=[
            AuditRow(
                flag.pk,
                str(flag),
                before={"status": FlagStatus.OPEN},
                after={
                    "status": FlagStatus.KEPT,
                    "keep_until_date": keep_until.isoformat(),
                    "record_type": flag.record_type,
                    "object_id": flag.object_id,
                },
            )
            for flag in flags
        ],
    )
    return flags


@transaction.atomic
def retention_flags_dispose(*, actor: User | None, flag_ids: Sequence[int], reason: str) -> list[RetentionFlag]:
    """Dispose of the flagged records as their record type says (delete, or blank the personal fields), for a
    reason. All or nothing: a record no longer past its retention (a draft since submitted, a rule since
    lengthened) refuses the whole batch."""
    reason = _decider(actor, reason, missing=_("Give the reason for disposing of these records."))
    assert actor is not None  # noqa: S101 - _decider refused None
    flags = _lock_open(flag_ids, to_status=FlagStatus.DISPOSED)
    today, zone = council_today(), council_zone()
    by_type: dict[str, list[RetentionFlag]] = defaultdict(list)
    for flag in flags:
        by_type[flag.record_type].append(flag)
    held: dict[int, bool] = {}
    for record_type, group in sorted(by_type.items()):
        spec = RECORD_TYPES[record_type]
        ids = sorted(flag.object_id for flag in group)
        existing = set(spec.model._default_manager.select_for_update().filter(pk__in=ids).values_list("pk", flat=True))
        due = set(
            due_records(spec, rule=group[0].rule, today=today, zone=zone)
            .filter(pk__in=ids)
            .values_list("pk", flat=True)
        )
        if existing - due:
            count = len(existing - due)
            raise ApplicationError(
                ngettext(
                    "%(count)s of the chosen records is no longer past its retention period: keep it instead.",
                    "%(count)s of the chosen records are no longer past their retention period: keep them instead.",
                    count,
                )
                % {"count": count}
            )
        if existing:
            spec.dispose(sorted(existing), actor, reason)
        held.update({flag.pk: flag.object_id in existing for flag in group})
    _decided(flags, status=FlagStatus.DISPOSED, actor=actor, reason=reason)
    audit_record_rows(
        actor=actor,
        action="retention.disposed",
        model=RetentionFlag,
        reason=reason,
        rows=[
            AuditRow(
                flag.pk,
                str(flag),
                before={"status": FlagStatus.OPEN},
                after={
                    "status": FlagStatus.DISPOSED,
                    "record_type": flag.record_type,
                    "object_id": flag.object_id,
                    # What happened to the record; "already gone" when nothing was left to dispose of.
                    "disposal": RECORD_TYPES[flag.record_type].disposal_kind if held[flag.pk] else "already gone",
                },
            )
            for flag in flags
        ],
    )
    return flags
