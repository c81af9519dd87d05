"""The record types retention rules cover: for each, which rows count, when their retention starts, how staff
see them, and what disposing of them does. A fixed list in code; councils set the periods (RetentionRule).

Never here: practitioners, register entries, licences, sanctions, published notices, audit events, or any
history table of the register. The register and its history are kept as the law requires.

Disposal either deletes the rows (and their stored files) or blanks their personal fields, and in both
cases removes the disposed rows' own history snapshots, which hold the same personal data. What was
disposed of, by whom and why stays in the audit chain (retention.services writes it).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.files.storage import Storage
from django.db import models, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

from core.crypto import mask
from core.history import update_with_history
from core.models import Notification, User
from discipline.models import Complaint, ComplaintAttachment
from exams.models import Booking
from portal.models import RosterUpload, WebhookDelivery
from registry.models import Application, ApplicationDocument, InformationRequest
from retention.dates import LocalDatePlusMonths
from retention.models import FlagStatus, RecordType, RetentionRule

logger = logging.getLogger(__name__)

DELETED = "deleted"
ANONYMISED = "anonymised"


@dataclass(frozen=True)
class RecordTypeSpec:
    """One record type: its rows, when their retention starts, its review columns, and its disposal."""

    code: RecordType
    model: type[models.Model]
    default_months: int
    starts: Any  # what the period counts from, in words
    disposal: Any  # what disposing does, in words
    disposal_kind: str  # DELETED or ANONYMISED
    rows: Callable[[], QuerySet[Any]]  # the records of this type, whatever their age
    start: Callable[[], Any]  # the expression for the moment its retention starts
    columns: tuple[Any, ...]
    listed: Callable[[], QuerySet[Any]]  # the records as the review list reads them (select_related)
    cells: Callable[[Any], tuple[str, ...]]
    dispose: Callable[[list[int], User, str], None]

    @property
    def label(self) -> str:
        return str(self.code.label)


def due_records(spec: RecordTypeSpec, *, rule: RetentionRule, today: Any, zone: str) -> QuerySet[Any]:
    """The records of a type whose retention period ended on or before `today`, with `retention_due`, the day
    it ended (the local date the retention started, plus the rule's months)."""
    return (
        spec.rows()
        .annotate(retention_due=LocalDatePlusMonths(spec.start(), months=rule.period_months, zone=zone))
        .filter(retention_due__lte=today)
    )


# Disposal helpers ---------------------------------------------------------------------------------


def _history_purge(model: type[models.Model], ids: Sequence[int]) -> None:
    """Remove disposed rows' own snapshots: they hold the personal data the disposal removes. Never called for
    the register's models (none is a record type)."""
    if ids:
        model.history.filter(id__in=list(ids)).delete()  # type: ignore[attr-defined]


def _files_of(queryset: QuerySet[Any]) -> list[str]:
    return [name for name in queryset.values_list("file", flat=True) if name]


def _files_delete(storage: Storage, names: list[str]) -> None:
    for name in names:
        try:
            storage.delete(name)
        except OSError:
            # The rows are gone; a file left behind is found by the storage's own housekeeping.
            logger.exception("Retention: could not delete the stored file %s", name)


def _files_delete_on_commit(model: type[models.Model], names: list[str]) -> None:
    """Files go only once the rows' deletion has committed, so a rolled-back disposal loses nothing."""
    if names:
        storage = model._meta.get_field("file").storage  # type: ignore[union-attr]
        transaction.on_commit(functools.partial(_files_delete, storage, names))


def _applications_delete(ids: list[int], actor: User, reason: str) -> None:
    documents = ApplicationDocument.objects.filter(application_id__in=ids)
    document_ids = list(documents.values_list("pk", flat=True))
    files = _files_of(documents)
    request_ids = list(InformationRequest.objects.filter(application_id__in=ids).values_list("pk", flat=True))
    Application.objects.filter(pk__in=ids).delete()  # its documents and information requests with it
    _history_purge(Application, ids)
    _history_purge(ApplicationDocument, document_ids)
    _history_purge(InformationRequest, request_ids)
    _files_delete_on_commit(ApplicationDocument, files)


def _documents_delete(ids: list[int], actor: User, reason: str) -> None:
    documents = ApplicationDocument.objects.filter(pk__in=ids)
    files = _files_of(documents)
    documents.delete()
    _history_purge(ApplicationDocument, ids)
    _files_delete_on_commit(ApplicationDocument, files)


# A complaint closed without a case keeps its reference, dates, the complainant's role and the council's
# triage decision (for statistics and to answer the complainant); who complained, about whom and what
# they said go.
COMPLAINT_BLANKED: dict[str, Any] = {
    "complainant_name": "",
    "complainant_email": "",
    "complainant_phone": "",
    "practitioner_named": "",
    "registration_number_given": "",
    "workplace_named": "",
    "incident_date": None,
    "description": "",
    "practitioner": None,
    "source_hash": "",
}


def _complaints_anonymise(ids: list[int], actor: User, reason: str) -> None:
    attachments = ComplaintAttachment.objects.filter(complaint_id__in=ids)
    attachment_ids = list(attachments.values_list("pk", flat=True))
    files = _files_of(attachments)
    attachments.delete()
    _history_purge(ComplaintAttachment, attachment_ids)
    _history_purge(Complaint, ids)
    # One history row remains for each complaint: its blanked state, by whom and why.
    update_with_history(
        model=Complaint,
        objs=list(Complaint.objects.filter(pk__in=ids).order_by("pk")),
        changes={**COMPLAINT_BLANKED, "updated_at": timezone.now()},
        actor=actor,
        reason=reason,
    )
    _files_delete_on_commit(ComplaintAttachment, files)


def _rows_delete(model: type[models.Model]) -> Callable[[list[int], User, str], None]:
    """Delete rows of a model without history (outbox and log rows)."""

    def delete(ids: list[int], actor: User, reason: str) -> None:
        model._default_manager.filter(pk__in=ids).delete()

    return delete


# Review columns -----------------------------------------------------------------------------------


def _day(value: Any) -> str:
    return date_format(timezone.localtime(value), "j M Y") if value is not None else "—"


def _application_cells(application: Application) -> tuple[str, ...]:
    return (
        application.reference,
        application.applicant_name or "—",
        mask(application.national_id) or "—",
        application.category.name,
        str(application.get_status_display()),
        _day(application.decided_at or application.updated_at),
    )


def _document_cells(document: ApplicationDocument) -> tuple[str, ...]:
    return (
        document.application.reference,
        str(document.get_kind_display()),
        document.original_name,
        _day(document.created_at),
        _day(document.application.decided_at),
    )


def _complaint_cells(complaint: Complaint) -> tuple[str, ...]:
    return (
        complaint.reference,
        str(complaint.get_complainant_role_display()),
        _day(complaint.created_at),
        _day(complaint.triaged_at),
    )


def _notification_cells(notification: Notification) -> tuple[str, ...]:
    return (
        notification.kind,
        str(notification.get_status_display()),
        _day(notification.sent_at or notification.last_attempt_at or notification.created_at),
    )


def _delivery_cells(delivery: WebhookDelivery) -> tuple[str, ...]:
    return (
        delivery.organisation.name,
        str(delivery.get_status_display()),
        _day(delivery.delivered_at or delivery.updated_at),
    )


def _upload_cells(upload: RosterUpload) -> tuple[str, ...]:
    return (upload.organisation.name, upload.original_name, str(upload.rows_total), _day(upload.created_at))


# The record types -------------------------------------------------------------------------------

_APPLICATION_COLUMNS = (_("Reference"), _("Applicant"), _("National ID"), _("Category"), _("Status"), _("Last change"))


def _without_exam_booking() -> Any:
    """An application an exam booking rests on is kept with the booking (exams keep their own records)."""
    return ~Exists(Booking.objects.filter(application=OuterRef("pk")))


RECORD_TYPES: dict[str, RecordTypeSpec] = {
    spec.code: spec
    for spec in (
        RecordTypeSpec(
            code=RecordType.DRAFT_APPLICATION,
            model=Application,
            default_months=12,
            starts=_("the draft's last change"),
            disposal=_("The draft, its uploaded documents and their files are deleted."),
            disposal_kind=DELETED,
            rows=lambda: Application.objects.filter(status=Application.Status.DRAFT).filter(_without_exam_booking()),
            start=lambda: models.F("updated_at"),
            columns=_APPLICATION_COLUMNS,
            listed=lambda: Application.objects.select_related("category"),
            cells=_application_cells,
            dispose=_applications_delete,
        ),
        RecordTypeSpec(
            code=RecordType.CLOSED_APPLICATION,
            model=Application,
            default_months=36,
            starts=_("the refusal, or the withdrawal"),
            disposal=_(
                "The application, its uploaded documents and their files, and the council's requests for "
                "information are deleted."
            ),
            disposal_kind=DELETED,
            rows=lambda: Application.objects.filter(
                status__in=[Application.Status.REFUSED, Application.Status.WITHDRAWN]
            ).filter(_without_exam_booking()),
            start=lambda: Coalesce("decided_at", "updated_at"),
            columns=_APPLICATION_COLUMNS,
            listed=lambda: Application.objects.select_related("category"),
            cells=_application_cells,
            dispose=_applications_delete,
        ),
        RecordTypeSpec(
            code=RecordType.GRANTED_APPLICATION_DOCUMENT,
            model=ApplicationDocument,
            default_months=24,
            starts=_("the approval of the application"),
            disposal=_("The document and its file are deleted; the application and the register entry stay."),
            disposal_kind=DELETED,
            rows=lambda: ApplicationDocument.objects.filter(
                application__status=Application.Status.APPROVED, application__decided_at__isnull=False
            ),
            start=lambda: models.F("application__decided_at"),
            columns=(_("Application"), _("Document"), _("File name"), _("Uploaded"), _("Approved")),
            listed=lambda: ApplicationDocument.objects.select_related("application"),
            cells=_document_cells,
            dispose=_documents_delete,
        ),
        RecordTypeSpec(
            code=RecordType.CLOSED_COMPLAINT,
            model=Complaint,
            default_months=24,
            starts=_("the triage decision to close it"),
            disposal=_(
                "The complainant's details, the practitioner named, the account of what happened and the "
                "attachments are removed; the reference, dates and the triage decision stay."
            ),
            disposal_kind=ANONYMISED,
            rows=lambda: Complaint.objects.filter(
                status=Complaint.Status.CLOSED_NO_ACTION, triaged_at__isnull=False, case__isnull=True
            ),
            start=lambda: models.F("triaged_at"),
            columns=(_("Reference"), _("Raised by"), _("Received"), _("Closed")),
            listed=lambda: Complaint.objects.all(),
            cells=_complaint_cells,
            dispose=_complaints_anonymise,
        ),
        RecordTypeSpec(
            code=RecordType.NOTIFICATION,
            model=Notification,
            default_months=6,
            starts=_("the email's sending, or the last try"),
            disposal=_("The copy of the email in the outbox is deleted."),
            disposal_kind=DELETED,
            rows=lambda: Notification.objects.filter(status__in=[Notification.Status.SENT, Notification.Status.FAILED]),
            start=lambda: Coalesce("sent_at", "last_attempt_at", "created_at"),
            columns=(_("Kind"), _("Status"), _("Sent or last tried")),
            listed=lambda: Notification.objects.all(),
            cells=_notification_cells,
            dispose=_rows_delete(Notification),
        ),
        RecordTypeSpec(
            code=RecordType.WEBHOOK_DELIVERY,
            model=WebhookDelivery,
            default_months=6,
            starts=_("the delivery, or giving up"),
            disposal=_("The delivery's log row, with the message it carried, is deleted."),
            disposal_kind=DELETED,
            rows=lambda: WebhookDelivery.objects.filter(
                status__in=[WebhookDelivery.Status.DELIVERED, WebhookDelivery.Status.FAILED]
            ),
            start=lambda: Coalesce("delivered_at", "updated_at"),
            columns=(_("Employer"), _("Status"), _("Delivered or given up")),
            listed=lambda: WebhookDelivery.objects.select_related("organisation"),
            cells=_delivery_cells,
            dispose=_rows_delete(WebhookDelivery),
        ),
        RecordTypeSpec(
            code=RecordType.ROSTER_UPLOAD,
            model=RosterUpload,
            default_months=12,
            starts=_("the upload"),
            disposal=_("The upload's report, with the rows it could not read, is deleted; the roster stays."),
            disposal_kind=DELETED,
            rows=lambda: RosterUpload.objects.all(),
            start=lambda: models.F("created_at"),
            columns=(_("Employer"), _("File name"), _("Rows"), _("Uploaded")),
            listed=lambda: RosterUpload.objects.select_related("organisation"),
            cells=_upload_cells,
            dispose=_rows_delete(RosterUpload),
        ),
    )
}

# The register and its history are never a record type (tests/retention check this list against it).
NEVER_RETAINED: tuple[str, ...] = (
    "registry.Practitioner",
    "registry.RegisterEntry",
    "registry.Qualification",
    "registry.Employment",
    "licensing.Licence",
    "discipline.Sanction",
    "discipline.Publication",
    "discipline.Case",
    "core.AuditEvent",
)


def record_type_get(code: str) -> RecordTypeSpec | None:
    return RECORD_TYPES.get(code)


def flag_condition_in_force(*, today: Any) -> Q:
    """The flags that keep a record from being flagged again: awaiting review, disposed of, or kept until later."""
    return Q(status__in=[FlagStatus.OPEN, FlagStatus.DISPOSED]) | Q(status=FlagStatus.KEPT, keep_until_date__gt=today)
