"""The renewal's CPD step (settings.LICENSING_CPD_CHECK): compliance in the cycle before the licence year."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.selectors import council_today
from cpd import compliance, rules
from cpd.models import Compliance


def cpd_step_check(entry: Any, period: Any) -> bool:
    """Met when the cycle that ends before the licence year starts is MET for the entry.

    A council whose rules set no CPD requirement, or none for the entry's category, requires none.
    """
    cycle = rules.cycle_containing(period.valid_from_date - dt.timedelta(days=1))
    try:
        requirements = rules.requirements_for(cycle.start_year)
    except rules.CpdRulesIncomplete:
        return True
    if entry.category.code not in requirements.points:
        return True
    row = compliance.compliance_read(requirements, on_date=council_today(), entry_id=entry.pk)
    return row is not None and row[0] == Compliance.Status.MET
