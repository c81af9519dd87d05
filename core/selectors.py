"""Reads of the council's settings and rules."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.conf import settings
from django.utils import timezone

from core.models import Council, RuleSet


def council_get() -> Council | None:
    return Council.objects.first()


def council_languages(*, council: Council | None) -> list[tuple[str, str]]:
    """The languages the council offers, in the order of settings.LANGUAGES."""
    offered = set(council.languages) if council is not None and council.languages else None
    return [(code, str(name)) for code, name in settings.LANGUAGES if offered is None or code in offered]


def council_today() -> dt.date:
    """Today in the council's time zone (the Council row's, else settings.TIME_ZONE): legal dates use it."""
    council = council_get()
    if council is not None and council.time_zone:
        return timezone.localdate(timezone=zoneinfo.ZoneInfo(council.time_zone))
    return timezone.localdate()


def end_of_day(day: dt.date) -> dt.datetime:
    """The first instant after `day` in the council's time zone: "as at the end of `day`" is before it."""
    council = council_get()
    zone = zoneinfo.ZoneInfo(council.time_zone) if council is not None and council.time_zone else None
    return timezone.make_aware(dt.datetime.combine(day + dt.timedelta(days=1), dt.time.min), timezone=zone)


def ruleset_in_force(*, on_date: dt.date) -> RuleSet | None:
    """The rule version whose effective date is the latest on or before `on_date`."""
    return RuleSet.objects.filter(effective_date__lte=on_date).order_by("-effective_date").first()
