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
    "complaint.received": _("Complaint received"),
    "complaint.triaged": _("Complaint triaged"),
    "complaint_attachment.opened": _("Complaint attachment opened"),
    "complaint_attachment.refused": _("Complaint attachment refused"),
    "case.opened": _("Case opened"),
    "case.assigned": _("Case assigned"),
    "case.status_changed": _("Case status changed"),
    "case.team_member_added": _("Added to the case team"),
    "case.team_member_removed": _("Removed from the case team"),
    "case_document.added": _("Case document added"),
    "case_document.opened": _("Case document opened"),
    "case_document.refused": _("Case document refused"),
    "interim_order.made": _("Interim order made"),
    "interim_order.revoked": _("Interim order revoked"),
    "interim_order.ended": _("Interim order ended"),
    "hearing.scheduled": _("Hearing scheduled"),
    "hearing.adjourned": _("Hearing adjourned"),
    "panel.declared": _("Panel member's declaration"),
    "decision.recorded": _("Decision recorded"),
    "decision.confirmed": _("Removal confirmed by a second panel member"),
    "sanction.imposed": _("Sanction imposed"),
    "sanction.stayed": _("Sanction stayed pending appeal"),
    "sanction.reinstated": _("Sanction reinstated"),
    "sanction.quashed": _("Sanction quashed on appeal"),
    "sanction.ended": _("Sanction ended"),
    "appeal.lodged": _("Appeal lodged"),
    "appeal.decided": _("Appeal decided"),
    "publication.published": _("Published on the register"),
    "publication.taken_down": _("Taken down from the register"),
    "history.created": _("Record created (row history)"),
    "history.changed": _("Record changed (row history)"),
    "history.deleted": _("Record deleted (row history)"),
}


def action_label(action: str) -> str:
    return str(ACTION_LABELS.get(action, action))
