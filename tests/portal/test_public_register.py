"""The public register: accent-insensitive search, exact number lookup, what is shown and never shown."""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from registry import services
from registry.models import RegisterEntry
from registry.selectors import public_register_search
from tests import factories

pytestmark = pytest.mark.django_db

NAMES = [
    ("José", "Núñez"),
    ("María José", "Gutiérrez Peña"),
    ("Françoise", "Lefèvre"),
    ("Hélène Gaëlle", "Dubois"),
    ("Zoë", "Brontë"),
    ("Thandiwe", "Nkosi"),
    ("Pieter", "van der Merwe"),
    ("Jose", "Nunez Ortega"),
    ("Søren", "Kierkegård"),
    ("Lerato", "Mokoena"),
    ("Ángel", "Ñáñez"),
    ("Chloé", "Bénédicte"),
]


def _register(categories: Any, registrar: Any, given: str, family: str, **answers: Any) -> RegisterEntry:
    application = factories.application_in_review(
        applicant=factories.UserFactory(),
        category=categories["social-worker"],
        registrar=registrar,
        given_names=given,
        family_name=family,
        **answers,
    )
    services.application_decide(actor=registrar, application=application, approve=True, reason="")
    return RegisterEntry.objects.select_related("practitioner").get(application=application)


@pytest.fixture
def register(categories: Any, registrar: Any) -> dict[str, RegisterEntry]:
    return {f"{given} {family}": _register(categories, registrar, given, family) for given, family in NAMES}


def _found(client: Any, query: str, **filters: str) -> list[str]:
    response = client.get(reverse("portal:register-search"), {"q": query, **filters})
    assert response.status_code == HTTPStatus.OK
    page = response.context["page"]
    return [f"{entry.practitioner.given_names} {entry.practitioner.family_name}" for entry in page.object_list]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("jose nunez", ["José Núñez", "Jose Nunez Ortega"]),
        ("JOSÉ NÚÑEZ", ["José Núñez", "Jose Nunez Ortega"]),
        ("nunez jose", ["José Núñez", "Jose Nunez Ortega"]),
        ("francoise lefevre", ["Françoise Lefèvre"]),
        ("helene gaelle", ["Hélène Gaëlle Dubois"]),
        ("zoe bronte", ["Zoë Brontë"]),
        ("angel nanez", ["Ángel Ñáñez"]),
        ("soren kierkegard", ["Søren Kierkegård"]),
        ("gutierrez", ["María José Gutiérrez Peña"]),
        ("van der", ["Pieter van der Merwe"]),
        ("nobody here", []),
    ],
)
def test_name_search_ignores_case_and_accents(client, register, query, expected):
    assert sorted(_found(client, query)) == sorted(expected)


def test_name_search_on_postgresql_reads_the_names_stored_folded(register, registrar):
    # given the register (PostgreSQL keeps each name's fold in a generated column, registry/0004)
    assert connection.vendor == "postgresql"
    person = register["Søren Kierkegård"].practitioner
    # when a name changes, PostgreSQL folds it again on write
    person.family_name = "Ørsted-Kierkegård"
    person.save()
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT given_names_folded, family_name_folded FROM registry_practitioner WHERE id = %s", [person.pk]
        )
        assert cursor.fetchone() == ("soren", "orsted-kierkegard")
    # and the search's SQL matches on those columns, not on core_fold() of each row
    entries, problem = public_register_search(query="orsted")
    assert problem is None
    sql = str(entries.query)
    assert '"family_name_folded"' in sql
    assert "core_fold" not in sql
    assert [entry.practitioner.pk for entry in entries] == [person.pk]


def test_search_by_number_is_exact_and_forgives_spacing_and_case(client, register):
    entry = register["Zoë Brontë"]
    compact = entry.registration_number.replace("-", "").lower()
    assert _found(client, entry.registration_number) == ["Zoë Brontë"]
    assert _found(client, f" {compact} ") == ["Zoë Brontë"]


def test_a_mistyped_number_never_finds_someone_else(client, register):
    # given a real number with two adjacent digits swapped, and one with a digit changed
    number = register["José Núñez"].registration_number  # e.g. SW-000001-x
    prefix, body, check = number.split("-")
    swapped = f"{prefix}-{body[:-2]}{body[-1]}{body[-2]}-{check}"
    changed = f"{prefix}-{body[:-1]}{(int(body[-1]) + 1) % 10}-{check}"
    for typo in {swapped, changed} - {number}:
        response = client.get(reverse("portal:register-search"), {"q": typo})
        assert list(response.context["page"].object_list) == []
        assert "That is not a valid registration number." in response.content.decode()


def test_filters_by_category_and_status(client, register, registrar):
    services.register_entry_change_status(
        actor=registrar, entry=register["Françoise Lefèvre"], status="SUSPENDED", reason="Interim order"
    )
    assert _found(client, "francoise", status="SUSPENDED") == ["Françoise Lefèvre"]
    assert _found(client, "francoise", status="REGISTERED") == []
    assert _found(client, "francoise", category="social-auxiliary-worker") == []
    assert _found(client, "francoise", category="social-worker") == ["Françoise Lefèvre"]


def test_public_record_shows_only_what_may_be_published(client, categories, registrar):
    # given a registrant with personal data on file and conditions in force
    entry = _register(
        categories,
        registrar,
        "Hélène",
        "Dubois",
        previous_names="Hélène Martin",
        national_id="8001015009087",
        phone="+27 82 555 0101",
        address="12 Long Street, Cape Town",
    )
    services.register_entry_change_status(
        actor=registrar,
        entry=entry,
        status="REGISTERED_WITH_CONDITIONS",
        reason="Panel decision",
        conditions="Practise only under supervision.",
    )
    # when the public opens the record
    response = client.get(reverse("portal:register-record", args=[entry.registration_number]))
    html = response.content.decode()
    # then it shows the register's public facts
    assert response.status_code == HTTPStatus.OK
    for shown in (
        "Hélène Dubois",
        entry.registration_number,
        "Social worker",
        "Registered with conditions",
        "Practise only under supervision.",
    ):
        assert shown in html
    # and never the personal data, the reason, or previous names (the council has not enabled them)
    for hidden in (
        "8001015009087",
        "+27 82 555 0101",
        "Long Street",
        "1990",
        "Panel decision",
        "Hélène Martin",
        entry.practitioner.user.email,
    ):
        assert hidden not in html


def test_previous_names_are_shown_when_the_council_enables_them(client, council, categories, registrar):
    # (under rules that need no consent: the consent cases are in tests/portal/test_consent.py)
    council.public_register_shows_previous_names = True
    council.optional_public_fields_need_consent = False
    council.save(update_fields=["public_register_shows_previous_names", "optional_public_fields_need_consent"])
    entry = _register(categories, registrar, "Hélène", "Dubois", previous_names="Hélène Martin")
    response = client.get(reverse("portal:register-record", args=[entry.registration_number]))
    assert "Hélène Martin" in response.content.decode()


def test_unknown_number_is_not_found(client, council):
    response = client.get(reverse("portal:register-record", args=["SW-999999-0"]))
    assert response.status_code == HTTPStatus.NOT_FOUND


def _count_queries(client: Any, url: str, params: dict[str, str] | None = None) -> int:
    with CaptureQueriesContext(connection) as context:
        response = client.get(url, params or {})
    assert response.status_code == HTTPStatus.OK
    return len(context.captured_queries)


def test_search_makes_the_same_queries_for_3_or_12_results(client, categories, registrar, django_assert_num_queries):
    # given three people named Nkosi
    for given in ("Thandiwe", "Sipho", "Ayanda"):
        _register(categories, registrar, given, "Nkosi")
    # then a search finding them makes a fixed number of queries
    # (council, categories, the count, the page of results; and the anonymous search count in its own
    # savepoint, three statements, which the tests write at once and production writes every
    # COUNCIL_SEARCH_COUNT_FLUSH_EVERY searches)
    with django_assert_num_queries(7):
        assert len(_found(client, "nkosi")) == 3
    # and with twelve results it makes the same number
    for index in range(9):
        _register(categories, registrar, f"Person{index}", "Nkosi")
    with django_assert_num_queries(7):
        assert len(_found(client, "nkosi")) == 12


def test_record_page_makes_a_constant_number_of_queries(client, categories, registrar, django_assert_num_queries):
    entries = [_register(categories, registrar, given, "Mokoena") for given in ("Lerato", "Kagiso", "Naledi")]
    # (whether a licence year is in force is cached for a few minutes: the first page asks, the rest do not)
    client.get(reverse("portal:register-record", args=[entries[0].registration_number]))
    for entry in entries:
        services.register_entry_change_status(
            actor=registrar, entry=entry, status="REGISTERED_WITH_CONDITIONS", reason="r", conditions="Supervision."
        )
        # council, the entry with its person, category and licence in one query, its published conduct
        # notices, and its status history
        with django_assert_num_queries(4):
            client.get(reverse("portal:register-record", args=[entry.registration_number]))


def test_home_page_query_count(client, categories, django_assert_num_queries):
    # council, categories for the search form
    with django_assert_num_queries(2):
        assert client.get(reverse("portal:home")).status_code == HTTPStatus.OK
