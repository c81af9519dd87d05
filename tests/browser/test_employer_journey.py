"""Acceptance: an employer keeps watch over its staff's registration in a real browser.

An HR officer of a care organisation signs in on a phone and uploads a CSV roster of 50 rows: 47 good ones
(one of them a social worker the council has already suspended) and 3 bad ones: a mistyped check digit, a
number no one is registered under, and a row given twice. The result page names each bad row by its row number
with what is wrong; the good rows are on the roster, and the dashboard flags the suspended employee. The officer
points the organisation's webhook at a small HTTP server the test runs on 127.0.0.1 and copies the signing
secret the page shows once.

A registrar, signed in with their authenticator code, puts another rostered social worker on conditions. The
minute job that production's Celery beat runs turns the audit event into an alert: the officer is emailed at
once (the organisation asked for that), and the receiver gets a POST whose HMAC-SHA256 signature it checks
with the secret. The Alerts page shows the change and the delivery. Last, the officer gets a verification
statement of that social worker from the public record, downloads it as a PDF, reads the QR code, and checks
the council's Ed25519 signature offline with the key published at /.well-known/, as a verifier with no access
to the council's systems would. axe-core checks every page state.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from django.core import mail
from django.db import transaction
from django.urls import reverse
from playwright.sync_api import Page, expect

from core.models import User
from core.roles import Role
from core.selectors import council_today
from portal import alerts, services
from portal.models import AlertFrequency, ChangeAlert, EmployerOrganisation, RosterEntry, RosterUpload, WebhookDelivery
from registry.models import RegisterEntry
from registry.numbers import format_registration_number
from registry.services import application_decide, register_entry_change_status
from tests import factories
from tests.browser.conftest import AxeAudit, PageProblems, staff_sign_in
from tests.licensing.test_certificates import pdf_images, pdf_texts, scan

pytestmark = pytest.mark.browser

ORGANISATION = "Ubuntu Care Services"
HR_OFFICER = "Naledi Khumalo"
HR_EMAIL = "hr@ubuntu-care.example"
SUSPENDED = ("Pieter", "van der Merwe")
CONDITIONED = ("Françoise", "Lefèvre")
CONDITIONS = "Practise only under the supervision of a senior social worker, reviewed monthly."
STATUS_REASON = "Conditions agreed at the practice review of 3 March."
# 45 more social workers: with the two above, the 47 the roster names.
GIVEN = ["Thandiwe", "Sipho", "Lerato", "Ayanda", "Nomvula", "Kagiso", "Zanele", "Bongani", "Palesa"]
FAMILY = ["Dlamini", "Nkosi", "Mokoena", "Naidoo", "Botha"]
ROSTER_FILE = "ubuntu-care-staff.csv"
# Where the three bad rows are in the file (line 1 is the header, so data rows start at 2).
MISTYPED_ROW, UNKNOWN_ROW, DUPLICATE_ROW, DUPLICATED_ROW = 12, 30, 45, 5
NOT_A_NUMBER = "This is not a valid registration number: check it for a typing mistake."
NOT_REGISTERED = "No one is registered under this number."


@dataclass
class EmployerWorld:
    entries: list[RegisterEntry]
    suspended: RegisterEntry
    conditioned: RegisterEntry
    organisation: EmployerOrganisation
    hr_officer: User
    registrar: User


def _register(registrar: User, category: Any, given: str, family: str) -> RegisterEntry:
    """A social worker on the register, through the real services: application, review and approval."""
    application = factories.application_in_review(
        applicant=factories.UserFactory(name=f"{given} {family}"),
        category=category,
        registrar=registrar,
        given_names=given,
        family_name=family,
    )
    application_decide(actor=registrar, application=application, approve=True, reason="")
    return RegisterEntry.objects.select_related("practitioner").get(application=application)


def _employer_world() -> EmployerWorld:
    """47 registered social workers, one of them suspended by a registrar; an employer organisation that wants
    its alert emails at once, with one HR officer; and the alert job caught up, as beat keeps it."""
    factories.council_create()
    category = factories.categories_create()["social-worker"]
    registrar = factories.staff_user(Role.REGISTRAR, email="registrar@council.example", name="Thandi Mokoena")
    names = [SUSPENDED, CONDITIONED, *[(given, family) for family in FAMILY for given in GIVEN]]
    with transaction.atomic():  # one commit, not hundreds: the set-up's time is the database's
        entries = [_register(registrar, category, given, family) for given, family in names]
    assert len(entries) == 47
    suspended, conditioned = entries[0], entries[1]
    register_entry_change_status(
        actor=registrar,
        entry=suspended,
        status=RegisterEntry.Status.SUSPENDED,
        reason="Interim suspension while a complaint is investigated.",
    )
    organisation = services.organisation_create(actor=None, name=ORGANISATION, registration_number="NPO 123-456")
    hr_officer = factories.UserFactory(email=HR_EMAIL, name=HR_OFFICER)
    services.member_add(actor=None, organisation=organisation, user=hr_officer)
    organisation, secret = services.alert_settings_save(
        actor=hr_officer, organisation=organisation, frequency=AlertFrequency.IMMEDIATE, webhook_url=""
    )
    assert secret is None
    # The minute job has read every audit event so far (no roster yet, so no alerts): only what happens from
    # here on is news to the employer.
    assert alerts.alerts_run() == {"alerts": 0, "emails": 0}
    return EmployerWorld(
        entries=entries,
        suspended=suspended,
        conditioned=conditioned,
        organisation=organisation,
        hr_officer=hr_officer,
        registrar=registrar,
    )


@dataclass
class ReceivedRequest:
    method: str
    path: str
    headers: Message
    body: bytes


@dataclass
class WebhookReceiver:
    """An employer's HTTP endpoint on 127.0.0.1: records every request and answers 200."""

    server: ThreadingHTTPServer
    thread: threading.Thread
    requests: list[ReceivedRequest] = field(default_factory=list)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}/hooks/council-registry"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


def _receiver_handler(received: list[ReceivedRequest]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "EmployerHR/1"

        def _record(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            received.append(ReceivedRequest(self.command, self.path, self.headers, body))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "15")
            self.end_headers()
            self.wfile.write(b'{"received":1}\n')

        do_POST = do_GET = do_PUT = _record  # noqa: N815 - http.server's names

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def webhook_receiver() -> Iterator[WebhookReceiver]:
    received: list[ReceivedRequest] = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _receiver_handler(received))
    thread = threading.Thread(target=server.serve_forever, name="webhook-receiver", daemon=True)
    thread.start()
    receiver = WebhookReceiver(server=server, thread=thread, requests=received)
    yield receiver
    receiver.stop()


def _sign_in(page: Page, user: User, axe_audit: AxeAudit) -> None:
    page.goto("/accounts/login/")
    axe_audit.check(page, "sign in")
    page.get_by_label("Email", exact=True).fill(user.email)
    page.get_by_label("Password", exact=True).fill(factories.PASSWORD)
    page.get_by_role("button", name="Sign In").click()
    expect(page.get_by_role("link", name="Sign out")).to_be_visible()


def _roster_csv(path: Path, entries: list[RegisterEntry]) -> dict[str, str]:
    """The 50-row file, and the value the three bad rows hold. One good number is typed as people do."""
    rows = [(entry.registration_number, f"EMP-{index:03d}") for index, entry in enumerate(entries, start=1)]
    rows[6] = (rows[6][0].lower().replace("-", " "), rows[6][1])  # e.g. "sw 000007 x": still found
    good = entries[2].registration_number
    mistyped = f"{good[:-1]}{(int(good[-1]) + 1) % 10}"
    category = entries[0].category
    unknown = format_registration_number(
        prefix=category.registration_number_prefix, sequence_value=987654, digits=category.registration_number_digits
    )
    duplicated = rows[DUPLICATED_ROW - 2][0]
    for line, row in sorted(
        [
            (MISTYPED_ROW, (mistyped, "EMP-901")),
            (UNKNOWN_ROW, (unknown, "EMP-902")),
            (DUPLICATE_ROW, (duplicated, "EMP-903")),
        ]
    ):
        rows.insert(line - 2, row)
    assert len(rows) == 50
    path.write_text("registration_number,reference\n" + "".join(f"{number},{ref}\n" for number, ref in rows))
    return {"mistyped": mistyped, "unknown": unknown, "duplicated": duplicated}


def _b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@pytest.mark.django_db(transaction=True)
def test_employer_uploads_a_roster_is_alerted_of_a_change_and_verifies_a_statement_offline(
    live_server: Any,
    open_page: Callable[..., Page],
    axe_audit: AxeAudit,
    page_problems: PageProblems,
    webhook_receiver: WebhookReceiver,
    tmp_path: Path,
) -> None:
    # given 47 registered social workers, one suspended, and an employer that wants alerts at once
    world = _employer_world()
    suspended, conditioned = world.suspended, world.conditioned
    conditioned_name = " ".join(CONDITIONED)
    today = council_today()

    # when the HR officer signs in on a phone and opens the employer pages: the roster is empty
    page = open_page(phone=True)
    _sign_in(page, world.hr_officer, axe_audit)
    page.get_by_role("link", name="Employer", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your roster")
    expect(page.get_by_text("Your roster is empty.")).to_be_visible()
    axe_audit.check(page, "roster: empty")

    # and uploads a CSV of 50 rows, three of them bad
    page.get_by_role("link", name="Upload a roster").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Upload a roster")
    axe_audit.check(page, "upload a roster")
    bad = _roster_csv(tmp_path / ROSTER_FILE, world.entries)
    page.get_by_label("Roster file (CSV)").set_input_files(tmp_path / ROSTER_FILE)
    page.get_by_role("button", name="Upload").click()

    # then the result page counts the rows and names each bad one by its row number, with what is wrong
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Roster upload: {ROSTER_FILE}")
    summary = page.locator("#upload-summary .govuk-summary-list__value")
    expect(summary).to_have_text(["50", "47", "0", "3"])
    expect(page.locator("#rows-added")).to_have_text("47")
    expect(page.locator("#rows-bad")).to_have_text("3")
    problems = page.locator("#upload-errors tbody tr")
    expect(problems).to_have_count(3)
    for problem, cells in zip(
        problems.all(),
        [
            [str(MISTYPED_ROW), bad["mistyped"], NOT_A_NUMBER],
            [str(UNKNOWN_ROW), bad["unknown"], NOT_REGISTERED],
            [str(DUPLICATE_ROW), bad["duplicated"], f"This number is also on row {DUPLICATED_ROW}."],
        ],
        strict=True,
    ):
        expect(problem.get_by_role("cell")).to_have_text(cells)
    expect(page.get_by_text("the good rows are already on your roster")).to_be_visible()
    axe_audit.check(page, "roster upload: 47 added, 3 problems")

    # and the roster holds the 47, the suspended employee flagged
    page.get_by_role("link", name="See your roster").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Your roster")
    expect(page.locator("#roster tbody tr")).to_have_count(47)
    expect(page.locator("#roster-summary li").first).to_have_text("47 people")
    expect(page.locator('#roster-summary [data-flag="suspended"]')).to_have_text("Suspended: 1")
    suspended_row = page.locator(f'#roster tr[data-number="{suspended.registration_number}"]')
    expect(suspended_row.locator(".council-status-tag")).to_have_text("Suspended")
    expect(suspended_row.locator('[data-flag="suspended"]')).to_have_text("Suspended")
    expect(page.locator('#roster [data-flag="suspended"]')).to_have_count(1)
    axe_audit.check(page, "roster: 47 people")
    page.locator('#roster-summary [data-flag="suspended"]').click()
    expect(page.locator("#roster tbody tr")).to_have_count(1)
    expect(page.locator("#roster caption")).to_have_text("Suspended")
    expect(page.locator("#roster tbody tr").get_by_role("link")).to_have_text(" ".join(SUSPENDED))
    axe_audit.check(page, "roster: suspended only")

    # when the officer points the organisation's webhook at their HR system and saves
    page.get_by_role("link", name="Alerts and webhooks").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Alerts and webhooks")
    expect(page.get_by_label("As soon as it happens")).to_be_checked()
    expect(page.locator("#alerts tbody")).to_have_text("No changes yet.")
    axe_audit.check(page, "alerts: no webhook")
    page.get_by_label("Webhook address (optional)").fill(webhook_receiver.url)
    page.get_by_role("button", name="Save settings").click()

    # then the page shows the signing secret, once
    expect(page.get_by_text("Your alert settings are saved.")).to_be_visible()
    expect(page.get_by_role("heading", name="Your webhook signing secret")).to_be_visible()
    secret = page.locator("#webhook-secret").inner_text().strip()
    assert re.fullmatch(r"whsec_[0-9a-f]{48}", secret), secret
    expect(page.get_by_label("Webhook address (optional)")).to_have_value(webhook_receiver.url)
    axe_audit.check(page, "alerts: secret shown")
    page.reload()
    expect(page.locator("#webhook-secret")).to_have_count(0)

    # when a registrar signs in with their code and puts a rostered social worker on conditions
    registrar_page = open_page(phone=False)
    staff_sign_in(registrar_page, world.registrar, axe_audit)
    registrar_page.goto(reverse("staff:register-record", args=[conditioned.pk]))
    expect(registrar_page.get_by_role("heading", level=1)).to_have_text(conditioned_name)
    axe_audit.check(registrar_page, "staff record")
    registrar_page.get_by_label("New status").select_option(label="Registered with conditions")
    registrar_page.get_by_label("Conditions", exact=True).fill(CONDITIONS)
    registrar_page.get_by_label("Reason", exact=True).fill(STATUS_REASON)
    registrar_page.get_by_role("button", name="Change status").click()
    expect(registrar_page.get_by_text("The status was changed.")).to_be_visible()
    expect(registrar_page.locator("main p .council-status-tag")).to_have_text("Registered with conditions")
    axe_audit.check(registrar_page, "staff record: conditions")

    # and the minute job runs: Celery beat runs portal.tasks.alerts_run (this function) every minute in
    # production; Celery is eager here, so the webhook is POSTed and the email sent before it returns
    assert alerts.alerts_run() == {"alerts": 1, "emails": 1}

    # then the HR officer is emailed about the change, naming the social worker and the new status
    emails = [message for message in mail.outbox if HR_EMAIL in message.to]
    assert len(emails) == 1, [(message.to, message.subject) for message in mail.outbox]
    (email,) = emails
    assert email.to == [HR_EMAIL]
    assert email.subject == f"{ORGANISATION}: a change to your staff's registration"
    assert f"{conditioned_name} ({conditioned.registration_number})" in email.body
    assert "Register status changed from Registered to Registered with conditions." in email.body
    assert " ".join(SUSPENDED) not in email.body  # suspended before the roster: not news to this employer

    # and the HR system received one POST, signed with the secret: v1=HMAC-SHA256("<timestamp>.<body>")
    (request,) = webhook_receiver.requests
    assert (request.method, request.path) == ("POST", "/hooks/council-registry")
    assert request.headers["Content-Type"] == "application/json"
    timestamp = request.headers["Council-Webhook-Timestamp"]
    assert abs(time.time() - int(timestamp)) < 300
    expected = "v1=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(request.headers["Council-Webhook-Signature"], expected)
    forged = (
        "v1=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + request.body + b" ", hashlib.sha256).hexdigest()
    )
    assert not hmac.compare_digest(request.headers["Council-Webhook-Signature"], forged)
    message = json.loads(request.body)
    assert message["id"] == request.headers["Council-Webhook-Id"]
    assert message["data"] == {
        "type": "practitioner.changed",
        "change": "status",
        "action": "register_entry.status_changed",
        "occurred_at": message["data"]["occurred_at"],
        "registration_number": conditioned.registration_number,
        "given_names": CONDITIONED[0],
        "family_name": CONDITIONED[1],
        "status": "REGISTERED_WITH_CONDITIONS",
        "may_practise": True,
        "before": {"status": "REGISTERED", "conditions": ""},
        "after": {"status": "REGISTERED_WITH_CONDITIONS", "conditions": CONDITIONS},
    }

    # when the officer opens the Alerts page: the change is there, and the message delivered
    page.get_by_role("link", name="Alerts and webhooks").click()
    alert_rows = page.locator("#alerts tbody tr")
    expect(alert_rows).to_have_count(1)
    expect(alert_rows.get_by_role("cell").nth(1)).to_have_text(
        f"{conditioned_name} ({conditioned.registration_number})"
    )
    expect(alert_rows.get_by_role("cell").nth(2)).to_have_text(
        "Register status changed from Registered to Registered with conditions."
    )
    delivery_rows = page.locator("#deliveries tbody tr")
    expect(delivery_rows).to_have_count(1)
    expect(delivery_rows.get_by_role("cell")).to_have_text(
        [re.compile(r"\d"), message["id"], "Delivered", "1", f"Resend {message['id']}"]
    )
    axe_audit.check(page, "alerts: one change, delivered")

    # and follows the social worker's name to the public record, and asks for a statement as at today
    alert_rows.get_by_role("link", name=conditioned_name).click()
    expect(page).to_have_url(re.compile(rf"/register/{re.escape(conditioned.registration_number)}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(conditioned_name)
    expect(page.locator(".council-status-tag")).to_have_text("Registered with conditions")
    axe_audit.check(page, "public record")
    page.get_by_label("As at").fill(today.isoformat())
    page.get_by_role("button", name="Get a statement").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Verification statement")
    reference = page.locator("#statement-reference").inner_text().strip()
    assert re.fullmatch(r"VS-[0-9A-Z]{4}-[0-9A-Z]{4}-[0-9A-Z]{4}", reference), reference
    expect(page.locator("#statement-facts")).to_contain_text(conditioned.registration_number)
    expect(page.locator("#statement-facts")).to_contain_text(CONDITIONS)
    axe_audit.check(page, "verification statement")

    # and downloads it as a PDF
    with page.expect_download() as statement_download:
        page.locator("#statement-pdf").click()
    download = statement_download.value
    assert download.suggested_filename == f"statement-{reference}.pdf"
    statement_pdf = Path(download.path()).read_bytes()
    assert statement_pdf.startswith(b"%PDF-")
    texts = pdf_texts(statement_pdf)
    assert reference in texts
    assert conditioned.registration_number in texts

    # then its QR code holds a token "<base64url payload>.<base64url signature>"
    (qr_image,) = pdf_images(statement_pdf)
    (token,) = scan(qr_image)
    encoded_payload, encoded_signature = token.split(".")
    payload = json.loads(_b64url(encoded_payload))
    signature = _b64url(encoded_signature)
    assert len(signature) == 64

    # and the signature verifies offline with the council's published Ed25519 key, found by the payload's kid
    keys_response = page.request.get(f"{live_server.url}/.well-known/council-verification-keys.json")
    assert keys_response.ok
    (key,) = [key for key in keys_response.json()["keys"] if key["kid"] == payload["kid"]]
    assert (key["kty"], key["crv"], key["alg"]) == ("OKP", "Ed25519", "EdDSA")
    public_key = Ed25519PublicKey.from_public_bytes(_b64url(key["x"]))
    public_key.verify(signature, encoded_payload.encode("ascii"))  # raises InvalidSignature if it does not
    altered = json.loads(_b64url(encoded_payload))
    altered["status"] = "REGISTERED"
    altered_segment = base64.urlsafe_b64encode(json.dumps(altered).encode()).rstrip(b"=")
    with pytest.raises(InvalidSignature):
        public_key.verify(signature, altered_segment)

    # and the signed payload is the statement: this social worker, as at today, on conditions
    assert payload["typ"] == "verification-statement"
    assert payload["registration_number"] == conditioned.registration_number
    assert payload["as_at"] == today.isoformat()
    assert (payload["given_names"], payload["family_name"]) == CONDITIONED
    assert (payload["status"], payload["conditions"]) == ("REGISTERED_WITH_CONDITIONS", CONDITIONS)
    assert (payload["may_practise"], payload["unrestricted"]) == (True, False)
    assert payload["ref"] == reference

    # and every page was accessible and rendered without errors
    assert axe_audit.failures() == [], "\n".join(axe_audit.failures())
    assert page_problems.errors == []

    # and the database holds the story: 47 on the roster, one upload with three problems, one alert emailed
    # and one delivery made on the first attempt
    organisation = world.organisation
    assert RosterEntry.objects.filter(organisation=organisation).count() == 47
    upload = RosterUpload.objects.get(organisation=organisation)
    assert (upload.rows_total, upload.rows_added, upload.rows_already) == (50, 47, 0)
    assert [error["row"] for error in upload.errors] == [MISTYPED_ROW, UNKNOWN_ROW, DUPLICATE_ROW]
    alert = ChangeAlert.objects.get(organisation=organisation)
    assert (alert.register_entry, alert.kind) == (conditioned, ChangeAlert.Kind.STATUS)
    assert alert.emailed_at is not None
    delivery = WebhookDelivery.objects.get(organisation=organisation)
    assert (delivery.status, delivery.attempts, delivery.last_response_status) == (
        WebhookDelivery.Status.DELIVERED,
        1,
        200,
    )
    assert str(delivery.event_id) == message["id"]
    assert delivery.url == webhook_receiver.url
