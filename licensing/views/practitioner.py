"""The registrant's pages: renewal and its three steps, paying by card, statement, receipts, certificates,
and restoration after a lapse. Every object is looked up through the signed-in user, so nobody sees
anyone else's."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from core.access import AUTHENTICATED, AuthenticatedRequest, access
from core.exceptions import ApplicationError
from core.selectors import council_get, council_today
from licensing import certificates, gateway, selectors, services
from licensing.forms import CardPaymentForm, RenewalDeclarationForm, RestorationForm
from licensing.models import CardPayment, Invoice, Licence, Payment, RenewalPeriod, RestorationApplication
from registry.models import RegisterEntry


def _own_entry(request: AuthenticatedRequest, entry_id: int) -> RegisterEntry:
    try:
        return selectors.entries_for_user(user=request.user).get(pk=entry_id)
    except RegisterEntry.DoesNotExist as exc:
        raise Http404(_("Registration not found.")) from exc


def _own_invoice(request: AuthenticatedRequest, invoice_id: int) -> Invoice:
    try:
        return selectors.invoice_get_for_user(user=request.user, invoice_id=invoice_id)
    except Invoice.DoesNotExist as exc:
        raise Http404(_("Invoice not found.")) from exc


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@access(AUTHENTICATED)
def renewal_overview(request: AuthenticatedRequest) -> HttpResponse:
    """Each registration: this year's renewal as three steps, its licences, and restoration if lapsed."""
    today = council_today()
    periods = list(selectors.periods_open(on_date=today))
    registrations = []
    for entry in selectors.entries_for_user(user=request.user).order_by("pk"):
        practising = entry.status in services.PRACTISING
        registrations.append(
            {
                "entry": entry,
                "renewals": [selectors.renewal_state(entry=entry, period=period) for period in periods]
                if practising
                else [],
                "licences": Licence.objects.filter(register_entry=entry)
                .select_related("period")
                .order_by("-period__year"),
                "restoration": RestorationApplication.objects.filter(register_entry=entry)
                .select_related("invoice")
                .first(),
                "arrears": services.restoration_arrears(entry=entry)
                if entry.status == RegisterEntry.Status.LAPSED
                else [],
            }
        )
    return render(request, "licensing/overview.html", {"registrations": registrations, "today": today})


@access(AUTHENTICATED)
@require_http_methods(["GET", "POST"])
def renewal_declare(request: AuthenticatedRequest, entry_id: int, year: int) -> HttpResponse:
    entry = _own_entry(request, entry_id)
    period = RenewalPeriod.objects.filter(year=year).first()
    if period is None:
        raise Http404(_("There is no renewal for that year."))
    state = selectors.renewal_state(entry=entry, period=period)
    if state.declaration is not None:
        messages.info(request, _("You have already made your declaration for %(year)s.") % {"year": year})
        return redirect("licensing:overview")
    form = RenewalDeclarationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.renewal_declare(
                actor=request.user,
                entry=entry,
                period=period,
                is_fit_to_practise=form.cleaned_data["fit_to_practise"] == "yes",
                disclosure=form.cleaned_data["disclosure"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("Your declaration for %(year)s has been recorded.") % {"year": year})
            return redirect("licensing:overview")
    return render(request, "licensing/declare.html", {"form": form, "state": state})


@access(AUTHENTICATED)
def invoice_detail(request: AuthenticatedRequest, invoice_id: int) -> HttpResponse:
    invoice = _own_invoice(request, invoice_id)
    payments = Payment.objects.filter(allocations__invoice=invoice).distinct()
    return render(
        request,
        "licensing/invoice.html",
        {"invoice": invoice, "lines": invoice.lines.all(), "payments": payments},
    )


@access(AUTHENTICATED)
# Stripe is called outside any transaction (card_payment_start's contract): no transaction is held open across
# a slow provider, and the CardPayment commits as soon as Stripe has answered, whatever the rest of the request does.
@transaction.non_atomic_requests
@require_http_methods(["GET", "POST"])
def invoice_pay(request: AuthenticatedRequest, invoice_id: int) -> HttpResponse:
    """Pay the balance by card. Stripe.js turns the card into a token in the browser; the server creates
    and confirms the PaymentIntent with an idempotency key; the webhook records the money."""
    invoice = _own_invoice(request, invoice_id)
    if invoice.status not in services.OPEN_INVOICE or invoice.balance_minor <= 0:
        messages.info(request, _("Invoice %(number)s has nothing left to pay.") % {"number": invoice.number})
        return redirect("licensing:invoice-detail", invoice_id=invoice.pk)
    form = CardPaymentForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            card = services.card_payment_start(
                actor=request.user,
                invoice=invoice,
                payment_method=form.cleaned_data["payment_method"],
                form_key=form.cleaned_data["form_key"],
            )
        except gateway.PaymentProviderUnavailable as error:
            form.add_error(None, error.message)
            status = 503
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            return redirect("licensing:card-payment", card_payment_id=card.pk)
    return render(
        request,
        "licensing/pay.html",
        {
            "invoice": invoice,
            "form": form,
            # A new one-time key each time the form is shown; a failed attempt's key may already name an intent.
            "form_key": secrets.token_urlsafe(24),
            "stripe_js_url": settings.STRIPE_JS_URL,
            "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        },
        status=status,
    )


@access(AUTHENTICATED)
def card_payment(request: AuthenticatedRequest, card_payment_id: int) -> HttpResponse:
    """Where the payer waits for Stripe: authentication if the bank asks for it, then the webhook's word."""
    card = (
        CardPayment.objects.select_related("invoice", "payment")
        .filter(pk=card_payment_id, invoice__practitioner__user=request.user)
        .first()
    )
    if card is None:
        raise Http404(_("Payment not found."))
    return render(
        request,
        "licensing/card_payment.html",
        {
            "card": card,
            "invoice": card.invoice,
            "waiting": card.status == CardPayment.Status.PENDING,
            "stripe_js_url": settings.STRIPE_JS_URL,
            "stripe_publishable_key": settings.STRIPE_PUBLISHABLE_KEY,
        },
    )


@access(AUTHENTICATED)
def statement(request: AuthenticatedRequest) -> HttpResponse:
    practitioner = getattr(request.user, "practitioner", None)
    rows = selectors.statement_for_practitioner(practitioner_id=practitioner.pk) if practitioner else []
    invoices = Invoice.objects.filter(practitioner=practitioner).order_by("-issued_date", "-pk") if practitioner else []
    return render(request, "licensing/statement.html", {"rows": rows, "invoices": invoices})


@access(AUTHENTICATED)
def payment_receipt(request: AuthenticatedRequest, payment_id: int) -> HttpResponse:
    try:
        payment = selectors.payment_get_for_user(user=request.user, payment_id=payment_id)
    except Payment.DoesNotExist as exc:
        raise Http404(_("Payment not found.")) from exc
    return _pdf(certificates.receipt_pdf(receipt_data(payment)), f"receipt-{payment.pk}.pdf")


def receipt_data(payment: Payment) -> certificates.ReceiptData:
    council = council_get()
    allocations = list(payment.allocations.select_related("invoice"))
    entry = RegisterEntry.objects.filter(practitioner_id=payment.practitioner_id).order_by("pk").first()
    return certificates.ReceiptData(
        council_name=council.name if council else _("Council registry"),
        receipt_number=f"R-{payment.pk:07d}",
        payer_name=payment.practitioner.full_name,
        registration_number=entry.registration_number if entry else "",
        paid_date=payment.received_date,
        currency=payment.currency,
        lines=[(_("Invoice %(number)s") % {"number": a.invoice.number}, a.amount_minor) for a in allocations]
        or [(_("Payment on account"), payment.amount_minor)],
        total_minor=payment.amount_minor,
        payment_method=str(payment.get_method_display()),
        reference=payment.reference,
    )


@access(AUTHENTICATED)
def licence_certificate(request: AuthenticatedRequest, licence_id: int) -> HttpResponse:
    try:
        licence = selectors.licence_get_for_user(user=request.user, licence_id=licence_id)
    except Licence.DoesNotExist as exc:
        raise Http404(_("Licence not found.")) from exc
    return _pdf(certificates.certificate_pdf(certificate_data(request, licence)), f"certificate-{licence.number}.pdf")


def certificate_data(request: AuthenticatedRequest, licence: Licence) -> certificates.CertificateData:
    entry = licence.register_entry
    council = council_get()
    return certificates.CertificateData(
        council_name=council.name if council else _("Council registry"),
        practitioner_name=entry.practitioner.full_name,
        registration_number=entry.registration_number,
        category_name=entry.category.name,
        licence_number=licence.number,
        valid_from=licence.valid_from_date,
        valid_to=licence.valid_to_date,
        issued_on=licence.issued_at.date(),
        verify_url=request.build_absolute_uri(reverse("portal:register-record", args=[entry.registration_number])),
        conditions=entry.conditions,
    )


@access(AUTHENTICATED)
@require_http_methods(["GET", "POST"])
def restoration_apply(request: AuthenticatedRequest, entry_id: int) -> HttpResponse:
    entry = _own_entry(request, entry_id)
    if entry.status != RegisterEntry.Status.LAPSED:
        messages.info(request, _("Only a lapsed registration can be restored."))
        return redirect("licensing:overview")
    form = RestorationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            restoration = services.restoration_apply(
                actor=request.user,
                entry=entry,
                is_fit_to_practise=form.cleaned_data["fit_to_practise"] == "yes",
                statement=form.cleaned_data["statement"],
            )
        except ApplicationError as error:
            form.add_error(None, error.message)
        else:
            messages.success(
                request,
                _("Your application has been sent. Pay invoice %(number)s and the registrar will decide.")
                % {"number": restoration.invoice.number},
            )
            return redirect("licensing:invoice-detail", invoice_id=restoration.invoice_id)
    return render(request, "licensing/restore.html", {"form": form, "entry": entry})
