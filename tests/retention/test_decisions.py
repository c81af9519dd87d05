"""Staff decisions on records past retention: keep until a date, or dispose as the record type says."""

from __future__ import annotations

import datetime as dt
import os
from typing import Any

import pytest

from core.exceptions import ApplicationError, InvalidTransition
from core.models import AuditEvent, Notification
from core.roles import Role
from core.selectors import council_today
from discipline.models import Complaint, ComplaintAttachment
from portal.models import RosterUpload, WebhookDelivery
from registry import services as registry_services
from registry.models import Application, ApplicationDocument, InformationRequest, Practitioner, RegisterEntry
from retention import services
from retention.dates import add_months
from retention.models import FlagStatus, RecordType, RetentionFlag
from tests import factories

pytestmark = pytest.mark.django_db


@pytest.fixture
def flagged(aged: dict[str, Any]) -> dict[str, Any]:
    services.retention_sweep()
    return aged


def _flags(record_type: str) -> list[RetentionFlag]:
    return list(RetentionFlag.objects.filter(record_type=record_type).order_by("pk"))


def _ids(record_type: str) -> list[int]:
    return [flag.pk for flag in _flags(record_type)]


def _state() -> tuple[Any, ...]:
    return (
        tuple(RetentionFlag.objects.order_by("pk").values_list("status", "reason", "keep_until_date")),
        RetentionFlag.history.count(),
        AuditEvent.objects.count(),
        Application.objects.count(),
        ApplicationDocument.objects.count(),
        tuple(Complaint.objects.order_by("pk").values_list("complainant_name", "description")),
        Notification.objects.count(),
        WebhookDelivery.objects.count(),
        RosterUpload.objects.count(),
    )


def test_keeping_records_until_a_date_and_flagging_them_again_after_it(flagged, registrar):
    # given two flagged records, and a date to review them again
    ids = _ids(RecordType.GRANTED_APPLICATION_DOCUMENT)
    documents = flagged[RecordType.GRANTED_APPLICATION_DOCUMENT]
    review_on = council_today() + dt.timedelta(days=90)
    # when the registrar keeps them, with a reason
    services.retention_flags_keep(actor=registrar, flag_ids=ids, reason="Appeal pending in court", keep_until=review_on)
    # then the flags are kept, by the registrar, with the reason and the date, each with a history row
    for flag in _flags(RecordType.GRANTED_APPLICATION_DOCUMENT):
        assert (flag.status, flag.decided_by, flag.reason, flag.keep_until_date) == (
            FlagStatus.KEPT,
            registrar,
            "Appeal pending in court",
            review_on,
        )
        assert flag.history.latest().history_user == registrar
    # and an audit event each
    events = AuditEvent.objects.filter(action="retention.kept").order_by("id")
    assert [event.object_id for event in events] == [str(pk) for pk in ids]
    assert events[0].after["keep_until_date"] == review_on.isoformat()
    assert events[0].reason == "Appeal pending in court"
    # and the records are untouched
    assert ApplicationDocument.objects.filter(pk__in=documents).count() == len(documents)
    # and the sweep does not flag them again before the date
    assert services.retention_sweep()[RecordType.GRANTED_APPLICATION_DOCUMENT] == 0
    # but does on the date, as new flags, the kept ones staying as they were
    assert services.retention_sweep(today=review_on)[RecordType.GRANTED_APPLICATION_DOCUMENT] == len(documents)
    statuses = [flag.status for flag in _flags(RecordType.GRANTED_APPLICATION_DOCUMENT)]
    assert statuses == [FlagStatus.KEPT] * len(documents) + [FlagStatus.OPEN] * len(documents)


def test_disposing_of_a_draft_deletes_it_its_documents_their_files_and_their_snapshots(
    flagged, registrar, django_capture_on_commit_callbacks
):
    # given a flagged draft with two uploaded files and its history
    (draft_id,) = flagged[RecordType.DRAFT_APPLICATION]
    documents = list(ApplicationDocument.objects.filter(application_id=draft_id))
    paths = [document.file.path for document in documents]
    assert len(paths) == 2
    assert all(os.path.exists(path) for path in paths)
    assert Application.history.filter(id=draft_id).exists()
    entry = flagged["entry"]
    register_history = (entry.history.count(), Practitioner.history.filter(id=entry.practitioner_id).count())
    # when the registrar disposes of it, with a reason
    with django_capture_on_commit_callbacks(execute=True):
        services.retention_flags_dispose(
            actor=registrar, flag_ids=_ids(RecordType.DRAFT_APPLICATION), reason="Never submitted"
        )
    # then the draft, its documents and their files are gone, and so are their snapshots
    assert not Application.objects.filter(pk=draft_id).exists()
    assert not ApplicationDocument.objects.filter(pk__in=[document.pk for document in documents]).exists()
    assert not any(os.path.exists(path) for path in paths)
    assert not Application.history.filter(id=draft_id).exists()
    assert not ApplicationDocument.history.filter(id__in=[document.pk for document in documents]).exists()
    # and the flag says it was disposed of, by whom and why, with an audit event
    (flag,) = _flags(RecordType.DRAFT_APPLICATION)
    assert (flag.status, flag.decided_by, flag.reason) == (FlagStatus.DISPOSED, registrar, "Never submitted")
    event = AuditEvent.objects.get(action="retention.disposed")
    assert (event.actor, event.object_id, event.reason) == (registrar, str(flag.pk), "Never submitted")
    assert event.after == {
        "status": "DISPOSED",
        "record_type": "draft-application",
        "object_id": draft_id,
        "disposal": "deleted",
    }
    # and the register's history is untouched
    assert (entry.history.count(), Practitioner.history.filter(id=entry.practitioner_id).count()) == register_history
    # and the sweep never flags it again
    assert services.retention_sweep()[RecordType.DRAFT_APPLICATION] == 0


def test_disposing_of_a_refused_application_deletes_its_information_requests_too(flagged, registrar):
    (refused_id,) = flagged[RecordType.CLOSED_APPLICATION]
    request_ids = list(InformationRequest.objects.filter(application_id=refused_id).values_list("pk", flat=True))
    services.retention_flags_dispose(
        actor=registrar, flag_ids=_ids(RecordType.CLOSED_APPLICATION), reason="Refusal long final"
    )
    assert not Application.objects.filter(pk=refused_id).exists()
    assert not InformationRequest.objects.filter(pk__in=request_ids).exists()
    assert not Application.history.filter(id=refused_id).exists()


def test_disposing_of_a_granted_applications_documents_keeps_the_application_and_the_register(
    flagged, registrar, django_capture_on_commit_callbacks
):
    # given the approved application's flagged documents
    approved, entry = flagged["approved"], flagged["entry"]
    document_ids = flagged[RecordType.GRANTED_APPLICATION_DOCUMENT]
    paths = [document.file.path for document in ApplicationDocument.objects.filter(pk__in=document_ids)]
    histories = (approved.history.count(), entry.history.count())
    # when they are disposed of
    with django_capture_on_commit_callbacks(execute=True):
        services.retention_flags_dispose(
            actor=registrar, flag_ids=_ids(RecordType.GRANTED_APPLICATION_DOCUMENT), reason="Kept two years"
        )
    # then the documents, their files and their snapshots are gone
    assert not ApplicationDocument.objects.filter(pk__in=document_ids).exists()
    assert not ApplicationDocument.history.filter(id__in=document_ids).exists()
    assert not any(os.path.exists(path) for path in paths)
    # and the application, the register entry and their history are as they were
    assert Application.objects.get(pk=approved.pk).status == Application.Status.APPROVED
    assert RegisterEntry.objects.get(pk=entry.pk).status == RegisterEntry.Status.REGISTERED
    assert (approved.history.count(), entry.history.count()) == histories


def test_disposing_of_a_closed_complaint_blanks_who_and_what_and_keeps_the_decision(
    flagged, registrar, django_capture_on_commit_callbacks
):
    # given a closed complaint with a complainant, an allegation and an attachment
    complaint = Complaint.objects.get(pk=flagged["complaint"].pk)
    attachment = ComplaintAttachment.objects.get(complaint=complaint)
    path = attachment.file.path
    assert complaint.complainant_name
    assert complaint.description
    assert complaint.practitioner_id
    # when it is disposed of
    with django_capture_on_commit_callbacks(execute=True):
        services.retention_flags_dispose(
            actor=registrar, flag_ids=_ids(RecordType.CLOSED_COMPLAINT), reason="Closed two years ago"
        )
    # then who complained, about whom and what they said are gone, with the attachment and its file
    complaint.refresh_from_db()
    assert (
        complaint.complainant_name,
        complaint.complainant_email,
        complaint.complainant_phone,
        complaint.practitioner_named,
        complaint.registration_number_given,
        complaint.description,
        complaint.practitioner_id,
        complaint.incident_date,
    ) == ("", "", "", "", "", "", None, None)
    assert not ComplaintAttachment.objects.filter(pk=attachment.pk).exists()
    assert not os.path.exists(path)
    # and the reference, status and triage decision stay
    assert (complaint.status, complaint.triage_reason) == (Complaint.Status.CLOSED_NO_ACTION, "Not a conduct matter")
    # and one snapshot is left: the blanked one, by the registrar, with the reason
    (snapshot,) = Complaint.history.filter(id=complaint.pk)
    assert (snapshot.complainant_name, snapshot.description, snapshot.history_user) == ("", "", registrar)
    assert snapshot.history_change_reason == "Closed two years ago"
    assert AuditEvent.objects.get(action="retention.disposed").after["disposal"] == "anonymised"
    # and the sweep does not flag the blanked complaint again
    assert services.retention_sweep()[RecordType.CLOSED_COMPLAINT] == 0


@pytest.mark.parametrize(
    ("record_type", "model"),
    [
        (RecordType.NOTIFICATION, Notification),
        (RecordType.WEBHOOK_DELIVERY, WebhookDelivery),
        (RecordType.ROSTER_UPLOAD, RosterUpload),
    ],
)
def test_disposing_of_log_rows_deletes_them(flagged, registrar, record_type, model):
    ids = flagged[record_type]
    services.retention_flags_dispose(actor=registrar, flag_ids=_ids(record_type), reason="Log kept long enough")
    assert not model.objects.filter(pk__in=ids).exists()


def test_a_batch_of_several_kinds_is_disposed_of_in_one_decision(flagged, registrar):
    ids = _ids(RecordType.NOTIFICATION) + _ids(RecordType.ROSTER_UPLOAD)
    services.retention_flags_dispose(actor=registrar, flag_ids=ids, reason="Housekeeping")
    assert set(RetentionFlag.objects.filter(pk__in=ids).values_list("status", flat=True)) == {FlagStatus.DISPOSED}
    assert AuditEvent.objects.filter(action="retention.disposed").count() == len(ids)


def test_a_record_no_longer_past_retention_refuses_the_whole_batch(flagged, registrar):
    # given a flagged draft its applicant has since submitted, and a flagged email
    draft = Application.objects.get(pk=flagged[RecordType.DRAFT_APPLICATION][0])
    registry_services.application_submit(actor=draft.applicant, application=draft)
    ids = _ids(RecordType.DRAFT_APPLICATION) + _ids(RecordType.NOTIFICATION)
    before = _state()
    # when both are disposed of in one decision
    with pytest.raises(ApplicationError, match="no longer past its retention period"):
        services.retention_flags_dispose(actor=registrar, flag_ids=ids, reason="Never submitted")
    # then nothing changed: not even the email
    assert _state() == before


def test_a_decided_flag_cannot_be_decided_again(flagged, registrar):
    ids = _ids(RecordType.NOTIFICATION)
    services.retention_flags_dispose(actor=registrar, flag_ids=ids, reason="Done")
    before = _state()
    with pytest.raises(InvalidTransition, match="already disposed of"):
        services.retention_flags_keep(
            actor=registrar, flag_ids=ids, reason="Changed my mind", keep_until=council_today() + dt.timedelta(days=1)
        )
    assert _state() == before


@pytest.mark.parametrize(
    ("reason", "keep_until", "message"),
    [
        ("  ", 30, "Give the reason for keeping"),
        ("Court case", 0, "must be in the future"),
        ("Court case", -5, "must be in the future"),
        ("Court case", "far", "within 100 years"),
    ],
)
def test_keeping_needs_a_reason_and_a_date_in_the_future(flagged, registrar, reason, keep_until, message):
    today = council_today()
    day = add_months(today, 1201) if keep_until == "far" else today + dt.timedelta(days=int(keep_until))
    before = _state()
    with pytest.raises(ApplicationError, match=message):
        services.retention_flags_keep(
            actor=registrar, flag_ids=_ids(RecordType.NOTIFICATION), reason=reason, keep_until=day
        )
    assert _state() == before


def test_disposing_needs_a_reason(flagged, registrar):
    before = _state()
    with pytest.raises(ApplicationError, match="Give the reason for disposing"):
        services.retention_flags_dispose(actor=registrar, flag_ids=_ids(RecordType.NOTIFICATION), reason="")
    assert _state() == before


@pytest.mark.parametrize("role", [None, Role.REGISTRATION_OFFICER, Role.FINANCE_OFFICER, Role.CONDUCT_OFFICER])
def test_only_reviewers_may_decide(flagged, role):
    # given the system, or a member of staff without the review permission
    actor = factories.staff_user(role) if role is not None else None
    before = _state()
    # when they try to keep or dispose of flagged records
    with pytest.raises(ApplicationError):
        services.retention_flags_dispose(actor=actor, flag_ids=_ids(RecordType.NOTIFICATION), reason="Tidy")
    with pytest.raises(ApplicationError):
        services.retention_flags_keep(
            actor=actor,
            flag_ids=_ids(RecordType.NOTIFICATION),
            reason="Tidy",
            keep_until=council_today() + dt.timedelta(days=5),
        )
    # then nothing changed
    assert _state() == before


def test_a_council_administrator_may_decide(flagged):
    admin = factories.staff_user(Role.COUNCIL_ADMIN, is_staff=True)
    services.retention_flags_dispose(actor=admin, flag_ids=_ids(RecordType.NOTIFICATION), reason="Tidy")
    assert _flags(RecordType.NOTIFICATION)[0].status == FlagStatus.DISPOSED


def test_a_record_already_gone_closes_its_flag(flagged, registrar):
    # given a flagged email deleted some other way since
    Notification.objects.filter(pk__in=flagged[RecordType.NOTIFICATION]).delete()
    # when its flag is disposed of
    services.retention_flags_dispose(actor=registrar, flag_ids=_ids(RecordType.NOTIFICATION), reason="Gone")
    # then the flag is closed, and the audit event says there was nothing left to dispose of
    assert _flags(RecordType.NOTIFICATION)[0].status == FlagStatus.DISPOSED
    assert AuditEvent.objects.get(action="retention.disposed").after["disposal"] == "already gone"
