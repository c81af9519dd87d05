"""Every write in licensing: periods, renewal invoicing, penalties, lapse, declarations, payments, licences.

The three batch jobs (renewal_invoices_issue, late_penalties_apply, lapse_run) are set-based: they work
in chunks of rows, with a constant number of queries per chunk, write history rows with
simple-history's bulk helpers and one audit event per changed row, commit each chunk, and are
idempotent (unique constraints plus a re-check under a job lock), so a crashed run resumes by
running again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _
from simple_history.utils import bulk_create_with_history

from core.audit import AuditItem, audit_record, audit_record_many
from core.exceptions import ApplicationError
from core.history import update_with_history
from core.models import User
from core.selectors import council_today, ruleset_in_force
from core.services import notification_queue, notification_queue_many
from licensing import rules
from licensing.models import (
    FeeExemption,
    FeeType,
    Invoice,
    InvoiceLine,
    InvoiceNumberCounter,
    InvoiceStatus,
    Licence,
    Payment,
    PaymentAllocation,
    RenewalDeclaration,
    RenewalExtension,
    RenewalPeriod,
)
from licensing.requirements import cpd_step_met
from registry.models import Practitioner, RegisterEntry

PRACTISING = (RegisterEntry.Status.REGISTERED, RegisterEntry.Status.REGISTERED_WITH_CONDITIONS)
OPEN_INVOICE = (InvoiceStatus.ISSUED, InvoiceStatus.PART_PAID)
DEFAULT_CHUNK = 2000
# Advisory lock keys: one per batch job, so two runs of the same job never interleave.
_JOB_LOCKS = {"renewal_invoices": 7_310_101, "late_penalties": 7_310_102, "lapse": 7_310_103}


def _job_lock(job: str) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_JOB_LOCKS[job]])


def _save(instance: Any, *, actor: User | None, reason: str, fields: list[str] | None = None) -> None:
    instance._history_user = actor
    instance._change_reason = reason[:100]
    if fields is None:
        instance.save(force_insert=True)
    else:
        instance.save(update_fields=[*fields, "updated_at"])


def _require(actor: User | None, permission: str) -> None:
    if actor is not None and not actor.has_perm(permission):
        raise ApplicationError(_("You do not have permission to do this."))


# Periods, extensions, exemptions -----------------------------------------------------------


@transaction.atomic
def renewal_period_open(*, actor: User | None, year: int) -> RenewalPeriod:
    """Create licence year `year` with the dates of the rule version in force on 1 January."""
    rule_set = ruleset_in_force(on_date=dt.date(year, 1, 1))
    if rule_set is None:
        raise ApplicationError(_("No rule version is in force for %(year)s.") % {"year": year})
    dates = asdict(rules.period_dates(rule_set=rule_set, year=year))
    period = RenewalPeriod(year=year, rule_set=rule_set, **dates)
    try:
        with transaction.atomic():
            _save(period, actor=actor, reason=f"renewal period {year} opened")
    except IntegrityError as exc:
        raise ApplicationError(_("The %(year)s renewal period already exists.") % {"year": year}) from exc
    audit_record(
        actor=actor,
        action="renewal_period.opened",
        obj=period,
        after={key: value.isoformat() for key, value in dates.items()} | {"rule_set": rule_set.version},
    )
    return period


@transaction.atomic
def renewal_extension_grant(
    *,
    actor: User,
    entry: RegisterEntry,
    period: RenewalPeriod,
    due_date: dt.date,
    penalty_from_date: dt.date,
    lapse_date: dt.date,
    reason: str,
) -> RenewalExtension:
    """Move one registrant's due, penalty and lapse dates for one period (reminders follow them)."""
    _require(actor, "registry.change_register_status")
    reason = reason.strip()
    if not reason:
        raise ApplicationError(_("Give the reason for the extension."))
    if not (due_date < penalty_from_date <= lapse_date):
        raise ApplicationError(_("The dates must run: due, then late penalty, then lapse."))
    extension = RenewalExtension.objects.select_for_update().filter(register_entry=entry, period=period).first()
    before: dict[str, Any] = {}
    if extension is None:
        extension = RenewalExtension(register_entry=entry, period=period, granted_by=actor)
        fields = None
    else:
        before = {"due": extension.due_date, "penalty_from": extension.penalty_from_date, "lapse": extension.lapse_date}
        fields = ["due_date", "penalty_from_date", "lapse_date", "reason", "granted_by"]
    extension.due_date, extension.penalty_from_date, extension.lapse_date = due_date, penalty_from_date, lapse_date
    extension.reason, extension.granted_by = reason, actor
    _save(extension, actor=actor, reason=reason, fields=fields)
    audit_record(
        actor=actor,
        action="renewal.extended",
        obj=entry,
        reason=reason,
        before=before,
        after={"due": due_date, "penalty_from": penalty_from_date, "lapse": lapse_date, "period": period.year},
    )
    return extension


@transaction.atomic
def fee_exemption_grant(
    *,
    actor: User,
    practitioner: Practitioner,
    code: str,
    discount_percent: int,
    reason: str,
    starts_date: dt.date,
    ends_date: dt.date | None = None,
    fee_type: str = FeeType.ANNUAL,
) -> FeeExemption:
    _require(actor, "licensing.manage_finance")
    if not reason.strip():
        raise ApplicationError(_("Give the reason for the exemption."))
    if not 1 <= discount_percent <= 100:
        raise ApplicationError(_("The discount must be between 1% and 100%."))
    exemption = FeeExemption(
        practitioner=practitioner,
        code=code,
        fee_type=fee_type,
        discount_percent=discount_percent,
        starts_date=starts_date,
        ends_date=ends_date,
        reason=reason.strip(),
        granted_by=actor,
    )
    _save(exemption, actor=actor, reason=reason)
    audit_record(
        actor=actor,
        action="fee_exemption.granted",
        obj=exemption,
        reason=reason,
        after={"code": code, "percent": discount_percent, "fee_type": fee_type, "practitioner": practitioner.pk},
    )
    return exemption


# Renewal invoicing (batch) -----------------------------------------------------------------


def _take_invoice_numbers(*, year: int, count: int) -> list[str]:
    InvoiceNumberCounter.objects.get_or_create(year=year)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {InvoiceNumberCounter._meta.db_table} SET last_value = last_value + %s "  # noqa: S608
            "WHERE year = %s RETURNING last_value",
            [count, year],
        )
        (last,) = cursor.fetchone()
    return [f"INV-{year}-{value:07d}" for value in range(last - count + 1, last + 1)]


def renewal_invoices_issue(
    *, period: RenewalPeriod, on_date: dt.date, actor: User | None = None, chunk_size: int = DEFAULT_CHUNK
) -> int:
    """Bill every practising registrant without a renewal invoice for the period. Returns how many were billed."""
    if on_date < period.opens_date:
        raise ApplicationError(
            _("Renewal for %(year)s opens on %(date)s.") % {"year": period.year, "date": period.opens_date.isoformat()}
        )
    unbilled = (
        RegisterEntry.objects.filter(status__in=PRACTISING)
        .exclude(
            Exists(
                Invoice.objects.filter(register_entry=OuterRef("pk"), period=period, purpose=Invoice.Purpose.RENEWAL)
            )
        )
        .select_related("category", "practitioner__user")
    )
    issued = 0
    last_pk = 0
    while True:
        with transaction.atomic():
            _job_lock("renewal_invoices")
            chunk = list(unbilled.filter(pk__gt=last_pk).order_by("pk")[:chunk_size])
            if not chunk:
                return issued
            last_pk = chunk[-1].pk
            issued += _invoice_chunk(chunk, period=period, on_date=on_date, actor=actor)


def _invoice_chunk(entries: list[RegisterEntry], *, period: RenewalPeriod, on_date: dt.date, actor: User | None) -> int:
    rule_set = period.rule_set
    council_currency = rules.currency(rule_set=rule_set, default="ZAR")
    exemptions: dict[int, FeeExemption] = {}
    for exemption in FeeExemption.objects.filter(
        practitioner_id__in=[entry.practitioner_id for entry in entries],
        fee_type=FeeType.ANNUAL,
        starts_date__lte=period.valid_to_date,
    ).filter(Q(ends_date__isnull=True) | Q(ends_date__gte=period.valid_from_date)):
        best = exemptions.get(exemption.practitioner_id)
        if best is None or exemption.discount_percent > best.discount_percent:
            exemptions[exemption.practitioner_id] = exemption
    numbers = _take_invoice_numbers(year=period.year, count=len(entries))
    invoices: list[Invoice] = []
    lines: list[tuple[int, InvoiceLine]] = []
    for index, (entry, number) in enumerate(zip(entries, numbers, strict=True)):
        annual = rules.fee_amount(rule_set=rule_set, category_code=entry.category.code, fee_type=FeeType.ANNUAL)
        total = annual
        lines.append(
            (
                index,
                InvoiceLine(
                    fee_type=FeeType.ANNUAL,
                    description=f"Annual fee {period.year}",
                    amount_minor=annual,
                    rule_set=rule_set,
                ),
            )
        )
        granted = exemptions.get(entry.practitioner_id)
        if granted is not None and annual:
            exemption = granted
            discount = rules.discounted(annual, exemption.discount_percent)
            total -= discount
            lines.append(
                (
                    index,
                    InvoiceLine(
                        fee_type=FeeType.EXEMPTION,
                        description=f"Exemption: {exemption.code} ({exemption.discount_percent}%)",
                        amount_minor=-discount,
                        rule_set=rule_set,
                        exemption=exemption,
                    ),
                )
            )
        invoices.append(
            Invoice(
                number=number,
                practitioner_id=entry.practitioner_id,
                register_entry=entry,
                period=period,
                purpose=Invoice.Purpose.RENEWAL,
                status=InvoiceStatus.PAID if total == 0 else InvoiceStatus.ISSUED,
                currency=council_currency,
                total_minor=total,
                paid_minor=0,
                issued_date=on_date,
                due_date=period.due_date,
            )
        )
    reason = f"renewal invoicing {period.year}"
    created = bulk_create_with_history(
        invoices, Invoice, batch_size=1000, default_user=actor, default_change_reason=reason
    )
    for index, line in lines:
        line.invoice = created[index]
    bulk_create_with_history(
        [line for _index, line in lines], InvoiceLine, batch_size=1000, default_user=actor, default_change_reason=reason
    )
    audit_record_many(
        actor=actor,
        action="invoice.issued",
        reason=reason,
        items=[
            AuditItem(
                invoice,
                after={"number": invoice.number, "total_minor": invoice.total_minor, "currency": invoice.currency},
            )
            for invoice in created
        ],
    )
    notification_queue_many(
        kind="renewal_invoice",
        items=[
            (entry.practitioner.user, {"invoice": invoice, "entry": entry, "period": period})
            for entry, invoice in zip(entries, created, strict=True)
            if entry.practitioner.user is not None
        ],
    )
    return len(created)


# Late penalties (batch) ----------------------------------------------------------------------


def _effective(period: RenewalPeriod, field: str) -> Coalesce:
    """Per-entry date: the registrant's extension if they have one, else the period's."""
    extension = RenewalExtension.objects.filter(register_entry=OuterRef("register_entry_id"), period=period)
    return Coalesce(Subquery(extension.values(field)[:1]), getattr(period, field))


def late_penalties_apply(
    *, period: RenewalPeriod, on_date: dt.date, actor: User | None = None, chunk_size: int = DEFAULT_CHUNK
) -> int:
    """Add the late penalty to every unpaid renewal invoice whose (possibly extended) penalty date has come."""
    due = (
        Invoice.objects.filter(period=period, purpose=Invoice.Purpose.RENEWAL, status__in=OPEN_INVOICE)
        .exclude(Exists(InvoiceLine.objects.filter(invoice=OuterRef("pk"), fee_type=FeeType.LATE_PENALTY)))
        .alias(penalty_from=_effective(period, "penalty_from_date"))
        .filter(penalty_from__lte=on_date)
        .select_related("register_entry__category")
    )
    applied = 0
    last_pk = 0
    reason = f"late penalty {period.year}"
    while True:
        with transaction.atomic():
            _job_lock("late_penalties")
            chunk = list(due.select_for_update(of=("self",)).filter(pk__gt=last_pk).order_by("pk")[:chunk_size])
            if not chunk:
                return applied
            last_pk = chunk[-1].pk
            lines = []
            by_amount: dict[int, list[Invoice]] = {}
            for invoice in chunk:
                entry = invoice.register_entry
                if entry is None:
                    raise ApplicationError(
                        _("Renewal invoice %(number)s names no register entry.") % {"number": invoice.number}
                    )
                amount = rules.fee_amount(
                    rule_set=period.rule_set, category_code=entry.category.code, fee_type=FeeType.LATE_PENALTY
                )
                lines.append(
                    InvoiceLine(
                        invoice=invoice,
                        fee_type=FeeType.LATE_PENALTY,
                        description=f"Late payment penalty {period.year}",
                        amount_minor=amount,
                        rule_set=period.rule_set,
                    )
                )
                by_amount.setdefault(amount, []).append(invoice)
            bulk_create_with_history(
                lines, InvoiceLine, batch_size=1000, default_user=actor, default_change_reason=reason
            )
            now = timezone.now()
            for amount, same_amount in by_amount.items():
                for penalised in same_amount:
                    penalised.total_minor += amount
                    penalised.updated_at = now
                # One UPDATE per penalty amount; the totals are added in the database, history written alongside.
                Invoice.objects.filter(pk__in=[penalised.pk for penalised in same_amount]).update(
                    total_minor=F("total_minor") + amount, updated_at=now
                )
                Invoice.history.bulk_history_create(
                    same_amount, batch_size=1000, update=True, default_user=actor, default_change_reason=reason
                )
            audit_record_many(
                actor=actor,
                action="invoice.penalty_added",
                reason=reason,
                items=[
                    AuditItem(
                        invoice,
                        before={"total_minor": invoice.total_minor - line.amount_minor},
                        after={"total_minor": invoice.total_minor, "penalty_minor": line.amount_minor},
                    )
                    for invoice, line in zip(chunk, lines, strict=True)
                ],
            )
            applied += len(chunk)


# Lapse (batch) ------------------------------------------------------------------------------


def lapse_run(
    *, period: RenewalPeriod, on_date: dt.date, actor: User | None = None, chunk_size: int = DEFAULT_CHUNK
) -> int:
    """Lapse every practising entry with no licence for the period once its (possibly extended) lapse date has come.

    Races with payments are safe: each chunk locks its entries, then re-reads the licences in a new
    statement, so a licence committed while we waited for a lock is seen and that entry is skipped;
    a payment that waits for our lock finds the entry LAPSED and is kept for restoration.
    """
    extension = RenewalExtension.objects.filter(register_entry=OuterRef("pk"), period=period)
    candidates = (
        RegisterEntry.objects.filter(status__in=PRACTISING, registered_date__lt=period.valid_from_date)
        .exclude(Exists(Licence.objects.filter(register_entry=OuterRef("pk"), period=period)))
        .alias(lapse_on=Coalesce(Subquery(extension.values("lapse_date")[:1]), period.lapse_date))
        .filter(lapse_on__lte=on_date)
    )
    lapsed = 0
    last_pk = 0
    reason = _("Not renewed for %(year)s") % {"year": period.year}
    while True:
        with transaction.atomic():
            _job_lock("lapse")
            ids = list(candidates.filter(pk__gt=last_pk).order_by("pk").values_list("pk", flat=True)[:chunk_size])
            if not ids:
                return lapsed
            last_pk = ids[-1]
            locked = list(
                RegisterEntry.objects.select_for_update(of=("self",))
                .filter(pk__in=ids, status__in=PRACTISING)
                .select_related("practitioner__user")
                .order_by("pk")
            )
            licensed = set(
                Licence.objects.filter(period=period, register_entry_id__in=ids).values_list(
                    "register_entry_id", flat=True
                )
            )
            to_lapse = [entry for entry in locked if entry.pk not in licensed]
            if not to_lapse:
                continue
            now = timezone.now()
            before = {entry.pk: entry.status for entry in to_lapse}
            update_with_history(
                model=RegisterEntry,
                objs=to_lapse,
                changes={
                    "status": RegisterEntry.Status.LAPSED,
                    "conditions": "",
                    "status_changed_at": now,
                    "updated_at": now,
                },
                actor=actor,
                reason=reason,
            )
            audit_record_many(
                actor=actor,
                action="register_entry.status_changed",
                reason=reason,
                items=[
                    AuditItem(entry, before={"status": before[entry.pk]}, after={"status": RegisterEntry.Status.LAPSED})
                    for entry in to_lapse
                ],
            )
            notification_queue_many(
                kind="register_lapsed",
                items=[
                    (entry.practitioner.user, {"entry": entry, "period": period})
                    for entry in to_lapse
                    if entry.practitioner.user is not None
                ],
            )
            lapsed += len(to_lapse)


# Declarations, payments and licences -------------------------------------------------------


def _lock_entry(entry_id: int) -> RegisterEntry:
    return (
        RegisterEntry.objects.select_for_update(of=("self",))
        .select_related("category", "practitioner")
        .get(pk=entry_id)
    )


@transaction.atomic
def renewal_declare(
    *, actor: User, entry: RegisterEntry, period: RenewalPeriod, is_fit_to_practise: bool, disclosure: str = ""
) -> RenewalDeclaration:
    entry = _lock_entry(entry.pk)
    if entry.practitioner.user_id != actor.pk:
        raise ApplicationError(_("Only the registrant can make their renewal declaration."))
    if entry.status not in PRACTISING:
        raise ApplicationError(_("Only a current registration can be renewed; a lapsed one must be restored."))
    if not is_fit_to_practise and not disclosure.strip():
        raise ApplicationError(_("Tell the council why you cannot declare that you are fit to practise."))
    declaration = RenewalDeclaration(
        register_entry=entry,
        period=period,
        is_fit_to_practise=is_fit_to_practise,
        disclosure=disclosure.strip(),
        declared_at=timezone.now(),
        declared_by=actor,
    )
    try:
        with transaction.atomic():
            _save(declaration, actor=actor, reason="renewal declaration")
    except IntegrityError as exc:
        raise ApplicationError(
            _("You have already made your declaration for %(year)s.") % {"year": period.year}
        ) from exc
    audit_record(
        actor=actor,
        action="renewal.declared",
        obj=entry,
        after={"period": period.year, "fit_to_practise": is_fit_to_practise},
    )
    _licence_issue_if_complete(entry=entry, period=period, actor=actor)
    return declaration


def renewal_steps_met(*, entry: RegisterEntry, period: RenewalPeriod) -> dict[str, bool]:
    """The three steps of renewal, each on its own, so none can be silently missed."""
    declared = RenewalDeclaration.objects.filter(register_entry=entry, period=period, is_fit_to_practise=True).exists()
    paid = Invoice.objects.filter(
        register_entry=entry, period=period, purpose=Invoice.Purpose.RENEWAL, status=InvoiceStatus.PAID
    ).exists()
    return {"declaration": declared, "fee": paid, "cpd": cpd_step_met(entry=entry, period=period)}


def _licence_issue_if_complete(*, entry: RegisterEntry, period: RenewalPeriod, actor: User | None) -> Licence | None:
    """Issue the period's licence when every step is met. The entry must be locked by the caller."""
    if entry.status not in PRACTISING:
        return None
    existing = Licence.objects.filter(register_entry=entry, period=period).first()
    if existing is not None:
        return existing
    if not all(renewal_steps_met(entry=entry, period=period).values()):
        return None
    licence = Licence(
        register_entry=entry,
        period=period,
        number=f"L{period.year}-{entry.registration_number}",
        valid_from_date=period.valid_from_date,
        valid_to_date=period.valid_to_date,
        issued_at=timezone.now(),
    )
    _save(licence, actor=actor, reason=f"licence {period.year} issued")
    audit_record(
        actor=actor,
        action="licence.issued",
        obj=licence,
        after={"number": licence.number, "valid_from": licence.valid_from_date, "valid_to": licence.valid_to_date},
    )
    user = entry.practitioner.user
    if user is not None:
        notification_queue(recipient=user, kind="licence_issued", context={"licence": licence, "entry": entry})
    return licence


class DuplicatePayment(ApplicationError):
    """A payment with this method and reference has already been recorded."""


@transaction.atomic
def payment_record(
    *,
    actor: User | None,
    invoice: Invoice,
    method: str,
    reference: str,
    amount_minor: int,
    currency: str,
    received_date: dt.date,
    proof: Any = None,
) -> Payment:
    """Record money received against an invoice, allocate it, and issue the licence if renewal is complete.

    `actor` is the finance officer for manual payments, None for card payments confirmed by Stripe.
    """
    if actor is not None:
        _require(actor, "licensing.manage_finance")
    reference = reference.strip()
    if not reference:
        raise ApplicationError(_("Enter the receipt reference."))
    if amount_minor <= 0:
        raise ApplicationError(_("The amount must be more than zero."))
    invoice = Invoice.objects.select_for_update(of=("self",)).get(pk=invoice.pk)
    entry = _lock_entry(invoice.register_entry_id) if invoice.register_entry_id is not None else None
    if currency != invoice.currency:
        raise ApplicationError(
            _("This invoice is in %(invoice)s; the payment is in %(payment)s.")
            % {"invoice": invoice.currency, "payment": currency}
        )
    if invoice.status not in OPEN_INVOICE:
        raise ApplicationError(_("Invoice %(number)s is not open for payment.") % {"number": invoice.number})
    payment = Payment(
        practitioner_id=invoice.practitioner_id,
        method=method,
        reference=reference,
        amount_minor=amount_minor,
        currency=currency,
        received_date=received_date,
        recorded_by=actor,
    )
    if proof is not None:
        payment.proof = proof
    try:
        with transaction.atomic():
            _save(payment, actor=actor, reason="payment recorded")
    except IntegrityError as exc:
        raise DuplicatePayment(
            _("A payment with reference %(reference)s is already recorded.") % {"reference": reference}
        ) from exc
    allocated = min(amount_minor, invoice.balance_minor)
    allocation = PaymentAllocation(payment=payment, invoice=invoice, amount_minor=allocated)
    _save(allocation, actor=actor, reason="payment allocated")
    before = {"status": invoice.status, "paid_minor": invoice.paid_minor}
    invoice.paid_minor += allocated
    invoice.status = InvoiceStatus.PAID if invoice.paid_minor >= invoice.total_minor else InvoiceStatus.PART_PAID
    _save(invoice, actor=actor, reason=f"payment {reference}", fields=["paid_minor", "status"])
    audit_record(
        actor=actor,
        action="payment.recorded",
        obj=payment,
        after={
            "method": method,
            "reference": reference,
            "amount_minor": amount_minor,
            "currency": currency,
            "invoice": invoice.number,
            "allocated_minor": allocated,
        },
    )
    audit_record(
        actor=actor,
        action="invoice.payment_applied",
        obj=invoice,
        before=before,
        after={"status": invoice.status, "paid_minor": invoice.paid_minor},
    )
    if entry is not None and invoice.purpose == Invoice.Purpose.RENEWAL and invoice.period is not None:
        _licence_issue_if_complete(entry=entry, period=invoice.period, actor=actor)
    user = invoice.practitioner.user
    if user is not None:
        notification_queue(recipient=user, kind="payment_received", context={"payment": payment, "invoice": invoice})
    return payment


# The daily run (Celery beat) ---------------------------------------------------------------


def renewal_daily_run(*, on_date: dt.date | None = None) -> dict[str, int]:
    """What beat runs each morning: open the coming period when its window opens, bill, penalise, lapse.

    `on_date` defaults to today in the council's time zone, so every legal date falls on the local day.
    """
    today = on_date or council_today()
    results = {"periods_opened": 0, "invoices_issued": 0, "penalties_added": 0, "lapsed": 0}
    for year in (today.year, today.year + 1):
        if RenewalPeriod.objects.filter(year=year).exists():
            continue
        rule_set = ruleset_in_force(on_date=dt.date(year, 1, 1))
        if rule_set is None:
            continue
        dates = rules.period_dates(rule_set=rule_set, year=year)
        # Only inside the window: a period whose due date has passed is never opened behind anyone's back.
        if dates.opens_date <= today <= dates.due_date:
            renewal_period_open(actor=None, year=year)
            results["periods_opened"] += 1
    for period in RenewalPeriod.objects.filter(opens_date__lte=today).select_related("rule_set").order_by("year"):
        if today > period.valid_to_date:
            continue
        results["invoices_issued"] += renewal_invoices_issue(period=period, on_date=today)
        results["penalties_added"] += late_penalties_apply(period=period, on_date=today)
        results["lapsed"] += lapse_run(period=period, on_date=today)
    return results
