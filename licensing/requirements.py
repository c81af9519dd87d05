"""The renewal's CPD step, pluggable: `LICENSING_CPD_CHECK` names a function (entry, period) -> bool.

The settings point it at the CPD module's compliance (cpd.requirements.cpd_step_check);
`cpd_step_passes_until_cpd_module` remains for a deployment that runs without CPD.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.utils.module_loading import import_string

CpdCheck = Callable[[Any, Any], bool]


def cpd_step_passes_until_cpd_module(entry: Any, period: Any) -> bool:
    return True


def cpd_step_met(*, entry: Any, period: Any) -> bool:
    check: CpdCheck = import_string(
        getattr(settings, "LICENSING_CPD_CHECK", "licensing.requirements.cpd_step_passes_until_cpd_module")
    )
    return bool(check(entry, period))


def cpd_expression_until_cpd_module(period: Any) -> Any:
    from django.db.models import Value

    return Value(True)


def cpd_step_expression(*, period: Any) -> Any:
    """The CPD step as a boolean expression over RegisterEntry rows, for the renewal batches and queues
    (`LICENSING_CPD_EXPRESSION`), so that thousands of entries cost one query, not one each."""
    build = import_string(
        getattr(settings, "LICENSING_CPD_EXPRESSION", "licensing.requirements.cpd_expression_until_cpd_module")
    )
    return build(period)
