"""Reading the licensing parts of a council's rule version (core.RuleSet.rules).

The expected shape (see core/demo.py for a full example):

    "currency": "ZAR",
    "fees": {"<category code>": {"annual": 52000, "late_penalty": 46500, "restoration": 76200, ...}},
    "renewal": {
        "annual_fee_due": {"month": 1, "day": 1},
        "late_penalty_after": {"month": 3, "day": 31},   # the penalty applies from the next day
        "lapse_on": {"month": 7, "day": 1},
        "window_opens_days_before_due": 60,
        "reminder_days_before_due": [60, 30, 7],
    }
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.models import RuleSet

DEFAULT_WINDOW_DAYS = 60


class RulesIncomplete(ApplicationError):
    """The rule version lacks a value the licensing jobs need."""


@dataclass(frozen=True)
class PeriodDates:
    opens_date: dt.date
    due_date: dt.date
    penalty_from_date: dt.date
    lapse_date: dt.date
    valid_from_date: dt.date
    valid_to_date: dt.date


def _month_day(rules: dict[str, Any], key: str, year: int) -> dt.date:
    try:
        value = rules["renewal"][key]
        return dt.date(year, int(value["month"]), int(value["day"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise RulesIncomplete(_("The rules do not set renewal.%(key)s.") % {"key": key}) from exc


def period_dates(*, rule_set: RuleSet, year: int) -> PeriodDates:
    """The legal dates of licence year `year`: valid for the calendar year, fee due on the rules' day."""
    rules = rule_set.rules
    due = _month_day(rules, "annual_fee_due", year)
    penalty_after = _month_day(rules, "late_penalty_after", year)
    lapse = _month_day(rules, "lapse_on", year)
    window_days = int(rules.get("renewal", {}).get("window_opens_days_before_due", DEFAULT_WINDOW_DAYS))
    return PeriodDates(
        opens_date=due - dt.timedelta(days=window_days),
        due_date=due,
        penalty_from_date=penalty_after + dt.timedelta(days=1),
        lapse_date=lapse,
        valid_from_date=dt.date(year, 1, 1),
        valid_to_date=dt.date(year, 12, 31),
    )


def fee_amount(*, rule_set: RuleSet, category_code: str, fee_type: str) -> int:
    """The fee in minor units. A missing fee is an error, never a silent zero."""
    try:
        amount = rule_set.rules["fees"][category_code][fee_type]
    except (KeyError, TypeError) as exc:
        raise RulesIncomplete(
            _("Rule version %(version)s sets no %(fee)s fee for %(category)s.")
            % {"version": rule_set.version, "fee": fee_type, "category": category_code}
        ) from exc
    if not isinstance(amount, int) or amount < 0:
        raise RulesIncomplete(_("Fees must be whole numbers of minor units (cents)."))
    return amount


def currency(*, rule_set: RuleSet, default: str) -> str:
    return str(rule_set.rules.get("currency", default))


def reminder_offsets(*, rule_set: RuleSet) -> list[int]:
    return sorted(
        {int(days) for days in rule_set.rules.get("renewal", {}).get("reminder_days_before_due", [])}, reverse=True
    )


def discounted(amount_minor: int, percent: int) -> int:
    """The discount on an amount, rounded half up to a whole minor unit, with integers only."""
    return (amount_minor * percent + 50) // 100
