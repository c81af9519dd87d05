"""Reading the CPD parts of a council's rule version (core.RuleSet.rules).

    "cpd": {
        "cycle_years": 1,                                   # cycles run from 1 January; 1 = every year
        "unit": "points",                                   # or "hours": the word shown to people
        "points_per_cycle": {"<category>": 20},
        "required_subtypes": {"ethics": {"<category>": 3}}, # within the total
        "caps": {"per_activity": 10, "<activity type code>": 5},   # most one activity / one type counts
        "carry_forward_max_points": 5,                      # surplus of the last cycle that counts in this one
        "pro_rata": true,                                   # joiners mid-cycle owe the months left / all months
    },
    "cpd_audit": {"sample_rate_percent": 5, "evidence_due_days": 30, "reminder_days_before_due": [14, 3],
                  "exclude_registered_less_than_a_cycle": true, "stratify_by_category": false,
                  "non_compliance": "condition" | "deadline" | "referral",
                  "condition_text": "...", "extension_days": 30}

A cycle is assessed under the rule version in force on its first day.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from core.exceptions import ApplicationError
from core.models import RuleSet
from core.selectors import ruleset_in_force

NON_COMPLIANCE_CONSEQUENCES = ("condition", "deadline", "referral")


class CpdRulesIncomplete(ApplicationError):
    """The rule version lacks the CPD values compliance needs."""


@dataclass(frozen=True)
class Cycle:
    start_year: int
    years: int

    @property
    def start(self) -> dt.date:
        return dt.date(self.start_year, 1, 1)

    @property
    def end(self) -> dt.date:
        return dt.date(self.start_year + self.years - 1, 12, 31)

    @property
    def months(self) -> int:
        return 12 * self.years

    @property
    def previous(self) -> Cycle:
        return Cycle(self.start_year - self.years, self.years)

    @property
    def label(self) -> str:
        return str(self.start_year) if self.years == 1 else f"{self.start_year}-{self.end.year}"


@dataclass(frozen=True)
class Requirements:
    rule_set: RuleSet
    cycle: Cycle
    unit: str
    points: dict[str, Decimal]  # per category code
    subtypes: dict[str, dict[str, Decimal]]  # subtype -> category code -> points
    per_activity_cap: Decimal | None
    type_caps: dict[str, Decimal] = field(default_factory=dict)  # activity type code -> cap per cycle
    carry_forward_max: Decimal = Decimal(0)
    pro_rata: bool = False


def _cycle_years(rules: dict[str, Any]) -> int:
    try:
        years = int((rules.get("cpd") or {}).get("cycle_years", 1))
    except (TypeError, ValueError) as exc:
        raise CpdRulesIncomplete(_("cpd.cycle_years must be a whole number of years.")) from exc
    if years < 1:
        raise CpdRulesIncomplete(_("cpd.cycle_years must be at least 1."))
    return years


def cycle_containing(day: dt.date) -> Cycle:
    """The CPD cycle a day falls in, under the rules in force on that day (cycles counted from 2000)."""
    rule_set = ruleset_in_force(on_date=day)
    years = _cycle_years(rule_set.rules) if rule_set is not None else 1
    return Cycle(2000 + ((day.year - 2000) // years) * years, years)


def requirements_for(cycle_start_year: int) -> Requirements:
    """The cycle's requirements, from the rule version in force on its first day (it keeps that version)."""
    start = dt.date(cycle_start_year, 1, 1)
    rule_set = ruleset_in_force(on_date=start)
    if rule_set is None:
        raise CpdRulesIncomplete(_("No rule version was in force on %(date)s.") % {"date": start.isoformat()})
    section = rule_set.rules.get("cpd") or {}
    if not section.get("points_per_cycle"):
        raise CpdRulesIncomplete(_("The rules do not set cpd.points_per_cycle."))
    try:
        caps = {str(key): Decimal(str(value)) for key, value in (section.get("caps") or {}).items()}
        return Requirements(
            rule_set=rule_set,
            cycle=Cycle(cycle_start_year, _cycle_years(rule_set.rules)),
            unit=str(section.get("unit", "points")),
            points={code: Decimal(str(value)) for code, value in section["points_per_cycle"].items()},
            subtypes={
                subtype: {code: Decimal(str(value)) for code, value in per_category.items()}
                for subtype, per_category in (section.get("required_subtypes") or {}).items()
            },
            per_activity_cap=caps.pop("per_activity", None),
            type_caps=caps,
            carry_forward_max=Decimal(str(section.get("carry_forward_max_points", 0))),
            pro_rata=bool(section.get("pro_rata", False)),
        )
    except (TypeError, ValueError, ArithmeticError) as exc:
        raise CpdRulesIncomplete(_("The CPD rules have a value that is not a number.")) from exc


@dataclass(frozen=True)
class AuditPolicy:
    sample_rate_percent: Decimal
    evidence_due_days: int
    reminder_days_before_due: tuple[int, ...]
    exclude_new: bool
    stratify: bool
    non_compliance: str
    condition_text: str
    extension_days: int


def audit_policy(rule_set: RuleSet) -> AuditPolicy:
    section = rule_set.rules.get("cpd_audit") or {}
    try:
        policy = AuditPolicy(
            sample_rate_percent=Decimal(str(section["sample_rate_percent"])),
            evidence_due_days=int(section.get("evidence_due_days", 30)),
            reminder_days_before_due=tuple(int(days) for days in section.get("reminder_days_before_due", [14, 3])),
            exclude_new=bool(section.get("exclude_registered_less_than_a_cycle", True)),
            stratify=bool(section.get("stratify_by_category", False)),
            non_compliance=str(section.get("non_compliance", "referral")),
            condition_text=str(
                section.get("condition_text", "Must complete the CPD missing from the audited cycle within 90 days.")
            ),
            extension_days=int(section.get("extension_days", 30)),
        )
    except (KeyError, TypeError, ValueError, ArithmeticError) as exc:
        raise CpdRulesIncomplete(_("The rules do not set cpd_audit.sample_rate_percent.")) from exc
    if policy.non_compliance not in NON_COMPLIANCE_CONSEQUENCES:
        raise CpdRulesIncomplete(_("cpd_audit.non_compliance must be condition, deadline or referral."))
    if not Decimal(0) < policy.sample_rate_percent <= Decimal(100):
        raise CpdRulesIncomplete(_("cpd_audit.sample_rate_percent must be more than 0 and at most 100."))
    return policy
