"""Reads of the council's settings and rules."""

from __future__ import annotations

import datetime as dt

from django.conf import settings

from core.models import Council, RuleSet


def council_get() -> Council | None:
    return Council.objects.first()


def council_languages(*, council: Council | None) -> list[tuple[str, str]]:
    """The languages the council offers, in the order of settings.LANGUAGES."""
    offered = set(council.languages) if council is not None and council.languages else None
    return [(code, str(name)) for code, name in settings.LANGUAGES if offered is None or code in offered]


def ruleset_in_force(*, on_date: dt.date) -> RuleSet | None:
    """The rule version whose effective date is the latest on or before `on_date`."""
    return RuleSet.objects.filter(effective_date__lte=on_date).order_by("-effective_date").first()
