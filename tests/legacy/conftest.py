"""Fixtures for the legacy register import: a register to import into, and the made-up legacy file."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import Region, User
from core.roles import Role
from legacy.samples import LEGACY_NUMBER_PATTERN, SampleFile, legacy_register_sample
from registry.models import Practitioner, RegisterEntry
from tests import factories

CATEGORIES = (("social-worker", "SW"), ("social-auxiliary-worker", "SAW"))


@pytest.fixture
def register(db: None, settings: Any) -> dict[str, Any]:
    settings.COUNCIL_LEGACY_NUMBER_PATTERN = LEGACY_NUMBER_PATTERN
    factories.council_create()
    categories = factories.categories_create()
    regions = {
        code: Region.objects.create(code=code, name=name)
        for code, name in (("gp", "Gauteng"), ("kzn", "KwaZulu-Natal"))
    }
    return {"categories": categories, "regions": regions}


@pytest.fixture
def registrar(register: dict[str, Any]) -> User:
    return factories.staff_user(Role.REGISTRAR)


def sample_file(rows: int = 5000, **kwargs: Any) -> SampleFile:
    return legacy_register_sample(
        rows=rows, categories=CATEGORIES, qualifications=("bsw", "aux-cert"), regions=("gp", "KwaZulu-Natal"), **kwargs
    )


def put_on_register(sample: SampleFile, register: dict[str, Any]) -> list[Practitioner]:
    """The sample's register people, each with an entry numbered as this register numbers."""
    people = []
    for index, person in enumerate(sample.register_people):
        sex = {"F": "FEMALE", "Female": "FEMALE", "M": "MALE", "Male": "MALE"}.get(str(person["sex"]), "")
        practitioner = Practitioner.objects.create(
            given_names=person["given_names"],
            family_name=person["family_name"],
            date_of_birth=person["date_of_birth"],
            national_id=person["national_id"],
            sex=sex,
        )
        # Registered in the category the file's row is not in, so a merge has no clash of categories.
        category = register["categories"]["social-auxiliary-worker" if index % 2 == 0 else "social-worker"]
        RegisterEntry.objects.create(
            practitioner=practitioner,
            category=category,
            registration_number=f"{category.registration_number_prefix}-{900000 + index:06d}-0",
            registered_date=dt.date(2010, 1, 1),
            status_changed_at=dt.datetime(2010, 1, 1, tzinfo=dt.UTC),
        )
        people.append(practitioner)
    return people


def upload(sample: SampleFile, *, name: str = "register.csv", xlsx: bool = False) -> SimpleUploadedFile:
    data = sample.xlsx_bytes() if xlsx else sample.csv_bytes()
    return SimpleUploadedFile(name, data)
