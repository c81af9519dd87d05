"""Human, translatable names for audit actions, for timelines. The stored codes never change."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

ACTION_LABELS = {
    "application.started": _("Application started"),
    "application.draft_saved": _("Draft answers saved"),
    "application.document_added": _("Document uploaded"),
    "application.submitted": _("Application submitted"),
    "application.assigned": _("Assigned for review"),
    "application.reassigned": _("Reassigned"),
    "application.information_requested": _("More information requested"),
    "application.information_provided": _("Applicant answered"),
    "application.recommended": _("Recommendation recorded"),
    "application.approved": _("Application approved"),
    "application.refused": _("Application refused"),
    "application.withdrawn": _("Application withdrawn"),
    "register_entry.registered": _("Entered on the register"),
    "register_entry.status_changed": _("Register status changed"),
    "employer.recorded": _("Employer recorded"),
    "configuration.created": _("Configuration created"),
    "configuration.changed": _("Configuration changed"),
    "history.created": _("Record created (row history)"),
    "history.changed": _("Record changed (row history)"),
    "history.deleted": _("Record deleted (row history)"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
