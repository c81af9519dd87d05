"""Every write of the conduct process: one function per business action, each with its audit event.

Complaints come from anyone, without an account (the actor is None); every later step is a member of
staff's, with a reason. Register entries change only through registry.services.register_entry_change_status
(one at a time) or the batch job here, which writes its history rows and audit events in sets.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from core.audit import AuditRow, audit_record, audit_record_rows
from core.exceptions import ApplicationError, InvalidTransition, UploadRejected
from core.history import history_copy_rows, history_params, save_with_history
from core.models import User
from core.roles import Role
from core.selectors import council_today, ruleset_in_force
from core.services import notification_queue, notification_queue_many, permission_require
from core.sql import db_date, db_now, execute, fetch, id_in, on_postgresql, values_cte
from core.uploads import upload_check
from discipline import rules
from discipline.lifecycles import CASE_TRANSITIONS
from discipline.models import (
    Appeal,
    Case,
    CaseDocument,
    Complaint,
    ComplaintAttachment,
    Decision,
    Hearing,
    InterimOrder,
    PanelSeat,
    Publication,
    RestrictionKind,
    Sanction,
    SanctionKind,
)
from registry.models import RegisterEntry
from registry.numbers import normalise_registration_number
from registry.services import register_entry_change_status

EntryStatus = RegisterEntry.Status
MAX_ATTACHMENTS = 5
_REFERENCE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O or 1/I to misread over the phone


class TooManyComplaints(ApplicationError):
    """One address has sent more complaints than the limit allows in the window."""


def _rules(on_date: dt.date) -> dict[str, Any]:
    return rules.discipline_rules(ruleset_in_force(on_date=on_date))


def _reference(prefix: str, model: Any, field: str) -> str:
    year = council_today().year
    while True:
        code = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))
        reference = f"{prefix}-{year}-{code}"
        if not model.objects.filter(**{field: reference}).exists():
            return reference


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def source_hash(address: str) -> str:
    """A keyed hash of a sender's address: the same address gives the same hash, and it can't be reversed."""
    return hmac.new(settings.SECRET_KEY.encode(), address.encode(), hashlib.sha256).hexdigest()


def _require_reason(reason: str, message: str | None = None) -> str:
    reason = reason.strip()
    if not reason:
        raise ApplicationError(message or _("Give the reason for this step."))
    return reason


# Complaints ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LodgedComplaint:
    complaint: Complaint
    tracking_token: str


@transaction.atomic
def complaint_lodge(
    *, data: Mapping[str, Any], attachments: Sequence[UploadedFile], source_address: str, tracking_url: Any
) -> LodgedComplaint:
    """Receive a complaint from the public form: checked attachments, a reference, and a private tracking link.

    `tracking_url` turns the new secret token into the link the complainant is sent. Refuses a flood from
    one address (settings.COUNCIL_COMPLAINT_LIMIT per COUNCIL_COMPLAINT_WINDOW_SECONDS) before storing anything.
    """
    sender = source_hash(source_address)
    window_start = timezone.now() - dt.timedelta(seconds=settings.COUNCIL_COMPLAINT_WINDOW_SECONDS)
    if Complaint.objects.filter(source_hash=sender, created_at__gte=window_start).count() >= (
        settings.COUNCIL_COMPLAINT_LIMIT
    ):
        raise TooManyComplaints(
            _(
                "Too many complaints have been sent from your connection recently. "
                "Please try again later, or call the council."
            )
        )
    if len(attachments) > MAX_ATTACHMENTS:
        raise UploadRejected(_("Attach at most %(count)s files.") % {"count": MAX_ATTACHMENTS})
    checked = [(upload, upload_check(uploaded=upload)) for upload in attachments]
    today = council_today()
    token = secrets.token_urlsafe(24)
    number = normalise_registration_number(data.get("registration_number_given", "") or "")
    entry = (
        RegisterEntry.objects.filter(registration_number=number).select_related("practitioner").first()
        if number
        else None
    )
    complaint = Complaint(
        reference=_reference("CMP", Complaint, "reference"),
        tracking_token_hash=token_hash(token),
        complainant_role=data["complainant_role"],
        complainant_name=data.get("complainant_name", ""),
        complainant_email=data.get("complainant_email", ""),
        complainant_phone=data.get("complainant_phone", ""),
        anonymous_to_practitioner=bool(data.get("anonymous_to_practitioner")),
        practitioner_named=data.get("practitioner_named", ""),
        registration_number_given=data.get("registration_number_given", ""),
        workplace_named=data.get("workplace_named", ""),
        incident_date=data.get("incident_date"),
        description=data["description"],
        practitioner=entry.practitioner if entry is not None else None,
        triage_due_date=today + dt.timedelta(days=int(_rules(today)["triage_days"])),
        source_hash=sender,
    )
    save_with_history(complaint, actor=None, reason="complaint received")
    for upload, check in checked:
        attachment = ComplaintAttachment(
            complaint=complaint,
            original_name=(upload.name or "attachment")[:255],
            content_type=check.content_type,
            size_bytes=check.size_bytes,
            sha256=check.sha256,
        )
        attachment.file.save(f"{secrets.token_hex(16)}.{check.extension}", upload, save=False)
        save_with_history(attachment, actor=None, reason="complaint received")
    audit_record(
        actor=None,
        action="complaint.received",
        obj=complaint,
        reason="Lodged through the public complaint form",
        after={
            "reference": complaint.reference,
            "attachments": len(checked),
            "matched_practitioner": complaint.practitioner_id,
        },
    )
    if complaint.complainant_email:
        notification_queue(
            recipient=None,
            to_email=complaint.complainant_email,
            language=get_language() or "",
            kind="complaint_received",
            context={"complaint": complaint, "tracking_url": tracking_url(token)},
        )
    return LodgedComplaint(complaint=complaint, tracking_token=token)


def _notify_complainant(complaint: Complaint | None, message: str) -> None:
    if complaint is None or not complaint.complainant_email:
        return
    notification_queue(
        recipient=None,
        to_email=complaint.complainant_email,
        kind="complaint_update",
        context={"complaint": complaint, "message": message},
    )


def _notify_practitioner(entry: RegisterEntry, message: str, case: Case) -> None:
    user = entry.practitioner.user
    if user is not None:
        notification_queue(recipient=user, kind="conduct_update", context={"case": case, "message": message})


@transaction.atomic
def complaint_triage(
    *,
    actor: User,
    complaint: Complaint,
    open_case: bool,
    reason: str,
    register_entry: RegisterEntry | None = None,
    allegation: str = "",
) -> Case | None:
    """Close a complaint with no action, or open a case on the register entry it concerns."""
    permission_require(actor, "discipline.triage_complaint")
    reason = _require_reason(reason, _("Give the reason for the triage decision."))
    complaint = Complaint.objects.select_for_update().get(pk=complaint.pk)
    if complaint.status != Complaint.Status.RECEIVED:
        raise InvalidTransition(_("This complaint has already been triaged."))
    if open_case and register_entry is None:
        raise ApplicationError(_("Give the registration number of the practitioner the case is about."))
    complaint.status = Complaint.Status.CASE_OPENED if open_case else Complaint.Status.CLOSED_NO_ACTION
    complaint.triaged_by = actor
    complaint.triaged_at = timezone.now()
    complaint.triage_reason = reason
    if register_entry is not None:
        complaint.practitioner = register_entry.practitioner
    save_with_history(
        complaint,
        actor=actor,
        reason=reason,
        fields=["status", "triaged_by", "triaged_at", "triage_reason", "practitioner"],
    )
    audit_record(
        actor=actor,
        action="complaint.triaged",
        obj=complaint,
        reason=reason,
        before={"status": Complaint.Status.RECEIVED},
        after={"status": complaint.status},
    )
    if not open_case:
        _notify_complainant(complaint, _("We have looked at your complaint and closed it with no further action."))
        return None
    if register_entry is None:  # pragma: no cover - refused above
        raise ApplicationError(_("Give the registration number of the practitioner the case is about."))
    return case_open(
        actor=actor,
        register_entry=register_entry,
        allegation=allegation.strip() or complaint.description,
        complaint=complaint,
        reason=reason,
    )


# Cases -----------------------------------------------------------------------------------------


@transaction.atomic
def case_open(
    *, actor: User, register_entry: RegisterEntry, allegation: str, reason: str, complaint: Complaint | None = None
) -> Case:
    """Open a case on an entry, from a triaged complaint or on the council's own motion."""
    permission_require(actor, "discipline.triage_complaint")
    reason = _require_reason(reason)
    allegation = allegation.strip()
    if not allegation:
        raise ApplicationError(_("Describe the allegation."))
    now = timezone.now()
    today = council_today()
    case = Case(
        number=_reference("FTP", Case, "number"),
        complaint=complaint,
        register_entry=register_entry,
        allegation=allegation,
        officer=actor,
        opened_at=now,
        stage_due_date=rules.stage_due(_rules(today), stage=Case.Status.INVESTIGATION, from_date=today),
    )
    save_with_history(case, actor=actor, reason=reason)
    case.team.add(actor)
    if complaint is not None:
        for attachment in complaint.attachments.all():
            document = CaseDocument(
                case=case,
                title=_("Complainant's attachment: %(name)s") % {"name": attachment.original_name},
                file=attachment.file.name,
                original_name=attachment.original_name,
                content_type=attachment.content_type,
                size_bytes=attachment.size_bytes,
                sha256=attachment.sha256,
            )
            save_with_history(document, actor=actor, reason="copied from the complaint")
    audit_record(
        actor=actor,
        action="case.opened",
        obj=case,
        reason=reason,
        after={
            "number": case.number,
            "register_entry": register_entry.pk,
            "complaint": complaint.pk if complaint else None,
        },
    )
    _notify_complainant(complaint, _("We have opened an investigation into your complaint."))
    _notify_practitioner(
        register_entry, _("The council has opened an investigation into a concern about your practice."), case
    )
    return case


def _lock_case(case: Case) -> Case:
    return (
        Case.objects.select_for_update(of=("self",))
        .select_related("register_entry__practitioner__user", "complaint")
        .get(pk=case.pk)
    )


def _move_case(
    case: Case,
    *,
    actor: User | None,
    to: str,
    reason: str,
    fields: Sequence[str] = (),
    due: dt.date | None = None,
) -> None:
    """Move a locked case along the transition table, with its history row and audit event.

    The new stage is due when the rules say, unless `due` says otherwise (the appeal deadline of a decision).
    """
    from_status = case.status
    if to not in CASE_TRANSITIONS[from_status]:
        raise InvalidTransition(
            _("A case that is %(from)s cannot become %(to)s.")
            % {"from": Case.Status(from_status).label, "to": Case.Status(to).label}
        )
    today = council_today()
    case.status = to
    case.stage_due_date = due or rules.stage_due(_rules(today), stage=to, from_date=today)
    if to == Case.Status.CLOSED:
        case.closed_at = timezone.now()
    save_with_history(case, actor=actor, reason=reason, fields=["status", "stage_due_date", "closed_at", *fields])
    audit_record(
        actor=actor,
        action="case.status_changed",
        obj=case,
        reason=reason,
        before={"status": from_status},
        after={"status": to},
    )


@transaction.atomic
def case_assign(*, actor: User, case: Case, officer: User, reason: str = "") -> Case:
    permission_require(actor, "discipline.manage_cases")
    if not officer.has_perm("discipline.manage_cases"):
        raise ApplicationError(_("Cases can only be assigned to conduct officers."))
    case = _lock_case(case)
    before = {"officer": case.officer_id}
    case.officer = officer
    save_with_history(case, actor=actor, reason=reason or "assigned", fields=["officer"])
    case.team.add(officer)
    audit_record(
        actor=actor, action="case.assigned", obj=case, reason=reason, before=before, after={"officer": officer.pk}
    )
    return case


@transaction.atomic
def case_team_change(*, actor: User, case: Case, member: User, add: bool, reason: str) -> Case:
    """Add someone to the case team (who may open its documents), or take them off it."""
    permission_require(actor, "discipline.manage_cases")
    reason = _require_reason(reason)
    case = _lock_case(case)
    if not member.has_perm("core.access_staff_area"):
        raise ApplicationError(_("Only members of staff can join a case team."))
    if add:
        case.team.add(member)
    else:
        if member.pk == case.officer_id:
            raise ApplicationError(_("The assigned conduct officer stays on the team; assign someone else first."))
        case.team.remove(member)
    audit_record(
        actor=actor,
        action="case.team_member_added" if add else "case.team_member_removed",
        obj=case,
        reason=reason,
        after={"member": member.pk, "email": member.email},
    )
    return case


@transaction.atomic
def case_charge(*, actor: User, case: Case, charges: str, reason: str) -> Case:
    permission_require(actor, "discipline.manage_cases")
    charges = charges.strip()
    if not charges:
        raise ApplicationError(_("Set out the charges."))
    reason = _require_reason(reason)
    case = _lock_case(case)
    case.charges = charges
    _move_case(case, actor=actor, to=Case.Status.CHARGED, reason=reason, fields=["charges"])
    _notify_complainant(case.complaint, _("The council has brought charges and the case will go to a hearing."))
    _notify_practitioner(
        case.register_entry, _("The council has brought charges against you: %(charges)s") % {"charges": charges}, case
    )
    return case


@transaction.atomic
def case_close(*, actor: User, case: Case, reason: str) -> Case:
    """Close a case: no case to answer, charges withdrawn, or the decision final with no appeal."""
    permission_require(actor, "discipline.manage_cases")
    reason = _require_reason(reason)
    case = _lock_case(case)
    if case.status == Case.Status.DECIDED:
        decision = case.decisions.filter(status=Decision.Status.FINAL).order_by("-id").first()
        if decision is not None and council_today() <= decision.appeal_deadline:
            raise ApplicationError(
                _("The time to appeal runs until %(date)s; the case can be closed after that.")
                % {"date": date_format(decision.appeal_deadline)}
            )
    interim_orders_end(case=case, actor=actor, reason=_("Case closed: %(reason)s") % {"reason": reason})
    case.outcome = reason
    _move_case(case, actor=actor, to=Case.Status.CLOSED, reason=reason, fields=["outcome"])
    _notify_complainant(case.complaint, _("The case about your complaint is now closed."))
    _notify_practitioner(case.register_entry, _("The case is closed: %(reason)s") % {"reason": reason}, case)
    return case


@transaction.atomic
def case_document_add(
    *, actor: User, case: Case, title: str, uploaded: UploadedFile, in_bundle: bool = True
) -> CaseDocument:
    permission_require(actor, "discipline.manage_cases")
    title = title.strip()
    if not title:
        raise ApplicationError(_("Give the document a title."))
    if not case_team_includes(case, actor):
        raise ApplicationError(_("Only the case team can add documents to a case."))
    check = upload_check(uploaded=uploaded)
    document = CaseDocument(
        case=case,
        title=title,
        original_name=(uploaded.name or "document")[:255],
        content_type=check.content_type,
        size_bytes=check.size_bytes,
        sha256=check.sha256,
        uploaded_by=actor,
        in_bundle=in_bundle,
    )
    document.file.save(f"{secrets.token_hex(16)}.{check.extension}", uploaded, save=False)
    save_with_history(document, actor=actor, reason="document added")
    audit_record(
        actor=actor, action="case_document.added", obj=document, after={"case": case.pk, "sha256": check.sha256}
    )
    return document


# Who may open confidential documents -----------------------------------------------------------


def case_team_includes(case: Case, user: User) -> bool:
    return case.officer_id == user.pk or case.team.filter(pk=user.pk).exists()


def panel_member_of(case: Case, user: User) -> bool:
    """A panel member who sits on one of the case's hearings and has declared no conflict."""
    return PanelSeat.objects.filter(
        hearing__case=case, member=user, declaration=PanelSeat.Declaration.NO_CONFLICT
    ).exists() and user.has_perm("discipline.sit_on_panel")


def may_open_case_documents(case: Case, user: User) -> bool:
    if case_team_includes(case, user) or panel_member_of(case, user):
        return True
    policy = _rules(council_today())["registrars_see_case_documents"]
    return bool(policy) and user.groups.filter(name=Role.REGISTRAR.value).exists()


@transaction.atomic
def case_document_open(*, actor: User, document: CaseDocument) -> bool:
    """Whether the person may open the document; either way the attempt is an audit event.

    It returns rather than raises, so a refusal's event commits with the request like an opening's.
    """
    allowed = may_open_case_documents(document.case, actor)
    audit_record(
        actor=actor,
        action="case_document.opened" if allowed else "case_document.refused",
        obj=document,
        after={"case": document.case_id},
    )
    return allowed


@transaction.atomic
def complaint_attachment_open(*, actor: User, attachment: ComplaintAttachment) -> bool:
    """Triage officers open attachments of complaints awaiting triage; once a case is open, its team rule applies.

    Like case_document_open, it records the attempt and returns whether it is allowed.
    """
    complaint = attachment.complaint
    case = getattr(complaint, "case", None)
    allowed = (
        may_open_case_documents(case, actor)
        if case is not None
        else complaint.status == Complaint.Status.RECEIVED and actor.has_perm("discipline.triage_complaint")
    )
    audit_record(
        actor=actor,
        action="complaint_attachment.opened" if allowed else "complaint_attachment.refused",
        obj=attachment,
        after={"complaint": complaint.pk},
    )
    return allowed


# The register entry and its public notices ------------------------------------------------------


def _entry_set(entry: RegisterEntry, *, actor: User | None, status: str, conditions: str, reason: str) -> None:
    """Put the entry in the status (and conditions) an order or sanction needs, if it is not already there."""
    if entry.status == status and entry.conditions == conditions:
        return
    register_entry_change_status(actor=actor, entry=entry, status=status, reason=reason, conditions=conditions)
    entry.refresh_from_db()


def _with_conditions(entry: RegisterEntry, conditions: str) -> str:
    existing = entry.conditions.strip() if entry.status == EntryStatus.REGISTERED_WITH_CONDITIONS else ""
    return f"{existing}\n{conditions}".strip() if existing else conditions


def _publish(
    *,
    actor: User | None,
    entry: RegisterEntry,
    kind: str,
    summary: str,
    start_date: dt.date,
    end_date: dt.date | None,
    interim_order: InterimOrder | None = None,
    sanction: Sanction | None = None,
) -> Publication:
    publication = Publication(
        register_entry=entry,
        kind=kind,
        summary=summary,
        start_date=start_date,
        end_date=end_date,
        publish_until=rules.publish_until(_rules(start_date), kind=kind, start_date=start_date, end_date=end_date),
        interim_order=interim_order,
        sanction=sanction,
    )
    save_with_history(publication, actor=actor, reason="published")
    audit_record(
        actor=actor,
        action="publication.published",
        obj=publication,
        after={"register_entry": entry.pk, "kind": kind, "publish_until": publication.publish_until},
    )
    return publication


def _take_down(publications: Any, *, actor: User | None, reason: str) -> None:
    now = timezone.now()
    for publication in publications.filter(status=Publication.Status.PUBLISHED):
        publication.status = Publication.Status.TAKEN_DOWN
        publication.taken_down_at = now
        save_with_history(publication, actor=actor, reason=reason, fields=["status", "taken_down_at"])
        audit_record(
            actor=actor,
            action="publication.taken_down",
            obj=publication,
            reason=reason,
            after={"register_entry": publication.register_entry_id, "kind": publication.kind},
        )


# Interim orders --------------------------------------------------------------------------------


@transaction.atomic
def interim_order_make(
    *, actor: User, case: Case, kind: str, reason: str, conditions: str = "", review_date: dt.date | None = None
) -> InterimOrder:
    """A registrar's interim suspension or conditions pending the case: the entry changes at once, and is published."""
    permission_require(actor, "discipline.make_interim_order")
    reason = _require_reason(reason, _("Give the reason for the interim order."))
    conditions = conditions.strip()
    if kind not in RestrictionKind.values:
        raise ApplicationError(_("Choose a suspension or conditions."))
    if kind == RestrictionKind.CONDITIONS and not conditions:
        raise ApplicationError(_("State the conditions the practitioner must meet."))
    case = _lock_case(case)
    if case.status == Case.Status.CLOSED:
        raise ApplicationError(_("The case is closed."))
    entry = (
        RegisterEntry.objects.select_for_update(of=("self",))
        .select_related("practitioner__user")
        .get(pk=case.register_entry_id)
    )
    if InterimOrder.objects.filter(register_entry=entry, status=InterimOrder.Status.IN_FORCE).exists():
        raise ApplicationError(_("An interim order is already in force on this entry; revoke it first."))
    today = council_today()
    review = review_date or today + dt.timedelta(days=int(_rules(today)["interim_review_days"]))
    if review < today:
        raise ApplicationError(_("The review date can't be in the past."))
    order = InterimOrder(
        case=case,
        register_entry=entry,
        kind=kind,
        conditions=conditions,
        reason=reason,
        made_by=actor,
        effective_date=today,
        review_date=review,
        restore_status=entry.status,
        restore_conditions=entry.conditions,
    )
    save_with_history(order, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        action="interim_order.made",
        obj=order,
        reason=reason,
        after={"kind": kind, "register_entry": entry.pk, "review_date": review},
    )
    if kind == RestrictionKind.SUSPENSION:
        _entry_set(
            entry, actor=actor, status=EntryStatus.SUSPENDED, conditions="", reason=_("Interim suspension order")
        )
        _publish(
            actor=actor,
            entry=entry,
            kind=Publication.Kind.INTERIM_SUSPENSION,
            summary=_("Interim suspension order pending a fitness to practise case. It is not a finding."),
            start_date=today,
            end_date=None,
            interim_order=order,
        )
    else:
        _entry_set(
            entry,
            actor=actor,
            status=EntryStatus.REGISTERED_WITH_CONDITIONS,
            conditions=_with_conditions(entry, conditions),
            reason=_("Interim conditions of practice"),
        )
        _publish(
            actor=actor,
            entry=entry,
            kind=Publication.Kind.INTERIM_CONDITIONS,
            summary=f"{conditions}\n"
            + _("Interim conditions pending a fitness to practise case. They are not a finding."),
            start_date=today,
            end_date=None,
            interim_order=order,
        )
    _notify_practitioner(
        entry,
        _("An interim order (%(kind)s) is in force on your registration from today, to be reviewed by %(date)s.")
        % {"kind": RestrictionKind(kind).label, "date": date_format(review)},
        case,
    )
    return order


def interim_orders_end(*, case: Case, actor: User | None, reason: str, restore: bool = True) -> None:
    """End the case's interim orders in force (superseded by a sanction, or the case closed)."""
    for order in InterimOrder.objects.select_for_update().filter(case=case, status=InterimOrder.Status.IN_FORCE):
        _interim_order_stop(order, status=InterimOrder.Status.ENDED, actor=actor, reason=reason, restore=restore)


def _interim_order_stop(
    order: InterimOrder, *, status: str, actor: User | None, reason: str, restore: bool, restore_reason: str = ""
) -> None:
    """Stop a locked order in force: its status and event, its notice down, and (if asked) the entry restored."""
    order.status = status
    order.ended_at = timezone.now()
    order.end_reason = reason
    save_with_history(order, actor=actor, reason=reason, fields=["status", "ended_at", "end_reason"])
    action = "interim_order.revoked" if status == InterimOrder.Status.REVOKED else "interim_order.ended"
    audit_record(actor=actor, action=action, obj=order, reason=reason, after={"status": status})
    _take_down(order.publications.all(), actor=actor, reason=reason)
    if restore:
        _restore_after(order, actor=actor, reason=restore_reason or reason)


_RESTRICTING_SANCTIONS = frozenset({SanctionKind.SUSPENSION, SanctionKind.CONDITIONS, SanctionKind.REMOVAL})
_STATUS_SHOWING: dict[str, str] = {
    SanctionKind.SUSPENSION: EntryStatus.SUSPENDED,
    SanctionKind.CONDITIONS: EntryStatus.REGISTERED_WITH_CONDITIONS,
    SanctionKind.REMOVAL: EntryStatus.REMOVED,
}


def _restore_after(restriction: InterimOrder | Sanction, *, actor: User | None, reason: str) -> None:
    """Put the entry back as it was before the restriction, if the restriction is still what it shows."""
    entry = RegisterEntry.objects.select_for_update().get(pk=restriction.register_entry_id)
    if entry.status != _STATUS_SHOWING.get(restriction.kind) or not restriction.restore_status:
        return
    actor = None if actor is None or not actor.has_perm("registry.change_register_status") else actor
    if entry.status == EntryStatus.REMOVED and restriction.restore_status != EntryStatus.REGISTERED:
        # the register's table leads out of REMOVED through REGISTERED only
        _entry_set(entry, actor=actor, status=EntryStatus.REGISTERED, conditions="", reason=reason)
    _entry_set(
        entry,
        actor=actor,
        status=restriction.restore_status,
        conditions=restriction.restore_conditions,
        reason=reason,
    )


@transaction.atomic
def interim_order_revoke(*, actor: User, order: InterimOrder, reason: str) -> InterimOrder:
    permission_require(actor, "discipline.make_interim_order")
    reason = _require_reason(reason, _("Give the reason for revoking the order."))
    order = InterimOrder.objects.select_for_update().get(pk=order.pk)
    if order.status != InterimOrder.Status.IN_FORCE:
        raise InvalidTransition(_("This order is no longer in force."))
    _interim_order_stop(
        order,
        status=InterimOrder.Status.REVOKED,
        actor=actor,
        reason=reason,
        restore=True,
        restore_reason=_("Interim order revoked: %(reason)s") % {"reason": reason},
    )
    _notify_practitioner(order.register_entry, _("The interim order on your registration is revoked."), order.case)
    return order


# Hearings and decisions --------------------------------------------------------------------------


@transaction.atomic
def hearing_schedule(
    *, actor: User, case: Case, starts_at: dt.datetime, venue: str, members: Sequence[User], chair: User
) -> Hearing:
    """Schedule the hearing of a charged case with a panel of hearing panel members (each will declare conflicts)."""
    permission_require(actor, "discipline.manage_cases")
    venue = venue.strip()
    if not venue:
        raise ApplicationError(_("Give the venue, or say it is online."))
    if starts_at <= timezone.now():
        raise ApplicationError(_("The hearing must be in the future."))
    members = list({member.pk: member for member in members}.values())
    if len(members) < 2:
        raise ApplicationError(_("A panel needs at least two members."))
    if chair.pk not in {member.pk for member in members}:
        raise ApplicationError(_("The chair must be one of the panel."))
    for member in members:
        if not member.has_perm("discipline.sit_on_panel"):
            raise ApplicationError(_("%(email)s is not a hearing panel member.") % {"email": member.email})
    case = _lock_case(case)
    if case.team.filter(pk__in=[member.pk for member in members]).exists() or case.officer_id in {
        m.pk for m in members
    }:
        raise ApplicationError(_("Members of the case team can't sit on its panel."))
    hearing = Hearing(case=case, starts_at=starts_at, venue=venue, scheduled_by=actor)
    _move_case(case, actor=actor, to=Case.Status.HEARING_SCHEDULED, reason=_("Hearing scheduled"))
    save_with_history(hearing, actor=actor, reason="hearing scheduled")
    for member in members:
        seat = PanelSeat(hearing=hearing, member=member, is_chair=member.pk == chair.pk)
        save_with_history(seat, actor=actor, reason="panel appointed")
        notification_queue(recipient=member, kind="panel_appointed", context={"hearing": hearing, "seat": seat})
    audit_record(
        actor=actor,
        action="hearing.scheduled",
        obj=hearing,
        after={"case": case.pk, "starts_at": starts_at, "venue": venue, "panel": [member.pk for member in members]},
    )
    when = timezone.localtime(starts_at).strftime("%Y-%m-%d %H:%M")
    _notify_complainant(case.complaint, _("A hearing is scheduled for %(when)s.") % {"when": when})
    _notify_practitioner(
        case.register_entry,
        _("Your hearing is scheduled for %(when)s at %(venue)s.") % {"when": when, "venue": venue},
        case,
    )
    return hearing


@transaction.atomic
def hearing_adjourn(*, actor: User, hearing: Hearing, reason: str) -> Hearing:
    permission_require(actor, "discipline.manage_cases")
    reason = _require_reason(reason)
    hearing = Hearing.objects.select_for_update().get(pk=hearing.pk)
    if hearing.status != Hearing.Status.SCHEDULED:
        raise InvalidTransition(_("Only a scheduled hearing can be adjourned."))
    hearing.status = Hearing.Status.ADJOURNED
    save_with_history(hearing, actor=actor, reason=reason, fields=["status"])
    audit_record(actor=actor, action="hearing.adjourned", obj=hearing, reason=reason)
    case = _lock_case(hearing.case)
    _move_case(case, actor=actor, to=Case.Status.CHARGED, reason=reason)
    return hearing


@transaction.atomic
def panel_declare(*, actor: User, seat: PanelSeat, has_conflict: bool, note: str = "") -> PanelSeat:
    """A panel member declares a conflict (and stands down) or none (and may then read the bundle)."""
    permission_require(actor, "discipline.sit_on_panel")
    seat = PanelSeat.objects.select_for_update(of=("self",)).select_related("hearing").get(pk=seat.pk)
    if seat.member_id != actor.pk:
        raise ApplicationError(_("Only the panel member can make their own declaration."))
    if seat.declaration != PanelSeat.Declaration.PENDING:
        raise ApplicationError(_("You have already made your declaration for this hearing."))
    note = note.strip()
    if has_conflict and not note:
        raise ApplicationError(_("Describe the conflict."))
    seat.declaration = PanelSeat.Declaration.CONFLICT if has_conflict else PanelSeat.Declaration.NO_CONFLICT
    seat.conflict_note = note if has_conflict else ""
    seat.declared_at = timezone.now()
    save_with_history(seat, actor=actor, reason="declaration", fields=["declaration", "conflict_note", "declared_at"])
    audit_record(
        actor=actor,
        action="panel.declared",
        obj=seat,
        reason=note,
        after={"hearing": seat.hearing_id, "declaration": seat.declaration},
    )
    return seat


def _sitting_seat(hearing: Hearing, actor: User) -> PanelSeat:
    seat = hearing.seats.filter(member=actor).first()
    if seat is None or seat.declaration != PanelSeat.Declaration.NO_CONFLICT:
        raise ApplicationError(_("Only panel members who have declared no conflict can decide this hearing."))
    return seat


@dataclass(frozen=True)
class DecisionInput:
    outcome: str
    findings: str
    reasons: str
    sanction_kind: str = ""
    sanction_months: int | None = None
    conditions: str = ""
    fine_minor: int | None = None
    public_summary: str = ""


@transaction.atomic
def decision_record(*, actor: User, hearing: Hearing, decision: DecisionInput) -> Decision:
    """Record the panel's findings and sanction with reasons. A removal waits for a second panel member."""
    permission_require(actor, "discipline.sit_on_panel")
    hearing = Hearing.objects.select_for_update(of=("self",)).select_related("case").get(pk=hearing.pk)
    if hearing.status != Hearing.Status.SCHEDULED:
        raise InvalidTransition(_("This hearing is not awaiting a decision."))
    _sitting_seat(hearing, actor)
    if not decision.findings.strip() or not decision.reasons.strip():
        raise ApplicationError(_("Record the findings and the reasons."))
    kind = decision.sanction_kind if decision.outcome == Decision.Outcome.SANCTION else ""
    if decision.outcome == Decision.Outcome.SANCTION:
        if kind not in SanctionKind.values:
            raise ApplicationError(_("Choose the sanction."))
        if not decision.public_summary.strip():
            raise ApplicationError(_("Write the short summary the public register will show."))
    if kind in (SanctionKind.SUSPENSION, SanctionKind.CONDITIONS) and not (decision.sanction_months or 0) > 0:
        raise ApplicationError(_("Give the sanction's length in months."))
    if kind == SanctionKind.CONDITIONS and not decision.conditions.strip():
        raise ApplicationError(_("State the conditions the practitioner must meet."))
    if kind == SanctionKind.FINE and not (decision.fine_minor or 0) > 0:
        raise ApplicationError(_("Give the amount of the fine."))
    today = council_today()
    rule_set = ruleset_in_force(on_date=today)
    if rule_set is None:
        raise ApplicationError(_("No rule version is in force today."))
    from licensing import rules as fee_rules

    record = Decision(
        hearing=hearing,
        case=hearing.case,
        status=Decision.Status.AWAITING_CONFIRMATION if kind == SanctionKind.REMOVAL else Decision.Status.FINAL,
        outcome=decision.outcome,
        findings=decision.findings.strip(),
        reasons=decision.reasons.strip(),
        sanction_kind=kind,
        sanction_months=decision.sanction_months
        if kind in (SanctionKind.SUSPENSION, SanctionKind.CONDITIONS)
        else None,
        conditions=decision.conditions.strip() if kind == SanctionKind.CONDITIONS else "",
        fine_minor=decision.fine_minor if kind == SanctionKind.FINE else None,
        currency=fee_rules.currency(rule_set=rule_set, default="ZAR") if kind == SanctionKind.FINE else "",
        public_summary=decision.public_summary.strip() if kind else "",
        recorded_by=actor,
        decided_date=today,
        appeal_deadline=today + dt.timedelta(days=int(rules.discipline_rules(rule_set)["appeal_days"])),
        rule_set=rule_set,
    )
    save_with_history(record, actor=actor, reason="decision recorded")
    audit_record(
        actor=actor,
        action="decision.recorded",
        obj=record,
        reason=record.reasons,
        after={"outcome": record.outcome, "sanction": kind, "months": record.sanction_months, "status": record.status},
    )
    if record.status == Decision.Status.FINAL:
        _decision_take_effect(record, actor=actor)
    return record


@transaction.atomic
def decision_confirm(*, actor: User, decision: Decision) -> Decision:
    """A second panel member confirms a removal; only then does it take effect."""
    permission_require(actor, "discipline.sit_on_panel")
    decision = Decision.objects.select_for_update(of=("self",)).select_related("hearing").get(pk=decision.pk)
    if decision.status != Decision.Status.AWAITING_CONFIRMATION:
        raise InvalidTransition(_("This decision does not need confirming."))
    if decision.recorded_by_id == actor.pk:
        raise ApplicationError(_("A second panel member must confirm a removal, not the one who recorded it."))
    _sitting_seat(decision.hearing, actor)
    decision.status = Decision.Status.FINAL
    decision.confirmed_by = actor
    save_with_history(decision, actor=actor, reason="removal confirmed", fields=["status", "confirmed_by"])
    audit_record(actor=actor, action="decision.confirmed", obj=decision, after={"status": decision.status})
    _decision_take_effect(decision, actor=actor)
    return decision


def _decision_take_effect(decision: Decision, *, actor: User) -> None:
    hearing = decision.hearing
    hearing.status = Hearing.Status.DECIDED
    save_with_history(hearing, actor=actor, reason="decided", fields=["status"])
    case = _lock_case(decision.case)
    _move_case(case, actor=actor, to=Case.Status.DECIDED, reason=_("Decided at hearing"), due=decision.appeal_deadline)
    interim = InterimOrder.objects.filter(case=case, status=InterimOrder.Status.IN_FORCE).first()
    baseline = (interim.restore_status, interim.restore_conditions) if interim is not None else None
    # The decision supersedes any interim order; without a sanction the entry goes back as it was.
    interim_orders_end(
        case=case,
        actor=actor,
        reason=_("Superseded by the panel's decision"),
        # a caution or a fine leaves the status alone, so the entry goes back as it was before the order
        restore=decision.sanction_kind not in _RESTRICTING_SANCTIONS,
    )
    if decision.sanction_kind:
        entry = (
            RegisterEntry.objects.select_for_update(of=("self",))
            .select_related("practitioner__user")
            .get(pk=case.register_entry_id)
        )
        restore_status, restore_conditions = baseline or (entry.status, entry.conditions)
        _sanction_apply(
            decision, entry=entry, restore_status=restore_status, restore_conditions=restore_conditions, actor=actor
        )
    message = _("The panel has decided your case: %(outcome)s.") % {
        "outcome": SanctionKind(decision.sanction_kind).label
        if decision.sanction_kind
        else Decision.Outcome(decision.outcome).label
    }
    _notify_complainant(case.complaint, _("The hearing panel has made its decision."))
    _notify_practitioner(case.register_entry, message, case)


def _sanction_apply(
    decision: Decision, *, entry: RegisterEntry, restore_status: str, restore_conditions: str, actor: User
) -> Sanction:
    today = decision.decided_date
    kind = decision.sanction_kind
    discipline = rules.discipline_rules(decision.rule_set)
    end_date = rules.add_months(today, decision.sanction_months) if decision.sanction_months else None
    sanction = Sanction(
        case=decision.case,
        decision=decision,
        register_entry=entry,
        kind=kind,
        conditions=decision.conditions,
        fine_minor=decision.fine_minor,
        currency=decision.currency,
        start_date=today,
        end_date=end_date,
        reapply_date=rules.add_months(today, 12 * int(discipline["removal_reapply_years"]))
        if kind == SanctionKind.REMOVAL
        else None,
        restore_status=restore_status,
        restore_conditions=restore_conditions,
    )
    save_with_history(sanction, actor=actor, reason="sanction decided")
    _sanction_restrict(sanction, entry=entry)
    if kind == SanctionKind.FINE:
        from licensing.services import fine_invoice_issue

        sanction.invoice = fine_invoice_issue(
            actor=actor,
            entry=entry,
            amount_minor=int(decision.fine_minor or 0),
            currency=decision.currency,
            description=_("Fine: case %(number)s") % {"number": decision.case.number},
            reason=_("Fine decided at hearing"),
        )
        save_with_history(sanction, actor=actor, reason="fine invoiced", fields=["invoice"])
    audit_record(
        actor=actor,
        action="sanction.imposed",
        obj=sanction,
        reason=decision.reasons,
        after={
            "kind": kind,
            "register_entry": entry.pk,
            "start_date": today,
            "end_date": end_date,
            "invoice": sanction.invoice_id,
        },
    )
    _publish(
        actor=actor,
        entry=entry,
        kind=kind,
        summary=decision.public_summary,
        start_date=today,
        end_date=end_date,
        sanction=sanction,
    )
    return sanction


def _sanction_restrict(sanction: Sanction, *, entry: RegisterEntry) -> None:
    """Make the register entry show the sanction (caution and fine leave the status as it is)."""
    reason = _("Sanction: %(kind)s, case %(number)s") % {
        "kind": SanctionKind(sanction.kind).label,
        "number": sanction.case.number,
    }
    if sanction.kind == SanctionKind.SUSPENSION:
        _entry_set(entry, actor=None, status=EntryStatus.SUSPENDED, conditions="", reason=reason)
    elif sanction.kind == SanctionKind.CONDITIONS:
        base = sanction.restore_conditions if sanction.restore_status == EntryStatus.REGISTERED_WITH_CONDITIONS else ""
        conditions = f"{base}\n{sanction.conditions}".strip() if base else sanction.conditions
        _entry_set(
            entry, actor=None, status=EntryStatus.REGISTERED_WITH_CONDITIONS, conditions=conditions, reason=reason
        )
    elif sanction.kind == SanctionKind.REMOVAL:
        _entry_set(entry, actor=None, status=EntryStatus.REMOVED, conditions="", reason=reason)


def removal_lifted(*, entry: RegisterEntry, actor: User | None, reason: str) -> None:
    """A removed entry is back on the register (after the waiting period): its removal ends and its notice comes
    down. Registry calls this (settings.REGISTRY_RESTORED_HOOK) when an entry leaves REMOVED."""
    for sanction in Sanction.objects.select_for_update().filter(
        register_entry=entry, kind=SanctionKind.REMOVAL, status=Sanction.Status.IN_FORCE
    ):
        sanction.status = Sanction.Status.ENDED
        sanction.ended_at = timezone.now()
        save_with_history(sanction, actor=actor, reason=reason, fields=["status", "ended_at"])
        audit_record(actor=actor, action="sanction.ended", obj=sanction, reason=reason, after={"status": "ENDED"})
        _take_down(sanction.publications.all(), actor=actor, reason=reason)


# Appeals ---------------------------------------------------------------------------------------


@transaction.atomic
def appeal_lodge(
    *, actor: User, case: Case, grounds: str, lodged_date: dt.date, stay_requested: bool = False
) -> Appeal:
    """Record an appeal lodged in time.

    A stay, where the rules allow one for the sanction, lifts the sanction pending the appeal.
    """
    permission_require(actor, "discipline.manage_cases")
    grounds = grounds.strip()
    if not grounds:
        raise ApplicationError(_("Set out the grounds of appeal."))
    case = _lock_case(case)
    decision = case.decisions.filter(status=Decision.Status.FINAL).order_by("-id").first()
    if decision is None or case.status != Case.Status.DECIDED:
        raise InvalidTransition(_("Only a decided case can be appealed."))
    if lodged_date > council_today():
        raise ApplicationError(_("The appeal can't be lodged on a future date."))
    if lodged_date > decision.appeal_deadline:
        raise ApplicationError(
            _("The time to appeal ended on %(date)s.") % {"date": date_format(decision.appeal_deadline)}
        )
    sanction = Sanction.objects.select_for_update().filter(decision=decision).first()
    stayable = rules.discipline_rules(decision.rule_set)["stayable_on_appeal"]
    if stay_requested and (sanction is None or sanction.kind not in stayable):
        raise ApplicationError(_("The rules do not allow this sanction to be stayed pending appeal."))
    appeal = Appeal(
        case=case,
        decision=decision,
        lodged_date=lodged_date,
        grounds=grounds,
        stay_requested=stay_requested,
        stayed=stay_requested,
        recorded_by=actor,
    )
    save_with_history(appeal, actor=actor, reason="appeal lodged")
    audit_record(actor=actor, action="appeal.lodged", obj=appeal, reason=grounds, after={"stayed": appeal.stayed})
    _move_case(case, actor=actor, to=Case.Status.APPEAL, reason=_("Appeal lodged"))
    if stay_requested and sanction is not None and sanction.status == Sanction.Status.IN_FORCE:
        sanction.status = Sanction.Status.STAYED
        save_with_history(sanction, actor=actor, reason="stayed pending appeal", fields=["status"])
        audit_record(actor=actor, action="sanction.stayed", obj=sanction, after={"status": sanction.status})
        _take_down(sanction.publications.all(), actor=actor, reason=_("Stayed pending appeal"))
        _restore_after(sanction, actor=None, reason=_("Sanction stayed pending appeal"))
    _notify_practitioner(case.register_entry, _("Your appeal is recorded."), case)
    return appeal


@transaction.atomic
def appeal_decide(*, actor: User, appeal: Appeal, allowed: bool, reason: str) -> Appeal:
    """Allowed: the sanction is quashed and the entry restored. Dismissed: a stayed sanction takes effect again."""
    permission_require(actor, "discipline.manage_cases")
    reason = _require_reason(reason)
    appeal = Appeal.objects.select_for_update(of=("self",)).select_related("decision__case").get(pk=appeal.pk)
    if appeal.status != Appeal.Status.LODGED:
        raise InvalidTransition(_("This appeal is already decided."))
    appeal.status = Appeal.Status.ALLOWED if allowed else Appeal.Status.DISMISSED
    appeal.decided_by = actor
    appeal.decided_at = timezone.now()
    appeal.decision_reason = reason
    save_with_history(
        appeal, actor=actor, reason=reason, fields=["status", "decided_by", "decided_at", "decision_reason"]
    )
    audit_record(actor=actor, action="appeal.decided", obj=appeal, reason=reason, after={"status": appeal.status})
    sanction = Sanction.objects.select_for_update().filter(decision=appeal.decision).first()
    if sanction is not None and sanction.status in (Sanction.Status.IN_FORCE, Sanction.Status.STAYED):
        entry = (
            RegisterEntry.objects.select_for_update(of=("self",))
            .select_related("practitioner__user")
            .get(pk=sanction.register_entry_id)
        )
        if allowed:
            was_in_force = sanction.status == Sanction.Status.IN_FORCE
            sanction.status = Sanction.Status.QUASHED
            sanction.ended_at = timezone.now()
            save_with_history(sanction, actor=actor, reason="quashed on appeal", fields=["status", "ended_at"])
            audit_record(actor=actor, action="sanction.quashed", obj=sanction, reason=reason)
            _take_down(sanction.publications.all(), actor=actor, reason=_("Quashed on appeal"))
            if was_in_force:
                _restore_after(sanction, actor=None, reason=_("Sanction quashed on appeal"))
            if sanction.invoice_id is not None:
                from licensing.services import fine_invoice_cancel

                fine_invoice_cancel(invoice_id=sanction.invoice_id, actor=actor, reason=_("Fine quashed on appeal"))
        elif sanction.status == Sanction.Status.STAYED:
            sanction.status = Sanction.Status.IN_FORCE
            save_with_history(sanction, actor=actor, reason="appeal dismissed", fields=["status"])
            audit_record(actor=actor, action="sanction.reinstated", obj=sanction, reason=reason)
            _sanction_restrict(sanction, entry=entry)
            _publish(
                actor=actor,
                entry=entry,
                kind=sanction.kind,
                summary=appeal.decision.public_summary,
                start_date=council_today(),
                end_date=sanction.end_date,
                sanction=sanction,
            )
    case = _lock_case(appeal.case)
    case.outcome = reason
    _move_case(case, actor=actor, to=Case.Status.CLOSED, reason=_("Appeal decided"), fields=["outcome"])
    message = _("The appeal was allowed and the sanction quashed.") if allowed else _("The appeal was dismissed.")
    _notify_complainant(case.complaint, message)
    _notify_practitioner(case.register_entry, message, case)
    return appeal


# Scheduled jobs: sanctions ending and notices coming down -----------------------------------------

_SANCTIONS_DUE_SQL = """
SELECT s.id, s.register_entry_id, s.kind, s.restore_status, s.restore_conditions, e.status, e.conditions,
       e.registration_number, s.case_id
FROM discipline_sanction s JOIN registry_registerentry e ON e.id = s.register_entry_id
WHERE s.status = 'IN_FORCE' AND s.kind IN ('SUSPENSION', 'CONDITIONS') AND s.end_date <= %(on_date)s
ORDER BY s.id
"""

# Another restriction still in force on the same entry keeps it restricted when one sanction ends.
_OTHER_RESTRICTIONS_SQL = """
SELECT register_entry_id FROM discipline_sanction
WHERE status = 'IN_FORCE' AND kind IN ('SUSPENSION', 'CONDITIONS', 'REMOVAL') AND {entry_in}
  AND NOT ({sanction_in})
UNION
SELECT register_entry_id FROM discipline_interimorder WHERE status = 'IN_FORCE' AND {entry_in}
"""


def sanctions_end_due(*, on_date: dt.date) -> int:
    """End every suspension and conditions order whose end date has come, and restore the entries. Idempotent.

    Set-based: one UPDATE for the sanctions and one for the entries, with their history rows and audit
    events written in sets. An entry is restored only if it still shows the sanction's restriction and
    nothing else restricts it; the sanction ends either way.
    """
    with transaction.atomic():
        lock = " FOR UPDATE OF s, e" if on_postgresql() else ""
        due = fetch(_SANCTIONS_DUE_SQL + lock, {"on_date": db_date(on_date)})
        if not due:
            return 0
        now, db_now_value = db_now()
        reason = _("Sanction period ended")
        sanction_ids = [row[0] for row in due]
        entry_ids = sorted({row[1] for row in due})
        sanction_in, sanction_params = id_in("id", "sanction", sanction_ids)
        entry_in, entry_params = id_in("register_entry_id", "entry", entry_ids)
        still_restricted = {
            row[0]
            for row in fetch(
                _OTHER_RESTRICTIONS_SQL.format(entry_in=entry_in, sanction_in=sanction_in),
                {**entry_params, **sanction_params},
            )
        }
        params = {**sanction_params, **history_params(actor=None, reason=reason, history_date=now), "now": db_now_value}
        execute(
            "UPDATE discipline_sanction SET status = 'ENDED', ended_at = %(now)s, updated_at = %(now)s "  # noqa: S608
            f"WHERE {sanction_in}",
            params,
        )
        history_copy_rows(model=Sanction, where=sanction_in, params=params, history_type="~")
        restores: dict[int, tuple[str, str, str, str, str]] = {}
        for _id, entry_id, kind, restore_status, restore_conditions, status, conditions, number, _case in due:
            shows_it = status == (
                EntryStatus.SUSPENDED if kind == SanctionKind.SUSPENSION else EntryStatus.REGISTERED_WITH_CONDITIONS
            )
            if shows_it and restore_status and entry_id not in still_restricted:
                restores[entry_id] = (restore_status, restore_conditions, status, conditions, number)
        if restores:
            cte, cte_params = values_cte(
                "restored",
                ("entry_id", "new_status", "new_conditions"),
                [(entry_id, values[0], values[1]) for entry_id, values in sorted(restores.items())],
            )
            restored_in, restored_params = id_in("id", "restored_entry", sorted(restores))
            execute(
                f"WITH {cte} UPDATE registry_registerentry SET "  # noqa: S608 - fragments are this module's
                "status = (SELECT new_status FROM restored WHERE restored.entry_id = registry_registerentry.id), "
                "conditions = (SELECT new_conditions FROM restored "
                "WHERE restored.entry_id = registry_registerentry.id), "
                f"status_changed_at = %(now)s, updated_at = %(now)s WHERE {restored_in}",
                {**cte_params, **restored_params, "now": db_now_value},
            )
            history_copy_rows(
                model=RegisterEntry, where=restored_in, params={**params, **restored_params}, history_type="~"
            )
            audit_record_rows(
                actor=None,
                action="register_entry.status_changed",
                model=RegisterEntry,
                reason=reason,
                rows=[
                    AuditRow(
                        entry_id,
                        f"#{entry_id} {values[4]}",  # RegisterEntry.__str__
                        before={"status": values[2], "conditions": values[3]},
                        after={"status": values[0], "conditions": values[1]},
                    )
                    for entry_id, values in sorted(restores.items())
                ],
            )
        audit_record_rows(
            actor=None,
            action="sanction.ended",
            model=Sanction,
            reason=reason,
            rows=[
                AuditRow(
                    row[0],
                    f"#{row[0]} {row[2]} on case {row[8]}",  # Sanction.__str__
                    after={"status": "ENDED", "entry_restored": row[1] in restores},
                )
                for row in due
            ],
        )
        users = RegisterEntry.objects.filter(pk__in=entry_ids, practitioner__user__isnull=False).select_related(
            "practitioner__user"
        )
        notification_queue_many(
            kind="sanction_ended",
            items=[
                (entry.practitioner.user, {"entry": entry}) for entry in users if entry.practitioner.user is not None
            ],
        )
        return len(due)


def publications_take_down_due(*, on_date: dt.date) -> int:
    """Take down every public notice whose publication period has ended. Idempotent and set-based."""
    with transaction.atomic():
        now, db_now_value = db_now()
        reason = _("Publication period ended")
        due = fetch(
            "UPDATE discipline_publication SET status = 'TAKEN_DOWN', taken_down_at = %(now)s, updated_at = %(now)s "
            "WHERE status = 'PUBLISHED' AND publish_until IS NOT NULL AND publish_until <= %(on_date)s "
            "RETURNING id, register_entry_id, kind",
            {"now": db_now_value, "on_date": db_date(on_date)},
        )
        if not due:
            return 0
        due.sort()
        taken_in, taken_params = id_in("id", "publication", [row[0] for row in due])
        history_copy_rows(
            model=Publication,
            where=taken_in,
            params={**taken_params, **history_params(actor=None, reason=reason, history_date=now)},
            history_type="~",
        )
        audit_record_rows(
            actor=None,
            action="publication.taken_down",
            model=Publication,
            reason=reason,
            rows=[
                AuditRow(pk, f"#{pk} {kind}", after={"register_entry": entry_id, "kind": kind, "status": "TAKEN_DOWN"})
                for pk, entry_id, kind in due
            ],
        )
        return len(due)


def discipline_daily_run(*, on_date: dt.date | None = None) -> tuple[int, int]:
    """The nightly job: sanctions that have run their course end, then notices whose time is up come down."""
    on_date = on_date or council_today()
    return sanctions_end_due(on_date=on_date), publications_take_down_due(on_date=on_date)
