"""Concurrency on PostgreSQL: parallel approvals get distinct numbers; a race to decide gives one decision."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from django.db import connection, connections

from core.audit import audit_chain_verify
from core.exceptions import InvalidTransition
from core.models import AuditEvent
from core.roles import Role
from registry import services
from registry.models import Application, RegisterEntry, RegistrationNumberCounter
from registry.numbers import normalise_registration_number
from tests import factories

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]


@pytest.fixture(autouse=True)
def _postgres_only() -> None:
    assert connection.vendor == "postgresql", "row locks and concurrent writers need PostgreSQL"


def _run_together(calls: list[Callable[[], Any]]) -> list[Any]:
    """Start every call at the same instant in its own thread (own DB connection); return results or exceptions."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], Any]) -> Any:
        try:
            barrier.wait(timeout=30)
            return call()
        except Exception as exc:  # noqa: BLE001 - the test inspects what each thread raised
            return exc
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def test_twenty_parallel_approvals_get_twenty_distinct_valid_numbers(categories):
    # given twenty applications in review in the same category
    registrar = factories.staff_user(Role.REGISTRAR)
    category = categories["social-worker"]
    applications = [
        factories.application_in_review(
            applicant=factories.UserFactory(), category=category, registrar=registrar, family_name=f"Núñez {index}"
        )
        for index in range(20)
    ]

    # when twenty threads approve them at the same moment
    results = _run_together(
        [
            (lambda app=app: services.application_decide(actor=registrar, application=app, approve=True, reason=""))
            for app in applications
        ]
    )

    # then all twenty succeeded with twenty distinct, valid numbers 1..20
    assert [type(result) for result in results] == [Application] * 20
    numbers = list(RegisterEntry.objects.filter(category=category).values_list("registration_number", flat=True))
    assert len(numbers) == 20
    assert len(set(numbers)) == 20
    assert all(normalise_registration_number(number) == number for number in numbers)
    assert sorted(int(number.split("-")[1]) for number in numbers) == list(range(1, 21))
    assert RegistrationNumberCounter.objects.get(category=category).last_value == 20
    assert Application.objects.filter(status=Application.Status.APPROVED).count() == 20
    # and the audit chain stayed a single unbroken line under concurrent writers
    assert audit_chain_verify()[1] is None


def test_two_registrars_deciding_at_once_give_exactly_one_decision(categories):
    # given one application in review and two registrars
    first = factories.staff_user(Role.REGISTRAR)
    second = factories.staff_user(Role.REGISTRAR)
    application = factories.application_in_review(
        applicant=factories.UserFactory(), category=categories["social-worker"], registrar=first
    )

    # when one approves and the other refuses at the same instant
    results = _run_together(
        [
            lambda: services.application_decide(actor=first, application=application, approve=True, reason=""),
            lambda: services.application_decide(
                actor=second, application=application, approve=False, reason="Qualification not recognised."
            ),
        ]
    )

    # then exactly one decision stands, and the other was refused as an illegal move
    winners = [result for result in results if isinstance(result, Application)]
    losers = [result for result in results if isinstance(result, Exception)]
    assert len(winners) == 1
    assert len(losers) == 1
    assert isinstance(losers[0], InvalidTransition)
    application.refresh_from_db()
    assert application.status == winners[0].status
    decisions = AuditEvent.objects.filter(
        action__in=["application.approved", "application.refused"], object_id=str(application.pk)
    )
    assert decisions.count() == 1
    assert RegisterEntry.objects.filter(application=application).count() == (
        1 if application.status == Application.Status.APPROVED else 0
    )
    assert application.history.filter(status__in=["APPROVED", "REFUSED"]).count() == 1
