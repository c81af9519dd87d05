"""Fixtures for the workforce statistics: regions, and a small register spread across them."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from core.models import Region
from core.selectors import council_today
from registry import services as registry_services
from registry.models import Application, RegisterEntry
from tests import factories
from workforce.models import ChildPopulation


def _register(categories: Any, registrar: Any, category: str, region: Region, sex: str = "FEMALE") -> RegisterEntry:
    application = factories.application_in_review(
        applicant=factories.UserFactory(),
        category=categories[category],
        registrar=registrar,
        given_names="Test",
        family_name=f"Person {Application.objects.count()}",
        region=region,
        sex=sex,
        date_of_birth=dt.date(council_today().year - 40, 1, 1),  # 39 or 40 years old
    )
    registry_services.application_decide(actor=registrar, application=application, approve=True, reason="")
    return RegisterEntry.objects.select_related("practitioner").get(application=application)


@pytest.fixture
def regions(db: None) -> dict[str, Region]:
    north = Region.objects.create(code="north", name="North")
    return {
        "north": north,
        "north-east": Region.objects.create(code="north-east", name="North East", parent=north),
        "south": Region.objects.create(code="south", name="South"),
    }


@pytest.fixture
def workforce(categories: Any, registrar: Any, regions: dict[str, Region]) -> dict[str, Any]:
    """North: three social workers, one of them suspended. North East (within North): one social worker
    and one social auxiliary worker. South: two social workers. Children this year: North 200,000,
    North East 40,000, South 50,000."""
    entries = {
        "north-1": _register(categories, registrar, "social-worker", regions["north"]),
        "north-2": _register(categories, registrar, "social-worker", regions["north"], sex="MALE"),
        "north-suspended": _register(categories, registrar, "social-worker", regions["north"]),
        "north-east-sw": _register(categories, registrar, "social-worker", regions["north-east"]),
        "north-east-aux": _register(categories, registrar, "social-auxiliary-worker", regions["north-east"]),
        "south-1": _register(categories, registrar, "social-worker", regions["south"]),
        "south-2": _register(categories, registrar, "social-worker", regions["south"], sex="MALE"),
    }
    registry_services.register_entry_change_status(
        actor=registrar, entry=entries["north-suspended"], status="SUSPENDED", reason="Interim order"
    )
    year = council_today().year
    for code, children in (("north", 200_000), ("north-east", 40_000), ("south", 50_000)):
        ChildPopulation.objects.create(region=regions[code], year=year, children=children, source="fixture")
    return entries
