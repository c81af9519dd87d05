"""Fixtures shared by the portal tests: registered practitioners, an employer organisation with a user,
the renewal rules, and a practising licence with chosen dates."""

from __future__ import annotations

import copy
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from django.utils import timezone

from core.models import RuleSet, User
from licensing import services as licensing_services
from licensing.models import Licence, RenewalPeriod
from portal import services
from portal.models import EmployerOrganisation
from registry.models import RegisterEntry
from tests import factories
from tests.licensing.conftest import LICENSING_RULES
from tests.portal.test_public_register import _register


@pytest.fixture
def registered(categories: Any, registrar: User) -> Callable[..., RegisterEntry]:
    """registered("José", "Núñez", **answers): a social worker put on the register through the services."""

    def make(given: str = "José", family: str = "Núñez", **answers: Any) -> RegisterEntry:
        return _register(categories, registrar, given, family, **answers)

    return make


def employer_create(name: str, *, email: str = "") -> tuple[EmployerOrganisation, User]:
    """An organisation set up by the council, with one user acting for it (so in the employer_user group)."""
    organisation = services.organisation_create(actor=None, name=name)
    user = factories.UserFactory(**({"email": email} if email else {}))
    services.member_add(actor=None, organisation=organisation, user=user)
    return organisation, user


@pytest.fixture
def employer(council: Any) -> tuple[EmployerOrganisation, User]:
    return employer_create("Ubuntu Care Services", email="hr@ubuntu-care.example")


@pytest.fixture
def renewal_rules(council: Any) -> RuleSet:
    """The licensing tests' renewal rules, added to rule version 1 (licence years run January to December)."""
    rule_set = RuleSet.objects.get(version=1)
    rule_set.rules = {**rule_set.rules, **copy.deepcopy(LICENSING_RULES)}
    rule_set.save(update_fields=["rules"])
    return rule_set


def licence_create(entry: RegisterEntry, *, valid_from: dt.date, valid_to: dt.date) -> Licence:
    """Test set-up: a licence with chosen dates, issued now (the renewal path itself is tested in
    tests/licensing). Needs the renewal_rules fixture."""
    period = RenewalPeriod.objects.filter(year=valid_to.year).first() or licensing_services.renewal_period_open(
        actor=None, year=valid_to.year
    )
    return Licence.objects.create(
        register_entry=entry,
        period=period,
        number=f"L{valid_to.year}-{entry.registration_number}",
        valid_from_date=valid_from,
        valid_to_date=valid_to,
        issued_at=timezone.now(),
    )
