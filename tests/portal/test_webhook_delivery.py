"""How one webhook attempt is made: it connects only to the address the check approved (no DNS
rebinding), keeps the host name for the request, holds no transaction or row lock while it waits on the
employer's server, and a worker that dies mid-attempt leaves the delivery to the retry job."""

from __future__ import annotations

import datetime as dt
import http.server
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import OperationalError, close_old_connections, transaction
from django.utils import timezone

from portal import webhooks
from portal.models import EmployerOrganisation, WebhookDelivery
from tests.portal.conftest import employer_create

PUBLIC_ADDRESS = "93.184.215.14"  # a global address; nothing here connects to it (create_connection is replaced)


def _delivery(organisation: EmployerOrganisation, url: str) -> WebhookDelivery:
    return WebhookDelivery.objects.create(organisation=organisation, url=url, body='{"event": "test"}')


@pytest.fixture
def organisation(council: Any) -> EmployerOrganisation:
    organisation, _user = employer_create("Rebind Care")
    organisation.webhook_secret = webhooks.new_secret()
    organisation.save(update_fields=["webhook_secret"])
    return organisation


@contextmanager
def _resolver(answers: list[list[str]]) -> Iterator[list[tuple[str, int]]]:
    """socket.getaddrinfo answering each call with the next list of addresses (the last one repeated), as
    a name server under an attacker's control could. Yields the (host, port) asked for, in order."""
    asked: list[tuple[str, int]] = []
    real = socket.getaddrinfo

    def fake(host: str, port: int, *args: Any, **kwargs: Any) -> list[Any]:
        if host in ("127.0.0.1", "localhost"):  # the test's own connections resolve as usual
            return real(host, port, *args, **kwargs)
        asked.append((host, port))
        addresses = answers[min(len(asked), len(answers)) - 1]
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port)) for address in addresses]

    socket.getaddrinfo = fake  # type: ignore[assignment]
    try:
        yield asked
    finally:
        socket.getaddrinfo = real


@pytest.mark.django_db
def test_the_attempt_connects_to_the_address_the_check_approved_not_a_later_answer(organisation, settings):
    # given production's setting, and a name server answering first with a public address, then with loopback
    settings.COUNCIL_WEBHOOK_ALLOW_PRIVATE = False
    delivery = _delivery(organisation, "https://hooks.rebind.example/council")
    connected: list[tuple[str, int]] = []

    def refuse(address: tuple[str, int], *args: Any, **kwargs: Any) -> socket.socket:
        connected.append(address)
        raise ConnectionRefusedError(111, "Connection refused")

    # when an attempt is made
    with _resolver([[PUBLIC_ADDRESS], ["127.0.0.1"]]) as asked:
        real_create = socket.create_connection
        socket.create_connection = refuse  # type: ignore[assignment]
        try:
            result = webhooks.deliver(delivery_id=delivery.pk)
        finally:
            socket.create_connection = real_create
    # then the name was resolved once, and the connection went to the address that was checked
    assert asked == [("hooks.rebind.example", 443)]
    assert connected == [(PUBLIC_ADDRESS, 443)]
    assert result is not None
    assert (result.status, result.attempts, result.last_response_status) == ("PENDING", 1, None)
    assert "Connection refused" in result.last_error


@pytest.mark.django_db
def test_a_name_that_resolves_to_a_private_address_at_sending_time_is_not_connected_to(organisation, settings):
    settings.COUNCIL_WEBHOOK_ALLOW_PRIVATE = False
    delivery = _delivery(organisation, "https://hooks.rebind.example/council")
    with _resolver([[PUBLIC_ADDRESS, "10.0.0.7"]]):
        result = webhooks.deliver(delivery_id=delivery.pk)
    assert result is not None
    assert (result.status, result.attempts, result.last_error) == (
        "PENDING",
        1,
        "The webhook address must be on the public internet.",
    )


class _Receiver(http.server.BaseHTTPRequestHandler):
    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.seen.append((self.path, self.headers.get("Host"), self.server.while_sending()))  # type: ignore[attr-defined]
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _receiving(while_sending: Callable[[], Any]) -> Iterator[Any]:
    server = http.server.HTTPServer(("127.0.0.1", 0), _Receiver)
    server.seen = []  # type: ignore[attr-defined]
    server.while_sending = while_sending  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.mark.django_db(transaction=True)
def test_no_row_lock_is_held_while_the_employers_server_answers_and_the_host_name_is_kept(organisation):
    # given a delivery to a host name that resolves to a receiver on loopback (the tests allow private
    # addresses), whose handler tries, from its own database connection, to lock the delivery's row
    holder: dict[str, int] = {}

    def lock_the_row() -> str:
        try:
            with transaction.atomic():
                WebhookDelivery.objects.select_for_update(nowait=True).get(pk=holder["pk"])
            return "row free"
        except OperationalError:
            return "row locked"
        finally:
            close_old_connections()

    with _receiving(lock_the_row) as server:
        port = server.server_address[1]
        delivery = _delivery(organisation, f"http://hooks.receiver.example:{port}/council-hook?v=1")
        holder["pk"] = delivery.pk
        # when the attempt is made
        with _resolver([["127.0.0.1"]]):
            result = webhooks.deliver(delivery_id=delivery.pk)
        # then the receiver was reached at the approved address, asked for the name and path saved,
        # and the row was free to lock while it answered
        assert server.seen == [("/council-hook?v=1", f"hooks.receiver.example:{port}", "row free")]
    assert result is not None
    assert (result.status, result.attempts, result.last_response_status) == ("DELIVERED", 1, 204)


@pytest.mark.django_db
def test_a_worker_that_dies_mid_attempt_leaves_the_delivery_to_the_retry_job(organisation, time_machine, monkeypatch):
    time_machine.move_to(dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC), tick=False)
    delivery = _delivery(organisation, "http://127.0.0.1:9/hook")

    def killed(*args: Any, **kwargs: Any) -> int:
        raise SystemExit("worker killed")

    monkeypatch.setattr(webhooks, "_post", killed)
    # when the worker dies while the employer's server is being called
    with pytest.raises(SystemExit):
        webhooks.deliver(delivery_id=delivery.pk)
    # then the attempt was claimed and counted, and the delivery is not due while the attempt could last
    delivery.refresh_from_db()
    claimed_until = timezone.now() + dt.timedelta(seconds=10) + webhooks.CLAIM_MARGIN  # the test timeout is 10 s
    assert (delivery.status, delivery.attempts, delivery.next_attempt_at) == ("PENDING", 1, claimed_until)
    assert webhooks.due_ids() == []
    assert webhooks.deliver(delivery_id=delivery.pk) is None  # another worker leaves it alone meanwhile
    # and once that time has passed, the retry job picks it up
    time_machine.shift(dt.timedelta(seconds=71))
    assert webhooks.due_ids() == [delivery.pk]
