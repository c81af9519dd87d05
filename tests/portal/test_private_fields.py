"""No public page or API response holds a field outside DESIGN.md's public list.

A practitioner is built with every private field filled with a marker: date of birth, national ID,
email, phone, address, previous names (the council does not publish them here, though the practitioner
agreed), a town of work (the council publishes towns with consent, which the practitioner did not give),
qualification and employment, the decision's and a status change's reasons, the account's name, a CPD activity, and a
complaint with its case and document. Then every public response about them is read (pages, API, JSON,
the PDF's text and its QR code's signed payload, the roster exports, the alert email and the webhook
body) and no marker may be in any of them. Every URL of the URLconf whose access rule is PUBLIC and
that takes only a registration number or a statement reference (or nothing) is walked too, so a new
public page is covered without changing this test.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
import html
import json
import re
import zlib
from collections.abc import Iterator
from decimal import Decimal
from http import HTTPStatus
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.resolvers import RoutePattern

from core.access import rule_for
from core.models import Notification, RuleSet
from core.roles import Role
from core.selectors import council_today
from cpd import services as cpd_services
from cpd.models import ActivityType
from discipline import services as discipline_services
from portal import alerts
from portal import services as portal_services
from portal.models import AlertFrequency, VerificationStatement, WebhookDelivery
from registry import consent, services
from registry.models import RegisterEntry
from tests import factories
from tests.cpd.conftest import CPD_RULES
from tests.discipline.conftest import DISCIPLINE_RULES, pdf
from tests.licensing.test_certificates import pdf_images, pdf_streams, pdf_texts, scan

pytestmark = pytest.mark.django_db

EMAIL = "marker-email-7731@example.org"
MARKERS = {
    "national ID": "MARKER-NID-7731",
    "email": "marker-email-7731",
    "address": "MARKER-ADDR-7731",
    "phone": "MARKER 7731",
    "previous names": "MARKER-PREV-7731",
    "employer": "MARKER-EMPLOYER-7731",
    "job title": "MARKER-JOB-7731",
    "qualification": "MARKER-INST-7731",
    "decision reason": "MARKER-DECISION-7731",
    "status change reason": "MARKER-REASON-7731",
    "account name": "MARKER-ACCOUNT-7731",
    "CPD title": "MARKER-CPD-7731",
    "CPD provider": "MARKER-CPDPROV-7731",
    "CPD reflection": "MARKER-REFLECT-7731",
    "complainant": "MARKER-COMPLAINANT-7731",
    "allegation": "MARKER-ALLEGATION-7731",
    "case document": "MARKER-DOC-7731",
    "triage reason": "MARKER-TRIAGE-7731",
    "work town": "MARKER-TOWN-7731",
}
BIRTH = dt.date(1901, 2, 3)
BIRTH_FORMS = [
    "1901-02-03",
    "3 February 1901",
    "3 Feb 1901",
    "February 3, 1901",
    "03/02/1901",
    "1901/02/03",
    "03-02-1901",
    "03.02.1901",
    "19010203",
]
# The year alone, as a word: checked in the text a reader sees (not in a PDF's binary streams, where
# "1901" may be a byte offset, nor inside longer numbers such as a timestamp's microseconds).
BIRTH_YEAR = re.compile(r"(?<![\w-])1901(?![\w])")
PUBLIC_NAME = ("Nomvula", "Khumalo")
CONDITIONS = "Practise only under supervision."


# The marked practitioner ------------------------------------------------------------------------


@pytest.fixture
def marked(council: Any, categories: Any, registrar: Any) -> dict[str, Any]:
    """The practitioner with every private field marked, on an employer's roster, with a statement issued."""
    rule_set = RuleSet.objects.get(version=1)
    rule_set.rules = {**rule_set.rules, **copy.deepcopy(CPD_RULES), **copy.deepcopy(DISCIPLINE_RULES)}
    rule_set.save(update_fields=["rules"])
    applicant = factories.UserFactory(email=EMAIL, name=MARKERS["account name"])
    application = factories.application_in_review(
        applicant=applicant,
        category=categories["social-worker"],
        registrar=registrar,
        given_names=PUBLIC_NAME[0],
        family_name=PUBLIC_NAME[1],
        previous_names=MARKERS["previous names"],
        date_of_birth=BIRTH,
        national_id=MARKERS["national ID"],
        phone=f"+27 {MARKERS['phone']}",
        address=f"{MARKERS['address']}, 12 Long Street, Cape Town",
        institution_name=MARKERS["qualification"],
        employer_name=MARKERS["employer"],
        job_title=MARKERS["job title"],
        employment_sector="NON_GOVERNMENTAL",
        employment_is_paid=True,
    )
    services.application_decide(
        actor=registrar, application=application, approve=True, reason=MARKERS["decision reason"]
    )
    entry = RegisterEntry.objects.select_related("practitioner").get(application=application)
    assert (entry.practitioner.email, entry.practitioner.date_of_birth) == (EMAIL, BIRTH)
    # a town of work they did not agree to publish, under rules that publish towns with consent
    council.public_register_shows_work_town = True
    council.save(update_fields=["public_register_shows_work_town"])
    consent.practitioner_public_details_save(
        actor=applicant,
        practitioner=entry.practitioner,
        work_town=MARKERS["work town"],
        consents_to_publish_previous_names=True,
        consents_to_publish_work_town=False,
    )
    # a CPD activity in their log
    cpd_services.activity_log(
        actor=applicant,
        activity_type=ActivityType.objects.create(code="course", name="Course or workshop", requires_reflection=True),
        title=MARKERS["CPD title"],
        provider_name=MARKERS["CPD provider"],
        activity_date=council_today(),
        points=Decimal(3),
        reflection=MARKERS["CPD reflection"],
    )
    # an unproven complaint, with a document, on which a case is opened
    lodged = discipline_services.complaint_lodge(
        data={
            "complainant_role": "SERVICE_USER",
            "complainant_name": MARKERS["complainant"],
            "complainant_email": "complainant@example.org",
            "anonymous_to_practitioner": True,
            "practitioner_named": "Nomvula Khumalo",
            "registration_number_given": entry.registration_number,
            "description": f"An allegation: {MARKERS['allegation']}",
        },
        attachments=[pdf(f"{MARKERS['case document']}.pdf")],
        source_address="203.0.113.9",
        tracking_url=lambda token: f"/complaints/track/{token}/",
    )
    discipline_services.complaint_triage(
        actor=factories.staff_user(Role.CONDUCT_OFFICER),
        complaint=lodged.complaint,
        open_case=True,
        reason=MARKERS["triage reason"],
        register_entry=entry,
    )
    # an employer who rosters them, wants alerts at once, and has a webhook and a key
    organisation = portal_services.organisation_create(actor=None, name="Sunrise Care")
    employer = factories.UserFactory(email="hr@sunrise.example")
    portal_services.member_add(actor=None, organisation=organisation, user=employer)
    portal_services.alert_settings_save(
        actor=employer,
        organisation=organisation,
        frequency=AlertFrequency.IMMEDIATE,
        webhook_url="http://127.0.0.1:9/council-hook",
    )
    _key, raw_key = portal_services.api_key_issue(actor=employer, organisation=organisation, name="HR system")
    portal_services.roster_add_numbers(actor=employer, organisation=organisation, numbers=[entry.registration_number])
    # a change to the register for the alerts, with a private reason
    services.register_entry_change_status(
        actor=registrar,
        entry=entry,
        status="REGISTERED_WITH_CONDITIONS",
        reason=MARKERS["status change reason"],
        conditions=CONDITIONS,
    )
    statement = portal_services.statement_issue(entry=entry, day=council_today())
    return {
        "entry": RegisterEntry.objects.get(pk=entry.pk),
        "organisation": organisation,
        "employer": employer,
        "raw_key": raw_key,
        "reference": statement.reference,
    }


# Reading what a response shows ------------------------------------------------------------------


def _body(response: Any) -> bytes:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content)
    content: bytes = response.content
    return content


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _qr_tokens(content: bytes) -> list[str]:
    return [text for image in pdf_images(content) for text in scan(image)]


def _pdf_views(content: bytes) -> tuple[list[str], list[str]]:
    """(everything in the file, what a reader sees): the raw bytes and each inflated stream; the shown
    text and the QR code's payload, decoded from its signed token."""
    everything = [content.decode("latin-1")]
    for dictionary, data in pdf_streams(content):
        if b"/FlateDecode" in dictionary and b"/Subtype /Image" not in dictionary:
            everything.append(zlib.decompress(data).decode("latin-1"))
    shown = list(pdf_texts(content))
    for token in _qr_tokens(content):
        body, _signature = token.split(".")
        shown.append(json.dumps(json.loads(_b64url(body)), ensure_ascii=False))
    everything += shown
    # text in UTF-16 (PDF metadata may be written so)
    everything.append(content.decode("utf-16-be", errors="ignore"))
    return everything, shown


def _views(content: bytes, content_type: str) -> tuple[list[str], list[str]]:
    """(everything to search for markers, the text a reader sees, to search for the birth year)."""
    if content_type.startswith("application/pdf"):
        return _pdf_views(content)
    text = content.decode("utf-8", errors="replace")
    shown = [text]
    if "json" in content_type:
        shown.append(json.dumps(json.loads(content), ensure_ascii=False))
    if "html" in content_type:
        shown.append(html.unescape(text))
    return [*shown, content.decode("latin-1")], shown


def _leaks(content: bytes, content_type: str) -> list[str]:
    everything, shown = _views(content, content_type)
    found = []
    for label, marker in MARKERS.items():
        if any(marker.lower() in text.lower() for text in everything):
            found.append(f"{label} ({marker})")
    found += [
        f"date of birth ({form})" for form in BIRTH_FORMS if any(form.lower() in text.lower() for text in everything)
    ]
    for text in shown:
        if match := BIRTH_YEAR.search(text):
            found.append(f"year of birth: ...{text[max(0, match.start() - 60) : match.end() + 60]}...")
            break
    return found


def _assert_no_leak(label: str, response: Any) -> None:
    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR, (label, response.status_code)
    found = _leaks(_body(response), response.get("Content-Type", ""))
    assert found == [], f"{label} ({response.status_code}) shows {found}"


# The tests --------------------------------------------------------------------------------------


def test_the_markers_are_really_on_file(marked):
    # given the marked practitioner: the markers are where a leak would take them from (or the test
    # below would prove nothing)
    practitioner = marked["entry"].practitioner
    assert practitioner.national_id == MARKERS["national ID"]
    assert MARKERS["address"] in practitioner.address
    assert MARKERS["phone"] in practitioner.phone
    assert practitioner.previous_names == MARKERS["previous names"]
    assert practitioner.user.name == MARKERS["account name"]
    assert practitioner.employments.get().job_title == MARKERS["job title"]
    assert practitioner.qualifications.get().institution_name == MARKERS["qualification"]
    assert marked["entry"].history.filter(history_change_reason=MARKERS["status change reason"]).exists()


def test_no_public_page_or_api_response_shows_a_private_field(client, marked):
    entry, number, reference = marked["entry"], marked["entry"].registration_number, marked["reference"]
    key = {"HTTP_AUTHORIZATION": f"Bearer {marked['raw_key']}"}
    today = council_today().isoformat()
    # given everything public about them, as anyone (or an employer with a key) would read it
    responses = {
        "record page": client.get(reverse("portal:register-record", args=[number])),
        "search page, by name": client.get(reverse("portal:register-search"), {"q": "khumalo"}),
        "search page, by number": client.get(reverse("portal:register-search"), {"q": number}),
        "API lookup": client.get(reverse("api:practitioner-detail", args=[number])),
        "API search, by name": client.get(reverse("api:practitioner-list"), {"name": "nomvula khumalo"}),
        "API search, by number": client.get(reverse("api:practitioner-list"), {"registration_number": number}),
        "bulk verification": client.post(
            reverse("api:verifications"), {"registration_numbers": [number]}, content_type="application/json", **key
        ),
        "statement page": client.get(reverse("portal:statement", args=[number]), {"as_at": today}),
        "statement PDF": client.get(reverse("portal:statement-pdf", args=[number]), {"as_at": today}),
        "statement JSON": client.get(reverse("portal:statement-json", args=[number]), {"as_at": today}),
        "API statement": client.get(reverse("api:practitioner-statement", args=[number]), {"as_at": today}),
        "statement check": client.get(reverse("portal:statement-check", args=[reference])),
        "roster API": client.get(reverse("api:roster"), **key),
        "roster API, adding": client.post(
            reverse("api:roster"), {"registration_numbers": [number]}, content_type="application/json", **key
        ),
    }
    # then each answers, shows the person...
    for label, response in responses.items():
        assert response.status_code == HTTPStatus.OK, (label, response.status_code)
    assert "Khumalo" in responses["record page"].content.decode()
    assert responses["API lookup"].json()["conditions"] == CONDITIONS
    assert responses["bulk verification"].json()["found"] == 1
    assert responses["statement PDF"]["Content-Type"] == "application/pdf"
    (token,) = _qr_tokens(responses["statement PDF"].content)  # its QR code is read below, like its text
    assert token == VerificationStatement.objects.get(reference=responses["statement JSON"].json()["reference"]).token
    # ...and none shows a marker
    for label, response in responses.items():
        _assert_no_leak(label, response)
    assert "previous_names" not in responses["API lookup"].json()
    assert entry.practitioner.user.email not in responses["record page"].content.decode()


def test_the_employers_exports_alert_email_and_webhook_show_no_private_field(
    client, marked, django_capture_on_commit_callbacks
):
    # given the employer signed in, and the register change that concerns their roster
    client.force_login(marked["employer"])
    created = alerts.alerts_collect()
    assert created, "the status change made no alert"
    with django_capture_on_commit_callbacks(execute=True):
        assert alerts.alerts_email(frequency=AlertFrequency.IMMEDIATE) == 1
    # when the employer reads the roster's exports and pages
    responses = {
        "roster CSV": client.get(reverse("employer:roster-csv")),
        "roster PDF": client.get(reverse("employer:roster-pdf")),
        "employer dashboard": client.get(reverse("employer:dashboard")),
        "employer alerts page": client.get(reverse("employer:alerts")),
    }
    # then they hold the person and none of the private fields
    for label, response in responses.items():
        assert response.status_code == HTTPStatus.OK, (label, response.status_code)
        if label != "roster PDF":  # its text is checked through pdf_texts, in _assert_no_leak
            assert "Khumalo" in _body(response).decode("utf-8", errors="replace"), label
        _assert_no_leak(label, response)
    # and the webhook body says what changed, with no private field
    deliveries = list(WebhookDelivery.objects.filter(organisation=marked["organisation"]))
    assert deliveries
    for delivery in deliveries:
        body = json.loads(delivery.body)
        assert body["data"]["registration_number"] == marked["entry"].registration_number
        assert body["data"]["after"]["conditions"] == CONDITIONS
        assert _leaks(delivery.body.encode(), "application/json") == [], delivery.body
    # and so does the alert email, as queued and as sent
    notifications = list(Notification.objects.filter(kind="employer_alerts"))
    assert [notification.to_email for notification in notifications] == ["hr@sunrise.example"]
    for notification in notifications:
        text = f"{notification.subject}\n{notification.body}"
        assert "Khumalo" in text
        assert _leaks(text.encode(), "text/plain") == [], text
    sent = [message for message in mail.outbox if message.to == ["hr@sunrise.example"]]
    assert sent
    for message in sent:
        parts = [message.subject, message.body] + [
            str(content) for content, _type in getattr(message, "alternatives", [])
        ]
        assert _leaks("\n".join(parts).encode(), "text/plain") == [], message.body


# Every public URL -------------------------------------------------------------------------------

_PARAMETER = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


def _routes(patterns: list[Any], prefix: str = "") -> Iterator[tuple[str, URLPattern]]:
    """Each URL pattern with its whole route, for those made with path() at every level. (The others are
    regular expressions with groups for secrets, allauth's email and password keys, or the admin's.)"""
    for pattern in patterns:
        if not isinstance(pattern.pattern, RoutePattern):
            continue
        if isinstance(pattern, URLResolver):
            yield from _routes(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def _public_paths(values: dict[str, str]) -> dict[str, str]:
    """Every URL whose access rule is public and which takes only these parameters (or none), filled in."""
    paths = {}
    for route, pattern in _routes(get_resolver().url_patterns):
        names = [found.group("name") for found in _PARAMETER.finditer(route)]
        if not set(names) <= set(values):
            continue
        path = "/" + _PARAMETER.sub(lambda found: values[found.group("name")], route)
        match = resolve(path)
        assert match.func is pattern.callback, route
        rule = rule_for(match)
        if rule is not None and not rule.login_required:
            paths[match.view_name or route] = path
    return paths


def test_every_public_url_about_a_number_or_a_statement_shows_no_private_field(client, marked):
    # given every public URL of the URLconf that takes a registration number, a statement reference, or nothing
    paths = _public_paths(
        {"registration_number": marked["entry"].registration_number, "reference": marked["reference"]}
    )
    # (the walk finds the pages this test is about; a new one would join them)
    assert {
        "portal:home",
        "portal:register-search",
        "portal:register-record",
        "portal:statement",
        "portal:statement-pdf",
        "portal:statement-json",
        "portal:statement-check",
        "api:practitioner-list",
        "api:practitioner-detail",
        "api:practitioner-statement",
        "api:roster",
        "api:roster-item",
        "well-known-verification-keys",
    } <= set(paths)
    key = {"HTTP_AUTHORIZATION": f"Bearer {marked['raw_key']}"}
    for name, path in sorted(paths.items()):
        # when each is opened, as anyone and with an employer's key
        anyone = client.get(path)
        employer = Client().get(path, **key)
        # then none shows a marker
        _assert_no_leak(f"{name} {path}", anyone)
        _assert_no_leak(f"{name} {path} (with a key)", employer)
    # and the pages about the person really were about them
    assert client.get(paths["portal:register-record"]).status_code == HTTPStatus.OK
    assert client.get(paths["portal:statement-pdf"])["Content-Type"] == "application/pdf"
