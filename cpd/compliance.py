"""CPD compliance for a whole cycle in one SQL statement, on PostgreSQL and SQLite.

For every practising register entry (or the ones named), under the cycle's requirements (cpd.rules):

- each activity counts up to the per-activity cap, and each activity type up to its cap per cycle;
- the surplus of the previous cycle (earned there over what was required) carries forward, up to the
  carry-forward limit;
- the requirement, and each required sub-type's, is scaled by the months left for someone registered
  after the cycle began (when pro rata is on) and reduced by their exemption's percentage;
- the status is MET when the total (with what carried forward) and every sub-type reach what is required;
  otherwise AT_RISK until the cycle has ended, and NOT_MET after.

The result is upserted into cpd_compliance; only rows whose figures changed are written, each with a
history row and an audit event. Everything happens in the database: no per-practitioner Python.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from core.audit import AuditRow, audit_record_rows
from core.history import HistoryType, history_copy_rows, history_insert_sql, history_params
from core.models import User
from core.sql import db_date, db_now, fetch, id_in, on_postgresql, values_cte
from cpd.models import ActivityType, Compliance
from cpd.rules import Requirements
from registry.lifecycles import ENTRY_PRACTISING_STATUSES
from registry.models import RegisterCategory

_NUMERIC = "CAST(%({name})s AS NUMERIC)"
# VALUES columns have no type on SQLite (a parameter arrives as text, and text sorts above any number): cast them.
_POINTS = "CAST(r.points AS NUMERIC)"


def _months(column: str) -> str:
    if on_postgresql():
        return f"(EXTRACT(YEAR FROM {column}) * 12 + EXTRACT(MONTH FROM {column}))"
    return f"(CAST(strftime('%%Y', {column}) AS INTEGER) * 12 + CAST(strftime('%%m', {column}) AS INTEGER))"


def _json_object(pairs: list[tuple[str, str, str]]) -> str:
    """A JSON object {name: [earned, required], ...} from SQL expressions."""
    build, array = ("jsonb_build_object", "jsonb_build_array") if on_postgresql() else ("json_object", "json_array")
    return f"{build}({', '.join(f'%({key})s, {array}({earned}, {required})' for key, earned, required in pairs)})"


@dataclass(frozen=True)
class Statement:
    sql: str
    params: dict[str, Any]


def compliance_select(requirements: Requirements, *, on_date: dt.date, entry_ids: list[int] | None = None) -> Statement:
    """The SELECT that computes each entry's compliance row for the cycle (columns as cpd_compliance's)."""
    cycle = requirements.cycle
    params: dict[str, Any] = {
        "start": db_date(cycle.start),
        "end": db_date(cycle.end),
        "previous_start": db_date(cycle.previous.start),
        "cycle_year": cycle.start_year,
        "cycle_months": cycle.months,
        "carry_max": requirements.carry_forward_max,
        "per_activity_cap": requirements.per_activity_cap
        if requirements.per_activity_cap is not None
        else Decimal(10**6),
        "ended": on_date > cycle.end,
        **{f"practising_{index}": status for index, status in enumerate(sorted(ENTRY_PRACTISING_STATUSES))},
    }
    practising = ", ".join(f"%(practising_{index})s" for index in range(len(ENTRY_PRACTISING_STATUSES)))
    category_ids = dict(RegisterCategory.objects.values_list("code", "id"))
    subtypes = sorted(requirements.subtypes)
    requirement_rows = [
        [category_ids[code], points, *(requirements.subtypes[name].get(code, Decimal(0)) for name in subtypes)]
        for code, points in requirements.points.items()
        if code in category_ids
    ]
    if not requirement_rows:
        requirement_rows = [[0, Decimal(0), *(Decimal(0) for _ in subtypes)]]
    sub_columns = [f"sub_{index}" for index in range(len(subtypes))]
    requirements_cte, requirement_params = values_cte(
        "requirements", ["category_id", "points", *sub_columns], requirement_rows
    )
    params.update(requirement_params)
    type_ids = dict(ActivityType.objects.filter(code__in=list(requirements.type_caps)).values_list("code", "id"))
    cap_rows = [[type_ids[code], cap] for code, cap in requirements.type_caps.items() if code in type_ids] or [
        [0, Decimal(0)]
    ]
    caps_cte, cap_params = values_cte("caps", ["type_id", "cap"], cap_rows)
    params.update(cap_params)
    for index, name in enumerate(subtypes):
        params[f"subtype_{index}"] = name
        params[f"subtype_key_{index}"] = name
    entry_filter = activity_filter = ""
    if entry_ids is not None:
        condition, entry_params = id_in("e.id", "entry", entry_ids or [0])
        entry_filter = f"AND {condition}"
        activity_filter = (
            "AND a.practitioner_id IN "  # noqa: S608 - the condition is built by core.sql.id_in
            f"(SELECT e.practitioner_id FROM registry_registerentry e WHERE {condition})"
        )
        params.update(entry_params)
    per_activity = _NUMERIC.format(name="per_activity_cap")
    sub_sums = "".join(
        f", SUM(CASE WHEN a.subtype = %(subtype_{index})s THEN a.points ELSE 0 END) AS sub_{index}"
        for index in range(len(subtypes))
    )
    sub_totals = "".join(f", SUM(t.sub_{index}) AS sub_{index}" for index in range(len(subtypes)))
    factor = (
        f"(CASE WHEN e.registered_date > %(start)s "
        f"THEN ({_months('%(end)s')} - {_months('e.registered_date')} + 1) * 1.0 / %(cycle_months)s ELSE 1 END)"
        if requirements.pro_rata
        else "1"
    )
    share = f"{factor} * (100 - COALESCE(x.reduction_percent, 0)) / 100.0"
    sub_required = [f"ROUND(CAST(r.sub_{index} AS NUMERIC) * {share}, 2)" for index in range(len(subtypes))]
    sub_earned = [f"COALESCE(cur.sub_{index}, 0)" for index in range(len(subtypes))]
    required = f"ROUND({_POINTS} * {share}, 2)"
    carried = (
        f"CASE WHEN COALESCE(prev.earned, 0) - {_POINTS} > CAST(%(carry_max)s AS NUMERIC) "
        "THEN CAST(%(carry_max)s AS NUMERIC) "
        f"WHEN COALESCE(prev.earned, 0) > {_POINTS} THEN COALESCE(prev.earned, 0) - {_POINTS} ELSE 0 END"
    )
    subtypes_met = "".join(
        f" AND {earned} >= {needed}" for earned, needed in zip(sub_earned, sub_required, strict=True)
    )
    subtype_json = _json_object(
        [(f"subtype_key_{index}", sub_earned[index], sub_required[index]) for index in range(len(subtypes))]
    )
    sql = f"""
WITH {requirements_cte}, {caps_cte},
activities AS (
    SELECT a.practitioner_id, a.activity_type_id, a.subtype,
           CASE WHEN a.activity_date >= %(start)s THEN 0 ELSE 1 END AS previous,
           CASE WHEN a.points > {per_activity} THEN {per_activity} ELSE a.points END AS points
    FROM cpd_activity a
    WHERE a.activity_date >= %(previous_start)s AND a.activity_date <= %(end)s {activity_filter}
),
by_type AS (
    SELECT a.practitioner_id, a.previous, a.activity_type_id, SUM(a.points) AS points{sub_sums}
    FROM activities a
    GROUP BY a.practitioner_id, a.previous, a.activity_type_id
),
earned AS (
    SELECT t.practitioner_id, t.previous,
           SUM(CASE WHEN c.cap IS NOT NULL AND t.points > CAST(c.cap AS NUMERIC) THEN CAST(c.cap AS NUMERIC)
                    ELSE t.points END) AS earned{sub_totals}
    FROM by_type t LEFT JOIN caps c ON c.type_id = t.activity_type_id
    GROUP BY t.practitioner_id, t.previous
),
assessed AS (
    SELECT e.id AS register_entry_id,
           {required} AS required,
           COALESCE(cur.earned, 0) AS earned,
           {carried} AS carried_forward,
           {subtype_json} AS subtypes,
           CASE WHEN COALESCE(cur.earned, 0) + ({carried}) >= {required}{subtypes_met} THEN 'MET'
                WHEN %(ended)s THEN 'NOT_MET' ELSE 'AT_RISK' END AS status
    FROM registry_registerentry e
    JOIN requirements r ON r.category_id = e.category_id
    LEFT JOIN cpd_exemption x ON x.practitioner_id = e.practitioner_id AND x.cycle_start_year = %(cycle_year)s
    LEFT JOIN earned cur ON cur.practitioner_id = e.practitioner_id AND cur.previous = 0
    LEFT JOIN earned prev ON prev.practitioner_id = e.practitioner_id AND prev.previous = 1
    WHERE e.status IN ({practising}) AND e.registered_date <= %(end)s {entry_filter}
)
"""  # noqa: S608 - every fragment is built here; values are parameters
    return Statement(sql=sql, params=params)


def _history(history_type: HistoryType) -> str:
    return history_insert_sql(model=Compliance, source="written", history_type=history_type)


def compliance_read(requirements: Requirements, *, on_date: dt.date, entry_id: int) -> tuple[Any, ...] | None:
    """One entry's (status, required, earned, carried_forward, subtypes), computed now, writing nothing."""
    statement = compliance_select(requirements, on_date=on_date, entry_ids=[entry_id])
    rows = fetch(
        f"{statement.sql} SELECT status, required, earned, carried_forward, subtypes FROM assessed",  # noqa: S608
        statement.params,
    )
    return rows[0] if rows else None


def compliance_write(
    requirements: Requirements, *, on_date: dt.date, actor: User | None, reason: str, entry_ids: list[int] | None = None
) -> int:
    """Upsert the cycle's compliance rows that changed, with their history rows and audit events. Returns how many."""
    statement = compliance_select(requirements, on_date=on_date, entry_ids=entry_ids)
    now, db_moment = db_now()
    params = {
        **statement.params,
        **history_params(actor=actor, reason=reason, history_date=now),
        "now": db_moment,
        "rule_set": requirements.rule_set.pk,
    }
    distinct = "IS DISTINCT FROM" if on_postgresql() else "IS NOT"
    changed = " OR ".join(
        f"cpd_compliance.{column} {distinct} excluded.{column}"
        for column in ("status", "required", "earned", "carried_forward", "subtypes")
    )
    upsert = f"""
INSERT INTO cpd_compliance (created_at, updated_at, register_entry_id, cycle_start_year, status, required, earned,
                            carried_forward, subtypes, rule_set_id, computed_at)
SELECT %(now)s, %(now)s, register_entry_id, %(cycle_year)s, status, required, earned, carried_forward, subtypes,
       %(rule_set)s, %(now)s
FROM assessed WHERE 1 = 1
ON CONFLICT (register_entry_id, cycle_start_year) DO UPDATE SET
    status = excluded.status, required = excluded.required, earned = excluded.earned,
    carried_forward = excluded.carried_forward, subtypes = excluded.subtypes,
    updated_at = excluded.updated_at, computed_at = excluded.computed_at
WHERE {changed}"""  # noqa: S608 - the fragments are this module's
    before_sql = "SELECT register_entry_id, status FROM cpd_compliance WHERE cycle_start_year = %(cycle_year)s"
    if on_postgresql():
        # xmax is 0 on a row this statement inserted, and set on one it updated: history "+" or "~" accordingly.
        rows = fetch(
            f"{statement.sql}, before AS ({before_sql}), "  # noqa: S608 - fragments are this module's
            f"written AS ({upsert} RETURNING *, (xmax = 0) AS inserted), "
            f"created AS ({_history('+')} WHERE inserted), "
            f"changed AS ({_history('~')} WHERE NOT inserted) "
            "SELECT w.id, w.register_entry_id, w.status, b.status, w.earned, w.required FROM written w "
            "LEFT JOIN before b ON b.register_entry_id = w.register_entry_id ORDER BY w.id",
            params,
        )
    else:
        before = dict(fetch(before_sql, params))
        written = fetch(f"{statement.sql} {upsert} RETURNING id, register_entry_id, status, earned, required", params)
        rows = sorted(
            (row_id, entry_id, status, before.get(entry_id), earned, required)
            for row_id, entry_id, status, earned, required in written
        )
        pairs: tuple[tuple[HistoryType, list[int]], ...] = (
            ("+", [row[0] for row in rows if row[3] is None]),
            ("~", [row[0] for row in rows if row[3] is not None]),
        )
        for history_type, ids in pairs:
            if ids:
                condition, id_params = id_in("id", "written", ids)
                history_copy_rows(
                    model=Compliance, where=condition, params={**params, **id_params}, history_type=history_type
                )
    audit_record_rows(
        actor=actor,
        action="cpd_compliance.assessed",
        model=Compliance,
        reason=reason,
        rows=[
            AuditRow(
                row_id,
                f"#{row_id} {entry_id} {requirements.cycle.start_year} {status}",  # Compliance.__str__
                before={"status": old} if old else None,
                after={"status": status, "earned": str(earned), "required": str(required)},
            )
            for row_id, entry_id, status, old, earned, required in rows
        ],
    )
    return len(rows)
