"""Set-based updates that still write their history rows.

simple-history's bulk_update_with_history runs Django's bulk_update, a CASE per row per field, which
is slow past a few thousand rows. When every row gets the same change, one UPDATE ... WHERE id IN
does the work, and this helper writes the history rows itself, with the same user and reason. It
is the one sanctioned QuerySet.update() on a tracked model.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from django.db import models

from core.models import User


def update_with_history(
    *,
    model: type[models.Model],
    objs: Sequence[models.Model],
    changes: Mapping[str, Any],
    actor: User | None,
    reason: str,
) -> int:
    """Apply `changes` to every object (in memory and with one UPDATE), then write one history row each."""
    if not objs:
        return 0
    for obj in objs:
        for field, value in changes.items():
            setattr(obj, field, value)
    updated = model._default_manager.filter(pk__in=[obj.pk for obj in objs]).update(**changes)
    model.history.bulk_history_create(  # type: ignore[attr-defined]
        list(objs), batch_size=1000, update=True, default_user=actor, default_change_reason=reason[:100]
    )
    return int(updated)
