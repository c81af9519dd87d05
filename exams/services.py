"""Every write to the exams module: one function per business action.

Each takes `actor=`, runs in one transaction, locks what it changes, and writes an audit event and a
history row. Results are DRAFT until published; a published result is never changed (the database
refuses it), and a correction is a new, published version with a reason.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditItem, AuditRow, audit_record, audit_record_many, audit_record_rows
from core.exceptions import ApplicationError
from core.history import save_with_history, update_with_history
from core.models import User
from core.selectors import council_today, ruleset_in_force
from core.services import notification_queue, notification_queue_many, permission_require
from exams import rules, selectors
from exams.models import (
    AccommodationRequest,
    ApprovalToTest,
    Booking,
    ConflictOfInterest,
    Exam,
    ExamVersion,
    Result,
    ResultImport,
    Sitting,
    booking_id_from_candidate_number,
)
from exams.results_file import MAX_FILE_BYTES, FileCheck, results_file_check, results_file_decode
from licensing.models import FeeType
from licensing.services import fee_invoice_issue
from registry.models import Application, Practitioner


class NotEligible(ApplicationError):
    """The person has no route to this exam, or has used it up."""


class SittingFull(ApplicationError):
    """Every seat at the sitting is taken."""


class ConflictedExaminer(ApplicationError):
    """The examiner declared a conflict of interest with a candidate whose result they tried to record."""


class ImportHasErrors(ApplicationError):
    """The results file has problems; nothing was imported."""


_save = save_with_history


_require = permission_require


# Setting up ---------------------------------------------------------------------------------


@transaction.atomic
def sitting_create(
    *,
    actor: User,
    version: ExamVersion,
    code: str,
    starts_at: dt.datetime,
    is_online: bool,
    venue: str,
    capacity: int,
    booking_opens_at: dt.datetime,
    booking_closes_at: dt.datetime,
) -> Sitting:
    _require(actor, "exams.manage_exams")
    venue = venue.strip()
    if not is_online and not venue:
        raise ApplicationError(_("Give the venue, or mark the sitting as online."))
    if capacity < 1:
        raise ApplicationError(_("A sitting needs at least one seat."))
    if not booking_opens_at < booking_closes_at <= starts_at:
        raise ApplicationError(_("Booking must open before it closes, and close no later than the sitting starts."))
    if Sitting.objects.filter(code=code).exists():
        raise ApplicationError(_("Another sitting already has the code %(code)s.") % {"code": code})
    sitting = Sitting(
        code=code,
        version=version,
        starts_at=starts_at,
        is_online=is_online,
        venue=venue,
        capacity=capacity,
        booking_opens_at=booking_opens_at,
        booking_closes_at=booking_closes_at,
        created_by=actor,
    )
    _save(sitting, actor=actor, reason="sitting scheduled")
    audit_record(
        actor=actor,
        action="exam_sitting.scheduled",
        obj=sitting,
        after={
            "code": code,
            "version": version.pk,
            "starts_at": starts_at.isoformat(),
            "capacity": capacity,
            "online": is_online,
            "venue": venue,
        },
    )
    return sitting


@transaction.atomic
def approval_grant(*, actor: User, candidate: User, exam: Exam, reason: str, expires_date: dt.date) -> ApprovalToTest:
    """A registrar approves a person to sit an exam outside an application route (e.g. an overseas qualification)."""
    _require(actor, "exams.approve_to_test")
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give the reason for approving this person to test."))
    if expires_date < council_today():
        raise ApplicationError(_("The approval cannot expire in the past."))
    approval = ApprovalToTest(
        candidate=candidate, exam=exam, reason=reason, expires_date=expires_date, granted_by=actor
    )
    _save(approval, actor=actor, reason="approved to test")
    audit_record(
        actor=actor,
        action="exam_approval.granted",
        obj=approval,
        reason=reason,
        after={"candidate": candidate.pk, "exam": exam.code, "expires_date": expires_date.isoformat()},
    )
    notification_queue(recipient=candidate, kind="exam_approval_granted", context={"approval": approval})
    return approval


# Booking ------------------------------------------------------------------------------------


def _practitioner_for(*, actor: User, application: Application | None) -> Practitioner:
    """The candidate's person record (invoices are billed to it), made from their application the first time."""
    practitioner = Practitioner.objects.select_for_update().filter(user=actor).first()
    if practitioner is not None:
        return practitioner
    source: Any = application
    practitioner = Practitioner(
        user=actor,
        email=actor.email,
        given_names=(source.given_names if source else "") or actor.display_name,
        family_name=source.family_name if source else "",
        date_of_birth=source.date_of_birth if source else None,
        national_id=source.national_id if source else "",
    )
    _save(practitioner, actor=actor, reason="exam candidate")
    audit_record(actor=actor, action="practitioner.recorded", obj=practitioner, reason="exam candidate")
    return practitioner


def _institution_for(practitioner: Practitioner, application: Application | None) -> str:
    if application is not None and application.institution_name:
        return application.institution_name
    latest = practitioner.qualifications.order_by("-awarded_date").first()
    return latest.institution_name if latest is not None else ""


@transaction.atomic
def booking_create(*, actor: User, sitting: Sitting) -> Booking:
    """Book a seat. The sitting's row is locked, so two people can never both take its last seat."""
    now = timezone.now()
    today = council_today()
    # The candidate first, then the sitting: the same order everywhere, so bookings never deadlock.
    User.objects.select_for_update().filter(pk=actor.pk).first()
    sitting = (
        Sitting.objects.select_for_update(of=("self",)).select_related("version__exam__category").get(pk=sitting.pk)
    )
    exam = sitting.version.exam
    route = selectors.exam_route(user=actor, exam=exam, on_date=today)
    if route is None:
        raise NotEligible(
            _(
                "You cannot book this exam yet: you need a submitted application in %(category)s, or the "
                "registrar's approval to test."
            )
            % {"category": exam.category.name}
        )
    if not sitting.booking_opens_at <= now < sitting.booking_closes_at:
        raise ApplicationError(_("Booking for this sitting is not open."))
    if selectors.has_passed(user=actor, exam=exam):
        raise NotEligible(_("You have already passed this exam."))
    rule_set = ruleset_in_force(on_date=today)
    if rule_set is None:
        raise ApplicationError(_("No rule version is in force today."))
    policy = rules.attempt_policy(rule_set=rule_set, exam_code=exam.code)
    attempts = selectors.attempts_for(user=actor, exam=exam)
    for attempt in attempts:
        if attempt.sitting_id == sitting.pk:
            raise ApplicationError(_("You are already booked on this sitting."))
        if attempt.sitting.starts_at > now or not attempt.results.filter(status=Result.Status.PUBLISHED).exists():
            raise NotEligible(
                _("You are booked on %(code)s; wait for its result before booking again.")
                % {"code": attempt.sitting.code}
            )
    if len(attempts) >= policy.attempt_limit:
        raise NotEligible(
            _("You have used all %(limit)s attempts allowed at this exam.") % {"limit": policy.attempt_limit}
        )
    if attempts:
        last = attempts[-1].sitting.starts_at
        earliest = timezone.localdate(last) + dt.timedelta(days=policy.retake_wait_days)
        if timezone.localdate(sitting.starts_at) < earliest:
            raise NotEligible(
                _("You must wait %(days)s days between attempts: choose a sitting on or after %(date)s.")
                % {"days": policy.retake_wait_days, "date": earliest.isoformat()}
            )
    if sitting.seats_booked >= sitting.capacity:
        raise SittingFull(_("This sitting is full. Choose another sitting."))
    practitioner = _practitioner_for(actor=actor, application=route.application)
    booking = Booking(
        sitting=sitting,
        candidate=actor,
        practitioner=practitioner,
        application=route.application,
        approval=route.approval,
        attempt_number=len(attempts) + 1,
        institution_name=_institution_for(practitioner, route.application),
        rule_set=rule_set,
    )
    try:
        with transaction.atomic():
            _save(booking, actor=actor, reason="seat booked")
    except IntegrityError as exc:
        raise ApplicationError(_("You are already booked on this sitting.")) from exc
    booking.invoice = fee_invoice_issue(
        actor=actor,
        practitioner=practitioner,
        category_code=exam.category.code,
        fee_type=FeeType.EXAM,
        description=f"Exam fee: {exam.name}, sitting {sitting.code}",
        reason=f"exam booking {booking.candidate_number}",
    )
    if booking.invoice is not None:
        _save(booking, actor=actor, reason="exam fee invoiced", fields=["invoice"])
    sitting.seats_booked += 1
    _save(sitting, actor=actor, reason="seat booked", fields=["seats_booked"])
    audit_record(
        actor=actor,
        action="exam_booking.booked",
        obj=booking,
        after={
            "sitting": sitting.code,
            "candidate_number": booking.candidate_number,
            "attempt": booking.attempt_number,
            "route": f"application {route.application.pk}" if route.application else f"approval {route.approval.pk}",  # type: ignore[union-attr]
            "invoice": booking.invoice.number if booking.invoice else None,
        },
    )
    notification_queue(recipient=actor, kind="exam_booked", context={"booking": booking, "sitting": sitting})
    return booking


# Accommodations and conflicts ---------------------------------------------------------------


@transaction.atomic
def accommodation_request(*, actor: User, booking: Booking, details: str) -> AccommodationRequest:
    details = details.strip()
    if not details:
        raise ApplicationError(_("Describe the accommodation you need."))
    booking = Booking.objects.select_for_update().select_related("sitting").get(pk=booking.pk)
    if booking.candidate_id != actor.pk:
        raise ApplicationError(_("Only the candidate can ask for an accommodation."))
    if booking.status != Booking.Status.BOOKED or booking.sitting.starts_at <= timezone.now():
        raise ApplicationError(_("Accommodations can only be requested before the sitting."))
    request = AccommodationRequest(booking=booking, details=details)
    try:
        with transaction.atomic():
            _save(request, actor=actor, reason="accommodation requested")
    except IntegrityError as exc:
        raise ApplicationError(_("You already have a request waiting for a decision.")) from exc
    audit_record(actor=actor, action="exam_accommodation.requested", obj=request, after={"booking": booking.pk})
    return request


@transaction.atomic
def accommodation_decide(
    *, actor: User, request: AccommodationRequest, approve: bool, note: str
) -> AccommodationRequest:
    _require(actor, "exams.manage_exams")
    note = note.strip()
    if not approve and not note:
        raise ApplicationError(_("Give the reason for declining the request."))
    request = AccommodationRequest.objects.select_for_update().select_related("booking__candidate").get(pk=request.pk)
    if request.status != AccommodationRequest.Status.REQUESTED:
        raise ApplicationError(_("This request has already been decided."))
    request.status = AccommodationRequest.Status.APPROVED if approve else AccommodationRequest.Status.DECLINED
    request.decided_by = actor
    request.decided_at = timezone.now()
    request.decision_note = note
    _save(
        request,
        actor=actor,
        reason=note or "accommodation approved",
        fields=["status", "decided_by", "decided_at", "decision_note"],
    )
    audit_record(
        actor=actor,
        action="exam_accommodation.decided",
        obj=request,
        reason=note,
        before={"status": AccommodationRequest.Status.REQUESTED},
        after={"status": request.status},
    )
    notification_queue(
        recipient=request.booking.candidate, kind="exam_accommodation_decided", context={"request": request}
    )
    return request


@transaction.atomic
def conflict_declare(*, actor: User, candidate_number: str, reason: str) -> ConflictOfInterest:
    """An examiner declares a conflict with the candidate holding this candidate number."""
    _require(actor, "exams.record_results")
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Describe the conflict of interest."))
    booking_id = booking_id_from_candidate_number(candidate_number)
    booking = Booking.objects.filter(pk=booking_id).select_related("candidate").first() if booking_id else None
    if booking is None:
        raise ApplicationError(_("No candidate has the number %(number)s.") % {"number": candidate_number.strip()[:40]})
    if booking.candidate_id == actor.pk:
        raise ApplicationError(_("You cannot be the examiner of your own result."))
    conflict = ConflictOfInterest(examiner=actor, candidate=booking.candidate, reason=reason)
    try:
        with transaction.atomic():
            _save(conflict, actor=actor, reason="conflict declared")
    except IntegrityError as exc:
        raise ApplicationError(_("You have already declared a conflict with this candidate.")) from exc
    audit_record(
        actor=actor,
        action="exam_conflict.declared",
        obj=conflict,
        reason=reason,
        after={"candidate": booking.candidate_id, "candidate_number": booking.candidate_number},
    )
    return conflict


def _refuse_if_conflicted(actor: User, candidate_ids: set[int]) -> None:
    if ConflictOfInterest.objects.filter(examiner=actor, candidate_id__in=candidate_ids).exists():
        raise ConflictedExaminer(
            _("You declared a conflict of interest with a candidate here; another examiner must record this.")
        )


# Results ------------------------------------------------------------------------------------


def _store_check(result_import: ResultImport, check: FileCheck) -> None:
    result_import.row_count = check.row_count
    result_import.error_count = len(check.row_errors)
    result_import.file_errors = check.file_errors
    result_import.row_errors = check.row_errors_json()


@transaction.atomic
def results_import_preview(*, actor: User, sitting: Sitting, uploaded: UploadedFile) -> ResultImport:
    """Read and check a vendor's results file and keep the report. Nothing is imported yet."""
    _require(actor, "exams.record_results")
    data = uploaded.read(MAX_FILE_BYTES + 1)
    text = results_file_decode(data)
    sitting = Sitting.objects.select_related("version").get(pk=sitting.pk)
    check = results_file_check(text=text, sitting=sitting, examiner=actor)
    result_import = ResultImport(
        sitting=sitting,
        original_name=(uploaded.name or "results.csv")[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        content=text,
        uploaded_by=actor,
    )
    _store_check(result_import, check)
    _save(result_import, actor=actor, reason="results file previewed")
    audit_record(
        actor=actor,
        action="exam_results.previewed",
        obj=result_import,
        after={
            "sitting": sitting.code,
            "sha256": result_import.sha256,
            "rows": check.row_count,
            "rows_with_errors": len(check.row_errors),
            "file_errors": check.file_errors,
        },
    )
    return result_import


@transaction.atomic
def results_import_commit(*, actor: User, result_import: ResultImport) -> int:
    """Import every row of a clean file as DRAFT results, or nothing. The file is checked again first,
    under the sitting's lock, against the bookings and results as they are now."""
    _require(actor, "exams.record_results")
    result_import = ResultImport.objects.select_for_update().get(pk=result_import.pk)
    if result_import.status != ResultImport.Status.PREVIEWED:
        raise ApplicationError(_("This file has already been imported or discarded."))
    sitting = Sitting.objects.select_for_update(of=("self",)).select_related("version").get(pk=result_import.sitting_id)
    check = results_file_check(text=result_import.content, sitting=sitting, examiner=actor)
    if not check.is_clean:
        raise ImportHasErrors(
            _("The file has problems, so nothing was imported. Correct the file and upload it again.")
        )
    replaced = [row.replaces_draft_id for row in check.rows if row.replaces_draft_id is not None]
    for draft in Result.objects.filter(pk__in=replaced):
        draft._history_user = actor  # type: ignore[attr-defined]
        draft._change_reason = f"replaced by import {result_import.pk}"  # type: ignore[attr-defined]
        draft.delete()
    now = timezone.now()
    results = [
        Result(
            booking_id=row.booking_id,
            version=1,
            raw_score=row.raw_score,
            scaled_score=row.scaled_score,
            pass_score=row.pass_score,
            passed=row.passed,
            source_import=result_import,
            recorded_by=actor,
            created_at=now,
        )
        for row in check.rows
    ]
    Result.objects.bulk_create(results, batch_size=2000)
    Result.history.bulk_history_create(
        results, batch_size=2000, default_user=actor, default_change_reason=f"import {result_import.pk}"
    )
    audit_record_rows(
        actor=actor,
        action="exam_result.recorded",
        model=Result,
        reason=f"import {result_import.pk} ({result_import.original_name})",
        rows=[
            AuditRow(
                object_id=result.pk,
                object_repr=str(result),
                after={
                    "raw_score": str(result.raw_score),
                    "scaled_score": _text(result.scaled_score),
                    "passed": result.passed,
                },
            )
            for result in results
        ],
    )
    result_import.status = ResultImport.Status.COMMITTED
    result_import.decided_by = actor
    result_import.decided_at = now
    _store_check(result_import, check)
    _save(
        result_import,
        actor=actor,
        reason="results imported",
        fields=["status", "decided_by", "decided_at", "row_count", "error_count", "file_errors", "row_errors"],
    )
    audit_record(
        actor=actor,
        action="exam_results.imported",
        obj=result_import,
        after={
            "sitting": sitting.code,
            "results": len(results),
            "replaced_drafts": len(replaced),
            "sha256": result_import.sha256,
        },
    )
    return len(results)


def _text(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@transaction.atomic
def results_import_discard(*, actor: User, result_import: ResultImport) -> ResultImport:
    _require(actor, "exams.record_results")
    result_import = ResultImport.objects.select_for_update().get(pk=result_import.pk)
    if result_import.status != ResultImport.Status.PREVIEWED:
        raise ApplicationError(_("This file has already been imported or discarded."))
    result_import.status = ResultImport.Status.DISCARDED
    result_import.decided_by = actor
    result_import.decided_at = timezone.now()
    _save(result_import, actor=actor, reason="results file discarded", fields=["status", "decided_by", "decided_at"])
    audit_record(actor=actor, action="exam_results.discarded", obj=result_import)
    return result_import


@transaction.atomic
def results_publish(*, actor: User, sitting: Sitting) -> int:
    """Publish every draft result of a sitting. Candidates are told; a pass meets their application's exam
    requirement from this moment (registry.requirements asks exams.requirements)."""
    _require(actor, "exams.record_results")
    sitting = Sitting.objects.select_for_update(of=("self",)).select_related("version__exam").get(pk=sitting.pk)
    drafts = list(
        Result.objects.filter(booking__sitting=sitting, status=Result.Status.DRAFT).select_related(
            "booking__candidate", "booking__application"
        )
    )
    if not drafts:
        raise ApplicationError(_("There are no draft results to publish for this sitting."))
    _refuse_if_conflicted(actor, {result.booking.candidate_id for result in drafts})
    now = timezone.now()
    reason = f"results of {sitting.code} published"
    update_with_history(
        model=Result,
        objs=drafts,
        changes={"status": Result.Status.PUBLISHED, "published_at": now, "published_by_id": actor.pk},
        actor=actor,
        reason=reason,
    )
    audit_record_rows(
        actor=actor,
        action="exam_result.published",
        model=Result,
        reason=reason,
        rows=[
            AuditRow(
                object_id=result.pk,
                object_repr=str(result),
                before={"status": Result.Status.DRAFT},
                after={"status": Result.Status.PUBLISHED, "passed": result.passed},
            )
            for result in drafts
        ],
    )
    first_publication = sitting.results_published_at is None
    sitting.results_published_at = sitting.results_published_at or now
    if first_publication:
        _save(sitting, actor=actor, reason=reason, fields=["results_published_at"])
    audit_record(actor=actor, action="exam_sitting.results_published", obj=sitting, after={"results": len(drafts)})
    _exam_requirements_noted(drafts, actor=actor, sitting=sitting)
    notification_queue_many(
        kind="exam_result_published",
        items=[(result.booking.candidate, {"result": result, "sitting": sitting}) for result in drafts],
    )
    return len(drafts)


def _exam_requirements_noted(results: list[Result], *, actor: User, sitting: Sitting) -> None:
    """Put a pass on the timeline of the candidate's application whose route needed it (one batch of events)."""
    audit_record_many(
        actor=actor,
        action="application.exam_requirement_met",
        reason=f"passed {sitting.version.exam.name} at {sitting.code}",
        items=[
            AuditItem(
                obj=result.booking.application,
                after={"result": result.pk, "booking": result.booking.candidate_number},
            )
            for result in results
            if result.passed and result.booking.application is not None
        ],
    )


@transaction.atomic
def result_correct(
    *, actor: User, result: Result, raw_score: Decimal, scaled_score: Decimal | None, reason: str
) -> Result:
    """Correct a published result: a new published version with the reason. The earlier version stays, unchanged."""
    _require(actor, "exams.record_results")
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give the reason for the correction."))
    booking = (
        Booking.objects.select_for_update(of=("self",))
        .select_related("sitting__version__exam", "candidate", "application")
        .get(pk=result.booking_id)
    )
    _refuse_if_conflicted(actor, {booking.candidate_id})
    current = booking.results.order_by("-version").first()
    if current is None or current.status != Result.Status.PUBLISHED:
        raise ApplicationError(_("Only a published result can be corrected; a draft is replaced by importing again."))
    version = booking.sitting.version
    if not Decimal(0) <= raw_score <= version.max_raw_score:
        raise ApplicationError(_("The raw score must be from 0 to %(max)s.") % {"max": version.max_raw_score})
    if version.is_scaled:
        if scaled_score is None or not version.scaled_min <= scaled_score <= version.scaled_max:  # type: ignore[operator]
            raise ApplicationError(
                _("The scaled score must be from %(low)s to %(high)s.")
                % {"low": version.scaled_min, "high": version.scaled_max}
            )
        pass_score, deciding = Decimal(version.scaled_pass_score or 0), scaled_score
    else:
        pass_score, deciding = Decimal(version.pass_raw_score or 0), raw_score
    if raw_score == current.raw_score and scaled_score == current.scaled_score:
        raise ApplicationError(_("The corrected scores are the same as the current ones."))
    now = timezone.now()
    corrected = Result(
        booking=booking,
        version=current.version + 1,
        status=Result.Status.PUBLISHED,
        raw_score=raw_score,
        scaled_score=scaled_score,
        pass_score=pass_score,
        passed=deciding >= pass_score,
        recorded_by=actor,
        correction_reason=reason,
        published_at=now,
        published_by=actor,
    )
    _save(corrected, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        action="exam_result.corrected",
        obj=corrected,
        reason=reason,
        before={
            "version": current.version,
            "raw_score": str(current.raw_score),
            "scaled_score": _text(current.scaled_score),
            "passed": current.passed,
        },
        after={
            "version": corrected.version,
            "raw_score": str(raw_score),
            "scaled_score": _text(scaled_score),
            "passed": corrected.passed,
        },
    )
    if corrected.passed and not current.passed:
        _exam_requirements_noted([corrected], actor=actor, sitting=booking.sitting)
    notification_queue(
        recipient=booking.candidate,
        kind="exam_result_corrected",
        context={"result": corrected, "previous": current, "sitting": booking.sitting, "reason": reason},
    )
    return corrected
