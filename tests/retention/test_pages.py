"""The staff review pages and the rules' admin: who may use them, what they show, and what a decision changes."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus
from typing import Any

import pytest
from django.urls import reverse

from core.access import ACCESS_REFUSED_HEADER
from core.models import AuditEvent, Notification
from core.roles import Role
from core.selectors import council_today
from retention import services
from retention.models import FlagStatus, RecordType, RetentionFlag, RetentionRule
from tests import factories

pytestmark = pytest.mark.django_db

NATIONAL_ID = "9005175800086"  # tests/factories.py draft_application


@pytest.fixture
def flagged(aged: dict[str, Any]) -> dict[str, Any]:
    services.retention_sweep()
    return aged


def _url(record_type: str, *, decide: bool = False) -> str:
    return reverse("retention:decide" if decide else "retention:flags", args=[record_type])


def _open(record_type: str) -> list[int]:
    return list(
        RetentionFlag.objects.filter(record_type=record_type, status=FlagStatus.OPEN)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def _state() -> tuple[Any, ...]:
    return (
        tuple(RetentionFlag.objects.order_by("pk").values_list("status", "reason")),
        AuditEvent.objects.count(),
        Notification.objects.count(),
    )


def test_the_review_page_lists_every_record_type_with_what_awaits_review(login, registrar, flagged):
    response = login(registrar).get(reverse("retention:review"))
    html = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    for code in RecordType.values:
        assert _url(code) in html
    assert "Refused or withdrawn applications" in html
    assert "kept as the law requires" in html
    summaries = {summary.spec.code: summary.open_count for summary in response.context["summaries"]}
    assert summaries[RecordType.GRANTED_APPLICATION_DOCUMENT] == 2
    assert summaries[RecordType.NOTIFICATION] == 1
    # the registrar reviews, but does not set the periods
    assert reverse("admin:retention_retentionrule_changelist") not in html


def test_the_council_administrator_is_offered_the_periods(login, flagged):
    admin_user = factories.staff_user(Role.COUNCIL_ADMIN, is_staff=True)
    html = login(admin_user).get(reverse("retention:review")).content.decode()
    assert reverse("admin:retention_retentionrule_changelist") in html


def test_the_staff_dashboard_links_to_the_review(login, registrar, council):
    assert reverse("retention:review") in login(registrar).get(reverse("staff:dashboard")).content.decode()


def test_an_application_list_shows_the_national_id_masked(login, registrar, flagged):
    html = login(registrar).get(_url(RecordType.DRAFT_APPLICATION)).content.decode()
    assert "••••0086" in html
    assert NATIONAL_ID not in html
    assert flagged["draft"].reference in html


def test_the_pages_make_a_constant_number_of_queries(login, registrar, council, django_assert_num_queries):
    # given three old emails, flagged
    client = login(registrar)
    old = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)

    def emails(count: int) -> None:
        for _index in range(count):
            Notification.objects.create(
                to_email="a@example.org", subject="s", body="b", kind="test", status="SENT", sent_at=old
            )
        services.retention_sweep()

    emails(3)
    client.get(_url(RecordType.NOTIFICATION))  # the session is warm
    # then the list reads the council, the session, the user, its permissions (two) and authenticator (twice,
    # for the gate and the menu), the flags' count and page, the rule, the records (one query however many),
    # and the menu's groups, inside the request's savepoint
    with django_assert_num_queries(14):
        response = client.get(_url(RecordType.NOTIFICATION))
    assert len(response.context["rows"]) == 3
    # and the same with six
    emails(3)
    with django_assert_num_queries(14):
        response = client.get(_url(RecordType.NOTIFICATION))
    assert len(response.context["rows"]) == 6
    # and the review page makes the same ten, and reads the rules and all their open counts in two more
    with django_assert_num_queries(12):
        client.get(reverse("retention:review"))


def test_disposing_of_ticked_records_from_the_page(login, registrar, flagged):
    client = login(registrar)
    ticked = _open(RecordType.GRANTED_APPLICATION_DOCUMENT)[:1]
    response = client.post(
        _url(RecordType.GRANTED_APPLICATION_DOCUMENT, decide=True),
        {"flags": ticked, "scope": "ticked", "decision": "dispose", "reason": "Kept two years"},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == _url(RecordType.GRANTED_APPLICATION_DOCUMENT)
    assert RetentionFlag.objects.get(pk=ticked[0]).status == FlagStatus.DISPOSED
    assert len(_open(RecordType.GRANTED_APPLICATION_DOCUMENT)) == 1  # the unticked one still waits
    assert "1 record disposed of." in client.get(response["Location"]).content.decode()


def test_keeping_every_record_of_a_kind_from_the_page(login, registrar, flagged):
    client = login(registrar)
    review_on = council_today() + dt.timedelta(days=30)
    response = client.post(
        _url(RecordType.GRANTED_APPLICATION_DOCUMENT, decide=True),
        {"scope": "all", "decision": "keep", "reason": "Audit by the ombud", "keep_until": review_on.isoformat()},
    )
    assert response.status_code == HTTPStatus.FOUND
    kept = RetentionFlag.objects.filter(record_type=RecordType.GRANTED_APPLICATION_DOCUMENT)
    assert set(kept.values_list("status", "keep_until_date", "decided_by")) == {
        (FlagStatus.KEPT, review_on, registrar.pk)
    }
    # and nothing of any other kind was decided
    assert RetentionFlag.objects.get(record_type=RecordType.NOTIFICATION).status == FlagStatus.OPEN


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"scope": "ticked", "decision": "dispose", "reason": "Tidy"}, "Tick at least one record"),
        ({"scope": "all", "decision": "dispose", "reason": ""}, "Give the reason for the decision."),
        ({"scope": "all", "decision": "keep", "reason": "Court"}, "Give the date to review the records again."),
        (
            {"scope": "all", "decision": "keep", "reason": "Court", "keep_until": "2001-01-01"},
            "must be in the future",
        ),
        ({"scope": "all", "reason": "Tidy"}, "Choose keep or dispose."),
        ({"flags": ["x"], "scope": "ticked", "decision": "dispose", "reason": "Tidy"}, "Choose records from the list."),
    ],
)
def test_a_bad_decision_is_explained_and_changes_nothing(login, registrar, flagged, data, message):
    before = _state()
    response = login(registrar).post(_url(RecordType.NOTIFICATION, decide=True), data)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in response.content.decode()
    assert _state() == before


def test_a_ticked_record_of_another_kind_refuses_the_decision(login, registrar, flagged):
    # given a notification's flag ticked on the roster uploads' page (or one decided meanwhile)
    before = _state()
    response = login(registrar).post(
        _url(RecordType.ROSTER_UPLOAD, decide=True),
        {"flags": _open(RecordType.NOTIFICATION), "scope": "ticked", "decision": "dispose", "reason": "Tidy"},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "no longer awaiting review" in response.content.decode()
    assert _state() == before


def test_an_unknown_kind_of_record_is_not_found(login, registrar, council):
    assert login(registrar).get(_url("register-entry")).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("role", [Role.REGISTRATION_OFFICER, Role.FINANCE_OFFICER, Role.CONDUCT_OFFICER])
def test_other_staff_get_nothing_and_change_nothing(login, flagged, role):
    client = login(factories.staff_user(role))
    before = _state()
    for url in (reverse("retention:review"), _url(RecordType.NOTIFICATION)):
        response = client.get(url)
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert ACCESS_REFUSED_HEADER in response
    response = client.post(
        _url(RecordType.NOTIFICATION, decide=True), {"scope": "all", "decision": "dispose", "reason": "Tidy"}
    )
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert _state() == before


def test_practitioners_and_the_public_get_nothing(client, flagged):
    before = _state()
    response = client.post(
        _url(RecordType.NOTIFICATION, decide=True), {"scope": "all", "decision": "dispose", "reason": "Tidy"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("account_login"))
    client.force_login(flagged["entry"].practitioner.user)
    assert client.get(reverse("retention:review")).status_code == HTTPStatus.FORBIDDEN
    assert _state() == before


def test_the_council_administrator_sets_a_period_in_the_admin_with_an_audit_event(login, council):
    # given the default rules
    services.retention_rules_ensure(actor=None)
    rule = RetentionRule.objects.get(record_type=RecordType.NOTIFICATION)
    admin_user = factories.staff_user(Role.COUNCIL_ADMIN, is_staff=True)
    client = login(admin_user)
    url = reverse("admin:retention_retentionrule_change", args=[rule.pk])
    # when the council administrator lengthens the period
    response = client.post(url, {"period_months": "18", "is_active": "on", "notes": "Records policy 2026"})
    # then the rule holds it, with a history row and an audit event by them
    assert response.status_code == HTTPStatus.FOUND
    rule.refresh_from_db()
    assert (rule.period_months, rule.notes, rule.record_type) == (18, "Records policy 2026", RecordType.NOTIFICATION)
    assert rule.history.latest().history_user == admin_user
    event = AuditEvent.objects.filter(action="configuration.changed", object_type__model="retentionrule").get()
    assert (event.actor, event.before, event.after) == (
        admin_user,
        {"period_months": 6, "notes": ""},
        {"period_months": 18, "notes": "Records policy 2026"},
    )
    # and a period outside 1 to 1200 months is refused
    response = client.post(url, {"period_months": "0", "is_active": "on"})
    assert response.status_code == HTTPStatus.OK
    rule.refresh_from_db()
    assert rule.period_months == 18
    # and rules are neither added nor deleted here
    assert client.get(reverse("admin:retention_retentionrule_add")).status_code == HTTPStatus.FORBIDDEN
