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
        "pro_rata_first_year": true,                     # optional, false when absent
    }

`pro_rata_first_year`: a registrant whose entry was registered after the first day of a licence year
pays, for that year, the annual fee times the whole months left in it (counting the month of
registration) divided by 12, rounded half up to a minor unit (`pro_rata`). Without the key, or when it
is false, everyone pays the full annual fee.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Protocol

from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.models import RuleSet

DEFAULT_WINDOW_DAYS = 60
MONTHS_IN_YEAR = 12


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


@dataclass(frozen=True)
class RestorationPolicy:
    """What a lapsed registrant pays to be restored, besides the restoration fee.

    Rule keys (all optional): "restoration": {"arrears": "unpaid_renewals" | "none",
    "include_current_year_fee": true | false}. The defaults charge both.
    """

    arrears_of_unpaid_renewals: bool
    current_year_fee: bool


def restoration_policy(*, rule_set: RuleSet) -> RestorationPolicy:
    section = rule_set.rules.get("restoration", {}) or {}
    arrears = section.get("arrears", "unpaid_renewals")
    if arrears not in ("unpaid_renewals", "none"):
        raise RulesIncomplete(_('restoration.arrears must be "unpaid_renewals" or "none".'))
    return RestorationPolicy(
        arrears_of_unpaid_renewals=arrears == "unpaid_renewals",
        current_year_fee=bool(section.get("include_current_year_fee", True)),
    )


def at_risk_reminder_offsets(*, rule_set: RuleSet) -> list[int]:
    """Days before the (possibly extended) lapse date on which at-risk registrants get their own reminder."""
    days = rule_set.rules.get("renewal", {}).get("at_risk_reminder_days_before_lapse", [14])
    return sorted({int(day) for day in days}, reverse=True)


class LicenceYear(Protocol):
    """Anything with a licence year's first and last days (RenewalPeriod, PeriodDates)."""

    @property
    def valid_from_date(self) -> dt.date: ...

    @property
    def valid_to_date(self) -> dt.date: ...


def is_pro_rata_first_year(*, rule_set: RuleSet) -> bool:
    return bool(rule_set.rules.get("renewal", {}).get("pro_rata_first_year", False))


def months_remaining(registered_date: dt.date, period: LicenceYear) -> int:
    """Whole months of the licence year from the month of registration to its last month, both counted."""
    last = period.valid_to_date
    months = (last.year - registered_date.year) * MONTHS_IN_YEAR + last.month - registered_date.month + 1
    return max(0, min(MONTHS_IN_YEAR, months))


def pro_rata(amount_minor: int, registered_date: dt.date, period: LicenceYear) -> int:
    """The first-year share of an annual fee, rounded half up to a whole minor unit, with integers only.

    Registered on or before the first day of the year: the whole fee.
    """
    if registered_date <= period.valid_from_date:
        return amount_minor
    months = months_remaining(registered_date, period)
    return (amount_minor * months + MONTHS_IN_YEAR // 2) // MONTHS_IN_YEAR
