"""The API meets its own OpenAPI schema: schemathesis runs every operation against the live server.

The live server is a thread of this process, so the rows made before the run must be committed: the
tests are transactional (pytest-django's live_server fixture makes them so). Every default check of
schemathesis 4 runs, with positive and negative data, once with an employer's API key (so the roster
and bulk operations are exercised past their 401) and once without a key.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from typing import Any

import pytest
import schemathesis
from django.conf import settings as django_settings
from django.contrib.staticfiles import finders
from django.urls import reverse
from drf_spectacular.validation import validate_schema
from schemathesis import engine
from schemathesis.engine import events

from core.selectors import council_today
from portal import services as portal_services
from registry import services
from registry.models import RegisterEntry
from registry.selectors import public_register_search
from tests import factories


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
def seeded(settings: Any, live_server: Any, categories: Any, registrar: Any) -> dict[str, Any]:
    """A small register (one plain, one with conditions, one suspended), an employer with a roster and a key."""
    # schemathesis sends hundreds of requests a minute; the rate limits are tested in test_api.py.
    settings.COUNCIL_ANONYMOUS_RATE = "100000/min"
    settings.COUNCIL_API_KEY_RATE = "100000/min"
    plain = _register(categories, registrar, "José", "Núñez")
    conditioned = _register(categories, registrar, "Hélène", "Dubois")
    services.register_entry_change_status(
        actor=registrar,
        entry=conditioned,
        status="REGISTERED_WITH_CONDITIONS",
        reason="Panel decision",
        conditions="Practise only under supervision.",
    )
    suspended = _register(categories, registrar, "Zoë", "Brontë")
    services.register_entry_change_status(actor=registrar, entry=suspended, status="SUSPENDED", reason="Interim order")
    organisation = portal_services.organisation_create(actor=None, name="Sunrise Care")
    employer = factories.UserFactory(email="hr@sunrise.example")
    portal_services.member_add(actor=None, organisation=organisation, user=employer)
    _key, raw_key = portal_services.api_key_issue(actor=employer, organisation=organisation, name="HR system")
    portal_services.roster_add_numbers(
        actor=employer,
        organisation=organisation,
        numbers=[plain.registration_number, conditioned.registration_number, suspended.registration_number],
    )
    return {"raw_key": raw_key, "today": council_today()}


def _text(value: Any) -> str:
    if isinstance(value, list):  # a parameter given twice: the server reads the last
        value = value[-1] if value else ""
    return "" if value is None else str(value)


def _documented_rules(today: dt.date) -> Any:
    """A filter_case hook: positive cases must also follow the rules the operations' descriptions state
    but OpenAPI 3 cannot express (one parameter depending on another, a date relative to today, a
    check digit). The server refuses those with a 400 problem, and test_api.py tests that it does; here
    they would be reported as "valid data rejected". Negative cases are all kept."""

    def follows_documented_rules(context: Any, case: Any) -> bool:
        if case.meta is None or not case.meta.generation.mode.is_positive:
            return True
        query = case.query or {}
        if case.operation.label == "GET /api/v1/practitioners":
            # "Give a name or a registration number": at least two letters, or a number with its check digit
            text = _text(query.get("registration_number")).strip() or _text(query.get("name")).strip()
            _entries, problem = public_register_search(query=text)
            return bool(text) and problem is None
        if case.operation.label == "GET /api/v1/practitioners/{registration_number}/statement":
            # "Not in the future, nor before 1900"
            try:
                as_at = dt.date.fromisoformat(_text(query.get("as_at")))
            except ValueError:  # not given (or a form the server must then accept, and is checked on)
                return True
            return as_at.year >= 1900 and as_at <= today
        return True

    return follows_documented_rules


def _run_schemathesis(url: str, *, raw_key: str | None, today: dt.date) -> dict[str, Any]:
    """Every phase schemathesis's CLI runs (examples, coverage, fuzzing), through its engine, in process.

    (schemathesis.pytest.from_fixture cannot be used: it reads pytest's private Function._nodeid, which
    pytest 9.2 no longer has.)"""
    options: dict[str, Any] = {
        "seed": 20261122,
        "generation": {"mode": "all", "max-examples": 40, "deterministic": True},
        "suppress-health-check": ["all"],
        "workers": 1,
        "continue-on-failure": True,
        "request-timeout": 60,
        "cache": {"enabled": False},
    }
    if raw_key is not None:
        options["auth"] = {"openapi": {"employerApiKey": {"bearer": raw_key}}}
    config = schemathesis.Config.from_dict(options)
    schema = schemathesis.openapi.from_url(url, config=config)
    schema.hook("filter_case")(_documented_rules(today))
    failures: list[str] = []
    sent: dict[str, int] = {}
    finished = None
    for event in engine.from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished) and event.label:
            sent[event.label] = sent.get(event.label, 0) + len(event.recorder.interactions)
            for checks in event.recorder.checks.values():
                for check in checks:
                    if check.failure_info is not None:
                        failure = check.failure_info.failure
                        failures.append(
                            f"{event.label} [{check.name}] {failure.title}: {failure.message}\n"
                            f"{check.failure_info.code_sample}"
                        )
        elif isinstance(event, events.NonFatalError):
            failures.append(f"{event.label}: error {event.info.title}: {event.info.message}")
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            finished = event
    assert finished is not None
    return {"failures": failures, "sent": sent, "stop_reason": finished.stop_reason}


OPERATIONS = {
    "GET /api/v1/categories",
    "GET /api/v1/practitioners",
    "GET /api/v1/practitioners/{registration_number}",
    "GET /api/v1/practitioners/{registration_number}/statement",
    "GET /api/v1/roster",
    "POST /api/v1/roster",
    "DELETE /api/v1/roster/{registration_number}",
    "POST /api/v1/verifications",
}


@pytest.mark.django_db(transaction=True)
def test_every_operation_meets_the_schema_with_an_api_key(live_server: Any, seeded: dict[str, Any]) -> None:
    # given an employer's key, so the roster and bulk operations get past their 401
    # when schemathesis runs every operation with every default check, positive and negative data
    run = _run_schemathesis(live_server.url + reverse("api:schema"), raw_key=seeded["raw_key"], today=seeded["today"])
    # then it finds no failure, and it tested every operation
    assert run["failures"] == [], "\n\n".join(run["failures"])
    assert set(run["sent"]) == OPERATIONS
    assert min(run["sent"].values()) >= 10, run["sent"]
    assert str(run["stop_reason"]) == "completed"


@pytest.mark.django_db(transaction=True)
def test_every_operation_meets_the_schema_without_a_key(live_server: Any, seeded: dict[str, Any]) -> None:
    # given no key at all (the employer operations answer 401; the public ones answer as to anyone)
    run = _run_schemathesis(live_server.url + reverse("api:schema"), raw_key=None, today=seeded["today"])
    # then schemathesis finds no failure either
    assert run["failures"] == [], "\n\n".join(run["failures"])
    assert set(run["sent"]) == OPERATIONS
    assert min(run["sent"].values()) >= 10, run["sent"]


@pytest.mark.django_db
def test_the_served_schema_is_a_valid_openapi_document(client: Any, council: Any) -> None:
    # when the schema is fetched as JSON from where the docs page fetches it
    response = client.get(reverse("api:schema"), {"format": "json"})
    # then it is OpenAPI 3, drf-spectacular's validator accepts it, and it describes every operation
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["openapi"].startswith("3.")
    validate_schema(document)
    operations = {f"{method.upper()} {path}" for path, item in document["paths"].items() for method in item}
    assert operations == OPERATIONS
    # and its errors are problem details, documented as application/problem+json
    search = document["paths"]["/api/v1/practitioners"]["get"]["responses"]
    assert list(search["400"]["content"]) == ["application/problem+json"]
    assert list(search["200"]["content"]) == ["application/json"]
    # and it states the bulk check's limit, and that every 429 says when to try again
    bulk = document["components"]["schemas"]["VerificationRequestRequest"]["properties"]["registration_numbers"]
    assert bulk["maxItems"] == 10_000
    too_many = [
        operation["responses"]["429"] for item in document["paths"].values() for operation in item.values()
        if "429" in operation["responses"]
    ]  # fmt: skip
    assert len(too_many) >= 5
    assert all(response["headers"]["Retry-After"]["required"] for response in too_many)


@pytest.mark.django_db
def test_the_docs_page_serves_swagger_ui_from_local_static_files(client: Any, council: Any) -> None:
    # when the API documentation page is opened
    response = client.get(reverse("api:docs"))
    html = response.content.decode()
    # then it is Swagger UI, pointed at the schema
    assert response.status_code == 200
    assert "swagger-ui" in html.lower()
    assert reverse("api:schema") in html
    # and its scripts and styles are this server's static files, not a CDN's
    for cdn in ("cdn.", "unpkg", "jsdelivr", "cdnjs", "googleapis"):
        assert cdn not in html
    assets = re.findall(r'(?:src|href)="([^"]+\.(?:js|css))"', html)
    assert any(asset.endswith("swagger-ui-bundle.js") for asset in assets), assets
    for asset in assets:
        assert asset.startswith(django_settings.STATIC_URL), asset
        assert finders.find(asset.removeprefix(django_settings.STATIC_URL)) is not None, asset
