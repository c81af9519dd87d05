"""Reads for CPD: a practitioner's progress and log, a provider's own activities, staff queues and audits."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, QuerySet

from core.models import User
from cpd import compliance, rules
from cpd.models import AccreditedActivity, Activity, Audit, AuditDraw, Compliance, Provider
from registry.lifecycles import ENTRY_PRACTISING_STATUSES
from registry.models import Practitioner, RegisterEntry


@dataclass
class Progress:
    """One register entry's standing in a cycle, computed now."""

    entry: RegisterEntry
    cycle: rules.Cycle
    unit: str
    status: str
    required: Decimal
    earned: Decimal
    carried_forward: Decimal
    subtypes: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)

    @property
    def missing(self) -> Decimal:
        return max(self.required - self.earned - self.carried_forward, Decimal(0))

    @property
    def missing_subtypes(self) -> dict[str, Decimal]:
        return {name: needed - earned for name, (earned, needed) in self.subtypes.items() if earned < needed}

    @property
    def status_label(self) -> str:
        return str(Compliance.Status(self.status).label)


def _decimal(value: Any) -> Decimal:
    return Decimal(str(value)).quantize(Decimal("0.01"))


def progress_for(*, entry: RegisterEntry, on_date: dt.date, cycle_start_year: int | None = None) -> Progress | None:
    """The entry's progress in the cycle containing `on_date` (or the one named), or None when none is required."""
    cycle_year = cycle_start_year if cycle_start_year is not None else rules.cycle_containing(on_date).start_year
    try:
        requirements = rules.requirements_for(cycle_year)
    except rules.CpdRulesIncomplete:
        return None
    if entry.category.code not in requirements.points or entry.status not in ENTRY_PRACTISING_STATUSES:
        return None
    row = compliance.compliance_read(requirements, on_date=on_date, entry_id=entry.pk)
    if row is None:
        return None
    status, required, earned, carried, subtypes = row
    if isinstance(subtypes, str):  # SQLite returns JSON as text
        subtypes = json.loads(subtypes)
    return Progress(
        entry=entry,
        cycle=requirements.cycle,
        unit=requirements.unit,
        status=status,
        required=_decimal(required),
        earned=_decimal(earned),
        carried_forward=_decimal(carried),
        subtypes={name: (_decimal(pair[0]), _decimal(pair[1])) for name, pair in (subtypes or {}).items()},
    )


def practitioner_for(user: User) -> Practitioner | None:
    return Practitioner.objects.filter(user=user).first()


def log_for(*, practitioner: Practitioner, since: dt.date | None = None) -> QuerySet[Activity]:
    activities = Activity.objects.filter(practitioner=practitioner).select_related(
        "activity_type", "accredited_activity"
    )
    if since is not None:
        activities = activities.filter(activity_date__gte=since)
    return activities.order_by("-activity_date", "-pk")


def activity_for_practitioner(*, user: User, activity_id: int) -> Activity:
    return Activity.objects.get(pk=activity_id, practitioner__user=user)


def audits_for_practitioner(*, user: User) -> QuerySet[Audit]:
    return Audit.objects.filter(register_entry__practitioner__user=user).select_related("draw").order_by("-created_at")


# Providers: only their own -----------------------------------------------------------------


def providers_for(user: User) -> QuerySet[Provider]:
    return Provider.objects.filter(users=user).order_by("name")


def provider_activity_for(*, user: User, activity_id: int) -> AccreditedActivity:
    """An activity of one of the user's providers, or AccreditedActivity.DoesNotExist."""
    return AccreditedActivity.objects.select_related("provider", "activity_type").get(
        pk=activity_id, provider__users=user
    )


def attendees_of(activity: AccreditedActivity) -> QuerySet[Activity]:
    """Who this activity credited: name and registration numbers, nothing more of their log."""
    return (
        Activity.objects.filter(accredited_activity=activity)
        .select_related("practitioner")
        .prefetch_related("practitioner__register_entries")
        .order_by("practitioner__family_name", "practitioner__given_names")
    )


# Staff -------------------------------------------------------------------------------------


def compliance_summary(*, cycle_start_year: int) -> dict[str, int]:
    rows = Compliance.objects.filter(cycle_start_year=cycle_start_year).values_list("status").annotate(n=Count("pk"))
    return dict(rows)


def draws() -> QuerySet[AuditDraw]:
    return (
        AuditDraw.objects.select_related("drawn_by").annotate(audit_count=Count("audits")).order_by("-cycle_start_year")
    )


def audit_case(audit_id: int) -> Audit:
    return Audit.objects.select_related("register_entry__practitioner", "register_entry__category", "draw").get(
        pk=audit_id
    )


def audited_activities(audit: Audit) -> QuerySet[Activity]:
    """The audited practitioner's log for the audited cycle: what the auditor may see, and nothing else."""
    cycle_years = rules.cycle_containing(dt.date(audit.draw.cycle_start_year, 1, 1)).years
    return log_for(practitioner=audit.register_entry.practitioner).filter(
        activity_date__gte=dt.date(audit.draw.cycle_start_year, 1, 1),
        activity_date__lte=dt.date(audit.draw.cycle_start_year + cycle_years - 1, 12, 31),
    )
