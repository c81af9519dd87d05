"""Every write to the register: one function per business action.

Each takes `actor=` (None means the system), runs in one transaction, locks the row it changes,
checks the lifecycle table, saves with update_fields, and writes its audit event and history row.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.crypto import mask
from core.exceptions import ApplicationError, InvalidTransition
from core.models import User
from core.selectors import council_today, ruleset_in_force
from core.services import notification_queue, permission_require
from core.uploads import upload_check
from registry.exceptions import ApplicationIncomplete, RequirementsNotMet
from registry.lifecycles import APPLICATION_TRANSITIONS, REGISTER_ENTRY_TRANSITIONS
from registry.models import (
    MASKED_FIELDS,
    Application,
    ApplicationDocument,
    Employer,
    Employment,
    InformationRequest,
    Practitioner,
    Qualification,
    RegisterCategory,
    RegisterEntry,
)
from registry.numbers import registration_number_next
from registry.requirements import unmet_requirements

AppStatus = Application.Status
EntryStatus = RegisterEntry.Status

# The fields an applicant fills in while the application is a draft.
APPLICATION_DRAFT_FIELDS = frozenset(
    {
        "given_names",
        "family_name",
        "previous_names",
        "date_of_birth",
        "sex",
        "region",
        "national_id",
        "phone",
        "address",
        "qualification_type",
        "institution_name",
        "qualification_awarded_date",
        "employer_name",
        "job_title",
        "employment_is_paid",
        "employment_sector",
        "supervised_practice_hours",
        "declaration_accepted",
    }
)
REQUIRED_DOCUMENT_KINDS = (ApplicationDocument.Kind.IDENTITY, ApplicationDocument.Kind.DEGREE)
# Staff may set these statuses directly. REMOVED needs a second member of staff and is not offered here.
STAFF_SETTABLE_ENTRY_STATUSES = frozenset(
    {
        EntryStatus.REGISTERED,
        EntryStatus.REGISTERED_WITH_CONDITIONS,
        EntryStatus.SUSPENDED,
        EntryStatus.LAPSED,
        EntryStatus.VOLUNTARILY_REMOVED,
        EntryStatus.DECEASED,
    }
)


def _lock_application(application_id: int) -> Application:
    return Application.objects.select_for_update(of=("self",)).select_related("category").get(pk=application_id)


def _save(instance: Any, *, actor: User | None, reason: str, fields: Iterable[str]) -> None:
    """Save only the named fields, with the history row's user and change reason."""
    instance._history_user = actor
    instance._change_reason = reason[:100]
    instance.save(update_fields=[*fields, "updated_at"])


def _move_application(
    application: Application,
    to_status: str,
    *,
    actor: User | None,
    action: str,
    reason: str = "",
    fields: Iterable[str] = (),
    after: Mapping[str, Any] | None = None,
) -> None:
    """The one place an application's status changes."""
    from_status = application.status
    if to_status not in APPLICATION_TRANSITIONS[from_status]:
        raise InvalidTransition(
            _("An application that is %(from)s cannot become %(to)s.")
            % {"from": AppStatus(from_status).label, "to": AppStatus(to_status).label}
        )
    application.status = to_status
    _save(application, actor=actor, reason=reason or action, fields=["status", *fields])
    audit_record(
        actor=actor,
        action=action,
        obj=application,
        reason=reason,
        before={"status": from_status},
        after={"status": to_status, **(after or {})},
    )


def _require_applicant(application: Application, actor: User) -> None:
    if application.applicant_id != actor.pk:
        raise ApplicationError(_("Only the applicant can change this application."))


_require_permission = permission_require


# Applicant actions ---------------------------------------------------------------------------


@transaction.atomic
def application_start(*, actor: User, category: RegisterCategory) -> Application:
    if not category.is_open_for_applications:
        raise ApplicationError(_("This category is not open for applications."))
    practitioner = Practitioner.objects.filter(user=actor).first()
    if practitioner is not None and (blocked := reapply_block(practitioner)) is not None:
        raise ApplicationError(blocked)
    if practitioner is not None and practitioner.register_entries.filter(category=category).exists():
        raise ApplicationError(_("You are already on the register in this category."))
    application = Application(applicant=actor, category=category)
    if practitioner is not None:
        application.given_names = practitioner.given_names
        application.family_name = practitioner.family_name
        application.date_of_birth = practitioner.date_of_birth
        application.national_id = practitioner.national_id
    application._history_user = actor  # type: ignore[attr-defined]
    application._change_reason = "application started"  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            application.save(force_insert=True)
    except IntegrityError as exc:
        raise ApplicationError(_("You already have an open application in this category.")) from exc
    audit_record(actor=actor, action="application.started", obj=application, after={"category": category.code})
    return application


@transaction.atomic
def application_save_draft(*, actor: User, application: Application, data: Mapping[str, Any]) -> Application:
    """Save answers from one step of the form. Only draft applications can be edited."""
    unknown = set(data) - APPLICATION_DRAFT_FIELDS
    if unknown:
        raise ApplicationError(
            _("These fields cannot be changed: %(fields)s.") % {"fields": ", ".join(sorted(unknown))}
        )
    application = _lock_application(application.pk)
    _require_applicant(application, actor)
    if application.status != AppStatus.DRAFT:
        raise InvalidTransition(_("Only a draft application can be edited."))
    before = {name: getattr(application, name) for name in data}
    for name, value in data.items():
        setattr(application, name, value)
    changed = [name for name in data if before[name] != getattr(application, name)]
    if not changed:
        return application
    application.full_clean(exclude=["applicant", "category", "status"], validate_unique=False)
    _save(application, actor=actor, reason="draft saved", fields=changed)
    audit_record(
        actor=actor,
        action="application.draft_saved",
        obj=application,
        before={name: _audited(name, before[name]) for name in changed},
        after={name: _audited(name, getattr(application, name)) for name in changed},
    )
    return application


def _audited(name: str, value: Any) -> Any:
    """What an audit event records of an answer: a row by its id, an identifier masked (never in full)."""
    if name in MASKED_FIELDS:
        return mask(value)
    return value.pk if hasattr(value, "pk") else value


@transaction.atomic
def application_document_add(
    *, actor: User, application: Application, kind: str, uploaded: UploadedFile
) -> ApplicationDocument:
    """Attach evidence. The file's real type is checked from its content; nothing is stored if it fails."""
    checked = upload_check(uploaded=uploaded)
    application = _lock_application(application.pk)
    _require_applicant(application, actor)
    if application.status not in (AppStatus.DRAFT, AppStatus.INFO_REQUESTED):
        raise InvalidTransition(_("Documents can only be added to a draft, or when information is requested."))
    if kind not in ApplicationDocument.Kind.values:
        raise ApplicationError(_("Choose what kind of document this is."))
    original_name = (uploaded.name or "upload")[:255]
    # Stored under a name we choose, with the extension of its real type.
    uploaded.name = f"{application.pk}-{kind.lower()}.{checked.extension}"
    document = ApplicationDocument(
        application=application,
        kind=kind,
        file=uploaded,
        original_name=original_name,
        content_type=checked.content_type,
        size_bytes=checked.size_bytes,
        sha256=checked.sha256,
        uploaded_by=actor,
    )
    document._history_user = actor  # type: ignore[attr-defined]
    document._change_reason = "document uploaded"  # type: ignore[attr-defined]
    document.save(force_insert=True)
    audit_record(
        actor=actor,
        action="application.document_added",
        obj=application,
        after={"document": document.pk, "kind": kind, "sha256": checked.sha256, "size_bytes": checked.size_bytes},
    )
    return document


def application_problems(application: Application) -> list[str]:
    """What still has to be answered before the application can be submitted."""
    problems = []
    if not application.given_names or not application.family_name:
        problems.append(_("Enter your name."))
    if application.date_of_birth is None:
        problems.append(_("Enter your date of birth."))
    if not application.national_id:
        problems.append(_("Enter your national ID number."))
    if application.qualification_type_id is None or not application.institution_name:
        problems.append(_("Tell us about your qualification."))
    if application.qualification_awarded_date is None:
        problems.append(_("Enter the date your qualification was awarded."))
    kinds = {document.kind for document in application.documents.all()}
    problems.extend(
        _("Upload your %(document)s.") % {"document": required.label.lower()}
        for required in REQUIRED_DOCUMENT_KINDS
        if required not in kinds
    )
    if not application.declaration_accepted:
        problems.append(_("Confirm the declaration."))
    return problems


@transaction.atomic
def application_submit(*, actor: User, application: Application) -> Application:
    application = _lock_application(application.pk)
    _require_applicant(application, actor)
    if application.status != AppStatus.DRAFT:
        raise InvalidTransition(_("This application has already been submitted."))
    problems = application_problems(application)
    if problems:
        raise ApplicationIncomplete(_("The application is not complete."), problems)
    application.submitted_at = timezone.now()
    _move_application(
        application, AppStatus.SUBMITTED, actor=actor, action="application.submitted", fields=["submitted_at"]
    )
    notification_queue(recipient=actor, kind="application_submitted", context={"application": application})
    return application


@transaction.atomic
def application_respond(*, actor: User, application: Application, response: str) -> Application:
    """The applicant answers an information request; the application goes back to review."""
    response = response.strip()
    if not response:
        raise ApplicationError(_("Enter your answer to the council's request."))
    application = _lock_application(application.pk)
    _require_applicant(application, actor)
    if application.status != AppStatus.INFO_REQUESTED:
        raise InvalidTransition(_("The council has not asked for more information."))
    request = application.information_requests.select_for_update().get(responded_at__isnull=True)
    request.response = response
    request.responded_at = timezone.now()
    _save(request, actor=actor, reason="applicant responded", fields=["response", "responded_at"])
    _move_application(
        application,
        AppStatus.IN_REVIEW,
        actor=actor,
        action="application.information_provided",
        after={"information_request": request.pk},
    )
    if application.assigned_to is not None:
        notification_queue(
            recipient=application.assigned_to, kind="information_provided", context={"application": application}
        )
    return application


@transaction.atomic
def application_withdraw(*, actor: User, application: Application, reason: str = "") -> Application:
    application = _lock_application(application.pk)
    _require_applicant(application, actor)
    _move_application(application, AppStatus.WITHDRAWN, actor=actor, action="application.withdrawn", reason=reason)
    return application


# Staff actions -------------------------------------------------------------------------------


@transaction.atomic
def application_assign(*, actor: User, application: Application, officer: User) -> Application:
    _require_permission(actor, "registry.assign_application")
    if not officer.has_perm("registry.review_application"):
        raise ApplicationError(_("%(name)s cannot review applications.") % {"name": officer.display_name})
    application = _lock_application(application.pk)
    if application.status not in (AppStatus.SUBMITTED, AppStatus.IN_REVIEW, AppStatus.INFO_REQUESTED):
        raise InvalidTransition(_("Only a submitted application under review can be assigned."))
    previous = application.assigned_to_id
    application.assigned_to = officer
    if application.status == AppStatus.SUBMITTED:
        _move_application(
            application,
            AppStatus.IN_REVIEW,
            actor=actor,
            action="application.assigned",
            fields=["assigned_to"],
            after={"assigned_to": officer.pk},
        )
    else:
        _save(application, actor=actor, reason="application reassigned", fields=["assigned_to"])
        audit_record(
            actor=actor,
            action="application.reassigned",
            obj=application,
            before={"assigned_to": previous},
            after={"assigned_to": officer.pk},
        )
    if officer.pk != actor.pk:
        notification_queue(recipient=officer, kind="application_assigned", context={"application": application})
    return application


@transaction.atomic
def application_request_information(*, actor: User, application: Application, message: str) -> Application:
    _require_permission(actor, "registry.review_application")
    message = message.strip()
    if not message:
        raise ApplicationError(_("Say what information the applicant must provide."))
    application = _lock_application(application.pk)
    if application.status != AppStatus.IN_REVIEW:
        raise InvalidTransition(_("Information can only be requested while the application is in review."))
    request = InformationRequest(application=application, requested_by=actor, message=message)
    request._history_user = actor  # type: ignore[attr-defined]
    request._change_reason = "information requested"  # type: ignore[attr-defined]
    request.save(force_insert=True)
    _move_application(
        application,
        AppStatus.INFO_REQUESTED,
        actor=actor,
        action="application.information_requested",
        reason=message,
        after={"information_request": request.pk},
    )
    notification_queue(
        recipient=application.applicant,
        kind="information_requested",
        context={"application": application, "message": message},
    )
    return application


@transaction.atomic
def application_recommend(*, actor: User, application: Application, recommendation: str, note: str) -> Application:
    _require_permission(actor, "registry.review_application")
    note = note.strip()
    if recommendation not in (Application.Recommendation.APPROVE, Application.Recommendation.REFUSE):
        raise ApplicationError(_("Choose whether you recommend approval or refusal."))
    if recommendation == Application.Recommendation.REFUSE and not note:
        raise ApplicationError(_("Give the reasons for recommending refusal."))
    application = _lock_application(application.pk)
    if application.status != AppStatus.IN_REVIEW:
        raise InvalidTransition(_("Only an application in review can be given a recommendation."))
    before = {"recommendation": application.recommendation}
    application.recommendation = recommendation
    application.recommendation_note = note
    application.recommended_by = actor
    _save(
        application,
        actor=actor,
        reason="recommendation",
        fields=["recommendation", "recommendation_note", "recommended_by"],
    )
    audit_record(
        actor=actor,
        action="application.recommended",
        obj=application,
        reason=note,
        before=before,
        after={"recommendation": recommendation},
    )
    return application


@transaction.atomic
def application_decide(*, actor: User, application: Application, approve: bool, reason: str) -> Application:
    """The registrar's decision. Approval puts the person on the register with a new number."""
    _require_permission(actor, "registry.decide_application")
    reason = reason.strip()
    if not approve and not reason:
        raise ApplicationError(_("Give the reasons for refusing this application."))
    application = _lock_application(application.pk)
    if application.status != AppStatus.IN_REVIEW:
        raise InvalidTransition(
            _("This application is %(status)s, so it cannot be decided now.")
            % {"status": AppStatus(application.status).label.lower()}
        )
    now = timezone.now()
    application.decided_at = now
    application.decided_by = actor
    application.decision_reason = reason
    application.rule_set = ruleset_in_force(on_date=timezone.localdate(now))
    decision_fields = ["decided_at", "decided_by", "decision_reason", "rule_set"]
    if not approve:
        _move_application(
            application,
            AppStatus.REFUSED,
            actor=actor,
            action="application.refused",
            reason=reason,
            fields=decision_fields,
        )
        notification_queue(
            recipient=application.applicant,
            kind="application_refused",
            context={"application": application, "reasons": reason},
        )
        return application
    problems = unmet_requirements(application)
    if problems:
        raise RequirementsNotMet(_("The category's requirements are not met."), problems)
    entry = _register_from_application(application, actor=actor, registered_at=now)
    _move_application(
        application,
        AppStatus.APPROVED,
        actor=actor,
        action="application.approved",
        reason=reason,
        fields=decision_fields,
        after={"register_entry": entry.pk, "registration_number": entry.registration_number},
    )
    notification_queue(
        recipient=application.applicant,
        kind="application_approved",
        context={"application": application, "entry": entry},
    )
    return application


def _register_from_application(application: Application, *, actor: User, registered_at: Any) -> RegisterEntry:
    practitioner = Practitioner.objects.select_for_update().filter(user=application.applicant).first()
    reason = f"approved {application.reference}"
    if practitioner is None:
        practitioner = Practitioner(user=application.applicant, email=application.applicant.email)
    for name in (
        "given_names",
        "family_name",
        "previous_names",
        "date_of_birth",
        "sex",
        "region_id",
        "national_id",
        "phone",
        "address",
    ):
        setattr(practitioner, name, getattr(application, name))
    practitioner._history_user = actor  # type: ignore[attr-defined]
    practitioner._change_reason = reason  # type: ignore[attr-defined]
    practitioner.save()
    if application.qualification_type_id is not None and application.qualification_awarded_date is not None:
        qualification = Qualification(
            practitioner=practitioner,
            qualification_type_id=application.qualification_type_id,
            institution_name=application.institution_name,
            awarded_date=application.qualification_awarded_date,
        )
        qualification._history_user = actor  # type: ignore[attr-defined]
        qualification._change_reason = reason  # type: ignore[attr-defined]
        qualification.save(force_insert=True)
    if application.employer_name and application.employment_sector:
        employer = _employer_for(application, actor=actor, reason=reason)
        employment = Employment(
            practitioner=practitioner,
            employer=employer,
            job_title=application.job_title or "-",
            is_paid=bool(application.employment_is_paid),
            sector=application.employment_sector,
        )
        employment._history_user = actor  # type: ignore[attr-defined]
        employment._change_reason = reason  # type: ignore[attr-defined]
        employment.save(force_insert=True)
    entry = RegisterEntry(
        practitioner=practitioner,
        category=application.category,
        registration_number=registration_number_next(category=application.category),
        status=EntryStatus.REGISTERED,
        registered_date=timezone.localdate(registered_at),
        status_changed_at=registered_at,
        application=application,
    )
    entry._history_user = actor  # type: ignore[attr-defined]
    entry._change_reason = reason  # type: ignore[attr-defined]
    try:
        with transaction.atomic():
            entry.save(force_insert=True)
    except IntegrityError as exc:
        raise ApplicationError(_("This person is already on the register in this category.")) from exc
    audit_record(
        actor=actor,
        action="register_entry.registered",
        obj=entry,
        reason=reason,
        after={"status": entry.status, "registration_number": entry.registration_number, "application": application.pk},
    )
    return entry


def _employer_for(application: Application, *, actor: User, reason: str) -> Employer:
    """The employer named on an application, recorded the first time anyone names it."""
    employer = Employer.objects.filter(name__iexact=application.employer_name).order_by("pk").first()
    if employer is not None:
        return employer
    employer = Employer(name=application.employer_name, sector=application.employment_sector)
    employer._history_user = actor  # type: ignore[attr-defined]
    employer._change_reason = reason  # type: ignore[attr-defined]
    employer.save(force_insert=True)
    audit_record(
        actor=actor,
        action="employer.recorded",
        obj=employer,
        reason=reason,
        after={"name": employer.name, "sector": employer.sector},
    )
    return employer


def reapply_block(practitioner: Practitioner) -> str | None:
    """Why a removed person may not apply or be restored yet (settings.REGISTRY_REAPPLY_CHECK), or None."""
    check: Callable[[Practitioner, Any], str | None] = import_string(
        getattr(settings, "REGISTRY_REAPPLY_CHECK", "discipline.requirements.reapply_block")
    )
    return check(practitioner, council_today())


@transaction.atomic
def register_entry_change_status(
    *, actor: User | None, entry: RegisterEntry, status: str, reason: str, conditions: str = ""
) -> RegisterEntry:
    """Change a register entry's status, with the reason.

    The actor is None for scheduled jobs and for sanctions taking effect (which were themselves
    decided with a second member of staff); staff acting directly cannot remove anyone from here.
    """
    reason = reason.strip()
    conditions = conditions.strip()
    if actor is not None:
        _require_permission(actor, "registry.change_register_status")
        if status not in STAFF_SETTABLE_ENTRY_STATUSES:
            raise ApplicationError(_("Removal from the register needs a second member of staff's approval."))
    if not reason:
        raise ApplicationError(_("Give the reason for this change of status."))
    if status == EntryStatus.REGISTERED_WITH_CONDITIONS and not conditions:
        raise ApplicationError(_("State the conditions the practitioner must meet."))
    entry = RegisterEntry.objects.select_for_update().get(pk=entry.pk)
    from_status = entry.status
    if from_status == EntryStatus.REMOVED and (blocked := reapply_block(entry.practitioner)) is not None:
        raise ApplicationError(blocked)
    if status not in REGISTER_ENTRY_TRANSITIONS[from_status]:
        raise InvalidTransition(
            _("A register entry that is %(from)s cannot become %(to)s.")
            % {"from": EntryStatus(from_status).label, "to": EntryStatus(status).label}
        )
    before = {"status": from_status, "conditions": entry.conditions}
    entry.status = status
    entry.conditions = conditions if status == EntryStatus.REGISTERED_WITH_CONDITIONS else ""
    entry.status_changed_at = timezone.now()
    _save(entry, actor=actor, reason=reason, fields=["status", "conditions", "status_changed_at"])
    audit_record(
        actor=actor,
        action="register_entry.status_changed",
        obj=entry,
        reason=reason,
        before=before,
        after={"status": status, "conditions": entry.conditions},
    )
    if from_status == EntryStatus.REMOVED:
        restored: Callable[..., None] = import_string(
            getattr(settings, "REGISTRY_RESTORED_HOOK", "discipline.services.removal_lifted")
        )
        restored(entry=entry, actor=actor, reason=reason)
    practitioner_user = entry.practitioner.user
    if practitioner_user is not None:
        notification_queue(
            recipient=practitioner_user, kind="register_status_changed", context={"entry": entry, "reason": reason}
        )
    return entry


# Merging duplicate people ---------------------------------------------------------------------

# Personal fields a merge fills on the kept record when it has none and the other record has one.
_MERGE_FILLED_FIELDS = (
    "previous_names",
    "date_of_birth",
    "sex",
    "region",
    "national_id",
    "email",
    "phone",
    "address",
    "work_town",
)


@transaction.atomic
def practitioner_merge(*, actor: User, keep: Practitioner, absorb: Practitioner, reason: str) -> Practitioner:
    """Join two records of one person. Everything that belonged to `absorb` (register entries,
    qualifications, employment, invoices, CPD, bookings, complaints: every relation that points at a
    practitioner, found by walking the models) moves to `keep`, each moved row with a history row;
    blank personal fields of `keep` are filled from `absorb`; `absorb` stays, marked merged into
    `keep`, with its own history intact. One audit event lists what moved."""
    from core.history import update_with_history
    from core.person_graph import references_to

    permission_require(actor, "legacy.merge_practitioners")
    if not reason.strip():
        raise ApplicationError(_("Give the reason for the merge."))
    locked = {
        practitioner.pk: practitioner
        for practitioner in Practitioner.objects.select_for_update().filter(pk__in=[keep.pk, absorb.pk])
    }
    if keep.pk == absorb.pk or len(locked) != 2:
        raise ApplicationError(_("Choose two different people to merge."))
    keep, absorb = locked[keep.pk], locked[absorb.pk]
    if keep.merged_into_id or absorb.merged_into_id:
        raise ApplicationError(_("One of these records has already been merged into another."))
    if keep.user_id and absorb.user_id:
        raise ApplicationError(
            _(
                "Both records have their own sign-in account, so they cannot be merged here: the person "
                "would lose one account's history. Ask them which account they use, and close the other first."
            )
        )
    shared = RegisterEntry.objects.filter(practitioner=keep, category__in=absorb.register_entries.values("category"))
    if shared.exists():
        numbers = ", ".join(
            sorted(
                RegisterEntry.objects.filter(
                    practitioner__in=[keep, absorb], category__in=shared.values("category")
                ).values_list("registration_number", flat=True)
            )
        )
        raise ApplicationError(
            _(
                "Both records are registered in the same category (%(numbers)s), and a person holds one "
                "registration per category. Decide which number stands, and close the other entry first."
            )
            % {"numbers": numbers}
        )
    history_reason = f"merged #{absorb.pk} into #{keep.pk}"
    moved: dict[str, list[int]] = {}
    for reference in references_to(Practitioner):
        if reference.is_history or reference.is_many_to_many or reference.field.name == "merged_into":
            continue
        if getattr(reference.model, "merge_keeps_reference", False):
            continue  # rows about the merge itself (legacy.DuplicatePair), which its caller updates
        model, attname = reference.model, reference.field.attname
        rows = list(model._default_manager.filter(**{attname: absorb.pk}))
        if not rows:
            continue
        try:
            with transaction.atomic():
                if hasattr(model, "history"):
                    update_with_history(
                        model=model, objs=rows, changes={attname: keep.pk}, actor=actor, reason=history_reason
                    )
                else:
                    model._default_manager.filter(pk__in=[row.pk for row in rows]).update(**{attname: keep.pk})
        except IntegrityError as error:
            raise ApplicationError(
                _("The records cannot be merged: their %(records)s conflict. Resolve that first.")
                % {"records": model._meta.verbose_name_plural}
            ) from error
        moved[reference.label] = sorted(row.pk for row in rows)
    columns = {field.name: field.attname for field in Practitioner._meta.concrete_fields}
    attnames = {name: columns[name] for name in _MERGE_FILLED_FIELDS}
    filled = [name for name, attname in attnames.items() if not getattr(keep, attname) and getattr(absorb, attname)]
    for name in filled:
        setattr(keep, attnames[name], getattr(absorb, attnames[name]))
    if absorb.user_id and not keep.user_id:
        user_id = absorb.user_id
        absorb.user = None
        _save(absorb, actor=actor, reason=history_reason, fields=["user"])
        keep.user_id = user_id
        filled.append("user")
    if filled:
        _save(keep, actor=actor, reason=history_reason, fields=filled)
    absorb.merged_into = keep
    absorb.merged_at = timezone.now()
    _save(absorb, actor=actor, reason=history_reason, fields=["merged_into", "merged_at"])
    audit_record(
        actor=actor,
        action="practitioner.merged",
        obj=keep,
        reason=reason,
        before={"merged": absorb.pk, "name": absorb.full_name},
        after={"moved": moved, "filled": filled},
    )
    return keep
