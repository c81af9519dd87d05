"""Verification statements: a practitioner's standing as at a date, as a page, a PDF with a signed QR code
and signed JSON; offline verification with the published key; the online re-check; the public record page."""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from html import unescape
from http import HTTPStatus
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.urls import reverse

from portal.models import VerificationStatement
from registry import services as registry_services
from registry.models import RegisterEntry
from tests.discipline.conftest import at
from tests.licensing.test_certificates import pdf_images, pdf_texts, scan
from tests.portal.conftest import licence_create

pytestmark = pytest.mark.django_db

PRIVATE = {
    "national_id": "8001015009087",
    "phone": "+27 82 555 0101",
    "address": "12 Long Street, Cape Town",
    "date_of_birth": dt.date(1980, 1, 1),
    "previous_names": "Hélène Martin",
}
SUSPENSION_REASON = "Interim order ZEBRA-REASON-5521"
LICENSED = "Registered and licensed to practise until 31 December 2026"
SUSPENDED = "Not permitted to practise: Suspended"
FUTURE = "A statement cannot be made for a date in the future."
STATEMENT_KEYS = {
    "typ",
    "kid",
    "ref",
    "issued_at",
    "as_at",
    "registration_number",
    "given_names",
    "family_name",
    "category",
    "category_name",
    "on_register",
    "status",
    "may_practise",
    "unrestricted",
    "conditions",
    "licence",
    "notices",
}


@pytest.fixture
def entry(time_machine, registered, registrar, renewal_rules) -> RegisterEntry:
    """Hélène Dubois: registered on 2 March 2026, licensed for 2026 on 5 March, suspended on 15 June,
    registered again on 20 July. Today is 1 August 2026."""
    time_machine.move_to(at(2026, 3, 2), tick=False)
    entry = registered("Hélène", "Dubois", **PRIVATE)
    time_machine.move_to(at(2026, 3, 5), tick=False)
    licence_create(entry, valid_from=dt.date(2026, 1, 1), valid_to=dt.date(2026, 12, 31))
    time_machine.move_to(at(2026, 6, 15), tick=False)
    registry_services.register_entry_change_status(
        actor=registrar, entry=entry, status="SUSPENDED", reason=SUSPENSION_REASON
    )
    time_machine.move_to(at(2026, 7, 20), tick=False)
    registry_services.register_entry_change_status(
        actor=registrar, entry=entry, status="REGISTERED", reason="Order revoked on review"
    )
    time_machine.move_to(at(2026, 8, 1), tick=False)
    return RegisterEntry.objects.select_related("practitioner__user").get(pk=entry.pk)


def _get(client: Any, name: str, entry: RegisterEntry, as_at: str | None = None) -> Any:
    return client.get(reverse(f"portal:{name}", args=[entry.registration_number]), {"as_at": as_at} if as_at else {})


def _standing(response: Any) -> str:
    found = re.search(r'id="(?:statement-standing|standing|check-result)">(.*?)</(?:dd|p|strong)>', _html(response))
    assert found is not None
    return re.sub(r"<[^>]+>", "", unescape(found.group(1))).strip()


def _html(response: Any) -> str:
    return response.content.decode()


def _b64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# As at a date ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("as_at", "status", "words"),
    [
        ("2026-02-01", "NOT_REGISTERED", "Not on the register on this date"),
        ("2026-03-03", "REGISTERED", "Registered; no practising licence is in force"),  # licence issued on 5 March
        ("2026-05-01", "REGISTERED", LICENSED),
        ("2026-06-14", "REGISTERED", LICENSED),
        ("2026-06-15", "SUSPENDED", SUSPENDED),
        ("2026-07-01", "SUSPENDED", SUSPENDED),
        ("2026-07-20", "REGISTERED", LICENSED),
        ("2026-08-01", "REGISTERED", LICENSED),
    ],
)
def test_the_statement_says_what_the_register_said_at_the_end_of_the_date(client, entry, as_at, status, words):
    # when someone asks for a statement as at the date, as a page and as JSON
    page = _get(client, "statement", entry, as_at)
    signed = _get(client, "statement-json", entry, as_at)
    # then both give the status the history had at the end of that day, in plain words on the page
    assert page.status_code == signed.status_code == HTTPStatus.OK
    assert _standing(page) == words
    statement = signed.json()["statement"]
    assert (statement["as_at"], statement["status"]) == (as_at, status)
    assert statement["may_practise"] is (status == "REGISTERED")
    assert statement["on_register"] is (status != "NOT_REGISTERED")
    # and the statement holds the public facts, and only them
    assert set(statement) == STATEMENT_KEYS
    assert (statement["registration_number"], statement["given_names"], statement["family_name"]) == (
        entry.registration_number,
        "Hélène",
        "Dubois",
    )
    assert signed.json()["reference"] == statement["ref"] == page.context["statement"].reference


def test_without_a_date_the_statement_is_as_at_today(client, entry):
    # when a statement is asked for with no date (today is 1 August 2026)
    page = _get(client, "statement", entry)
    signed = _get(client, "statement-json", entry)
    # then it is as at today, with the licence in force
    assert page.status_code == signed.status_code == HTTPStatus.OK
    assert _standing(page) == LICENSED
    assert signed.json()["statement"]["as_at"] == "2026-08-01"
    assert signed.json()["statement"]["licence"] == {"valid_from": "2026-01-01", "valid_to": "2026-12-31"}
    assert "1 August 2026" in _html(page)


def test_the_same_facts_give_the_same_statement_and_no_new_row(client, entry, time_machine):
    # given a statement as at 1 July
    first = _get(client, "statement-json", entry, "2026-07-01").json()
    # when it is asked for again later, as a page, as JSON and as a PDF
    time_machine.shift(dt.timedelta(hours=3))
    page = _get(client, "statement", entry, "2026-07-01")
    again = _get(client, "statement-json", entry, "2026-07-01").json()
    pdf = _get(client, "statement-pdf", entry, "2026-07-01")
    # then it is the same statement: one row, one reference, one token, issued the first time
    assert VerificationStatement.objects.count() == 1
    assert page.context["statement"].reference == again["reference"] == first["reference"]
    assert again["token"] == first["token"]
    assert dt.datetime.fromisoformat(again["statement"]["issued_at"]) == at(2026, 8, 1)
    assert pdf["Content-Disposition"] == f'attachment; filename="statement-{first["reference"]}.pdf"'
    # and a date with the same status is a statement of its own (the date is one of the facts)
    other = _get(client, "statement-json", entry, "2026-07-02").json()
    assert other["reference"] != first["reference"]
    assert VerificationStatement.objects.count() == 2


# Signed, checkable offline ---------------------------------------------------------------------------


def test_the_pdfs_qr_code_holds_the_json_token_which_verifies_offline_with_the_published_key(client, entry):
    # given the signed JSON and the PDF of the statement as at 1 July (suspended)
    signed = _get(client, "statement-json", entry, "2026-07-01").json()
    response = _get(client, "statement-pdf", entry, "2026-07-01")
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    pdf = response.content
    assert pdf.startswith(b"%PDF")
    # when the PDF's QR code is scanned
    (image,) = pdf_images(pdf)
    (token,) = scan(image)
    # then it holds the same token as the JSON
    assert token == signed["token"]
    # and the token verifies offline: Ed25519 over its first segment, with the key published under its kid
    keys = client.get("/.well-known/council-verification-keys.json").json()["keys"]
    body, signature = token.split(".")
    payload = json.loads(_b64(body))
    (jwk,) = [key for key in keys if key["kid"] == payload["kid"]]
    assert (jwk["kty"], jwk["crv"]) == ("OKP", "Ed25519")
    public_key = Ed25519PublicKey.from_public_bytes(_b64(jwk["x"]))
    public_key.verify(_b64(signature), body.encode("ascii"))
    # and what it signs is exactly the statement the JSON gives, reference and key id and all
    assert payload == signed["statement"]
    assert (payload["ref"], payload["status"], payload["as_at"]) == (signed["reference"], "SUSPENDED", "2026-07-01")
    # and a statement altered to say "registered" no longer verifies
    forged = base64.urlsafe_b64encode(json.dumps({**payload, "status": "REGISTERED"}).encode()).rstrip(b"=")
    with pytest.raises(InvalidSignature):
        public_key.verify(_b64(signature), forged)
    # and the PDF prints the same facts and where to check them online
    texts = " ".join(pdf_texts(pdf))
    for shown in (signed["reference"], "Hélène Dubois", entry.registration_number, SUSPENDED, "1 July 2026"):
        assert shown in texts
    assert signed["verify_url"] == f"http://testserver/verify/{signed['reference']}/"
    assert signed["keys_url"] == "http://testserver/.well-known/council-verification-keys.json"


# Online re-check ------------------------------------------------------------------------------------


def test_the_online_check_says_genuine_until_the_history_for_that_date_is_corrected(client, entry):
    # given a statement that Hélène was suspended on 1 July
    reference = _get(client, "statement-json", entry, "2026-07-01").json()["reference"]
    # when it is checked online (the reference typed in lower case)
    response = client.get(reverse("portal:statement-check", args=[reference.lower()]))
    # then the council says it is genuine and still true, and shows what it said
    assert response.status_code == HTTPStatus.OK
    assert _standing(response) == (
        "Genuine: the council issued this statement, and the register still says the same of that date."
    )
    assert reference in _html(response)
    assert SUSPENDED in _html(response)

    # when the record is corrected: the suspension in fact took effect on 10 July
    corrected = RegisterEntry.history.filter(id=entry.pk, status="SUSPENDED").update(history_date=at(2026, 7, 10))
    assert corrected == 1
    response = client.get(reverse("portal:statement-check", args=[reference]))
    # then the check says the record has been corrected since, still showing what the statement said
    assert response.status_code == HTTPStatus.OK
    assert _standing(response) == (
        "WarningThe council issued this statement, but the register's record for that date has been corrected "
        "since. Get a new statement."
    )
    assert SUSPENDED in _html(response)
    # and a new statement for that date says what the register now says
    fresh = _get(client, "statement-json", entry, "2026-07-01").json()
    assert (fresh["statement"]["status"], fresh["reference"] != reference) == ("REGISTERED", True)


def test_the_online_check_notices_an_altered_statement_row(client, entry):
    # given a statement whose stored facts no longer match the register's history for its date
    reference = _get(client, "statement-json", entry, "2026-05-01").json()["reference"]
    statement = VerificationStatement.objects.get(reference=reference)
    statement.payload = {**statement.payload, "unrestricted": False}
    statement.save(update_fields=["payload"])
    # then the online check does not call it unchanged
    response = client.get(reverse("portal:statement-check", args=[reference]))
    assert "has been corrected since" in unescape(_html(response))


@pytest.mark.parametrize("reference", ["VS-0000-0000-0000", "not-a-reference"])
def test_an_unknown_reference_is_not_found(client, entry, reference):
    # a reference the council never issued is a 404, whatever its shape
    response = client.get(reverse("portal:statement-check", args=[reference]))
    assert response.status_code == HTTPStatus.NOT_FOUND


# Refusals ---------------------------------------------------------------------------------------------


def test_a_statement_for_a_future_date_is_refused_with_a_message(client, entry):
    # when someone asks for tomorrow (today is 1 August 2026), as a page, a PDF and JSON
    page = _get(client, "statement", entry, "2026-08-02")
    pdf = _get(client, "statement-pdf", entry, "2026-08-02")
    signed = _get(client, "statement-json", entry, "2026-08-02")
    # then each is a 400 saying why, and no statement is made
    assert page.status_code == pdf.status_code == signed.status_code == HTTPStatus.BAD_REQUEST
    assert FUTURE in _html(page)
    assert FUTURE in _html(pdf)
    assert signed["Content-Type"] == "application/problem+json"
    assert signed.json() == {
        "type": "about:blank",
        "title": "The request is not valid",
        "status": 400,
        "errors": {"as_at": [FUTURE]},
    }
    assert not VerificationStatement.objects.exists()


def test_a_date_that_is_not_a_date_is_refused(client, entry):
    # when the date does not exist, then the JSON says so and no statement is made
    signed = _get(client, "statement-json", entry, "2026-02-30")
    assert signed.status_code == HTTPStatus.BAD_REQUEST
    assert signed.json()["errors"] == {"as_at": ["Enter a valid date."]}
    assert not VerificationStatement.objects.exists()


def test_a_statement_for_an_unknown_number_is_not_found(client, council):
    # no page, PDF or JSON statement for a number no one holds, and no row
    for name in ("statement", "statement-pdf", "statement-json"):
        response = client.get(reverse(f"portal:{name}", args=["SW-999999-0"]))
        assert response.status_code == HTTPStatus.NOT_FOUND, name
    assert not VerificationStatement.objects.exists()


# The public record page -------------------------------------------------------------------------------


def _history_rows(html: str) -> list[tuple[str, ...]]:
    table = html.split('id="status-history"', 1)[1].split("</table>", 1)[0].split("<tbody", 1)[1]
    return [
        tuple(unescape(cell).strip() for cell in re.findall(r'<td class="govuk-table__cell">(.*?)</td>', row, re.S))
        for row in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', table, re.S)
    ]


def test_the_record_page_shows_the_status_in_plain_words_its_history_and_nothing_private(client, entry):
    # when the public opens Hélène's record
    response = client.get(reverse("portal:register-record", args=[entry.registration_number]))
    html = _html(response)
    # then it says in plain words that she may practise, and until when
    assert response.status_code == HTTPStatus.OK
    assert _standing(response) == LICENSED
    assert "Valid from 1 January 2026 to 31 December 2026" in html
    # and shows her status history, newest first
    assert _history_rows(html) == [
        ("Registered", "20 July 2026", "Now"),
        ("Suspended", "15 June 2026", "20 July 2026"),
        ("Registered", "2 March 2026", "15 June 2026"),
    ]
    # and nothing private: not her details, not the reasons for the changes
    for hidden in (
        *map(str, PRIVATE.values()),
        "1980",
        SUSPENSION_REASON,
        "Order revoked on review",
        entry.practitioner.user.email,
    ):
        assert hidden not in html


def test_the_record_page_of_someone_suspended_says_they_may_not_practise(client, entry, registrar):
    # given Hélène suspended again today
    registry_services.register_entry_change_status(
        actor=registrar, entry=entry, status="SUSPENDED", reason=SUSPENSION_REASON
    )
    # then her record says in plain words that she may not practise, from today
    response = client.get(reverse("portal:register-record", args=[entry.registration_number]))
    assert _standing(response) == f"Warning{SUSPENDED}."
    assert _history_rows(_html(response))[0] == ("Suspended", "1 August 2026", "Now")
