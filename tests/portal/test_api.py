"""The verification API, version 1: lookups, search, bulk checks, rate limits, API keys, rosters, statements.

Errors are RFC 9457 problem details (application/problem+json), with a detail a person can act on.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import zoneinfo
from http import HTTPStatus
from typing import Any

import pytest
import time_machine
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.test import Client
from django.urls import reverse

from core.models import User
from portal import services as portal_services
from portal.models import ApiKey, EmployerOrganisation, RosterEntry
from registry import services
from registry.models import RegisterEntry
from registry.numbers import damm_check_digit, format_registration_number
from tests import factories

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
PROBLEMS = "https://council-registry.example/problems/"
JOHANNESBURG = zoneinfo.ZoneInfo("Africa/Johannesburg")


# Set-up -----------------------------------------------------------------------------------------


def _register(categories: Any, registrar: User, given: str, family: str, **answers: Any) -> RegisterEntry:
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
def people(categories: Any, registrar: User) -> dict[str, RegisterEntry]:
    """Three social workers: one plainly registered, one with conditions, one suspended."""
    plain = _register(categories, registrar, "José", "Núñez")
    conditioned = _register(categories, registrar, "Hélène", "Dubois", previous_names="Hélène Martin")
    services.register_entry_change_status(
        actor=registrar,
        entry=conditioned,
        status="REGISTERED_WITH_CONDITIONS",
        reason="Panel decision",
        conditions="Practise only under supervision.",
    )
    suspended = _register(categories, registrar, "Zoë", "Brontë")
    services.register_entry_change_status(actor=registrar, entry=suspended, status="SUSPENDED", reason="Interim order")
    return {
        "plain": RegisterEntry.objects.get(pk=plain.pk),
        "conditioned": RegisterEntry.objects.get(pk=conditioned.pk),
        "suspended": RegisterEntry.objects.get(pk=suspended.pk),
    }


def _employer(name: str) -> tuple[EmployerOrganisation, User, ApiKey, str]:
    """An organisation set up by the council, a user acting for it, and a key that user issued."""
    organisation = portal_services.organisation_create(actor=None, name=name)
    user = factories.UserFactory()
    portal_services.member_add(actor=None, organisation=organisation, user=user)
    key, raw_key = portal_services.api_key_issue(actor=user, organisation=organisation, name="HR system")
    return organisation, user, key, raw_key


def _auth(raw_key: str) -> dict[str, str]:
    return {"HTTP_AUTHORIZATION": f"Bearer {raw_key}"}


def _detail_url(number: str) -> str:
    return reverse("api:practitioner-detail", args=[number])


def _unknown_number(sequence: int) -> str:
    """A well-formed number (its check digit right) that no one holds."""
    return format_registration_number(prefix="SW", sequence_value=900000 + sequence, digits=6)


def _mistyped(number: str) -> str:
    """The same number with a wrong check digit."""
    prefix, body, check = number.split("-")
    assert damm_check_digit(body) == int(check)
    return f"{prefix}-{body}-{(int(check) + 1) % 10}"


def _problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == PROBLEM
    body: dict[str, Any] = json.loads(response.content)
    assert body["status"] == status
    assert body["title"]
    return body


def _search(client: Client, **params: Any) -> Any:
    return client.get(reverse("api:practitioner-list"), params)


def _names(response: Any) -> list[str]:
    assert response.status_code == HTTPStatus.OK, response.content
    return sorted(f"{row['given_names']} {row['family_name']}" for row in response.json()["results"])


# Lookups ----------------------------------------------------------------------------------------


def test_a_registered_number_gives_the_public_record(client, people):
    # given a person with conditions on the register
    entry = people["conditioned"]
    # when their number is looked up
    response = client.get(_detail_url(entry.registration_number))
    # then the public record comes back as JSON
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    record = response.json()
    assert record["registration_number"] == entry.registration_number
    assert (record["given_names"], record["family_name"]) == ("Hélène", "Dubois")
    assert record["category"] == {"code": "social-worker", "name": "Social worker"}
    assert record["status"] == "REGISTERED_WITH_CONDITIONS"
    assert record["may_practise"] is True
    assert record["conditions"] == "Practise only under supervision."
    assert record["licence"] is None
    assert record["record_url"] == f"http://testserver/register/{entry.registration_number}/"
    # and previous names are not in it: the council does not publish them
    assert "previous_names" not in record


def test_a_number_typed_loosely_is_still_found(client, people):
    # given a number in lower case, without dashes and with spaces around it
    number = people["plain"].registration_number
    loose = f" {number.replace('-', ' ').lower()} "
    # when it is looked up
    response = client.get(_detail_url(loose))
    # then it finds the person under the canonical number
    assert response.status_code == HTTPStatus.OK
    assert response.json()["registration_number"] == number


def test_a_suspended_person_is_found_and_may_not_practise(client, people):
    response = client.get(_detail_url(people["suspended"].registration_number))
    record = response.json()
    assert record["status"] == "SUSPENDED"
    assert record["may_practise"] is False
    assert record["status_summary"] == "Not permitted to practise: Suspended"


def test_an_unknown_number_is_a_not_found_problem(client, people):
    # when a well-formed number no one holds is looked up
    response = client.get(_detail_url(_unknown_number(1)))
    # then it is a 404 problem saying no one is registered under it
    body = _problem(response, HTTPStatus.NOT_FOUND)
    assert body["type"] == PROBLEMS + "not-found"
    assert body["detail"] == "No one is registered under that number."


def test_a_wrong_check_digit_is_a_not_found_problem_that_points_at_the_typing_mistake(client, people):
    # given a real number with its check digit mistyped
    typo = _mistyped(people["plain"].registration_number)
    # when it is looked up
    response = client.get(_detail_url(typo))
    # then it finds no one (never somebody else) and says the number is mistyped
    body = _problem(response, HTTPStatus.NOT_FOUND)
    assert body["type"] == PROBLEMS + "invalid-number"
    assert body["detail"] == "This is not a valid registration number: check it for a typing mistake."


# Search -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["jose nunez", "JOSÉ NÚÑEZ", "nunez jose", "Núñez"])
def test_search_by_name_ignores_case_and_accents(client, people, query):
    assert _names(_search(client, name=query)) == ["José Núñez"]


def test_search_by_registration_number_is_exact(client, people):
    # when the search is given a number, as registration_number or as the name
    number = people["suspended"].registration_number
    # then it finds exactly that person
    assert _names(_search(client, registration_number=number)) == ["Zoë Brontë"]
    assert _names(_search(client, name=number)) == ["Zoë Brontë"]
    # and a mistyped number is refused, not matched
    body = _problem(_search(client, registration_number=_mistyped(number)), HTTPStatus.BAD_REQUEST)
    assert body["errors"] == [
        {
            "pointer": "/registration_number",
            "detail": "This is not a valid registration number: check it for a typing mistake.",
        }
    ]
    body = _problem(_search(client, name=_mistyped(number)), HTTPStatus.BAD_REQUEST)
    assert [error["pointer"] for error in body["errors"]] == ["/name"]


def test_search_filters_by_status(client, people):
    assert _names(_search(client, name="bronte", status="SUSPENDED")) == ["Zoë Brontë"]
    assert _names(_search(client, name="bronte", status="REGISTERED")) == []


def test_previous_names_are_searched_only_when_the_council_publishes_them(client, council, people):
    # given the council does not publish previous names
    # when someone searches for a previous name
    response = _search(client, name="martin")
    # then no one is found, and the results hold no previous names
    assert _names(response) == []
    assert all("previous_names" not in row for row in _search(client, name="dubois").json()["results"])
    # given the council now publishes them, under rules that need no consent (tests/portal/test_consent.py)
    council.public_register_shows_previous_names = True
    council.optional_public_fields_need_consent = False
    council.save(update_fields=["public_register_shows_previous_names", "optional_public_fields_need_consent"])
    # then the same search finds her, and shows the previous name
    response = _search(client, name="martin")
    assert _names(response) == ["Hélène Dubois"]
    assert response.json()["results"][0]["previous_names"] == "Hélène Martin"
    assert client.get(_detail_url(people["conditioned"].registration_number)).json()["previous_names"] == (
        "Hélène Martin"
    )


@pytest.mark.parametrize("name", ["a", "é", " j . ", "--"])
def test_a_name_of_fewer_than_two_letters_is_a_bad_request_problem(client, people, name):
    # when the search is given fewer than two letters
    response = _search(client, name=name)
    # then it is a 400 problem pointing at the name
    body = _problem(response, HTTPStatus.BAD_REQUEST)
    assert body["type"] == PROBLEMS + "invalid-request"
    assert body["errors"] == [{"pointer": "/name", "detail": "Give at least two letters of the name."}]


def test_a_search_with_neither_name_nor_number_is_a_bad_request_problem(client, people):
    body = _problem(_search(client, status="REGISTERED"), HTTPStatus.BAD_REQUEST)
    assert body["errors"] == [
        {"pointer": "/non_field_errors", "detail": "Give a name or a registration number to search for."}
    ]


def test_pagination_stops_at_page_ten(client, categories, registrar):
    # given eleven people called Nkosi
    for index in range(11):
        _register(categories, registrar, f"Person{index:02d}", "Nkosi")
    # when they are paged through one at a time
    pages = [_search(client, name="nkosi", page_size=1, page=page).json() for page in range(1, 11)]
    # then each page holds the next person, in name order, and page ten says there is no next page
    assert [page["results"][0]["given_names"] for page in pages] == [f"Person{index:02d}" for index in range(10)]
    assert [page["has_next"] for page in pages] == [True] * 9 + [False]
    # and page eleven is a 400 problem: refine the search instead
    body = _problem(_search(client, name="nkosi", page_size=1, page=11), HTTPStatus.BAD_REQUEST)
    assert [error["pointer"] for error in body["errors"]] == ["/page"]
    assert body["instance"] == "/api/v1/practitioners?name=nkosi&page_size=1&page=11"


def test_page_size_is_at_most_fifty(client, people):
    body = _problem(_search(client, name="jose", page_size=51), HTTPStatus.BAD_REQUEST)
    assert [error["pointer"] for error in body["errors"]] == ["/page_size"]


# Bulk verification ------------------------------------------------------------------------------


def test_ten_thousand_numbers_are_checked_in_one_request_one_result_each_in_order(client, people):
    # given an employer's key and 10,000 numbers: registered people (some typed loosely), numbers no
    # one holds, numbers with a wrong check digit, and things that are not numbers at all
    _organisation, _user, _key, raw_key = _employer("Sunrise Care")
    known = [people["plain"], people["conditioned"], people["suspended"]]
    inputs: list[str] = []
    expected: list[tuple[str, str | None]] = []
    for index in range(10_000):
        kind = index % 5
        entry = known[index % 3]
        if kind == 0:
            inputs.append(entry.registration_number)
            expected.append(("found", entry.registration_number))
        elif kind == 1:
            inputs.append(entry.registration_number.replace("-", "").lower())
            expected.append(("found", entry.registration_number))
        elif kind == 2:
            inputs.append(_unknown_number(index))
            expected.append(("not_found", _unknown_number(index)))
        elif kind == 3:
            inputs.append(_mistyped(entry.registration_number))
            expected.append(("invalid", None))
        else:
            inputs.append(["", "hello", "SW-12-3", "\u00e9t\u00e9"][index % 4])
            expected.append(("invalid", None))
    # when they are checked in one request
    response = client.post(
        reverse("api:verifications"),
        {"registration_numbers": inputs},
        content_type="application/json",
        **_auth(raw_key),
    )
    # then there is one result per number, in the order given, each saying what was found
    assert response.status_code == HTTPStatus.OK, response.content[:500]
    body = response.json()
    assert body["checked"] == 10_000
    assert body["found"] == 4_000
    results = body["results"]
    assert [row["input"] for row in results] == inputs
    assert [(row["result"], row["registration_number"]) for row in results] == expected
    # and a found row carries the person's standing; the others say why nothing was found
    by_number = {row["registration_number"]: row for row in results if row["result"] == "found"}
    assert by_number[people["plain"].registration_number]["status"] == "REGISTERED"
    assert by_number[people["plain"].registration_number]["may_practise"] is True
    assert by_number[people["conditioned"].registration_number]["conditions"] == "Practise only under supervision."
    assert by_number[people["suspended"].registration_number]["may_practise"] is False
    assert results[2]["message"] == "No one is registered under this number."
    assert results[3]["message"] == "Not a valid registration number: check it for a typing mistake."
    assert results[3]["status"] is None


def test_ten_thousand_and_one_numbers_is_a_bad_request_problem(client, people):
    _organisation, _user, _key, raw_key = _employer("Sunrise Care")
    numbers = [people["plain"].registration_number] * 10_001
    response = client.post(
        reverse("api:verifications"),
        {"registration_numbers": numbers},
        content_type="application/json",
        **_auth(raw_key),
    )
    body = _problem(response, HTTPStatus.BAD_REQUEST)
    assert body["errors"] == [
        {
            "pointer": "/registration_numbers",
            "detail": "At most 10000 numbers may be checked at once; this request has 10001.",
        }
    ]


def test_bulk_verification_without_a_key_is_refused_with_a_challenge(client, people):
    # when the bulk check is called with no key
    response = client.post(
        reverse("api:verifications"),
        {"registration_numbers": [people["plain"].registration_number]},
        content_type="application/json",
    )
    # then it is a 401 problem, with the WWW-Authenticate challenge saying what to send
    body = _problem(response, HTTPStatus.UNAUTHORIZED)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert body["detail"] == "This operation needs an employer API key."


@pytest.mark.parametrize("item", [0, None, False, {"registration_number": "SW-000001-3"}])
def test_bulk_numbers_must_be_strings(client, people, item):
    _organisation, _user, _key, raw_key = _employer("Sunrise Care")
    response = client.post(
        reverse("api:verifications"),
        {"registration_numbers": [people["plain"].registration_number, item]},
        content_type="application/json",
        **_auth(raw_key),
    )
    body = _problem(response, HTTPStatus.BAD_REQUEST)
    assert [error["pointer"] for error in body["errors"]] == ["/registration_numbers/1"]


# Rate limits ------------------------------------------------------------------------------------


def _retry_after(response: Any) -> int:
    seconds = int(response["Retry-After"])
    assert 0 < seconds <= 60
    return seconds


def test_an_anonymous_caller_past_the_rate_is_told_when_to_retry(client, settings, people):
    # given a limit of three calls a minute for callers without a key
    settings.COUNCIL_ANONYMOUS_RATE = "3/min"
    url = _detail_url(people["plain"].registration_number)
    # when four calls are made
    answers = [client.get(url) for _ in range(4)]
    # then three are answered and the fourth is a 429 problem with Retry-After, in seconds
    assert [answer.status_code for answer in answers[:3]] == [200, 200, 200]
    body = _problem(answers[3], HTTPStatus.TOO_MANY_REQUESTS)
    assert body["type"] == PROBLEMS + "rate-limited"
    assert body["retry_after"] == _retry_after(answers[3])


def test_the_public_search_page_shares_the_anonymous_limit(client, settings, people):
    # given a limit of three a minute, spent on the API
    settings.COUNCIL_ANONYMOUS_RATE = "3/min"
    for _ in range(3):
        assert _search(client, name="jose").status_code == HTTPStatus.OK
    # when the public search page is used next
    response = client.get(reverse("portal:register-search"), {"q": "jose"})
    # then it too answers 429 with Retry-After (switching to the pages gains a scraper nothing)
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response["Content-Type"].startswith("text/html")
    _retry_after(response)


def test_the_public_search_page_alone_is_limited(client, settings, people):
    settings.COUNCIL_ANONYMOUS_RATE = "3/min"
    answers = [client.get(reverse("portal:register-search"), {"q": "jose"}) for _ in range(4)]
    assert [answer.status_code for answer in answers] == [200, 200, 200, 429]
    _retry_after(answers[3])


def test_each_key_has_its_own_rate(client, settings, people):
    # given a limit of five calls a minute per key, and two employers' keys
    settings.COUNCIL_API_KEY_RATE = "5/min"
    _org_a, _user_a, _key_a, first = _employer("Sunrise Care")
    _org_b, _user_b, _key_b, second = _employer("Ubuntu Care")
    url = _detail_url(people["plain"].registration_number)
    # when the first key makes six calls
    answers = [client.get(url, **_auth(first)) for _ in range(6)]
    # then the sixth is refused with Retry-After
    assert [answer.status_code for answer in answers[:5]] == [200] * 5
    body = _problem(answers[5], HTTPStatus.TOO_MANY_REQUESTS)
    assert body["retry_after"] == _retry_after(answers[5])
    # and the other key is still answered
    assert client.get(url, **_auth(second)).status_code == HTTPStatus.OK


# API keys ---------------------------------------------------------------------------------------


def test_a_revoked_key_is_refused_at_once(client, people):
    # given a key in use
    _organisation, user, key, raw_key = _employer("Sunrise Care")
    url = reverse("api:roster")
    assert client.get(url, **_auth(raw_key)).status_code == HTTPStatus.OK
    # when it is revoked
    portal_services.api_key_revoke(actor=user, key=key, reason="Laptop stolen")
    # then the very next request with it is a 401 problem
    body = _problem(client.get(url, **_auth(raw_key)), HTTPStatus.UNAUTHORIZED)
    assert body["detail"] == "The API key is not valid, or has been revoked."
    # even on the public operations, where no key at all would have been fine
    _problem(client.get(_detail_url(people["plain"].registration_number), **_auth(raw_key)), HTTPStatus.UNAUTHORIZED)


@pytest.mark.parametrize(
    "header",
    [
        {"HTTP_AUTHORIZATION": "Bearer crk_000000000000_not-a-real-secret"},
        {"HTTP_AUTHORIZATION": "Bearer not-a-key-at-all"},
        {"HTTP_AUTHORIZATION": "Bearer "},
        {"HTTP_AUTHORIZATION": "Basic dXNlcjpwYXNz"},
        {"HTTP_X_API_KEY": "crk_000000000000_not-a-real-secret"},
    ],
)
def test_an_unknown_or_garbled_key_is_refused(client, people, header):
    response = client.get(reverse("api:roster"), **header)
    body = _problem(response, HTTPStatus.UNAUTHORIZED)
    assert body["detail"] == "The API key is not valid, or has been revoked."
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_key_with_its_secret_changed_is_refused(client, people):
    # given a real key with one character of its secret changed
    _organisation, _user, _key, raw_key = _employer("Sunrise Care")
    tampered = raw_key[:-1] + ("A" if raw_key[-1] != "A" else "B")
    # then it is refused, though its prefix is a real key's
    _problem(client.get(reverse("api:roster"), **_auth(tampered)), HTTPStatus.UNAUTHORIZED)


def test_the_key_may_also_be_sent_as_x_api_key(client, people):
    _organisation, _user, _key, raw_key = _employer("Sunrise Care")
    assert client.get(reverse("api:roster"), HTTP_X_API_KEY=raw_key).status_code == HTTPStatus.OK


def test_a_deactivated_organisations_key_is_refused(client, people):
    organisation, _user, _key, raw_key = _employer("Sunrise Care")
    EmployerOrganisation.objects.filter(pk=organisation.pk).update(is_active=False)
    _problem(client.get(reverse("api:roster"), **_auth(raw_key)), HTTPStatus.UNAUTHORIZED)


# Rosters ----------------------------------------------------------------------------------------


def _roster_add(client: Client, raw_key: str, numbers: list[Any]) -> Any:
    return client.post(
        reverse("api:roster"), {"registration_numbers": numbers}, content_type="application/json", **_auth(raw_key)
    )


def _roster(client: Client, raw_key: str) -> dict[str, Any]:
    response = client.get(reverse("api:roster"), **_auth(raw_key))
    assert response.status_code == HTTPStatus.OK, response.content
    result: dict[str, Any] = response.json()
    return result


def test_a_roster_upload_keeps_the_good_rows_and_explains_each_bad_one(client, people):
    # given an employer's key
    _organisation, _user, _key, raw_key = _employer("Sunrise Care")
    plain, conditioned = people["plain"].registration_number, people["conditioned"].registration_number
    # when numbers are added, some of them bad
    response = _roster_add(
        client,
        raw_key,
        [plain, _mistyped(conditioned), _unknown_number(7), "", plain.lower(), conditioned],
    )
    # then the good ones are added and each bad row says what is wrong with it
    assert response.status_code == HTTPStatus.OK, response.content
    assert response.json() == {
        "total": 6,
        "added": 2,
        "already": 0,
        "errors": [
            {
                "row": 2,
                "value": _mistyped(conditioned),
                "message": "This is not a valid registration number: check it for a typing mistake.",
            },
            {"row": 3, "value": _unknown_number(7), "message": "No one is registered under this number."},
            {"row": 4, "value": "", "message": "The registration number is missing."},
            {"row": 5, "value": plain.lower(), "message": "This number is also on row 1."},
        ],
    }
    # and adding one again counts it as already there
    assert _roster_add(client, raw_key, [conditioned]).json()["already"] == 1


def test_the_roster_shows_each_persons_flags(client, people):
    # given a roster of the three
    _organisation, _user, _key, raw_key = _employer("Sunrise Care")
    _roster_add(client, raw_key, [entry.registration_number for entry in people.values()])
    # when it is read
    roster = _roster(client, raw_key)
    # then each person is there, by name, with what an employer must act on
    assert roster["total"] == 3
    flags = {row["practitioner"]["registration_number"]: row["flags"] for row in roster["results"]}
    # (no licence year is set up here, so no one is flagged for want of a licence)
    assert flags == {
        people["plain"].registration_number: [],
        people["conditioned"].registration_number: ["conditioned"],
        people["suspended"].registration_number: ["suspended"],
    }
    assert [row["practitioner"]["family_name"] for row in roster["results"]] == ["Brontë", "Dubois", "Núñez"]


def test_someone_is_taken_off_the_roster(client, people):
    # given a roster of two
    _organisation, _user, _key, raw_key = _employer("Sunrise Care")
    plain, suspended = people["plain"].registration_number, people["suspended"].registration_number
    _roster_add(client, raw_key, [plain, suspended])
    # when one is removed
    response = client.delete(reverse("api:roster-item", args=[suspended]), **_auth(raw_key))
    # then the answer is 204 and the roster holds the other only
    assert response.status_code == HTTPStatus.NO_CONTENT
    assert [row["practitioner"]["registration_number"] for row in _roster(client, raw_key)["results"]] == [plain]
    # and removing them again is a 404 problem
    again = client.delete(reverse("api:roster-item", args=[suspended]), **_auth(raw_key))
    assert _problem(again, HTTPStatus.NOT_FOUND)["detail"] == "That number is not on your roster."


def test_one_organisations_key_never_sees_or_changes_anothers_roster(client, people):
    # given two employers, the first with the three people on its roster
    first_org, _first_user, _first_key, first = _employer("Sunrise Care")
    second_org, _second_user, _second_key, second = _employer("Ubuntu Care")
    numbers = [entry.registration_number for entry in people.values()]
    _roster_add(client, first, numbers)
    # when the second employer reads its roster, it sees none of them
    assert _roster(client, second) == {"total": 0, "page": 1, "page_size": 100, "results": []}
    # when it tries to remove one of the first employer's people, it is told they are not on its roster
    response = client.delete(reverse("api:roster-item", args=[numbers[0]]), **_auth(second))
    _problem(response, HTTPStatus.NOT_FOUND)
    # when it adds one of them, that goes on its own roster only
    assert _roster_add(client, second, [numbers[0]]).json()["added"] == 1
    # then the first employer's roster is as it was
    assert _roster(client, first)["total"] == 3
    assert RosterEntry.objects.filter(organisation=first_org).count() == 3
    assert list(
        RosterEntry.objects.filter(organisation=second_org).values_list(
            "register_entry__registration_number", flat=True
        )
    ) == [numbers[0]]


def test_the_roster_needs_a_key(client, people):
    response = client.get(reverse("api:roster"))
    _problem(response, HTTPStatus.UNAUTHORIZED)
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'


# Statements -------------------------------------------------------------------------------------


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _verify_offline(client: Client, token: str) -> dict[str, Any]:
    """Check a token as a verifier would: with the public key published at /.well-known/, and nothing
    of this project's code."""
    keys = client.get(reverse("well-known-verification-keys")).json()["keys"]
    body, signature = token.split(".")
    payload: dict[str, Any] = json.loads(_b64url(body))
    (jwk,) = [key for key in keys if key["kid"] == payload["kid"]]
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("OKP", "Ed25519", "EdDSA")
    Ed25519PublicKey.from_public_bytes(_b64url(jwk["x"])).verify(_b64url(signature), body.encode("ascii"))
    return payload


def _statement(client: Client, number: str, as_at: dt.date | str) -> Any:
    as_at_text = as_at.isoformat() if isinstance(as_at, dt.date) else as_at
    return client.get(reverse("api:practitioner-statement", args=[number]), {"as_at": as_at_text})


@pytest.fixture
def history(categories: Any, registrar: User) -> RegisterEntry:
    """Registered on 2 March 2026; conditions imposed on 15 June 2026; suspended on 3 August 2026."""
    with time_machine.travel(dt.datetime(2026, 3, 2, 10, tzinfo=JOHANNESBURG), tick=False):
        entry = _register(categories, registrar, "Thandiwe", "Nkosi")
    with time_machine.travel(dt.datetime(2026, 6, 15, 10, tzinfo=JOHANNESBURG), tick=False):
        services.register_entry_change_status(
            actor=registrar,
            entry=entry,
            status="REGISTERED_WITH_CONDITIONS",
            reason="Panel decision",
            conditions="No unsupervised home visits.",
        )
    with time_machine.travel(dt.datetime(2026, 8, 3, 10, tzinfo=JOHANNESBURG), tick=False):
        services.register_entry_change_status(actor=registrar, entry=entry, status="SUSPENDED", reason="Order")
    return entry


@pytest.mark.parametrize(
    ("as_at", "on_register", "status", "may_practise", "unrestricted", "conditions"),
    [
        (dt.date(2026, 3, 1), False, "NOT_REGISTERED", False, False, ""),
        (dt.date(2026, 3, 2), True, "REGISTERED", True, True, ""),
        (dt.date(2026, 6, 14), True, "REGISTERED", True, True, ""),
        (dt.date(2026, 6, 15), True, "REGISTERED_WITH_CONDITIONS", True, False, "No unsupervised home visits."),
        (dt.date(2026, 8, 2), True, "REGISTERED_WITH_CONDITIONS", True, False, "No unsupervised home visits."),
        (dt.date(2026, 8, 3), True, "SUSPENDED", False, False, ""),
    ],
)
def test_a_statement_says_what_the_register_said_on_the_day(
    client, history, as_at, on_register, status, may_practise, unrestricted, conditions
):
    # given the register's history of one person
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, tzinfo=JOHANNESBURG), tick=False):
        # when a statement is asked for as at a day
        response = _statement(client, history.registration_number, as_at)
        # then it is signed with the council's published key, and says what the register said that day
        assert response.status_code == HTTPStatus.OK, response.content
        body = response.json()
        payload = _verify_offline(client, body["token"])
    assert payload == {**body["statement"], "kid": payload["kid"]}
    assert payload["ref"] == body["reference"]
    assert payload["registration_number"] == history.registration_number
    assert payload["as_at"] == as_at.isoformat()
    assert (payload["on_register"], payload["status"], payload["may_practise"]) == (on_register, status, may_practise)
    assert (payload["unrestricted"], payload["conditions"]) == (unrestricted, conditions)
    assert body["verify_url"] == f"http://testserver/verify/{body['reference']}/"
    assert body["keys_url"] == "http://testserver/.well-known/council-verification-keys.json"


def test_a_tampered_statement_fails_the_offline_check(client, history):
    # given a genuine token whose payload is changed to say the person was unrestricted
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, tzinfo=JOHANNESBURG), tick=False):
        token = _statement(client, history.registration_number, dt.date(2026, 8, 3)).json()["token"]
    body, signature = token.split(".")
    payload = json.loads(_b64url(body))
    payload["unrestricted"] = True
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    # then the published key does not verify it
    with pytest.raises(InvalidSignature):
        _verify_offline(client, f"{forged}.{signature}")


def test_the_same_facts_give_the_same_statement(client, history):
    # given a statement as at a day, asked for in September
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, tzinfo=JOHANNESBURG), tick=False):
        first = _statement(client, history.registration_number, dt.date(2026, 4, 1)).json()
    # when the same day is asked for again a month later, and through the public page's JSON
    with time_machine.travel(dt.datetime(2026, 10, 1, 10, tzinfo=JOHANNESBURG), tick=False):
        again = _statement(client, history.registration_number, dt.date(2026, 4, 1)).json()
        page = client.get(
            reverse("portal:statement-json", args=[history.registration_number]), {"as_at": "2026-04-01"}
        ).json()
        other_day = _statement(client, history.registration_number, dt.date(2026, 4, 2)).json()
    # then it is the same statement, under the same reference and token
    assert again["reference"] == first["reference"] == page["reference"]
    assert again["token"] == first["token"]
    # and another day is another statement
    assert other_day["reference"] != first["reference"]


def test_a_statement_for_a_future_date_is_a_bad_request_problem(client, history):
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, tzinfo=JOHANNESBURG), tick=False):
        response = _statement(client, history.registration_number, dt.date(2026, 9, 2))
    body = _problem(response, HTTPStatus.BAD_REQUEST)
    assert body["errors"] == [{"pointer": "/as_at", "detail": "A statement cannot be made for a date in the future."}]


@pytest.mark.parametrize("as_at", ["", "2026-02-30", "1899-12-31", "yesterday"])
def test_a_statement_date_that_is_not_a_date_is_a_bad_request_problem(client, history, as_at):
    body = _problem(_statement(client, history.registration_number, as_at), HTTPStatus.BAD_REQUEST)
    assert [error["pointer"] for error in body["errors"]] == ["/as_at"]


def test_a_statement_for_an_unknown_number_is_a_not_found_problem(client, history):
    _problem(_statement(client, _unknown_number(3), dt.date(2026, 4, 1)), HTTPStatus.NOT_FOUND)
    _problem(_statement(client, _mistyped(history.registration_number), dt.date(2026, 4, 1)), HTTPStatus.NOT_FOUND)


def test_the_online_check_says_a_statement_is_genuine(client, history):
    # given a statement from the API
    with time_machine.travel(dt.datetime(2026, 9, 1, 10, tzinfo=JOHANNESBURG), tick=False):
        reference = _statement(client, history.registration_number, dt.date(2026, 6, 15)).json()["reference"]
    # when its reference is checked online
    response = client.get(reverse("portal:statement-check", args=[reference]))
    # then the page says it is genuine, with the facts of that day
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert "Genuine: the council issued this statement" in html
    assert "No unsupervised home visits." in html
    # and a reference the council never issued is not found
    assert client.get(reverse("portal:statement-check", args=["VS-0000-0000-0000"])).status_code == 404
