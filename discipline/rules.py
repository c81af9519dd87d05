"""Reading the conduct parts of a council's rule version (core.RuleSet.rules), with documented defaults.

    "discipline": {
        "triage_days": 14,                      # a complaint's triage is due this many days after it arrives
        "stage_days": {"INVESTIGATION": 120, "CHARGED": 90, "APPEAL": 90},   # each stage's deadline
        "interim_review_days": 90,              # an interim order is reviewed within this many days
        "appeal_days": 28,                      # an appeal must be lodged within this many days of the decision
        "stayable_on_appeal": ["CAUTION", "FINE", "CONDITIONS", "SUSPENSION"],  # sanctions an appeal may stay
        "publication": {                        # how long each notice stays on the public register
            "CAUTION": {"days": 365},           # from the decision
            "FINE": {"days": 365},
            "CONDITIONS": {"days_after_end": 0},  # while in force, then this many days
            "SUSPENSION": {"days_after_end": 0},
            "REMOVAL": {"days": null},          # null: for as long as the person stays removed
        },
        "removal_reapply_years": 5,             # a removed person may not apply again before this
        "registrars_see_case_documents": false, # may registrars outside a case team open its documents?
    }

A decision uses the rule version in force on its date, and stores it.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.models import RuleSet

DEFAULTS: dict[str, Any] = {
    "triage_days": 14,
    "stage_days": {"INVESTIGATION": 120, "CHARGED": 90, "APPEAL": 90},
    "interim_review_days": 90,
    "appeal_days": 28,
    "stayable_on_appeal": ["CAUTION", "FINE", "CONDITIONS", "SUSPENSION"],
    "publication": {
        "INTERIM_SUSPENSION": {"days": None},
        "INTERIM_CONDITIONS": {"days": None},
        "CAUTION": {"days": 365},
        "FINE": {"days": 365},
        "CONDITIONS": {"days_after_end": 0},
        "SUSPENSION": {"days_after_end": 0},
        "REMOVAL": {"days": None},
    },
    "removal_reapply_years": 5,
    "registrars_see_case_documents": False,
}


def discipline_rules(rule_set: RuleSet | None) -> dict[str, Any]:
    """The rule version's conduct rules over the defaults (one level deep for the nested tables)."""
    configured = dict((rule_set.rules if rule_set is not None else {}).get("discipline") or {})
    merged = {**DEFAULTS, **configured}
    for table in ("stage_days", "publication"):
        merged[table] = {**DEFAULTS[table], **(configured.get(table) or {})}
    return merged


def stage_due(rules: dict[str, Any], *, stage: str, from_date: dt.date) -> dt.date | None:
    days = rules["stage_days"].get(stage)
    return from_date + dt.timedelta(days=int(days)) if days else None


def publish_until(rules: dict[str, Any], *, kind: str, start_date: dt.date, end_date: dt.date | None) -> dt.date | None:
    """The last day a notice stays up (None: until the restriction itself ends or for good)."""
    policy = rules["publication"].get(kind) or {}
    if "days_after_end" in policy and end_date is not None:
        return end_date + dt.timedelta(days=int(policy["days_after_end"]))
    days = policy.get("days")
    return start_date + dt.timedelta(days=int(days)) if days else None


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day `months` later (the month's last day when it is shorter)."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    for candidate in (day.day, 30, 29, 28):
        try:
            return dt.date(year, month, candidate)
        except ValueError:
            continue
    raise ValueError(day)  # pragma: no cover - day 28 exists in every month
