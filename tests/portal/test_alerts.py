"""Change alerts for employers, driven by the audit events: who is alerted, by email at once or in a daily
digest, and signed webhooks delivered to a real HTTP receiver on loopback, with retries and back-off."""

from __future__ import annotations

import copy
import datetime as dt
import hashlib
import hmac
import http.server
import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http import HTTPStatus
from typing import Any

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from core.exceptions import ApplicationError
from core.models import AuditEvent, Notification, RuleSet
from core.roles import Role
from discipline import services as discipline_services
from licensing import services as licensing_services
from licensing.models import Invoice, Licence, Payment
from portal import alerts, services, tasks, webhooks
from portal.models import AlertCursor, ChangeAlert, EmployerOrganisation, RosterEntry, WebhookDelivery
from registry import services as registry_services
from registry.models import RegisterEntry
from tests import factories
from tests.discipline.conftest import DISCIPLINE_RULES, open_case
from tests.licensing.conftest import JOHANNESBURG, free_loopback_port
from tests.portal.conftest import employer_create

pytestmark = pytest.mark.django_db

NOVEMBER_20 = dt.datetime(2026, 11, 20, 9, 0, tzinfo=JOHANNESBURG)
PRIVATE = {  # what the practitioner gave the council, none of which an employer may be sent
    "national_id": "8001015009087",
    "phone": "+27 82 555 0101",
    "address": "12 Long Street, Cape Town",
    "date_of_birth": dt.date(1980, 1, 1),
}
REASON = "Interim order ZEBRA-REASON-4410"  # the registrar's reason is not for employers either


def _suspend(entry: RegisterEntry, registrar: Any) -> None:
    registry_services.register_entry_change_status(actor=registrar, entry=entry, status="SUSPENDED", reason=REASON)


def _alerts(**filters: Any) -> list[tuple[str, str, str, str]]:
    """(organisation, practitioner's family name, kind, action) of each alert, sorted."""
    return sorted(
        (alert.organisation.name, alert.register_entry.practitioner.family_name, alert.kind, alert.after["action"])
        for alert in ChangeAlert.objects.filter(**filters).select_related(
            "organisation", "register_entry__practitioner"
        )
    )


@pytest.fixture
def watching(time_machine, council, registered) -> dict[str, Any]:
    """Lerato Mokoena is on the rosters of three organisations (emailed at once, daily, never); Pieter Botha
    only on a fourth's. The set-up's own events are already behind the alert job's cursor."""
    time_machine.move_to(NOVEMBER_20, tick=False)
    watched = registered("Lerato", "Mokoena", **PRIVATE)
    other = registered("Pieter", "Botha")
    organisations: dict[str, EmployerOrganisation] = {}
    members: dict[str, list[Any]] = {}
    for key, name, frequency, person in (
        ("immediate", "Immediate Care", "IMMEDIATE", watched),
        ("daily", "Daily Welfare", "DAILY", watched),
        ("none", "Quiet Clinic", "NONE", watched),
        ("bystander", "Bystander Trust", "IMMEDIATE", other),
    ):
        organisation, user = employer_create(name, email=f"hr@{key}.example")
        organisation, _secret = services.alert_settings_save(
            actor=user, organisation=organisation, frequency=frequency, webhook_url=""
        )
        services.roster_add_numbers(actor=user, organisation=organisation, numbers=[person.registration_number])
        organisations[key] = organisation
        members[key] = [user]
    manager = factories.UserFactory(email="manager@immediate.example")
    services.member_add(actor=None, organisation=organisations["immediate"], user=manager)
    members["immediate"].append(manager)
    alerts.alerts_collect()
    return {"watched": watched, "other": other, "organisations": organisations, "members": members}


# Which events become alerts, for whom ------------------------------------------------------------


def test_a_registrars_status_change_alerts_each_organisation_watching_and_no_other(watching, registrar):
    watched = watching["watched"]
    # when a registrar suspends a practitioner on three rosters
    _suspend(watched, registrar)
    created = alerts.alerts_collect()
    # then each of the three organisations has one alert, and the fourth none
    assert len(created) == 3
    assert _alerts() == [
        ("Daily Welfare", "Mokoena", "STATUS", "register_entry.status_changed"),
        ("Immediate Care", "Mokoena", "STATUS", "register_entry.status_changed"),
        ("Quiet Clinic", "Mokoena", "STATUS", "register_entry.status_changed"),
    ]
    # and each is the audit event's change, in words
    event = AuditEvent.objects.get(action="register_entry.status_changed", object_id=str(watched.pk))
    for alert in ChangeAlert.objects.all():
        assert (alert.audit_event, alert.register_entry_id, alert.occurred_at) == (
            event,
            watched.pk,
            event.occurred_at,
        )
        assert (alert.before["status"], alert.after["status"]) == ("REGISTERED", "SUSPENDED")
        assert alert.description() == "Register status changed from Registered to Suspended."
    # and collecting again makes no duplicates
    assert alerts.alerts_collect() == []
    assert ChangeAlert.objects.count() == 3


def test_a_change_made_before_an_organisation_rostered_someone_is_not_alerted_to_it(watching, registrar, time_machine):
    # given a suspension the alert job has not read yet
    watched = watching["watched"]
    _suspend(watched, registrar)
    # when, a minute later, Bystander Trust adds the practitioner to its roster, and then the job runs
    time_machine.shift(dt.timedelta(minutes=1))
    bystander = watching["organisations"]["bystander"]
    services.roster_add_numbers(
        actor=watching["members"]["bystander"][0], organisation=bystander, numbers=[watched.registration_number]
    )
    alerts.alerts_collect()
    # then only the organisations that were watching at the time hear of it
    assert [name for name, *_rest in _alerts()] == ["Daily Welfare", "Immediate Care", "Quiet Clinic"]
    # and a change after the rostering reaches Bystander Trust too
    time_machine.shift(dt.timedelta(minutes=1))
    registry_services.register_entry_change_status(
        actor=registrar, entry=watched, status="REGISTERED", reason="Order revoked"
    )
    alerts.alerts_collect()
    assert _alerts(organisation=bystander) == [
        ("Bystander Trust", "Mokoena", "STATUS", "register_entry.status_changed")
    ]


def test_collecting_the_same_events_again_makes_no_duplicate_alerts(watching, registrar):
    # given a change already turned into alerts
    _suspend(watching["watched"], registrar)
    first = alerts.alerts_collect()
    # when the job runs again, and even when its cursor is wound back over the same events
    again = alerts.alerts_collect()
    AlertCursor.objects.filter(name="audit").update(last_event_id=0)
    alerts.alerts_collect()
    # then there is still one alert per organisation and event
    assert (len(first), again) == (3, [])
    assert ChangeAlert.objects.count() == 3


def test_a_licence_issued_alerts_the_organisations_watching(watching, renewal_rules):
    # given the 2027 licence year, with the watched practitioner billed for it
    watched = watching["watched"]
    period = licensing_services.renewal_period_open(actor=None, year=2027)
    licensing_services.renewal_invoices_issue(period=period, on_date=NOVEMBER_20.date())
    invoice = Invoice.objects.get(register_entry=watched, period=period)
    alerts.alerts_collect()
    # when they pay and declare, and the licence is issued
    licensing_services.payment_record(
        actor=factories.staff_user(Role.FINANCE_OFFICER),
        invoice=invoice,
        method=Payment.Method.CASH,
        reference="RCPT-0042",
        amount_minor=invoice.total_minor,
        currency="ZAR",
        received_date=NOVEMBER_20.date(),
    )
    licensing_services.renewal_declare(
        actor=watched.practitioner.user, entry=watched, period=period, is_fit_to_practise=True
    )
    licence = Licence.objects.get(register_entry=watched)
    alerts.alerts_collect()
    # then each organisation watching has one licence alert, with the licence's last day
    assert _alerts() == [
        ("Daily Welfare", "Mokoena", "LICENCE", "licence.issued"),
        ("Immediate Care", "Mokoena", "LICENCE", "licence.issued"),
        ("Quiet Clinic", "Mokoena", "LICENCE", "licence.issued"),
    ]
    for alert in ChangeAlert.objects.all():
        assert alert.audit_event.object_id == str(licence.pk)
        assert alert.after["valid_to"] == "2027-12-31"
        assert alert.description() == "A practising licence was issued, valid until 2027-12-31."


def test_an_interim_order_alerts_the_status_change_and_the_published_notice(watching, registrar):
    # given the conduct rules and a case about the watched practitioner
    rule_set = RuleSet.objects.get(version=1)
    rule_set.rules = {**rule_set.rules, **copy.deepcopy(DISCIPLINE_RULES)}
    rule_set.save(update_fields=["rules"])
    case = open_case(watching["watched"], factories.staff_user(Role.CONDUCT_OFFICER))
    alerts.alerts_collect()
    # when the registrar makes an interim suspension order, which is published
    discipline_services.interim_order_make(actor=registrar, case=case, kind="SUSPENSION", reason="Risk to children")
    alerts.alerts_collect()
    # then each organisation watching hears of both the suspension and the notice
    assert _alerts() == sorted(
        (name, "Mokoena", kind, action)
        for name in ("Daily Welfare", "Immediate Care", "Quiet Clinic")
        for kind, action in (("STATUS", "register_entry.status_changed"), ("NOTICE", "publication.published"))
    )
    notice = ChangeAlert.objects.filter(kind="NOTICE").first()
    assert notice.description() == "A fitness to practise notice was published on the public register."


def test_the_batch_lapse_job_alerts_for_every_rostered_entry_it_lapses(watching, registered, renewal_rules):
    # given three more people on Daily Welfare's roster (one also on Immediate Care's) and one on no roster
    daily, immediate = watching["organisations"]["daily"], watching["organisations"]["immediate"]
    extra = [registered(f"Person{index}", "Dlamini") for index in range(3)]
    unrostered = registered("Nobody", "Watching")
    services.roster_add_numbers(
        actor=watching["members"]["daily"][0], organisation=daily, numbers=[e.registration_number for e in extra]
    )
    services.roster_add_numbers(
        actor=watching["members"]["immediate"][0], organisation=immediate, numbers=[extra[0].registration_number]
    )
    period = licensing_services.renewal_period_open(actor=None, year=2027)
    alerts.alerts_collect()
    # when the set-based lapse job lapses everyone unlicensed for 2027, in chunks of two
    lapsed = licensing_services.lapse_run(period=period, on_date=dt.date(2027, 7, 1), chunk_size=2)
    created = alerts.alerts_collect()
    # then every organisation hears of each of its rostered people lapsing, once
    assert lapsed == 6
    expected = set(RosterEntry.objects.values_list("organisation_id", "register_entry_id"))
    alerted = set(ChangeAlert.objects.values_list("organisation_id", "register_entry_id"))
    assert alerted == expected
    assert len(created) == len(expected) == 3 + 1 + 3 + 1
    assert not ChangeAlert.objects.filter(register_entry=unrostered).exists()
    for alert in ChangeAlert.objects.select_related("audit_event"):
        assert (alert.kind, alert.before, alert.after["status"]) == ("STATUS", {"status": "REGISTERED"}, "LAPSED")
        assert (alert.audit_event.actor_label, alert.audit_event.reason) == ("system", "Not renewed for 2027")
    # and running the job and the collection again changes nothing
    assert licensing_services.lapse_run(period=period, on_date=dt.date(2027, 7, 2)) == 0
    assert alerts.alerts_collect() == []
    assert ChangeAlert.objects.count() == len(expected)


# Emails --------------------------------------------------------------------------------------------


def _emails_to(users: list[Any]) -> list[Any]:
    addresses = {user.email for user in users}
    return [message for message in mail.outbox if set(message.to) & addresses]


def test_immediate_organisations_are_emailed_at_once_daily_ones_in_a_digest_and_none_never(
    watching, registrar, django_capture_on_commit_callbacks
):
    members = watching["members"]
    watched, other = watching["watched"], watching["other"]
    # when the watched practitioner is suspended and the minute job runs
    _suspend(watched, registrar)
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.alerts_run() == {"alerts": 3, "emails": 2}
    # then each of Immediate Care's two users has one email, at once
    immediate = _emails_to(members["immediate"])
    assert sorted(message.to[0] for message in immediate) == ["hr@immediate.example", "manager@immediate.example"]
    for message in immediate:
        assert message.subject == "Immediate Care: a change to your staff's registration"
        assert f"Lerato Mokoena ({watched.registration_number})" in message.body
        assert "Register status changed from Registered to Suspended." in message.body
    # and no one else yet
    assert _emails_to(members["daily"] + members["none"] + members["bystander"]) == []

    # when the practitioner is registered again, Pieter Botha suspended, and the minute job runs
    registry_services.register_entry_change_status(
        actor=registrar, entry=watched, status="REGISTERED", reason="Order revoked"
    )
    _suspend(other, registrar)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.alerts_run() == {"alerts": 4, "emails": 3}
    # then Immediate Care's users hear only of the new change, and Bystander Trust of Pieter's
    assert len(_emails_to(members["immediate"])) == 2
    for message in _emails_to(members["immediate"]):
        assert "Register status changed from Suspended to Registered." in message.body
        assert "from Registered to Suspended" not in message.body
    (bystander,) = _emails_to(members["bystander"])
    assert f"Pieter Botha ({other.registration_number})" in bystander.body
    assert "Lerato" not in bystander.body
    assert _emails_to(members["daily"] + members["none"]) == []

    # when the daily digest runs
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.alert_digest_daily() == 1
    # then Daily Welfare's user has one digest listing both changes, in order; Quiet Clinic nothing
    (digest,) = mail.outbox
    assert digest.to == ["hr@daily.example"]
    assert digest.subject == "Daily Welfare: 2 changes to your staff's registrations"
    first = digest.body.index("Register status changed from Registered to Suspended.")
    second = digest.body.index("Register status changed from Suspended to Registered.")
    assert first < second
    assert "Pieter" not in digest.body
    # and nothing is sent twice, and an organisation that wants no emails never gets one
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.alert_digest_daily() == 0
        assert tasks.alerts_run() == {"alerts": 0, "emails": 0}
    assert mail.outbox == []
    quiet = watching["organisations"]["none"]
    assert ChangeAlert.objects.filter(organisation=quiet, emailed_at__isnull=True).count() == 2
    assert not Notification.objects.filter(recipient__in=members["none"]).exists()


def test_the_email_never_carries_private_data_or_the_reason(watching, registrar, django_capture_on_commit_callbacks):
    # when an immediate alert is emailed
    _suspend(watching["watched"], registrar)
    with django_capture_on_commit_callbacks(execute=True):
        tasks.alerts_run()
    # then it names the person and their number, and nothing private
    (message, _second) = _emails_to(watching["members"]["immediate"])
    assert watching["watched"].registration_number in message.body
    for hidden in (*map(str, PRIVATE.values()), "1980", REASON, watching["watched"].practitioner.user.email):
        assert hidden not in message.subject + message.body


# Webhooks ----------------------------------------------------------------------------------------


class _Receiver(http.server.BaseHTTPRequestHandler):
    """Records each request (path, headers in lower case, raw body) and answers with the server's `answer`
    (and `location`, if set). A redirected POST would arrive as a GET, so GETs are recorded too."""

    server: _ReceiverServer

    def do_GET(self) -> None:
        self.do_POST()

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        headers = {name.lower(): value for name, value in self.headers.items()}
        self.server.received.append((self.path, headers, body))
        self.send_response(self.server.answer)
        if self.server.location:
            self.send_header("Location", self.server.location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


class _ReceiverServer(http.server.HTTPServer):
    received: list[tuple[str, dict[str, str], bytes]]
    answer: int
    location: str


@contextmanager
def _serving() -> Iterator[_ReceiverServer]:
    """An HTTP server on 127.0.0.1 at a random port, in a thread, stopped on leaving."""
    server = _ReceiverServer(("127.0.0.1", 0), _Receiver)
    server.received = []
    server.answer = HTTPStatus.OK
    server.location = ""
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def receiver() -> Iterator[_ReceiverServer]:
    with _serving() as server:
        yield server


def _url(server: _ReceiverServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}/council-hook"


@pytest.fixture
def hooked(watching, receiver, login) -> dict[str, Any]:
    """Immediate Care has set its webhook address to the receiver on its alerts page, and copied the secret shown."""
    organisation = watching["organisations"]["immediate"]
    client = login(watching["members"]["immediate"][0])
    response = client.post(reverse("employer:alerts"), {"frequency": "IMMEDIATE", "webhook_url": _url(receiver)})
    assert response.status_code == HTTPStatus.OK
    secret = re.search(r'<code id="webhook-secret" class="council-code">([^<]+)</code>', response.content.decode())
    assert secret is not None
    alerts.alerts_collect()
    return {**watching, "organisation": organisation, "secret": secret.group(1), "client": client}


def _signature_holds(secret: str, headers: dict[str, str], body: bytes) -> bool:
    """A receiver's check, as portal/webhooks.py documents it."""
    timestamp = headers["council-webhook-timestamp"]
    expected = "v1=" + hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["council-webhook-signature"])


def _delivery_row(client: Any, delivery: WebhookDelivery) -> str:
    html = client.get(reverse("employer:alerts")).content.decode()
    row = re.search(rf'<tr class="govuk-table__row" data-delivery="{delivery.pk}">(.*?)</tr>', html, re.S)
    assert row is not None, f"delivery {delivery.pk} is not on the log"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", row.group(1))).strip()


def test_a_status_change_is_posted_to_the_webhook_signed_with_the_secret_the_employer_was_shown(
    hooked, receiver, registrar, django_capture_on_commit_callbacks
):
    watched = hooked["watched"]
    # when the watched practitioner is suspended and the alert job runs
    _suspend(watched, registrar)
    with django_capture_on_commit_callbacks(execute=True):
        alerts.alerts_collect()
    # then one POST reached the receiver, for Immediate Care only (the others have no webhook)
    delivery = WebhookDelivery.objects.get()
    assert delivery.organisation == hooked["organisation"]
    ((path, headers, body),) = receiver.received
    assert path == "/council-hook"
    assert headers["content-type"] == "application/json"
    # and its signature verifies with the secret the employer was shown, over this attempt's timestamp
    assert headers["council-webhook-timestamp"] == str(int(NOVEMBER_20.timestamp()))
    assert _signature_holds(hooked["secret"], headers, body)
    assert not _signature_holds(hooked["secret"] + "x", headers, body)
    # and the message id is the body's id, and the body says what changed, for whom
    message = json.loads(body)
    assert headers["council-webhook-id"] == message["id"] == str(delivery.event_id)
    data = message["data"]
    assert data == {
        "type": "practitioner.changed",
        "change": "status",
        "action": "register_entry.status_changed",
        "occurred_at": data["occurred_at"],
        "registration_number": watched.registration_number,
        "given_names": "Lerato",
        "family_name": "Mokoena",
        "status": "SUSPENDED",
        "may_practise": False,
        "before": {"status": "REGISTERED", "conditions": ""},
        "after": {"status": "SUSPENDED", "conditions": ""},
    }
    assert dt.datetime.fromisoformat(data["occurred_at"]) == NOVEMBER_20
    # and nothing private: not the person's details, not the registrar's reason
    text = body.decode()
    for hidden in (*map(str, PRIVATE.values()), "1980", REASON, watched.practitioner.user.email):
        assert hidden not in text
    # and the delivery is recorded as delivered, at the first attempt
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.last_response_status, delivery.last_error) == (
        "DELIVERED",
        1,
        200,
        "",
    )
    assert (delivery.delivered_at, delivery.next_attempt_at) == (timezone.now(), None)
    assert _delivery_row(hooked["client"], delivery).startswith(
        f"20 Nov 2026 09:00 {delivery.event_id} Delivered 1 Resend"
    )


def test_a_failing_receiver_is_retried_with_back_off_until_the_delivery_gives_up(
    hooked, receiver, registrar, time_machine, django_capture_on_commit_callbacks
):
    # given a receiver that answers 500
    receiver.answer = HTTPStatus.INTERNAL_SERVER_ERROR
    _suspend(hooked["watched"], registrar)
    # when the alert job runs
    with django_capture_on_commit_callbacks(execute=True):
        alerts.alerts_collect()
    # then the delivery waits, having tried once, until a minute from now
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_response_status, delivery.last_error) == (
        "PENDING",
        1,
        500,
        "HTTP 500",
    )
    assert delivery.next_attempt_at == timezone.now() + dt.timedelta(minutes=1)
    # and the delivery log says so
    assert _delivery_row(hooked["client"], delivery).startswith(
        f"20 Nov 2026 09:00 {delivery.event_id} Waiting to be sent · HTTP 500 · next try 09:01 1 Resend"
    )
    # when the retry job runs before each back-off is over, nothing is sent; once it is over, one attempt is made
    for attempt, minutes in enumerate(webhooks.BACKOFF_MINUTES, start=1):
        delivery.refresh_from_db()
        assert (delivery.status, delivery.attempts, delivery.last_response_status) == ("PENDING", attempt, 500)
        assert delivery.next_attempt_at == timezone.now() + dt.timedelta(minutes=minutes)
        time_machine.shift(dt.timedelta(minutes=minutes) - dt.timedelta(seconds=1))
        assert tasks.webhook_retry_due() == 0
        assert len(receiver.received) == attempt
        time_machine.shift(dt.timedelta(seconds=1))
        assert tasks.webhook_retry_due() == 1
        assert len(receiver.received) == attempt + 1
    # then after the last attempt the delivery has given up, and is no longer retried
    delivery.refresh_from_db()
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("FAILED", webhooks.MAX_ATTEMPTS, None)
    assert webhooks.MAX_ATTEMPTS == 7
    time_machine.shift(dt.timedelta(days=1))
    assert tasks.webhook_retry_due() == 0
    assert len(receiver.received) == webhooks.MAX_ATTEMPTS
    # and every attempt carried the same message id and body, each freshly signed
    assert {headers["council-webhook-id"] for _path, headers, _body in receiver.received} == {str(delivery.event_id)}
    assert {body for _path, _headers, body in receiver.received} == {delivery.body.encode()}
    assert len({headers["council-webhook-timestamp"] for _path, headers, _body in receiver.received}) == 7
    assert all(_signature_holds(hooked["secret"], headers, body) for _path, headers, body in receiver.received)
    assert " Gave up · HTTP 500 7 " in _delivery_row(hooked["client"], delivery)


def test_an_unreachable_address_records_the_error_and_waits_to_retry(
    watching, registrar, django_capture_on_commit_callbacks
):
    # given a webhook address where nothing listens
    organisation = watching["organisations"]["daily"]
    url = f"http://127.0.0.1:{free_loopback_port()}/hook"
    services.alert_settings_save(
        actor=watching["members"]["daily"][0], organisation=organisation, frequency="DAILY", webhook_url=url
    )
    _suspend(watching["watched"], registrar)
    # when the alert job runs
    with django_capture_on_commit_callbacks(execute=True):
        alerts.alerts_collect()
    # then the attempt is recorded with the connection error, and the delivery waits for its retry
    delivery = WebhookDelivery.objects.get()
    assert (delivery.url, delivery.status, delivery.attempts, delivery.last_response_status) == (
        url,
        "PENDING",
        1,
        None,
    )
    assert "Connection refused" in delivery.last_error
    assert delivery.next_attempt_at == timezone.now() + dt.timedelta(minutes=1)


def test_an_address_refused_at_sending_time_is_not_called(
    hooked, receiver, registrar, settings, django_capture_on_commit_callbacks
):
    # given an address accepted when it was saved, which the check now refuses (production's setting)
    settings.COUNCIL_WEBHOOK_ALLOW_PRIVATE = False
    _suspend(hooked["watched"], registrar)
    # when the alert job runs
    with django_capture_on_commit_callbacks(execute=True):
        alerts.alerts_collect()
    # then nothing is sent, and the attempt is recorded as failed, with the reason
    assert receiver.received == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_response_status, delivery.last_error) == (
        "PENDING",
        1,
        None,
        "The webhook address must use https://.",
    )


def test_resend_makes_a_new_delivery_of_the_same_event_which_is_delivered_and_audited(
    hooked, receiver, registrar, django_capture_on_commit_callbacks
):
    # given a delivery the receiver refused
    receiver.answer = HTTPStatus.INTERNAL_SERVER_ERROR
    _suspend(hooked["watched"], registrar)
    with django_capture_on_commit_callbacks(execute=True):
        alerts.alerts_collect()
    original = WebhookDelivery.objects.get()
    # when the receiver is mended and the employer presses Resend
    receiver.answer = HTTPStatus.NO_CONTENT
    with django_capture_on_commit_callbacks(execute=True):
        response = hooked["client"].post(reverse("employer:delivery-resend", args=[original.pk]), follow=True)
    # then a new delivery of the same event was made and delivered
    assert "The message is being sent again." in response.content.decode()
    copy_ = WebhookDelivery.objects.exclude(pk=original.pk).get()
    assert (copy_.event_id, copy_.resent_from, copy_.alert, copy_.body) == (
        original.event_id,
        original,
        original.alert,
        original.body,
    )
    assert (copy_.status, copy_.attempts, copy_.last_response_status) == ("DELIVERED", 1, 204)
    first, second = receiver.received
    assert first[1]["council-webhook-id"] == second[1]["council-webhook-id"] == str(original.event_id)
    assert first[2] == second[2]
    assert _signature_holds(hooked["secret"], second[1], second[2])
    # and the resend is audited, by the employer's user
    event = AuditEvent.objects.get(action="webhook.resent")
    assert (event.actor, event.object_id, event.after) == (
        hooked["members"]["immediate"][0],
        str(copy_.pk),
        {"event_id": str(original.event_id), "from": original.pk},
    )
    # and the log lists both, each with its attempts and state
    assert " Waiting to be sent · HTTP 500 · next try 09:01 1 " in _delivery_row(hooked["client"], original)
    assert " Delivered 1 " in _delivery_row(hooked["client"], copy_)


def test_a_redirect_is_a_failed_attempt_and_is_never_followed(
    hooked, receiver, registrar, django_capture_on_commit_callbacks
):
    # given a receiver that redirects to another address (which url_check never saw)
    with _serving() as elsewhere:
        receiver.answer = HTTPStatus.FOUND
        receiver.location = _url(elsewhere)
        _suspend(hooked["watched"], registrar)
        # when the alert job runs
        with django_capture_on_commit_callbacks(execute=True):
            alerts.alerts_collect()
        # then the other address is never called, and the attempt counts as failed, to be retried
        assert len(receiver.received) == 1
        assert elsewhere.received == []
    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.attempts, delivery.last_response_status, delivery.last_error) == (
        "PENDING",
        1,
        302,
        "HTTP 302",
    )


def test_resend_needs_a_webhook_address(hooked, receiver, registrar, django_capture_on_commit_callbacks):
    # given a delivery, and then the webhook address removed
    _suspend(hooked["watched"], registrar)
    with django_capture_on_commit_callbacks(execute=True):
        alerts.alerts_collect()
    original = WebhookDelivery.objects.get()
    client = hooked["client"]
    client.post(reverse("employer:alerts"), {"frequency": "IMMEDIATE", "webhook_url": ""})
    # when the employer presses Resend
    response = client.post(reverse("employer:delivery-resend", args=[original.pk]), follow=True)
    # then they are told why nothing was sent
    assert "Set a webhook address first." in response.content.decode()
    assert WebhookDelivery.objects.count() == 1
    assert len(receiver.received) == 1


# Address checks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://hooks.example.org/council", "The webhook address must use https://."),
        ("http://8.8.8.8/council", "The webhook address must use https://."),
        ("https://127.0.0.1/council", "The webhook address must be on the public internet."),
        ("https://localhost:8443/council", "The webhook address must be on the public internet."),
        ("https://10.1.2.3/council", "The webhook address must be on the public internet."),
        ("https://192.168.0.10/council", "The webhook address must be on the public internet."),
        ("https://169.254.169.254/latest/meta-data", "The webhook address must be on the public internet."),
        ("https://[::1]/council", "The webhook address must be on the public internet."),
        ("https://[fd00::1]/council", "The webhook address must be on the public internet."),
        ("ftp://hooks.example.org/council", "Enter a full web address starting with https://."),
        ("https:///council", "Enter a full web address starting with https://."),
    ],
)
def test_url_check_refuses_plain_http_and_private_addresses_in_production(settings, url, message):
    # given production's setting (the tests allow loopback http for their receivers)
    settings.COUNCIL_WEBHOOK_ALLOW_PRIVATE = False
    # then each address is refused, saying why
    with pytest.raises(ApplicationError) as refused:
        webhooks.url_check(url)
    assert refused.value.message == message


def test_url_check_accepts_a_public_https_address_in_production(settings):
    # public https addresses pass (no exception)
    settings.COUNCIL_WEBHOOK_ALLOW_PRIVATE = False
    webhooks.url_check("https://8.8.8.8/council")  # an address literal: no DNS needed
    webhooks.url_check("https://[2001:4860:4860::8888]:8443/council")


def test_the_tests_allow_loopback_http_for_their_receivers(settings):
    # config/settings/test.py allows private addresses, so the receivers above can listen on loopback
    assert settings.COUNCIL_WEBHOOK_ALLOW_PRIVATE is True
    webhooks.url_check("http://127.0.0.1:8000/hook")


def test_the_alerts_page_refuses_a_private_address_and_saves_nothing(settings, employer, login):
    # given production's setting
    settings.COUNCIL_WEBHOOK_ALLOW_PRIVATE = False
    organisation, user = employer
    client = login(user)
    # when the employer saves plain http or a private address, then the form says why and no secret is made
    for url, message in (
        ("http://hooks.example.org/council", "The webhook address must use https://."),
        ("https://10.0.0.7/council", "The webhook address must be on the public internet."),
    ):
        response = client.post(reverse("employer:alerts"), {"frequency": "IMMEDIATE", "webhook_url": url})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert message in response.content.decode()
        assert 'id="webhook-secret"' not in response.content.decode()
    # and the settings are as they were
    organisation.refresh_from_db()
    assert (organisation.alert_frequency, organisation.webhook_url, organisation.webhook_secret) == ("DAILY", "", "")
