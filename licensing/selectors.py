"""Reads for licensing: the registrant's renewal, statements, the at-risk queue and aged debt."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Subquery, Sum, Value
from django.db.models.functions import Coalesce

from core.models import User
from licensing.models import (
    OPEN_INVOICE_STATUSES,
    FinanceAdjustment,
    Invoice,
    InvoiceStatus,
    Licence,
    Payment,
    RenewalDeclaration,
    RenewalExtension,
    RenewalPeriod,
)
from licensing.requirements import cpd_step_expression, cpd_step_met
from registry.lifecycles import ENTRY_PRACTISING_STATUSES
from registry.models import RegisterEntry


def period_current(*, on_date: dt.date) -> RenewalPeriod | None:
    return (
        RenewalPeriod.objects.filter(valid_from_date__lte=on_date, valid_to_date__gte=on_date)
        .select_related("rule_set")
        .first()
    )


def with_effective_dates(queryset: Any, period: RenewalPeriod) -> Any:
    extension = RenewalExtension.objects.filter(register_entry=OuterRef("pk"), period=period)
    return queryset.annotate(
        due_on=Coalesce(Subquery(extension.values("due_date")[:1]), Value(period.due_date)),
        penalty_on=Coalesce(Subquery(extension.values("penalty_from_date")[:1]), Value(period.penalty_from_date)),
        lapse_on=Coalesce(Subquery(extension.values("lapse_date")[:1]), Value(period.lapse_date)),
    )


def renewal_candidates(*, period: RenewalPeriod) -> Any:
    """Practising entries still without this period's licence, with their steps and (possibly extended) dates."""
    declared = RenewalDeclaration.objects.filter(register_entry=OuterRef("pk"), period=period, is_fit_to_practise=True)
    paid = Invoice.objects.filter(
        register_entry=OuterRef("pk"), period=period, purpose=Invoice.Purpose.RENEWAL, status=InvoiceStatus.PAID
    )
    return with_effective_dates(
        RegisterEntry.objects.filter(status__in=ENTRY_PRACTISING_STATUSES, registered_date__lt=period.valid_from_date)
        .exclude(Exists(Licence.objects.filter(register_entry=OuterRef("pk"), period=period)))
        .annotate(declared=Exists(declared), fee_paid=Exists(paid), cpd_met=cpd_step_expression(period=period)),
        period,
    ).select_related("practitioner__user", "category")


def steps_of(entry: Any, period: RenewalPeriod) -> dict[str, bool]:
    """The three steps of an entry from renewal_candidates (annotated, so no query per entry)."""
    return {"declaration": entry.declared, "fee": entry.fee_paid, "cpd": bool(entry.cpd_met)}


def at_risk_list(*, period: RenewalPeriod) -> list[tuple[RegisterEntry, dict[str, bool]]]:
    """Registrants who have met two of the three steps: one missing step away from lapsing."""
    found = []
    for entry in (
        renewal_candidates(period=period).filter(Q(declared=True) | Q(fee_paid=True)).order_by("lapse_on", "pk")
    ):
        steps = steps_of(entry, period)
        if sum(steps.values()) == len(steps) - 1:
            found.append((entry, steps))
    return found


# The registrant's own ----------------------------------------------------------------------------


def entries_for_user(*, user: User) -> QuerySet[RegisterEntry]:
    return RegisterEntry.objects.filter(practitioner__user=user).select_related("category", "practitioner")


def invoice_get_for_user(*, user: User, invoice_id: int) -> Invoice:
    """The user's own invoice, or Invoice.DoesNotExist (so nobody can see another's)."""
    return Invoice.objects.select_related("practitioner", "register_entry__category", "period").get(
        pk=invoice_id, practitioner__user=user
    )


def licence_get_for_user(*, user: User, licence_id: int) -> Licence:
    return Licence.objects.select_related("register_entry__practitioner", "register_entry__category", "period").get(
        pk=licence_id, register_entry__practitioner__user=user
    )


def payment_get_for_user(*, user: User, payment_id: int) -> Payment:
    return Payment.objects.select_related("practitioner").get(pk=payment_id, practitioner__user=user)


@dataclass
class RenewalState:
    entry: RegisterEntry
    period: RenewalPeriod
    steps: dict[str, bool]
    invoice: Invoice | None
    declaration: RenewalDeclaration | None
    licence: Licence | None
    due_on: dt.date
    penalty_on: dt.date
    lapse_on: dt.date
    extension: RenewalExtension | None = None
    missing: list[str] = field(default_factory=list)


def renewal_state(*, entry: RegisterEntry, period: RenewalPeriod) -> RenewalState:
    """Everything the renewal page shows for one registration and period: each step on its own."""
    extension = RenewalExtension.objects.filter(register_entry=entry, period=period).first()
    invoice = (
        Invoice.objects.filter(register_entry=entry, period=period, purpose=Invoice.Purpose.RENEWAL)
        .prefetch_related("lines")
        .first()
    )
    declaration = RenewalDeclaration.objects.filter(register_entry=entry, period=period).first()
    licence = Licence.objects.filter(register_entry=entry, period=period).first()
    steps = {
        "declaration": declaration is not None and declaration.is_fit_to_practise,
        "fee": invoice is not None and invoice.status == InvoiceStatus.PAID,
        "cpd": cpd_step_met(entry=entry, period=period),
    }
    return RenewalState(
        entry=entry,
        period=period,
        steps=steps,
        invoice=invoice,
        declaration=declaration,
        licence=licence,
        due_on=extension.due_date if extension else period.due_date,
        penalty_on=extension.penalty_from_date if extension else period.penalty_from_date,
        lapse_on=extension.lapse_date if extension else period.lapse_date,
        extension=extension,
        missing=[name for name, met in steps.items() if not met],
    )


def periods_open(*, on_date: dt.date) -> QuerySet[RenewalPeriod]:
    """Periods whose renewal has opened and whose licence year has not ended, newest first."""
    return RenewalPeriod.objects.filter(opens_date__lte=on_date, valid_to_date__gte=on_date).select_related("rule_set")


@dataclass(frozen=True)
class StatementRow:
    date: dt.date
    kind: str  # "invoice", "payment", "refund", "write_off", "void"
    reference: str
    description: str
    debit_minor: int
    credit_minor: int
    balance_minor: int
    currency: str


def statement_for_practitioner(*, practitioner_id: int) -> list[StatementRow]:
    """Every charge and payment, oldest first, with the running balance per currency."""
    # (date, order on the day, kind, reference, description, debit, credit, currency)
    events: list[tuple[dt.date, int, str, str, str, int, int, str]] = []
    invoices = Invoice.objects.filter(practitioner_id=practitioner_id)
    events.extend(
        (inv.issued_date, 0, "invoice", inv.number, str(inv.get_purpose_display()), inv.total_minor, 0, inv.currency)
        for inv in invoices
    )
    events.extend(
        (
            inv.updated_at.date(),
            3,
            "void",
            inv.number,
            str(InvoiceStatus.VOID.label),
            0,
            inv.balance_minor,
            inv.currency,
        )
        for inv in invoices
        if inv.status == InvoiceStatus.VOID
    )
    events.extend(
        (
            pay.received_date,
            1,
            "payment",
            pay.reference,
            str(pay.get_method_display()),
            0,
            pay.amount_minor,
            pay.currency,
        )
        for pay in Payment.objects.filter(practitioner_id=practitioner_id)
    )
    for adj in FinanceAdjustment.objects.filter(
        Q(payment__practitioner_id=practitioner_id) | Q(invoice__practitioner_id=practitioner_id),
        status=FinanceAdjustment.Status.APPROVED,
    ):
        refund = adj.kind == FinanceAdjustment.Kind.REFUND
        debit, credit = (adj.amount_minor, 0) if refund else (0, adj.amount_minor)
        when = (adj.decided_at or adj.created_at).date()
        events.append((when, 2, adj.kind.lower(), f"#{adj.pk}", adj.reason, debit, credit, adj.currency))
    events.sort(key=lambda event: (event[0], event[1]))
    rows = []
    balances: dict[str, int] = {}
    for when, _order, kind, reference, description, debit, credit, currency in events:
        balances[currency] = balances.get(currency, 0) + debit - credit
        rows.append(StatementRow(when, kind, reference, description, debit, credit, balances[currency], currency))
    return rows


# Finance ------------------------------------------------------------------------------------------

AGE_BANDS: list[tuple[str, int | None, int | None]] = [
    ("not_yet_due", None, 0),
    ("1_30", 1, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("over_90", 91, None),
]


def aged_debt() -> QuerySet[Invoice]:
    """Open invoices with something owing, the longest overdue first."""
    return (
        Invoice.objects.filter(status__in=OPEN_INVOICE_STATUSES)
        .select_related("practitioner", "register_entry")
        .order_by("due_date", "pk")
    )


def aged_debt_totals(*, on_date: dt.date) -> dict[str, dict[str, int]]:
    """Balance owed per currency and age band (days past the due date), summed in the database."""
    totals: dict[str, dict[str, int]] = {}
    for name, low, high in AGE_BANDS:
        # Days overdue = on_date - due_date, so a band [low, high] is a range of due dates.
        queryset = Invoice.objects.filter(status__in=OPEN_INVOICE_STATUSES)
        if low is not None:
            queryset = queryset.filter(due_date__lte=on_date - dt.timedelta(days=low))
        if high is not None:
            queryset = queryset.filter(due_date__gte=on_date - dt.timedelta(days=high))
        for row in queryset.values("currency").annotate(owed=Sum(F("total_minor") - F("paid_minor"))):
            totals.setdefault(row["currency"], {band: 0 for band, _low, _high in AGE_BANDS})[name] = int(row["owed"])
    return totals


def adjustments_awaiting() -> QuerySet[FinanceAdjustment]:
    return FinanceAdjustment.objects.filter(status=FinanceAdjustment.Status.REQUESTED).select_related(
        "payment__practitioner", "invoice__practitioner", "requested_by"
    )


def payment_unallocated(*, payment: Payment) -> int:
    """What is left of a payment after its allocations and refunds: credit to allocate or refund."""
    allocated = payment.allocations.aggregate(total=Coalesce(Sum("amount_minor"), 0))["total"]
    return int(payment.amount_minor - payment.refunded_minor - allocated)
