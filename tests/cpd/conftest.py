"""Fixtures for the CPD tests: rules with caps, carry-forward and pro rata; activity types; registrants."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
import time_machine

from core.models import RuleSet, User
from core.roles import Role
from cpd import services
from cpd.models import Activity, ActivityType
from registry import services as registry_services
from registry.models import RegisterEntry
from tests import factories
from tests.exams.conftest import JOHANNESBURG

CPD_RULES: dict[str, Any] = {
    "currency": "ZAR",
    "fees": {"social-worker": {"annual": 52000, "late_penalty": 46500, "restoration": 76200}},
    "renewal": {
        "annual_fee_due": {"month": 1, "day": 1},
        "late_penalty_after": {"month": 3, "day": 31},
        "lapse_on": {"month": 7, "day": 1},
        "window_opens_days_before_due": 60,
        "reminder_days_before_due": [60, 30, 7],
    },
    "cpd": {
        "cycle_years": 1,
        "points_per_cycle": {"social-worker": 20, "social-auxiliary-worker": 10},
        "required_subtypes": {"ethics": {"social-worker": 3, "social-auxiliary-worker": 2}},
        "caps": {"per_activity": 10, "reading": 5},
        "carry_forward_max_points": 5,
        "pro_rata": True,
    },
    "cpd_audit": {
        "sample_rate_percent": 10,
        "evidence_due_days": 30,
        "reminder_days_before_due": [14, 3],
        "exclude_registered_less_than_a_cycle": True,
        "non_compliance": "condition",
        "condition_text": "Complete the missing CPD within 90 days.",
    },
}


def at(year: int, month: int, day: int, hour: int = 10) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=JOHANNESBURG)


@pytest.fixture
def cpd_rules(council: Any) -> RuleSet:
    rule_set = RuleSet.objects.get(version=1)
    rule_set.rules = CPD_RULES
    rule_set.save(update_fields=["rules"])
    return rule_set


@pytest.fixture
def types(db: None) -> dict[str, ActivityType]:
    return {
        code: ActivityType.objects.create(code=code, name=name, requires_reflection=reflection)
        for code, name, reflection in (
            ("course", "Course or workshop", False),
            ("reading", "Self-directed reading", True),
            ("supervision", "Supervision", False),
        )
    }


@pytest.fixture
def cpd_officer(db: None) -> User:
    return factories.staff_user(Role.CPD_OFFICER)


def registered(
    categories: Any, *, on: dt.datetime, category: str = "social-worker", name: str = "Núñez"
) -> RegisterEntry:
    """A registrant approved on the given day (their registered-since date)."""
    with time_machine.travel(on, tick=False):
        registrar = factories.staff_user(Role.REGISTRAR)
        application = factories.application_in_review(
            applicant=factories.UserFactory(), category=categories[category], registrar=registrar, family_name=name
        )
        registry_services.application_decide(actor=registrar, application=application, approve=True, reason="")
    return RegisterEntry.objects.select_related("practitioner__user", "category").get(application=application)


def logged(
    entry: RegisterEntry, activity_type: ActivityType, points: str, day: dt.date, *, subtype: str = "", **extra: Any
) -> Activity:
    """A logged activity, through the service, on a day after it happened."""
    with time_machine.travel(at(day.year, day.month, day.day) + dt.timedelta(days=1), tick=False):
        return services.activity_log(
            actor=entry.practitioner.user,
            activity_type=activity_type,
            title=f"{activity_type.name} on {day.isoformat()}",
            provider_name="",
            activity_date=day,
            points=Decimal(points),
            subtype=subtype,
            reflection=extra.pop(
                "reflection", "What I learned and how I use it." if activity_type.requires_reflection else ""
            ),
            **extra,
        )
