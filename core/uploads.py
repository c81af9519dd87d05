"""Upload checks: a size limit, and a type decided from the file's content, never its name."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import filetype
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

from core.exceptions import UploadRejected

# Content types we accept for evidence, with the extension we store them under.
ACCEPTED_TYPES = {
    "application/pdf": "pdf",
    "image/jpeg": "jpg",
    "image/png": "png",
}


@dataclass(frozen=True)
class CheckedUpload:
    content_type: str
    extension: str
    size_bytes: int
    sha256: str


def upload_check(*, uploaded: UploadedFile) -> CheckedUpload:
    """Refuse empty, oversized and wrong-type files with a message the user can act on."""
    size = uploaded.size or 0
    limit = settings.COUNCIL_UPLOAD_MAX_BYTES
    if size == 0:
        raise UploadRejected(_("The selected file is empty."))
    if size > limit:
        raise UploadRejected(
            _("The selected file must be smaller than %(limit)s. It is %(size)s.")
            % {"limit": filesizeformat(limit), "size": filesizeformat(size)}
        )
    uploaded.seek(0)
    head = uploaded.read(8192)
    kind = filetype.guess(head)
    if kind is None or kind.mime not in ACCEPTED_TYPES:
        raise UploadRejected(_("The selected file must be a PDF, JPG or PNG. Its contents are not one of those."))
    digest = hashlib.sha256()
    uploaded.seek(0)
    for chunk in uploaded.chunks():
        digest.update(chunk)
    uploaded.seek(0)
    return CheckedUpload(
        content_type=kind.mime, extension=ACCEPTED_TYPES[kind.mime], size_bytes=size, sha256=digest.hexdigest()
    )


def csv_text(data: bytes) -> str:
    """An uploaded CSV's text: UTF-8 (with or without a byte-order mark), else Windows-1252, which is what
    spreadsheet programs save as "CSV" on many office computers. Never fails: undecodable bytes become �."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")
