"""The subject-access export leaving the system: built, rendered and recorded in one audited step."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

from django.db import transaction
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.exceptions import ApplicationError
from core.models import User
from core.selectors import council_today
from core.services import permission_require
from privacy import documents, selectors
from privacy.selectors import Subject

FORMATS = {"json": "application/json", "pdf": "application/pdf"}
OWN_REQUEST_REASON = "Downloaded by the person themselves"


@dataclass(frozen=True)
class ExportFile:
    content: bytes
    content_type: str
    filename: str


@transaction.atomic
def personal_data_export(*, actor: User, subject: Subject, file_format: str, reason: str = "") -> ExportFile:
    """Everything held about `subject`, as JSON or PDF, with an audit event saying who took it and why.

    The person may take their own at any time. Anyone else needs privacy.export_personal_data and the
    reason: the written request the export answers."""
    if file_format not in FORMATS:
        raise ApplicationError(_("Choose JSON or PDF."))
    is_own = subject.user is not None and subject.user.pk == actor.pk
    if not is_own:
        permission_require(actor, "privacy.export_personal_data")
        if not reason.strip():
            raise ApplicationError(_("Give the reason for this export: the written request it answers."))
    holding = selectors.personal_data_collect(subject=subject)
    document = selectors.personal_data_document(holding=holding)
    if file_format == "json":
        content = json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")
    else:
        content = documents.personal_data_pdf(document=document)
    audited = subject.practitioner if subject.practitioner is not None else subject.user
    assert audited is not None  # noqa: S101 (a Subject always has one)
    audit_record(
        actor=actor,
        action="privacy.subject_access_exported",
        obj=audited,
        reason=reason.strip() or OWN_REQUEST_REASON,
        after={
            "format": file_format,
            "by_the_person": is_own,
            "rows": holding.row_count,
            "sha256": hashlib.sha256(content).hexdigest(),
        },
    )
    return ExportFile(
        content=content,
        content_type=FORMATS[file_format],
        filename=f"personal-data-{audited._meta.model_name}-{audited.pk}-{council_today().isoformat()}.{file_format}",
    )
