"""Finance staff: record manual payments with proof, allocate credit, aged debt, statements, exemptions,
and refunds and write-offs, which a second member of staff approves."""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from core.access import AuthenticatedRequest, access, staff
from core.exceptions import ApplicationError
from core.selectors import council_today
from licensing import gateway, selectors, services
from licensing.forms import (
    AllocateForm,
    DecisionForm,
    ExemptionForm,
    ManualPaymentForm,
    ReasonForm,
    RefundRequestForm,
    errors_text,
)
from licensing.models import FinanceAdjustment, Invoice, Payment
from registry.models import Practitioner

FINANCE = staff("licensing.manage_finance")
APPROVER = staff("licensing.approve_finance")


@access(FINANCE)
def debts(request: AuthenticatedRequest) -> HttpResponse:
    """The aged-debt list: totals by age band and currency, then every open invoice, longest overdue first."""
    today = council_today()
    page = Paginator(selectors.aged_debt(), 50).get_page(request.GET.get("page"))
    for invoice in page:
        invoice.days_overdue = (today - invoice.due_date).days  # type: ignore[attr-defined]
    return render(
        request,
        "licensing/finance/debts.html",
        {
            "page": page,
            "totals": selectors.aged_debt_totals(on_date=today),
            "bands": [name for name, _low, _high in selectors.AGE_BANDS],
            "awaiting": selectors.adjustments_awaiting().count(),
            "today": today,
        },
    )


@access(FINANCE)
@require_http_methods(["GET", "POST"])
def payment_new(request: AuthenticatedRequest) -> HttpResponse:
    form = ManualPaymentForm(request.POST or None, request.FILES or None, initial={"received_date": council_today()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            payment = services.payment_record(
                actor=request.user,
                invoice=data["invoice_number"],
                method=data["method"],
                reference=data["reference"],
                amount_minor=data["amount_minor"],
                currency=data["invoice_number"].currency,
                received_date=data["received_date"],
                proof=data.get("proof") or None,
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Payment %(reference)s recorded.") % {"reference": payment.reference})
            return redirect("finance:payment-detail", payment_id=payment.pk)
    return render(request, "licensing/finance/payment_new.html", {"form": form})


@access(FINANCE)
def payment_list(request: AuthenticatedRequest) -> HttpResponse:
    payments = Payment.objects.select_related("practitioner").order_by("-received_date", "-pk")
    query = request.GET.get("q", "").strip()
    if query:
        payments = payments.filter(reference__icontains=query)
    page = Paginator(payments, 50).get_page(request.GET.get("page"))
    return render(request, "licensing/finance/payments.html", {"page": page, "query": query})


def _payment(payment_id: int) -> Payment:
    return get_object_or_404(Payment.objects.select_related("practitioner", "recorded_by"), pk=payment_id)


@access(FINANCE)
def payment_detail(request: AuthenticatedRequest, payment_id: int) -> HttpResponse:
    payment = _payment(payment_id)
    return render(
        request,
        "licensing/finance/payment.html",
        {
            "payment": payment,
            "allocations": payment.allocations.select_related("invoice"),
            "adjustments": payment.adjustments.select_related("requested_by", "decided_by"),
            "unallocated": selectors.payment_unallocated(payment=payment),
            "refund_form": RefundRequestForm(currency=payment.currency),
            "allocate_form": AllocateForm(currency=payment.currency),
        },
    )


@access(FINANCE)
def payment_proof(request: AuthenticatedRequest, payment_id: int) -> FileResponse:
    payment = _payment(payment_id)
    if not payment.proof:
        raise Http404(_("No proof was uploaded for this payment."))
    response = FileResponse(payment.proof.open("rb"), as_attachment=True)
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


@access(FINANCE)
@require_POST
def payment_refund(request: AuthenticatedRequest, payment_id: int) -> HttpResponse:
    payment = _payment(payment_id)
    form = RefundRequestForm(request.POST, currency=payment.currency)
    if form.is_valid():
        try:
            services.refund_request(
                actor=request.user,
                payment=payment,
                amount_minor=form.cleaned_data["amount"],
                reason=form.cleaned_data["reason"],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Refund requested. A second member of staff must approve it."))
    else:
        messages.error(request, errors_text(form))
    return redirect("finance:payment-detail", payment_id=payment.pk)


@access(FINANCE)
@require_POST
def payment_allocate(request: AuthenticatedRequest, payment_id: int) -> HttpResponse:
    payment = _payment(payment_id)
    form = AllocateForm(request.POST, currency=payment.currency)
    if form.is_valid():
        try:
            services.payment_allocate(
                actor=request.user,
                payment=payment,
                invoice=form.cleaned_data["invoice_number"],
                amount_minor=form.cleaned_data["amount"],
            )
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Credit allocated."))
    else:
        messages.error(request, errors_text(form))
    return redirect("finance:payment-detail", payment_id=payment.pk)


def _invoice(invoice_id: int) -> Invoice:
    return get_object_or_404(Invoice.objects.select_related("practitioner", "register_entry", "period"), pk=invoice_id)


@access(FINANCE)
def invoice_detail(request: AuthenticatedRequest, invoice_id: int) -> HttpResponse:
    invoice = _invoice(invoice_id)
    return render(
        request,
        "licensing/finance/invoice.html",
        {
            "invoice": invoice,
            "lines": invoice.lines.select_related("rule_set"),
            "allocations": invoice.allocations.select_related("payment"),
            "adjustments": invoice.adjustments.select_related("requested_by", "decided_by"),
            "reason_form": ReasonForm(),
        },
    )


@access(FINANCE)
@require_POST
def invoice_write_off(request: AuthenticatedRequest, invoice_id: int) -> HttpResponse:
    return _invoice_action(
        request,
        invoice_id,
        services.write_off_request,
        _("Write-off requested. A second member of staff must approve it."),
    )


@access(FINANCE)
@require_POST
def invoice_void(request: AuthenticatedRequest, invoice_id: int) -> HttpResponse:
    return _invoice_action(
        request, invoice_id, services.void_request, _("Void requested. A second member of staff must approve it.")
    )


def _invoice_action(
    request: AuthenticatedRequest, invoice_id: int, service: Callable[..., object], done: str
) -> HttpResponse:
    invoice = _invoice(invoice_id)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Give the reason."))
    else:
        try:
            service(actor=request.user, invoice=invoice, reason=form.cleaned_data["reason"])
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, done)
    return redirect("finance:invoice-detail", invoice_id=invoice.pk)


@access(FINANCE)
def approvals(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "licensing/finance/approvals.html",
        {"adjustments": selectors.adjustments_awaiting().order_by("created_at"), "form": DecisionForm()},
    )


@access(APPROVER)
@require_POST
def approval_decide(request: AuthenticatedRequest, adjustment_id: int) -> HttpResponse:
    adjustment = get_object_or_404(FinanceAdjustment, pk=adjustment_id)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Select approve or reject."))
        return redirect("finance:approvals")
    try:
        services.adjustment_decide(
            actor=request.user,
            adjustment=adjustment,
            approve=form.cleaned_data["decision"] == "approve",
            note=form.cleaned_data["note"],
        )
    except gateway.PaymentProviderUnavailable as error:
        messages.error(request, error.message)
    except ApplicationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Decision recorded."))
    return redirect("finance:approvals")


@access(FINANCE)
def practitioner_statement(request: AuthenticatedRequest, practitioner_id: int) -> HttpResponse:
    practitioner = get_object_or_404(Practitioner, pk=practitioner_id)
    return render(
        request,
        "licensing/finance/statement.html",
        {
            "practitioner": practitioner,
            "rows": selectors.statement_for_practitioner(practitioner_id=practitioner.pk),
            "exemptions": practitioner.fee_exemptions.select_related("granted_by"),
            "exemption_form": ExemptionForm(initial={"starts_date": council_today()}),
        },
    )


@access(FINANCE)
@require_POST
def exemption_grant(request: AuthenticatedRequest, practitioner_id: int) -> HttpResponse:
    practitioner = get_object_or_404(Practitioner, pk=practitioner_id)
    form = ExemptionForm(request.POST)
    if form.is_valid():
        try:
            services.fee_exemption_grant(actor=request.user, practitioner=practitioner, **form.cleaned_data)
        except ApplicationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("Exemption granted."))
    else:
        messages.error(request, errors_text(form))
    return redirect("finance:practitioner-statement", practitioner_id=practitioner.pk)
