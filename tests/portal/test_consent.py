"""Optional public fields (previous names, town of work) follow the council's rules and the practitioner's consent.

A field is published when the council publishes it and either its rules need no consent or the
practitioner agreed (portal.selectors.OptionalPublicFields). Every combination is checked on every
public path: the record page, the web search and the API search (a previous name finds someone only
where it is published), the API record, and the signed statement.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

import pytest
from django.db import connection
from django.urls import reverse

from core.models import Council
from portal import selectors as portal_selectors
from registry import consent
from registry.models import RegisterEntry
from registry.selectors import public_register_search
from tests.portal.test_public_register import _register

pytestmark = pytest.mark.django_db

PREVIOUS = "Hélène Zwelithini"
TOWN = "Gqeberha"

# (council publishes the field, its rules need consent, the practitioner consented) -> published
COMBINATIONS = [
    (publishes, needs_consent, consented, publishes and (not needs_consent or consented))
    for publishes in (False, True)
    for needs_consent in (False, True)
    for consented in (False, True)
]


def _council_rules(council: Council, *, previous: bool, town: bool, needs_consent: bool) -> None:
    council.public_register_shows_previous_names = previous
    council.public_register_shows_work_town = town
    council.optional_public_fields_need_consent = needs_consent
    council.save()


def _choose(entry: RegisterEntry, *, previous: bool, town: bool) -> None:
    """The practitioner's own choices, made as they make them (registry.consent)."""
    practitioner = entry.practitioner
    assert practitioner.user is not None
    consent.practitioner_public_details_save(
        actor=practitioner.user,
        practitioner=practitioner,
        work_town=TOWN,
        consents_to_publish_previous_names=previous,
        consents_to_publish_work_town=town,
    )


def _page(client: Any, entry: RegisterEntry) -> str:
    response = client.get(reverse("portal:register-record", args=[entry.registration_number]))
    assert response.status_code == HTTPStatus.OK
    return str(response.content.decode())


def _web_search(client: Any, query: str) -> list[str]:
    response = client.get(reverse("portal:register-search"), {"q": query})
    assert response.status_code == HTTPStatus.OK
    return [entry.registration_number for entry in response.context["page"].object_list]


def _api_search(client: Any, query: str) -> list[dict[str, Any]]:
    response = client.get(reverse("api:practitioner-list"), {"name": query})
    assert response.status_code == HTTPStatus.OK
    results: list[dict[str, Any]] = response.json()["results"]
    return results


def _api_record(client: Any, entry: RegisterEntry) -> dict[str, Any]:
    response = client.get(reverse("api:practitioner-detail", args=[entry.registration_number]))
    assert response.status_code == HTTPStatus.OK
    record: dict[str, Any] = response.json()
    return record


def _statement(client: Any, entry: RegisterEntry) -> dict[str, Any]:
    response = client.get(reverse("portal:statement-json", args=[entry.registration_number]))
    assert response.status_code == HTTPStatus.OK
    statement: dict[str, Any] = response.json()["statement"]
    return statement


@pytest.mark.parametrize(("publishes", "needs_consent", "consented", "published"), COMBINATIONS)
def test_previous_names_follow_the_rules_and_the_consent(
    client, council, categories, registrar, publishes, needs_consent, consented, published
):
    # given a practitioner with a previous name, the council's rules, and the practitioner's choice
    entry = _register(categories, registrar, "Hélène", "Dubois", previous_names=PREVIOUS)
    _council_rules(council, previous=publishes, town=False, needs_consent=needs_consent)
    _choose(entry, previous=consented, town=False)
    # when the public reads the record page, the API and a statement, and searches by the previous name
    page = _page(client, entry)
    record = _api_record(client, entry)
    statement = _statement(client, entry)
    web_found = _web_search(client, "zwelithini")
    api_found = _api_search(client, "zwelithini")
    # then the previous name is on each exactly when it is published
    assert (PREVIOUS in page) is published
    assert record.get("previous_names") == (PREVIOUS if published else None)
    assert statement.get("previous_names") == (PREVIOUS if published else None)
    # and the previous name finds her exactly when it is published (the search never reveals the link)
    assert web_found == ([entry.registration_number] if published else [])
    assert [row["registration_number"] for row in api_found] == ([entry.registration_number] if published else [])
    assert [row.get("previous_names") for row in api_found] == ([PREVIOUS] if published else [])
    # and her current name finds her whatever the rules, showing the previous name only when published
    by_name = _api_search(client, "dubois")
    assert [row.get("previous_names") for row in by_name] == [PREVIOUS if published else None]
    # and the town of work (not published here) is nowhere
    assert TOWN not in page
    assert "work_town" not in record
    assert "work_town" not in statement


@pytest.mark.parametrize(("publishes", "needs_consent", "consented", "published"), COMBINATIONS)
def test_the_town_of_work_follows_the_rules_and_the_consent(
    client, council, categories, registrar, publishes, needs_consent, consented, published
):
    # given a practitioner who gave a town of work, the council's rules, and the practitioner's choice
    entry = _register(categories, registrar, "Sipho", "Ndlovu", previous_names=PREVIOUS)
    _council_rules(council, previous=False, town=publishes, needs_consent=needs_consent)
    _choose(entry, previous=False, town=consented)
    # when the public reads the record page, the API (record and search results) and a statement
    page = _page(client, entry)
    record = _api_record(client, entry)
    results = _api_search(client, "ndlovu")
    statement = _statement(client, entry)
    # then the town is on each exactly when it is published
    assert (TOWN in page) is published
    assert record.get("work_town") == (TOWN if published else None)
    assert [row.get("work_town") for row in results] == [TOWN if published else None]
    assert statement.get("work_town") == (TOWN if published else None)
    # and searching for the town finds no one: it is shown, never searched
    assert _web_search(client, TOWN) == []
    # and the previous name (not published here) is nowhere
    assert PREVIOUS not in page
    assert "previous_names" not in record
    assert _web_search(client, "zwelithini") == []


def test_each_consent_covers_only_its_own_field(client, council, categories, registrar):
    # given a council publishing both fields with consent, one practitioner agreeing only to the town
    # and another only to previous names, both with the same previous name
    _council_rules(council, previous=True, town=True, needs_consent=True)
    town_only = _register(categories, registrar, "Thandi", "Mokoena", previous_names=PREVIOUS)
    names_only = _register(categories, registrar, "Lerato", "Khumalo", previous_names=PREVIOUS)
    _choose(town_only, previous=False, town=True)
    _choose(names_only, previous=True, town=False)
    # when the public looks at both and searches for the shared previous name
    town_record = _api_record(client, town_only)
    names_record = _api_record(client, names_only)
    # then each record shows only the field its practitioner agreed to
    assert (town_record.get("work_town"), town_record.get("previous_names")) == (TOWN, None)
    assert (names_record.get("work_town"), names_record.get("previous_names")) == (None, PREVIOUS)
    # and the previous name finds only the practitioner who agreed to its publication
    assert _web_search(client, "zwelithini") == [names_only.registration_number]
    assert [row["registration_number"] for row in _api_search(client, "zwelithini")] == [names_only.registration_number]


def test_withdrawing_consent_takes_the_field_off_at_once(client, council, categories, registrar):
    # given a practitioner whose previous name and town are published with their consent
    _council_rules(council, previous=True, town=True, needs_consent=True)
    entry = _register(categories, registrar, "Zoë", "Brontë", previous_names=PREVIOUS)
    _choose(entry, previous=True, town=True)
    assert _web_search(client, "zwelithini") == [entry.registration_number]
    # when they withdraw both consents
    _choose(entry, previous=False, town=False)
    # then neither is shown or searchable any more
    page = _page(client, entry)
    assert PREVIOUS not in page
    assert TOWN not in page
    assert _web_search(client, "zwelithini") == []
    assert "work_town" not in _statement(client, entry)


def test_the_search_asks_for_consent_in_the_same_query_on_the_stored_fold(council, categories, registrar):
    # given rules publishing previous names with consent
    _council_rules(council, previous=True, town=False, needs_consent=True)
    optional = portal_selectors.optional_public_fields(council)
    # when the search is built
    entries, problem = public_register_search(
        query="zwelithini", previous_names_where=optional.previous_names_searchable()
    )
    sql = str(entries.query)
    # then the previous-name match reads the stored fold and is narrowed by the consent column in the same
    # statement (no query per row)
    assert problem is None
    assert '"previous_names_folded"' in sql
    assert '"consents_to_publish_previous_names"' in sql
    assert "core_fold" not in sql
    # and PostgreSQL can still answer it from the trigram indexes (a bitmap OR over the three folds)
    with connection.cursor() as cursor:
        # (the test table is tiny: with scans of a whole table or index ruled out, only indexes can answer)
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute("SET LOCAL enable_indexscan = off")
        query_sql, params = entries.query.sql_with_params()
        cursor.execute(f"EXPLAIN {query_sql}", params)
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "registry_prac_prev_fold_trgm" in plan, plan
    assert "registry_prac_family_fold_trgm" in plan
    assert "BitmapOr" in plan


def test_no_previous_name_is_searched_where_the_council_does_not_publish_them(council):
    # given a council that does not publish previous names
    _council_rules(council, previous=False, town=True, needs_consent=False)
    # then the search is not even given a condition for them, and its SQL does not match on them
    assert portal_selectors.optional_public_fields(council).previous_names_searchable() is None
    entries, _problem = public_register_search(query="zwelithini", previous_names_where=None)
    assert "previous_names_folded" not in str(entries.query)


def test_the_record_page_and_search_make_no_more_queries_for_the_optional_fields(
    client, council, categories, registrar, django_assert_num_queries
):
    # given three consenting practitioners named Nkosi under rules publishing both fields with consent
    _council_rules(council, previous=True, town=True, needs_consent=True)
    entries = [_register(categories, registrar, given, "Nkosi", previous_names=PREVIOUS) for given in "ABC"]
    for entry in entries:
        _choose(entry, previous=True, town=True)
    _page(client, entries[0])  # (whether a licence year is in force is cached after the first page)
    # then the search and the record page make the same numbers of queries as before the optional fields
    # (the search's 7 include the search count's write in its savepoint: tests/portal/test_public_register.py)
    with django_assert_num_queries(7):
        assert len(_web_search(client, "nkosi zwelithini")) == 3
    with django_assert_num_queries(4):
        assert TOWN in _page(client, entries[0])
