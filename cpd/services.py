"""Every write to the CPD module: one function per business action, each audited with a history row."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import math
import random
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import AuditRow, audit_record, audit_record_rows
from core.exceptions import ApplicationError
from core.history import history_copy_rows, history_insert_sql, history_params, save_with_history
from core.models import User
from core.roles import Role
from core.selectors import council_today
from core.services import notification_queue, notification_queue_many, permission_require
from core.sql import db_date, db_now, fetch, id_in, on_postgresql
from core.uploads import csv_text, upload_check
from cpd import compliance, rules
from cpd.models import (
    AccreditedActivity,
    Activity,
    ActivityType,
    AttendanceUpload,
    Audit,
    AuditDraw,
    Exemption,
    Provider,
)
from registry.lifecycles import ENTRY_PRACTISING_STATUSES
from registry.models import Practitioner, RegisterEntry
from registry.numbers import normalise_registration_number

_save = save_with_history
MAX_ATTENDANCE_BYTES = 2 * 1024 * 1024
MAX_POINTS = Decimal("1000")


_require = permission_require


def _practitioner_of(actor: User) -> Practitioner:
    practitioner = Practitioner.objects.filter(user=actor).first()
    if practitioner is None or not practitioner.register_entries.exists():
        raise ApplicationError(_("Only registrants keep a CPD log."))
    return practitioner


def _refresh(practitioner_ids: list[int], *, days: list[dt.date], actor: User | None, reason: str) -> None:
    """Recompute these people's compliance in the cycles the changed days fall in (and the current one),
    and let renewal issue any licence now complete."""
    from licensing.services import renewal_steps_recheck  # licensing imports cpd's check; import at call time

    entries = list(
        RegisterEntry.objects.filter(practitioner_id__in=practitioner_ids, status__in=ENTRY_PRACTISING_STATUSES)
    )
    if not entries:
        return
    today = council_today()
    cycle_years = sorted({rules.cycle_containing(day).start_year for day in [*days, today]})
    for year in cycle_years:
        try:
            requirements = rules.requirements_for(year)
        except rules.CpdRulesIncomplete:
            continue
        compliance.compliance_write(
            requirements, on_date=today, actor=actor, reason=reason, entry_ids=[entry.pk for entry in entries]
        )
    # The licence is the system's doing (as after a card payment), not the provider's or officer's who credited.
    renewal_steps_recheck(entry_ids=[entry.pk for entry in entries], actor=None)


# The practitioner's log --------------------------------------------------------------------


@transaction.atomic
def activity_log(
    *,
    actor: User,
    activity_type: ActivityType,
    title: str,
    provider_name: str,
    activity_date: dt.date,
    points: Decimal,
    subtype: str = "",
    reflection: str = "",
    evidence: UploadedFile | None = None,
) -> Activity:
    practitioner = _practitioner_of(actor)
    title, reflection = title.strip(), reflection.strip()
    if not title:
        raise ApplicationError(_("Give the activity a title."))
    if not Decimal(0) < points <= MAX_POINTS:
        raise ApplicationError(_("Enter the points or hours, more than 0."))
    if activity_date > council_today():
        raise ApplicationError(_("The activity's date cannot be in the future."))
    if activity_type.requires_reflection and not reflection:
        raise ApplicationError(_("This kind of activity needs a reflection: what you learned and how you use it."))
    activity = Activity(
        practitioner=practitioner,
        activity_type=activity_type,
        title=title,
        provider_name=provider_name.strip(),
        subtype=subtype,
        activity_date=activity_date,
        points=points,
        reflection=reflection,
    )
    if evidence is not None:
        checked = upload_check(uploaded=evidence)
        activity.evidence_name = (evidence.name or "evidence")[:255]
        activity.evidence_sha256 = checked.sha256
        evidence.name = f"{practitioner.pk}-{checked.sha256[:16]}.{checked.extension}"
        activity.evidence = evidence
    _save(activity, actor=actor, reason="CPD activity logged")
    audit_record(
        actor=actor,
        action="cpd_activity.logged",
        obj=activity,
        after={
            "type": activity_type.code,
            "points": str(points),
            "date": activity_date.isoformat(),
            "subtype": subtype,
            "evidence_sha256": activity.evidence_sha256,
        },
    )
    _refresh([practitioner.pk], days=[activity_date], actor=actor, reason="CPD activity logged")
    return activity


# Providers and accredited activities -------------------------------------------------------


@transaction.atomic
def provider_apply(*, actor: User, name: str, contact_email: str, description: str) -> Provider:
    """A provider user applies for accreditation of their organisation."""
    name = name.strip()
    if not name:
        raise ApplicationError(_("Give the organisation's name."))
    provider = Provider(name=name, contact_email=contact_email, description=description.strip())
    _save(provider, actor=actor, reason="provider applied")
    provider.users.add(actor)
    audit_record(actor=actor, action="cpd_provider.applied", obj=provider, after={"name": name})
    return provider


def _decide(obj: Any, *, actor: User, approve: bool, reason: str, action: str, fields: list[str]) -> None:
    before = obj.status
    _save(obj, actor=actor, reason=reason or action, fields=[*fields, "status", "decided_by", "decision_reason"])
    audit_record(
        actor=actor, action=action, obj=obj, reason=reason, before={"status": before}, after={"status": obj.status}
    )


@transaction.atomic
def provider_decide(*, actor: User, provider: Provider, approve: bool, reason: str) -> Provider:
    _require(actor, "cpd.manage_cpd")
    reason = reason.strip()
    if not approve and not reason:
        raise ApplicationError(_("Give the reasons for refusing the provider."))
    provider = Provider.objects.select_for_update().get(pk=provider.pk)
    if provider.status != Provider.Status.APPLIED:
        raise ApplicationError(_("This provider has already been decided."))
    provider.status = Provider.Status.ACCREDITED if approve else Provider.Status.REFUSED
    provider.decided_by, provider.decided_at, provider.decision_reason = actor, timezone.now(), reason
    _decide(provider, actor=actor, approve=approve, reason=reason, action="cpd_provider.decided", fields=["decided_at"])
    for user in provider.users.all():
        notification_queue(recipient=user, kind="cpd_provider_decided", context={"provider": provider})
    return provider


@transaction.atomic
def accredited_activity_submit(
    *,
    actor: User,
    provider: Provider,
    title: str,
    activity_type: ActivityType,
    held_on: dt.date,
    proposed_points: Decimal,
    subtype: str = "",
) -> AccreditedActivity:
    provider = Provider.objects.get(pk=provider.pk)
    if not provider.users.filter(pk=actor.pk).exists():
        raise ApplicationError(_("Only the provider's own users can submit its activities."))
    if provider.status != Provider.Status.ACCREDITED:
        raise ApplicationError(_("The provider must be accredited before its activities can be."))
    if not Decimal(0) < proposed_points <= MAX_POINTS:
        raise ApplicationError(_("Enter the points proposed, more than 0."))
    activity = AccreditedActivity(
        provider=provider,
        title=title.strip(),
        activity_type=activity_type,
        held_on=held_on,
        proposed_points=proposed_points,
        subtype=subtype,
    )
    _save(activity, actor=actor, reason="activity submitted for accreditation")
    audit_record(
        actor=actor,
        action="cpd_accredited_activity.submitted",
        obj=activity,
        after={"title": activity.title, "points": str(proposed_points)},
    )
    return activity


@transaction.atomic
def accredited_activity_decide(
    *, actor: User, activity: AccreditedActivity, approve: bool, points: Decimal | None, reason: str
) -> AccreditedActivity:
    """A CPD officer accredits an activity (with its points value, and a code) or refuses it."""
    _require(actor, "cpd.manage_cpd")
    reason = reason.strip()
    activity = AccreditedActivity.objects.select_for_update().get(pk=activity.pk)
    if activity.status != AccreditedActivity.Status.SUBMITTED:
        raise ApplicationError(_("This activity has already been decided."))
    if approve:
        points = points if points is not None else activity.proposed_points
        if not Decimal(0) < points <= MAX_POINTS:
            raise ApplicationError(_("Enter the points value, more than 0."))
        activity.status = AccreditedActivity.Status.ACCREDITED
        activity.points = points
        activity.code = f"CPD-{activity.held_on.year}-{activity.pk:06d}"
    else:
        if not reason:
            raise ApplicationError(_("Give the reasons for refusing accreditation."))
        activity.status = AccreditedActivity.Status.REFUSED
    activity.decided_by, activity.decision_reason = actor, reason
    _decide(
        activity,
        actor=actor,
        approve=approve,
        reason=reason,
        action="cpd_accredited_activity.decided",
        fields=["points", "code"],
    )
    return activity


# Attendance lists ------------------------------------------------------------------------------


@dataclass
class AttendanceCheck:
    file_errors: list[str] = field(default_factory=list)
    row_errors: list[dict[str, Any]] = field(default_factory=list)
    practitioner_ids: list[int] = field(default_factory=list)
    row_count: int = 0


def _attendance_check(text: str) -> AttendanceCheck:
    """Rows of registration_number (and optional name), each naming a practising registrant once."""
    check = AttendanceCheck()
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower().replace(" ", "_") for name in next(reader)]
    except (StopIteration, csv.Error):
        check.file_errors.append(_("The file has no header row."))
        return check
    if len(header) == 1 and (";" in header[0] or "\t" in header[0]):
        check.file_errors.append(_("The columns are separated by semicolons or tabs, not commas."))
        return check
    if "registration_number" not in header:
        check.file_errors.append(_("The header row lacks the registration_number column."))
        return check
    column = header.index("registration_number")
    rows: list[tuple[int, str, str | None]] = []
    try:
        for values in reader:
            if not any(value.strip() for value in values):
                continue
            raw = values[column].strip() if len(values) > column else ""
            rows.append((reader.line_num, raw, normalise_registration_number(raw) if raw else None))
    except csv.Error as exc:
        check.file_errors.append(
            _("Line %(line)s cannot be read as CSV: %(error)s.") % {"line": reader.line_num, "error": exc}
        )
        return check
    check.row_count = len(rows)
    if not rows:
        check.file_errors.append(_("The file has a header row but no attendees."))
        return check
    numbers = {number for _line, _raw, number in rows if number}
    entries = {
        number: (practitioner_id, status)
        for number, practitioner_id, status in RegisterEntry.objects.filter(
            registration_number__in=numbers
        ).values_list("registration_number", "practitioner_id", "status")
    }
    seen: dict[str, int] = {}
    for line, raw, number in rows:
        problems = []
        if not raw:
            problems.append(_("The registration number is missing."))
        elif number is None:
            problems.append(
                _("“%(number)s” is not a valid registration number (check the check digit).") % {"number": raw[:40]}
            )
        elif number not in entries:
            problems.append(_("No one on the register has the number %(number)s.") % {"number": number})
        elif entries[number][1] not in ENTRY_PRACTISING_STATUSES:
            problems.append(_("%(number)s is not a practising registrant.") % {"number": number})
        if number and number in seen:
            problems.append(_("This person is already on row %(row)s.") % {"row": seen[number]})
        elif number:
            seen[number] = line
        if problems:
            check.row_errors.append({"row": line, "registration_number": raw, "problems": problems})
        elif number:
            check.practitioner_ids.append(entries[number][0])
    return check


@transaction.atomic
def attendance_upload(*, actor: User, activity: AccreditedActivity, uploaded: UploadedFile) -> AttendanceUpload:
    """Credit every attendee on the list, or nobody. People already credited for the activity are not credited again."""
    activity = AccreditedActivity.objects.select_for_update().select_related("provider").get(pk=activity.pk)
    if not activity.provider.users.filter(pk=actor.pk).exists():
        raise ApplicationError(_("Only the provider's own users can upload its attendance lists."))
    if activity.status != AccreditedActivity.Status.ACCREDITED:
        raise ApplicationError(_("Only an accredited activity can credit attendees."))
    data = uploaded.read(MAX_ATTENDANCE_BYTES + 1)
    if len(data) > MAX_ATTENDANCE_BYTES:
        raise ApplicationError(_("The file is larger than 2 MB."))
    if b"\x00" in data[:8192] or data.startswith((b"PK\x03\x04", b"%PDF", b"\xd0\xcf\x11\xe0")):
        raise ApplicationError(_("This is not a CSV file. Save the attendance list as CSV."))
    text = csv_text(data)
    check = _attendance_check(text)
    upload = AttendanceUpload(
        activity=activity,
        uploaded_by=actor,
        original_name=(uploaded.name or "attendance.csv")[:255],
        sha256=hashlib.sha256(data).hexdigest(),
        row_count=check.row_count,
        file_errors=check.file_errors,
        row_errors=check.row_errors,
    )
    credited: list[Activity] = []
    if check.file_errors or check.row_errors:
        upload.status = AttendanceUpload.Status.REJECTED
    else:
        upload.status = AttendanceUpload.Status.IMPORTED
        already = set(Activity.objects.filter(accredited_activity=activity).values_list("practitioner_id", flat=True))
        new_ids = [pk for pk in check.practitioner_ids if pk not in already]
        upload.already_credited_count = len(check.practitioner_ids) - len(new_ids)
        credited = Activity.objects.bulk_create(
            [
                Activity(
                    practitioner_id=pk,
                    activity_type_id=activity.activity_type_id,
                    title=activity.title,
                    provider_name=activity.provider.name,
                    accredited_activity=activity,
                    subtype=activity.subtype,
                    activity_date=activity.held_on,
                    points=activity.points or activity.proposed_points,
                    source=Activity.Source.ATTENDANCE,
                )
                for pk in new_ids
            ]
        )
        Activity.history.bulk_history_create(
            credited, default_user=actor, default_change_reason=f"attendance {activity.code}"
        )
        upload.credited_count = len(credited)
    _save(upload, actor=actor, reason="attendance list uploaded")
    audit_record(
        actor=actor,
        action="cpd_attendance.uploaded",
        obj=upload,
        after={
            "activity": activity.code,
            "status": upload.status,
            "rows": upload.row_count,
            "credited": upload.credited_count,
            "already_credited": upload.already_credited_count,
            "rows_with_errors": len(check.row_errors),
            "sha256": upload.sha256,
        },
    )
    audit_record_rows(
        actor=actor,
        action="cpd_activity.credited",
        model=Activity,
        reason=f"attendance {activity.code}",
        rows=[
            AuditRow(item.pk, str(item), after={"points": str(item.points), "practitioner": item.practitioner_id})
            for item in credited
        ],
    )
    if credited:
        _refresh(
            [item.practitioner_id for item in credited],
            days=[activity.held_on],
            actor=actor,
            reason=f"attendance {activity.code}",
        )
    return upload


# Exemptions and compliance ---------------------------------------------------------------------


@transaction.atomic
def exemption_grant(
    *, actor: User, practitioner: Practitioner, cycle_start_year: int, kind: str, reduction_percent: int, reason: str
) -> Exemption:
    _require(actor, "cpd.manage_cpd")
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give the reason for the exemption."))
    if kind not in Exemption.Kind.values or not 1 <= reduction_percent <= 100:
        raise ApplicationError(_("Choose the kind of exemption and a reduction from 1 to 100%."))
    exemption = Exemption(
        practitioner=practitioner,
        cycle_start_year=cycle_start_year,
        kind=kind,
        reduction_percent=reduction_percent,
        reason=reason,
        granted_by=actor,
    )
    try:
        with transaction.atomic():
            _save(exemption, actor=actor, reason=reason)
    except IntegrityError as exc:
        raise ApplicationError(_("This person already has an exemption for that cycle.")) from exc
    audit_record(
        actor=actor,
        action="cpd_exemption.granted",
        obj=exemption,
        reason=reason,
        after={"cycle": cycle_start_year, "kind": kind, "reduction_percent": reduction_percent},
    )
    _refresh([practitioner.pk], days=[dt.date(cycle_start_year, 1, 1)], actor=actor, reason="CPD exemption granted")
    return exemption


def compliance_run(
    *, cycle_start_year: int | None = None, on_date: dt.date | None = None, actor: User | None = None
) -> int:
    """The set-based batch: every practising entry's compliance for the cycle, under the cycle's rule version."""
    on_date = on_date or council_today()
    year = cycle_start_year if cycle_start_year is not None else rules.cycle_containing(on_date).start_year
    requirements = rules.requirements_for(year)
    with transaction.atomic():
        return compliance.compliance_write(requirements, on_date=on_date, actor=actor, reason=f"CPD compliance {year}")


def compliance_daily_run(*, on_date: dt.date | None = None) -> int:
    """The nightly batch: the current cycle, and for the first month of a cycle also the one just ended,
    so its last days' activities (logged late) are counted and its NOT_MET settled."""
    on_date = on_date or council_today()
    current = rules.cycle_containing(on_date)
    years = [current.start_year]
    if on_date < current.start + dt.timedelta(days=31):
        years.insert(0, current.previous.start_year)
    written = 0
    for year in years:
        try:
            written += compliance_run(cycle_start_year=year, on_date=on_date)
        except rules.CpdRulesIncomplete:
            continue
    return written


# Audits ------------------------------------------------------------------------------------------


def audit_sample(
    *, population: Mapping[str, list[str]], seed: str, rate_percent: Decimal, stratified: bool
) -> list[str]:
    """The reproducible draw: the same seed and population always give the same registration numbers.

    The population is sorted (per category when stratified), shuffled by a generator seeded with the
    published seed (and the category's code), and the first ceil(rate * size) are taken.
    """
    groups = population if stratified else {"": sorted(number for numbers in population.values() for number in numbers)}
    chosen: list[str] = []
    for key in sorted(groups):
        members = sorted(groups[key])
        size = math.ceil(len(members) * rate_percent / 100)
        generator = random.Random(f"{seed}:{key}")  # noqa: S311 - a published, reproducible draw, not a secret
        generator.shuffle(members)
        chosen.extend(sorted(members[:size]))
    return chosen


@transaction.atomic
def audit_draw(*, actor: User, cycle_start_year: int, seed: str = "") -> AuditDraw:
    """Draw the cycle's audit sample at the rules' rate and request evidence from everyone drawn."""
    _require(actor, "cpd.audit_cpd")
    requirements = rules.requirements_for(cycle_start_year)
    policy = rules.audit_policy(requirements.rule_set)
    seed = seed.strip() or secrets.token_hex(8)
    entries = RegisterEntry.objects.filter(status__in=ENTRY_PRACTISING_STATUSES)
    if policy.exclude_new:
        entries = entries.filter(registered_date__lte=requirements.cycle.start)
    population: dict[str, list[str]] = {}
    for number, category in entries.values_list("registration_number", "category__code"):
        population.setdefault(category, []).append(number)
    selected = audit_sample(
        population=population, seed=seed, rate_percent=policy.sample_rate_percent, stratified=policy.stratify
    )
    draw = AuditDraw(
        cycle_start_year=cycle_start_year,
        seed=seed,
        rate_percent=policy.sample_rate_percent,
        stratified=policy.stratify,
        exclude_new=policy.exclude_new,
        population_count=sum(len(numbers) for numbers in population.values()),
        selected=selected,
        drawn_by=actor,
        rule_set=requirements.rule_set,
    )
    try:
        with transaction.atomic():
            _save(draw, actor=actor, reason="CPD audit drawn")
    except IntegrityError as exc:
        raise ApplicationError(_("The audit for this cycle has already been drawn.")) from exc
    due = council_today() + dt.timedelta(days=policy.evidence_due_days)
    written = _audits_insert(draw, selected=selected, due=due, actor=actor)
    audit_record(
        actor=actor,
        action="cpd_audit.drawn",
        obj=draw,
        after={
            "seed": seed,
            "population": draw.population_count,
            "selected": selected,
            "rate_percent": str(draw.rate_percent),
        },
    )
    audit_record_rows(
        actor=actor,
        action="cpd_audit.evidence_requested",
        model=Audit,
        reason=f"CPD audit {cycle_start_year}",
        rows=[
            AuditRow(audit_id, f"#{audit_id} audit of {entry_id}", after={"due_date": due.isoformat()})  # Audit.__str__
            for audit_id, entry_id in written
        ],
    )
    audits = Audit.objects.filter(draw=draw, register_entry__practitioner__user__isnull=False).select_related(
        "register_entry__practitioner__user"
    )
    notification_queue_many(
        kind="cpd_audit_requested",
        items=[
            (audit.register_entry.practitioner.user, {"audit": audit, "cycle": requirements.cycle.label})
            for audit in audits
            if audit.register_entry.practitioner.user is not None
        ],
    )
    return draw


def _audits_insert(draw: AuditDraw, *, selected: list[str], due: dt.date, actor: User) -> list[tuple[int, int]]:
    """One audit per registration number drawn, with its history row, in SQL. Returns (audit id, entry id) pairs."""
    if not selected:
        return []
    now, db_moment = db_now()
    number_in, params = id_in("e.registration_number", "number", selected)
    params.update(
        history_params(actor=actor, reason="CPD audit drawn", history_date=now),
        now=db_moment,
        draw=draw.pk,
        due=db_date(due),
        status=Audit.Status.EVIDENCE_REQUESTED,
    )
    insert = (
        "INSERT INTO cpd_audit (created_at, updated_at, draw_id, register_entry_id, status, due_date, statement, "  # noqa: S608
        "decision_reason, consequence) "
        "SELECT %(now)s, %(now)s, %(draw)s, e.id, %(status)s, %(due)s, '', '', '' "
        f"FROM registry_registerentry e WHERE {number_in} ORDER BY e.id"
    )
    if on_postgresql():
        return [
            (row[0], row[1])
            for row in fetch(
                f"WITH written AS ({insert} RETURNING *), "  # noqa: S608 - fragments are this module's
                f"history AS ({history_insert_sql(model=Audit, source='written', history_type='+')}) "
                "SELECT id, register_entry_id FROM written ORDER BY id",
                params,
            )
        ]
    written = sorted((row[0], row[1]) for row in fetch(f"{insert} RETURNING id, register_entry_id", params))
    condition, id_params = id_in("id", "written", [audit_id for audit_id, _entry in written])
    history_copy_rows(model=Audit, where=condition, params={**params, **id_params}, history_type="+")
    return written


def _lock_audit(audit: Audit) -> Audit:
    return (
        Audit.objects.select_for_update(of=("self",))
        .select_related("register_entry__practitioner__user", "draw")
        .get(pk=audit.pk)
    )


def _move_audit(audit: Audit, status: str, *, actor: User | None, reason: str, fields: list[str]) -> None:
    before = audit.status
    audit.status = status
    _save(audit, actor=actor, reason=reason or status, fields=["status", *fields])
    audit_record(
        actor=actor,
        action="cpd_audit.status_changed",
        obj=audit,
        reason=reason,
        before={"status": before},
        after={"status": status},
    )


@transaction.atomic
def audit_submit(*, actor: User, audit: Audit, statement: str) -> Audit:
    """The practitioner tells the auditor their log is complete (their activities and evidence are the submission)."""
    audit = _lock_audit(audit)
    if audit.register_entry.practitioner.user_id != actor.pk:
        raise ApplicationError(_("Only the audited practitioner can submit their evidence."))
    if audit.status not in (Audit.Status.EVIDENCE_REQUESTED, Audit.Status.EXTENDED):
        raise ApplicationError(_("This audit is not waiting for your evidence."))
    audit.statement, audit.submitted_at = statement.strip(), timezone.now()
    _move_audit(
        audit, Audit.Status.SUBMITTED, actor=actor, reason="evidence submitted", fields=["statement", "submitted_at"]
    )
    return audit


AUDIT_DECISIONS = {
    "compliant": Audit.Status.COMPLIANT,
    "non_compliant": Audit.Status.NON_COMPLIANT,
    "extend": Audit.Status.EXTENDED,
    "exempt": Audit.Status.EXEMPT,
}


@transaction.atomic
def audit_decide(
    *, actor: User, audit: Audit, decision: str, reason: str, new_due_date: dt.date | None = None
) -> Audit:
    """An auditor's decision, with reasons. Non-compliance applies the rules' consequence; nobody is removed."""
    _require(actor, "cpd.audit_cpd")
    reason = reason.strip()
    if decision not in AUDIT_DECISIONS:
        raise ApplicationError(_("Choose a decision."))
    if not reason:
        raise ApplicationError(_("Give the reasons for your decision."))
    audit = _lock_audit(audit)
    status = AUDIT_DECISIONS[decision]
    allowed = {
        Audit.Status.COMPLIANT: {Audit.Status.SUBMITTED},
        Audit.Status.NON_COMPLIANT: {Audit.Status.SUBMITTED, Audit.Status.EVIDENCE_REQUESTED, Audit.Status.EXTENDED},
        Audit.Status.EXTENDED: {Audit.Status.EVIDENCE_REQUESTED, Audit.Status.SUBMITTED},
        Audit.Status.EXEMPT: {Audit.Status.EVIDENCE_REQUESTED, Audit.Status.EXTENDED, Audit.Status.SUBMITTED},
    }[status]
    if audit.status not in allowed:
        raise ApplicationError(
            _("An audit that is %(status)s cannot be decided that way.")
            % {"status": Audit.Status(audit.status).label.lower()}
        )
    if (
        status == Audit.Status.NON_COMPLIANT
        and audit.status != Audit.Status.SUBMITTED
        and audit.due_date >= council_today()
    ):
        raise ApplicationError(
            _("The practitioner still has until %(date)s to submit.") % {"date": audit.due_date.isoformat()}
        )
    fields = ["decided_by", "decided_at", "decision_reason"]
    audit.decided_by, audit.decided_at, audit.decision_reason = actor, timezone.now(), reason
    if status == Audit.Status.EXTENDED:
        policy = rules.audit_policy(audit.draw.rule_set)
        audit.due_date = new_due_date or council_today() + dt.timedelta(days=policy.extension_days)
        if audit.due_date <= council_today():
            raise ApplicationError(_("The new deadline must be in the future."))
        fields.append("due_date")
    if status == Audit.Status.NON_COMPLIANT:
        audit.consequence = _non_compliance_consequence(audit, actor=actor, reason=reason)
        fields.append("consequence")
    _move_audit(audit, status, actor=actor, reason=reason, fields=fields)
    user = audit.register_entry.practitioner.user
    if user is not None:
        notification_queue(recipient=user, kind="cpd_audit_decided", context={"audit": audit})
    return audit


def _non_compliance_consequence(audit: Audit, *, actor: User, reason: str) -> str:
    """The rules' consequence of non-compliance: a condition on the entry, a deadline, or a referral."""
    from registry.services import register_entry_change_status

    policy = rules.audit_policy(audit.draw.rule_set)
    entry = audit.register_entry
    if policy.non_compliance == "condition" and entry.status in ENTRY_PRACTISING_STATUSES:
        conditions = "\n".join(part for part in (entry.conditions, policy.condition_text) if part)
        register_entry_change_status(
            actor=None,
            entry=entry,
            status=RegisterEntry.Status.REGISTERED_WITH_CONDITIONS,
            reason=f"CPD audit {audit.draw.cycle_start_year} not compliant: {reason}"[:500],
            conditions=conditions,
        )
        return "condition"
    if policy.non_compliance == "deadline":
        audit_record(
            actor=actor,
            action="cpd_audit.deadline_set",
            obj=audit,
            reason=reason,
            after={"complete_by": (council_today() + dt.timedelta(days=policy.extension_days)).isoformat()},
        )
        return "deadline"
    audit_record(actor=actor, action="cpd_audit.referred_to_registrar", obj=audit, reason=reason)
    for registrar in User.objects.filter(groups__name=Role.REGISTRAR.value, is_active=True):
        notification_queue(recipient=registrar, kind="cpd_audit_referred", context={"audit": audit, "reason": reason})
    return "referral"


def audit_reminders_send(*, on_date: dt.date | None = None) -> int:
    """Remind practitioners whose evidence is due in one of the rules' reminder days (once a day at most)."""
    on_date = on_date or council_today()
    sent = 0
    open_audits = (
        Audit.objects.filter(status__in=[Audit.Status.EVIDENCE_REQUESTED, Audit.Status.EXTENDED], due_date__gte=on_date)
        .exclude(reminded_on=on_date)
        .select_related("register_entry__practitioner__user", "draw__rule_set")
    )
    with transaction.atomic():
        for audit in open_audits.select_for_update(of=("self",)):
            policy = rules.audit_policy(audit.draw.rule_set)
            if (audit.due_date - on_date).days not in policy.reminder_days_before_due:
                continue
            user = audit.register_entry.practitioner.user
            audit.reminded_on = on_date
            _save(audit, actor=None, reason="CPD audit reminder", fields=["reminded_on"])
            audit_record(
                actor=None, action="cpd_audit.reminded", obj=audit, after={"due_date": audit.due_date.isoformat()}
            )
            if user is not None:
                notification_queue(recipient=user, kind="cpd_audit_reminder", context={"audit": audit})
            sent += 1
    return sent
