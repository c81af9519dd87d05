"""Helpers the CPD pages share."""

from __future__ import annotations

import mimetypes

from django.http import FileResponse, Http404
from django.utils.translation import gettext as _

from cpd.models import Activity


def evidence_response(activity: Activity) -> FileResponse:
    if not activity.evidence:
        raise Http404(_("This activity has no evidence file."))
    content_type = mimetypes.guess_type(activity.evidence.name or "")[0] or "application/octet-stream"
    response = FileResponse(
        activity.evidence.open("rb"), as_attachment=True, filename=activity.evidence_name, content_type=content_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
