"""Forms for renewal, payments and finance. They validate input; services do the work."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from core.exceptions import UploadRejected
from core.money import AmountInvalid, parse_major
from core.uploads import upload_check
from licensing.models import Invoice, Payment
from licensing.services import MAX_PAYMENT_MINOR
from registry.forms import DateInput

YES_NO = [("yes", _("Yes")), ("no", _("No"))]
DECISIONS = [("approve", _("Approve")), ("reject", _("Reject"))]


class AmountField(forms.CharField):
    """Money typed in the currency's units ("520.00"); the form turns it into minor units with clean_amount."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 20)
        kwargs.setdefault("label", _("Amount"))
        kwargs.setdefault("error_messages", {"required": _("Enter the amount.")})
        super().__init__(**kwargs)


def errors_text(form: forms.Form) -> str:
    """A form's errors as one sentence, for a page that reports them in a message rather than beside fields."""
    return " ".join(str(error) for errors in form.errors.values() for error in errors)


def amount_in_minor(text: str, currency: str) -> int:
    try:
        amount = parse_major(text, currency)
    except AmountInvalid as exc:
        raise ValidationError(_("Enter an amount like 520.00, in %(currency)s.") % {"currency": currency}) from exc
    if amount <= 0:
        raise ValidationError(_("The amount must be more than zero."))
    if amount > MAX_PAYMENT_MINOR:
        raise ValidationError(_("That amount is too large. Check it and enter it again."))
    return amount


class RenewalDeclarationForm(forms.Form):
    fit_to_practise = forms.ChoiceField(
        label=_(
            "Do you declare that you are fit to practise, and that nothing has happened this year "
            "that the council should know about?"
        ),
        choices=YES_NO,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select yes if you are fit to practise.")},
    )
    disclosure = forms.CharField(
        label=_("If not, tell the council what has happened"),
        help_text=_(
            "For example, a criminal conviction, a finding by another regulator, "
            "or a health condition that affects your practice."
        ),
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("fit_to_practise") == "no" and not (data.get("disclosure") or "").strip():
            self.add_error("disclosure", _("Tell the council why you cannot declare that you are fit to practise."))
        return data


class CardPaymentForm(forms.Form):
    """What Stripe.js posts back: the tokenised card and the form's one-time key. No card number reaches us."""

    payment_method = forms.CharField(max_length=255, error_messages={"required": _("Enter your card details.")})
    form_key = forms.CharField(max_length=64)


class ManualPaymentForm(forms.Form):
    invoice_number = forms.CharField(label=_("Invoice number"), max_length=32)
    method = forms.ChoiceField(
        label=_("How was it paid?"),
        choices=[choice for choice in Payment.Method.choices if choice[0] != Payment.Method.CARD],
        widget=forms.RadioSelect,
        error_messages={"required": _("Select how it was paid.")},
    )
    reference = forms.CharField(
        label=_("Receipt or transaction reference"),
        max_length=100,
        help_text=_("The bank's, the cashier's or the mobile money reference. Each can be recorded once."),
        error_messages={"required": _("Enter the receipt reference.")},
    )
    amount = AmountField(help_text=_("In the invoice's currency, for example 520.00."))
    received_date = forms.DateField(label=_("Date received"), widget=DateInput())
    proof = forms.FileField(
        label=_("Proof of payment"),
        required=False,
        help_text=_(
            "A PDF, JPEG or PNG of the bank statement, deposit slip or mobile money message. "
            "Needed for bank transfers and mobile money."
        ),
    )

    def clean_invoice_number(self) -> Invoice:
        number = self.cleaned_data["invoice_number"].strip().upper()
        invoice = Invoice.objects.filter(number=number).first()
        if invoice is None:
            raise ValidationError(_("There is no invoice %(number)s.") % {"number": number})
        return invoice

    def clean_proof(self) -> Any:
        proof = self.cleaned_data.get("proof")
        if proof:
            try:
                upload_check(uploaded=proof)
            except UploadRejected as exc:
                raise ValidationError(exc.message) from exc
        return proof

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        invoice = data.get("invoice_number")
        if isinstance(invoice, Invoice) and data.get("amount"):
            try:
                data["amount_minor"] = amount_in_minor(data["amount"], invoice.currency)
            except ValidationError as error:
                self.add_error("amount", error)
        if data.get("method") in (Payment.Method.BANK_TRANSFER, Payment.Method.MOBILE_MONEY) and not data.get("proof"):
            self.add_error("proof", _("Upload the proof of payment."))
        return data


class AllocateForm(forms.Form):
    invoice_number = forms.CharField(label=_("Invoice number"), max_length=32)
    amount = AmountField()

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean_invoice_number(self) -> Invoice:
        number = self.cleaned_data["invoice_number"].strip().upper()
        invoice = Invoice.objects.filter(number=number).first()
        if invoice is None:
            raise ValidationError(_("There is no invoice %(number)s.") % {"number": number})
        return invoice

    def clean_amount(self) -> int:
        return amount_in_minor(self.cleaned_data["amount"], self.currency)


class RefundRequestForm(forms.Form):
    amount = AmountField()
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args: Any, currency: str, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.currency = currency

    def clean_amount(self) -> int:
        return amount_in_minor(self.cleaned_data["amount"], self.currency)


class ReasonForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reason.")},
    )


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=DECISIONS,
        widget=forms.RadioSelect,
        error_messages={"required": _("Select approve or reject.")},
    )
    note = forms.CharField(
        label=_("Reason"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when you reject."),
    )


class RestorationForm(forms.Form):
    fit_to_practise = RenewalDeclarationForm.base_fields["fit_to_practise"]
    statement = forms.CharField(
        label=_("Why did your registration lapse, and is there anything the council should know?"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 5}),
        error_messages={"required": _("Tell the council why your registration lapsed.")},
    )


class RestorationDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Restore the registration")), ("refuse", _("Refuse"))],
        widget=forms.RadioSelect,
        error_messages={"required": _("Select a decision.")},
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reason for the decision.")},
    )


class ExtensionForm(forms.Form):
    due_date = forms.DateField(label=_("Fee due by"), widget=DateInput())
    penalty_from_date = forms.DateField(label=_("Late penalty from"), widget=DateInput())
    lapse_date = forms.DateField(label=_("Lapses on"), widget=DateInput())
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        error_messages={"required": _("Give the reason for the extension.")},
    )


class ExemptionForm(forms.Form):
    code = forms.SlugField(
        label=_("Exemption"),
        max_length=40,
        help_text=_("A short name, for example over-65, non-practising or ill-health."),
    )
    discount_percent = forms.IntegerField(label=_("Discount (%)"), min_value=1, max_value=100)
    starts_date = forms.DateField(label=_("From"), widget=DateInput())
    ends_date = forms.DateField(label=_("Until"), widget=DateInput(), required=False)
    reason = forms.CharField(label=_("Reason"), max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts, ends = data.get("starts_date"), data.get("ends_date")
        if starts and ends and ends < starts:
            self.add_error("ends_date", _("The exemption must end on or after the day it starts."))
        return data
