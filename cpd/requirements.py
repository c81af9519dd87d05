"""The renewal's CPD step (settings.LICENSING_CPD_CHECK and LICENSING_CPD_EXPRESSION): the entry's stored
compliance in the cycle that ends before the licence year.

The stored rows are current: every change to a person's log, credits or exemptions rewrites their
rows for the cycle it touches, and the nightly batch settles the rest. A council whose rules set no
CPD requirement, or none for the entry's category, requires none.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import BooleanField, Case, Exists, OuterRef, Value, When

from cpd import rules
from cpd.models import Compliance


def _requirements_before(period: Any) -> rules.Requirements | None:
    cycle = rules.cycle_containing(period.valid_from_date - dt.timedelta(days=1))
    try:
        return rules.requirements_for(cycle.start_year)
    except rules.CpdRulesIncomplete:
        return None


def cpd_step_check(entry: Any, period: Any) -> bool:
    requirements = _requirements_before(period)
    if requirements is None or entry.category.code not in requirements.points:
        return True
    return Compliance.objects.filter(
        register_entry=entry, cycle_start_year=requirements.cycle.start_year, status=Compliance.Status.MET
    ).exists()


def cpd_step_expression(period: Any) -> Any:
    """The same, for a queryset of register entries: one EXISTS per row, no query per entry."""
    requirements = _requirements_before(period)
    if requirements is None:
        return Value(True)
    met = Exists(
        Compliance.objects.filter(
            register_entry=OuterRef("pk"), cycle_start_year=requirements.cycle.start_year, status=Compliance.Status.MET
        )
    )
    return Case(
        When(category__code__in=list(requirements.points), then=met),
        default=Value(True),
        output_field=BooleanField(),
    )
