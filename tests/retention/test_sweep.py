"""The nightly sweep: records past their retention are flagged once, for staff review; nothing else is."""

from __future__ import annotations

import datetime as dt

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from core.models import AuditEvent, Notification
from registry.models import Application
from retention import dates, services, tasks
from retention.models import FlagStatus, RecordType, RetentionFlag, RetentionRule
from retention.record_types import NEVER_RETAINED, RECORD_TYPES, due_records
from tests import factories
from tests.retention.conftest import age

pytestmark = pytest.mark.django_db


def _flagged() -> dict[str, list[int]]:
    found: dict[str, list[int]] = {}
    for record_type, object_id in RetentionFlag.objects.order_by("object_id").values_list("record_type", "object_id"):
        found.setdefault(record_type, []).append(object_id)
    return found


def test_every_record_type_past_retention_is_flagged_once(aged):
    # when the sweep runs
    counts = services.retention_sweep()
    # then each aged record is flagged, once, awaiting review
    expected = {code: aged[code] for code in RecordType.values}
    assert _flagged() == expected
    assert counts == {code: len(ids) for code, ids in expected.items()}
    assert set(RetentionFlag.objects.values_list("status", flat=True)) == {FlagStatus.OPEN}
    # with one history row and one audit event (by the system) per flag
    flags = list(RetentionFlag.objects.all())
    assert RetentionFlag.history.filter(history_type="+").count() == len(flags)
    events = AuditEvent.objects.filter(action="retention.flagged")
    assert events.count() == len(flags)
    assert set(events.values_list("actor_label", flat=True)) == {"system"}
    assert {event.object_id for event in events} == {str(flag.pk) for flag in flags}
    # and running it again flags nothing more and writes nothing
    history, audit = RetentionFlag.history.count(), AuditEvent.objects.count()
    assert services.retention_sweep() == dict.fromkeys(RecordType.values, 0)
    assert (RetentionFlag.objects.count(), RetentionFlag.history.count(), AuditEvent.objects.count()) == (
        len(flags),
        history,
        audit,
    )


def test_a_flag_says_when_the_retention_ended(council, categories):
    # given a draft last changed on 31 January, under a 13-month rule
    services.retention_rules_ensure(actor=None)
    RetentionRule.objects.filter(record_type=RecordType.DRAFT_APPLICATION).update(period_months=13)
    draft = factories.draft_application(applicant=factories.UserFactory(), category=categories["social-worker"])
    age(Application, draft.pk, updated_at=dt.datetime(2024, 1, 31, 12, tzinfo=dt.UTC))
    # when the sweep runs
    services.retention_sweep()
    # then its flag is due on the last day of February a year later
    flag = RetentionFlag.objects.get(object_id=draft.pk)
    assert flag.due_date == dt.date(2025, 2, 28)
    assert (flag.rule.record_type, flag.content_type.model, flag.record) == ("draft-application", "application", draft)


def test_a_record_within_its_retention_is_not_flagged(council, categories):
    # given a draft changed eleven months ago, under the default twelve-month rule
    draft = factories.draft_application(applicant=factories.UserFactory(), category=categories["social-worker"])
    age(Application, draft.pk, updated_at=timezone.now() - dt.timedelta(days=335))
    # when the sweep runs
    services.retention_sweep()
    # then nothing is flagged
    assert not RetentionFlag.objects.exists()
    assert RetentionRule.objects.get(record_type=RecordType.DRAFT_APPLICATION).period_months == 12


def test_the_register_is_never_flagged_whatever_its_age(aged):
    # given a registered practitioner whose entry and application are five years old (in the aged set)
    entry = aged["entry"]
    # when the sweep runs, even with every rule at its shortest
    services.retention_rules_ensure(actor=None)
    RetentionRule.objects.update(period_months=1)
    services.retention_sweep()
    # then neither the entry, the person nor the approved application is flagged (only its documents are)
    never = [ContentType.objects.get_for_model(apps.get_model(label)) for label in NEVER_RETAINED]
    assert not RetentionFlag.objects.filter(content_type__in=never).exists()
    application_type = ContentType.objects.get_for_model(Application)
    assert not RetentionFlag.objects.filter(content_type=application_type, object_id=aged["approved"].pk).exists()
    assert entry.history.count() == 1  # and its history is as it was
    # and no record type is about the register at all
    assert {spec.model._meta.label for spec in RECORD_TYPES.values()}.isdisjoint(NEVER_RETAINED)


def test_an_inactive_rule_flags_nothing(aged):
    services.retention_rules_ensure(actor=None)
    RetentionRule.objects.filter(record_type=RecordType.NOTIFICATION).update(is_active=False)
    counts = services.retention_sweep()
    assert RecordType.NOTIFICATION not in counts
    assert RecordType.NOTIFICATION.value not in _flagged()


def test_pending_emails_and_open_drafts_are_not_records_past_retention(council, categories):
    # given an unsent email and a submitted application, both years old
    pending = Notification.objects.create(to_email="a@example.org", subject="s", body="b", kind="test")
    age(Notification, pending.pk, created_at=timezone.now() - dt.timedelta(days=3000))
    # when the sweep runs
    services.retention_sweep()
    # then neither is flagged: an unsent email is still the outbox's business
    assert not RetentionFlag.objects.exists()


def test_the_default_rules_are_made_once_with_their_audit_events(council):
    # when the rules are ensured twice
    assert services.retention_rules_ensure(actor=None) == len(RecordType.values)
    assert services.retention_rules_ensure(actor=None) == 0
    # then each record type has one rule, with its default period, a history row and a configuration event
    rules = {rule.record_type: rule for rule in RetentionRule.objects.all()}
    assert {code: rule.period_months for code, rule in rules.items()} == {
        code: spec.default_months for code, spec in RECORD_TYPES.items()
    }
    assert all(rule.history.count() == 1 and rule.is_active for rule in rules.values())
    assert AuditEvent.objects.filter(action="configuration.created", object_type__model="retentionrule").count() == len(
        rules
    )


def test_the_nightly_task_runs_the_sweep(aged):
    assert tasks.retention_sweep_daily() == {code: len(aged[code]) for code in RecordType.values}


@pytest.mark.parametrize(
    ("moment", "months", "due"),
    [
        # 22:30 UTC on 31 January is already 1 February in Johannesburg
        (dt.datetime(2025, 1, 31, 22, 30, tzinfo=dt.UTC), 1, dt.date(2025, 3, 1)),
        (dt.datetime(2025, 1, 31, 12, 0, tzinfo=dt.UTC), 1, dt.date(2025, 2, 28)),
        (dt.datetime(2024, 2, 29, 12, 0, tzinfo=dt.UTC), 12, dt.date(2025, 2, 28)),
        (dt.datetime(2024, 8, 31, 12, 0, tzinfo=dt.UTC), 18, dt.date(2026, 2, 28)),
    ],
)
def test_the_database_and_python_agree_on_when_a_period_ends(council, moment, months, due):
    # given an email sent at a moment, and a rule of some months
    sent = Notification.objects.create(
        to_email="a@example.org", subject="s", body="b", kind="test", status="SENT", sent_at=moment
    )
    rule = RetentionRule(record_type=RecordType.NOTIFICATION, period_months=months)
    spec = RECORD_TYPES[RecordType.NOTIFICATION]
    # then PostgreSQL's date, SQLite's function and the Python arithmetic give the same day
    row = due_records(spec, rule=rule, today=dt.date(2100, 1, 1), zone="Africa/Johannesburg").get(pk=sent.pk)
    assert row.retention_due == due
    local = moment.astimezone(dt.timezone(dt.timedelta(hours=2))).date()
    assert dates.add_months(local, months) == due
    stored = moment.astimezone(dt.UTC).replace(tzinfo=None).isoformat(sep=" ")
    assert dates._sqlite_add_months(stored, months, "Africa/Johannesburg") == due.isoformat()


def test_concurrent_sweeps_cannot_open_two_flags_for_one_record(aged):
    # given a record already flagged
    services.retention_sweep()
    flag = RetentionFlag.objects.get(record_type=RecordType.NOTIFICATION)
    # when a second open flag for it is written anyway (as a racing sweep would)
    with pytest.raises(IntegrityError), transaction.atomic():
        RetentionFlag.objects.create(
            rule=flag.rule,
            record_type=flag.record_type,
            content_type=flag.content_type,
            object_id=flag.object_id,
            due_date=flag.due_date,
        )
    # then the database refuses it
    assert RetentionFlag.objects.filter(object_id=flag.object_id, record_type=flag.record_type).count() == 1
