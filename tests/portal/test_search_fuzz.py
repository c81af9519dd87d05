"""Property-based tests: the search and lookups take arbitrary Unicode, and none of it gives a 500.

The text is drawn from the whole of Unicode: NUL and the other control characters, unassigned code
points, and lone surrogates. Nothing is filtered out for being unencodable: the text is encoded as
UTF-8 with "surrogatepass", so a lone surrogate is sent as the (invalid) UTF-8 bytes a broken client
would send, percent-encoded. The one filter is for the lookups' path segment: it holds no "/" (a
slash makes another address, not another registration number) and is not empty.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from registry import services
from registry.models import RegisterEntry
from tests import factories

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
# Every code point: exclude_categories=[] lets surrogates (category Cs) in; NUL (Cc) is in by default.
ANY_TEXT = st.text(alphabet=st.characters(exclude_categories=[]), max_size=80)
PATH_TEXT = st.text(alphabet=st.characters(exclude_categories=[], exclude_characters="/"), min_size=1, max_size=80)
ALLOWED = {200, 400, 404, 429}
# Always tried as well, whatever hypothesis draws: the inputs that broke or nearly broke these pages.
NASTY = ["\x00", "SW-000001-3\x00", "\ud800", "\udfff\ud800", "%", "..", " ", "\u202e", "\ufeffSW0000013"]
DATES = ["", "\x00", "2026-02-30", "1899-12-31", "1900-01-01", "9999-12-31", "0001-01-01", "2026-1-1", "\ud800"]


def _examples(name: str, values: list[str]) -> Any:
    def decorate(test: Any) -> Any:
        for value in values:
            test = example(**{name: value})(test)
        return test

    return decorate


PROBLEM = "application/problem+json"


def _encode(text: str) -> str:
    return quote(text.encode("utf-8", "surrogatepass"), safe="")


def _get(client: Client, path: str, **params: str) -> Any:
    """GET with a query string built by hand: the test client's own encoding refuses lone surrogates."""
    query = "&".join(f"{name}={_encode(value)}" for name, value in params.items())
    return client.get(f"{path}?{query}" if query else path)


def _register(categories: Any, registrar: Any, given: str, family: str) -> RegisterEntry:
    application = factories.application_in_review(
        applicant=factories.UserFactory(),
        category=categories["social-worker"],
        registrar=registrar,
        given_names=given,
        family_name=family,
    )
    services.application_decide(actor=registrar, application=application, approve=True, reason="")
    return RegisterEntry.objects.select_related("practitioner").get(application=application)


@pytest.fixture
def entry(settings: Any, categories: Any, registrar: Any) -> RegisterEntry:
    """Someone to find; and the anonymous rate raised, so every example reaches the search itself."""
    settings.COUNCIL_ANONYMOUS_RATE = "100000/min"
    _register(categories, registrar, "Zoë", "Brontë")
    return _register(categories, registrar, "José", "Núñez")


def _assert_html(response: Any) -> None:
    assert response.status_code in ALLOWED, response.status_code
    assert response["Content-Type"].startswith("text/html"), response["Content-Type"]


def _assert_api(response: Any) -> None:
    assert response.status_code in ALLOWED, response.status_code
    if response.status_code == 200:
        assert response["Content-Type"] == "application/json"
    else:
        assert response["Content-Type"] == PROBLEM, response["Content-Type"]
        body = json.loads(response.content)
        assert body["status"] == response.status_code
        assert body["title"]


@FUZZ
@given(query=ANY_TEXT, category=ANY_TEXT, status=ANY_TEXT)
def test_the_search_page_takes_any_text(client: Client, entry: RegisterEntry, query: str, category: str, status: str):
    # when the public search page is given any text in its three fields
    response = _get(client, reverse("portal:register-search"), q=query, category=category, status=status)
    # then it answers with a page, never a server error
    _assert_html(response)


@FUZZ
@given(name=ANY_TEXT)
@_examples("name", [*NASTY, "SW-000001-4", "a", "é"])
def test_the_api_search_takes_any_name(client: Client, entry: RegisterEntry, name: str):
    # when the API is asked to search for any name
    response = _get(client, reverse("api:practitioner-list"), name=name)
    # then it answers with results or a problem, never a server error
    _assert_api(response)


@FUZZ
@given(name=ANY_TEXT, number=ANY_TEXT, category=ANY_TEXT, status=ANY_TEXT, page=ANY_TEXT)
def test_the_api_search_takes_any_text_in_every_parameter(
    client: Client, entry: RegisterEntry, name: str, number: str, category: str, status: str, page: str
):
    # when every search parameter holds any text
    response = _get(
        client,
        reverse("api:practitioner-list"),
        name=name,
        registration_number=number,
        category=category,
        status=status,
        page=page,
        page_size=page,
    )
    # then it still answers with results or a problem
    _assert_api(response)


@FUZZ
@given(text=PATH_TEXT)
@_examples("text", NASTY)
def test_the_api_lookup_takes_any_text_as_a_number(client: Client, entry: RegisterEntry, text: str):
    # when any text is looked up as a registration number
    response = client.get(f"/api/v1/practitioners/{_encode(text)}")
    # then it is found or not found, and a miss is a problem document
    _assert_api(response)
    assert response.status_code in {200, 404}


@FUZZ
@given(text=PATH_TEXT)
@_examples("text", NASTY)
def test_the_public_record_takes_any_text_as_a_number(client: Client, entry: RegisterEntry, text: str):
    # when any text is opened as a public record's number
    response = client.get(f"/register/{_encode(text)}/")
    # then the page is found or not found, never a server error
    _assert_html(response)
    assert response.status_code in {200, 404}


@FUZZ
@given(as_at=ANY_TEXT)
@_examples("as_at", DATES)
def test_the_statement_page_takes_any_text_as_its_date(client: Client, entry: RegisterEntry, as_at: str):
    # when a statement is asked for "as at" any text
    response = _get(client, reverse("portal:statement", args=[entry.registration_number]), as_at=as_at)
    # then it is a statement, or the form again with the error (400)
    _assert_html(response)
    assert response.status_code in {200, 400}


@FUZZ
@given(as_at=ANY_TEXT)
@_examples("as_at", DATES)
def test_the_api_statement_takes_any_text_as_its_date(client: Client, entry: RegisterEntry, as_at: str):
    # when the API is asked for a statement "as at" any text
    response = _get(client, reverse("api:practitioner-statement", args=[entry.registration_number]), as_at=as_at)
    # then it is a signed statement or a problem
    _assert_api(response)
    assert response.status_code in {200, 400}


@FUZZ
@given(reference=PATH_TEXT)
@_examples("reference", [*NASTY, "VS-0000-0000-0000\x00"])
def test_the_statement_check_takes_any_text_as_a_reference(client: Client, entry: RegisterEntry, reference: str):
    # when any text is checked as a statement reference
    response = client.get(f"/verify/{_encode(reference)}/")
    # then no statement has it: not found, never a server error
    _assert_html(response)
    assert response.status_code == 404
