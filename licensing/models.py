"""Annual practising licences: renewal periods, invoices and their lines, payments, declarations, licences.

Money is integer minor units plus an ISO 4217 currency code, everywhere.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel

_CURRENCY = Q(currency__regex=r"^[A-Z]{3}$")


class FeeType(models.TextChoices):
    APPLICATION = "application", _("Application fee")
    REGISTRATION = "registration", _("Registration fee")
    ANNUAL = "annual", _("Annual fee")
    LATE_PENALTY = "late_penalty", _("Late payment penalty")
    RESTORATION = "restoration", _("Restoration fee")
    EXAM = "exam", _("Examination fee")
    DUPLICATE_CERTIFICATE = "certificate", _("Duplicate certificate")
    EXEMPTION = "exemption", _("Exemption or discount")
    FINE = "fine", _("Fine (conduct sanction)")


class RenewalPeriod(TimeStampedModel):
    """One licence year and its legal dates, computed from the rule version in force when it opened."""

    year = models.PositiveSmallIntegerField(_("year"), unique=True)
    rule_set = models.ForeignKey("core.RuleSet", on_delete=models.PROTECT, related_name="+")
    opens_date = models.DateField(_("renewal opens"))
    due_date = models.DateField(_("fee due"))
    penalty_from_date = models.DateField(_("late penalty from"))
    lapse_date = models.DateField(_("lapse on"))
    valid_from_date = models.DateField(_("licences valid from"))
    valid_to_date = models.DateField(_("licences valid to"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("renewal period")
        verbose_name_plural = _("renewal periods")
        ordering = ("-year",)
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(opens_date__lte=F("due_date"))
                & Q(due_date__lt=F("penalty_from_date"))
                & Q(penalty_from_date__lte=F("lapse_date"))
                & Q(valid_from_date__lte=F("valid_to_date")),
                name="licensing_period_dates_ordered",
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.year}"


class RenewalExtension(TimeStampedModel):
    """Staff moved one registrant's penalty and lapse dates (and so their reminders) for one period."""

    register_entry = models.ForeignKey("registry.RegisterEntry", on_delete=models.PROTECT, related_name="extensions")
    period = models.ForeignKey(RenewalPeriod, on_delete=models.PROTECT, related_name="extensions")
    due_date = models.DateField(_("fee due"))
    penalty_from_date = models.DateField(_("late penalty from"))
    lapse_date = models.DateField(_("lapse on"))
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("renewal extension")
        verbose_name_plural = _("renewal extensions")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["register_entry", "period"], name="licensing_one_extension_per_period"),
            models.CheckConstraint(
                condition=Q(due_date__lt=F("penalty_from_date")) & Q(penalty_from_date__lte=F("lapse_date")),
                name="licensing_extension_dates_ordered",
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="licensing_extension_has_reason"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} entry {self.register_entry_id} period {self.period_id}"


class FeeExemption(TimeStampedModel):
    """A discount on one fee type, granted by staff with a reason (65+, non-practising, ill health...)."""

    practitioner = models.ForeignKey("registry.Practitioner", on_delete=models.PROTECT, related_name="fee_exemptions")
    code = models.SlugField(_("exemption"), max_length=40)
    fee_type = models.CharField(_("fee type"), max_length=20, choices=FeeType.choices, default=FeeType.ANNUAL)
    discount_percent = models.PositiveSmallIntegerField(_("discount (%)"))
    starts_date = models.DateField(_("from"))
    ends_date = models.DateField(_("until"), null=True, blank=True)
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("fee exemption")
        verbose_name_plural = _("fee exemptions")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(discount_percent__gte=1, discount_percent__lte=100), name="licensing_exemption_percent"
            ),
            models.CheckConstraint(condition=~Q(reason=""), name="licensing_exemption_has_reason"),
            models.CheckConstraint(
                condition=Q(ends_date__isnull=True) | Q(ends_date__gte=F("starts_date")),
                name="licensing_exemption_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.code} {self.discount_percent}%"


class InvoiceNumberCounter(models.Model):
    """Invoice numbers per year, taken in blocks with one UPDATE ... RETURNING; never reused."""

    year = models.PositiveSmallIntegerField(unique=True)
    last_value = models.PositiveBigIntegerField(default=0)

    def __str__(self) -> str:
        return f"#{self.pk} {self.year}: {self.last_value}"


class InvoiceStatus(models.TextChoices):
    ISSUED = "ISSUED", _("Issued")
    PART_PAID = "PART_PAID", _("Part paid")
    PAID = "PAID", _("Paid")
    VOID = "VOID", _("Void")
    WRITTEN_OFF = "WRITTEN_OFF", _("Written off")


# Invoices that can still be paid, written off or voided.
OPEN_INVOICE_STATUSES = frozenset({InvoiceStatus.ISSUED, InvoiceStatus.PART_PAID})


class Invoice(TimeStampedModel):
    class Purpose(models.TextChoices):
        RENEWAL = "RENEWAL", _("Annual renewal")
        RESTORATION = "RESTORATION", _("Restoration")
        EXAM = "EXAM", _("Examination")
        FINE = "FINE", _("Fine")
        OTHER = "OTHER", _("Other")

    Status = InvoiceStatus

    number = models.CharField(_("invoice number"), max_length=32, unique=True)
    practitioner = models.ForeignKey("registry.Practitioner", on_delete=models.PROTECT, related_name="invoices")
    register_entry = models.ForeignKey(
        "registry.RegisterEntry", null=True, blank=True, on_delete=models.PROTECT, related_name="invoices"
    )
    period = models.ForeignKey(RenewalPeriod, null=True, blank=True, on_delete=models.PROTECT, related_name="invoices")
    purpose = models.CharField(_("purpose"), max_length=20, choices=Purpose.choices)
    status = models.CharField(_("status"), max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED)
    currency = models.CharField(_("currency"), max_length=3)
    total_minor = models.BigIntegerField(_("total (minor units)"))
    paid_minor = models.BigIntegerField(_("paid (minor units)"), default=0)
    issued_date = models.DateField(_("issued on"))
    due_date = models.DateField(_("due on"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("invoice")
        verbose_name_plural = _("invoices")
        ordering = ("-issued_date", "-id")
        permissions: ClassVar = [
            ("manage_finance", "Can record payments and see debts"),
            ("approve_finance", "Can approve refunds and write-offs (second member of staff)"),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(status__in=InvoiceStatus.values), name="licensing_invoice_status_valid"),
            models.CheckConstraint(
                condition=Q(purpose__in=["RENEWAL", "RESTORATION", "EXAM", "FINE", "OTHER"]),
                name="licensing_invoice_purpose_valid",
            ),
            models.CheckConstraint(condition=_CURRENCY, name="licensing_invoice_currency_iso"),
            models.CheckConstraint(
                condition=Q(total_minor__gte=0, paid_minor__gte=0), name="licensing_invoice_amounts_positive"
            ),
            models.CheckConstraint(
                condition=~Q(status="PAID") | Q(paid_minor__gte=F("total_minor")), name="licensing_invoice_paid_in_full"
            ),
            models.UniqueConstraint(
                fields=["register_entry", "period"],
                condition=Q(purpose="RENEWAL"),
                name="licensing_one_renewal_invoice_per_period",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["status", "due_date"], name="licensing_invoice_debt_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.number}"

    @property
    def balance_minor(self) -> int:
        return max(self.total_minor - self.paid_minor, 0)


class InvoiceLine(TimeStampedModel):
    """One charge (or discount, negative) on an invoice, with the rule version it came from."""

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="lines")
    fee_type = models.CharField(_("fee type"), max_length=20, choices=FeeType.choices)
    description = models.CharField(_("description"), max_length=200)
    amount_minor = models.BigIntegerField(_("amount (minor units)"))
    rule_set = models.ForeignKey("core.RuleSet", on_delete=models.PROTECT, related_name="+")
    exemption = models.ForeignKey(FeeExemption, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("invoice line")
        verbose_name_plural = _("invoice lines")
        ordering = ("id",)
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(fee_type__in=FeeType.values), name="licensing_line_fee_type_valid"),
            models.UniqueConstraint(
                fields=["invoice"], condition=Q(fee_type="late_penalty"), name="licensing_one_penalty_per_invoice"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.fee_type} {self.amount_minor}"


class Payment(TimeStampedModel):
    class Method(models.TextChoices):
        CARD = "CARD", _("Card (online)")
        BANK_TRANSFER = "BANK_TRANSFER", _("Bank transfer")
        CASH = "CASH", _("Cash")
        MOBILE_MONEY = "MOBILE_MONEY", _("Mobile money")

    practitioner = models.ForeignKey("registry.Practitioner", on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(_("method"), max_length=20, choices=Method.choices)
    reference = models.CharField(_("receipt reference"), max_length=100)
    amount_minor = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    received_date = models.DateField(_("received on"))
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    proof = models.FileField(_("proof of payment"), upload_to="payments/%Y/%m/", blank=True)
    refunded_minor = models.BigIntegerField(_("refunded (minor units)"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ("-received_date", "-id")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(method__in=["CARD", "BANK_TRANSFER", "CASH", "MOBILE_MONEY"]),
                name="licensing_payment_method_valid",
            ),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="licensing_payment_positive"),
            models.CheckConstraint(
                condition=Q(refunded_minor__gte=0, refunded_minor__lte=F("amount_minor")),
                name="licensing_payment_refund_within_amount",
            ),
            models.CheckConstraint(condition=_CURRENCY, name="licensing_payment_currency_iso"),
            # Idempotent per receipt number (manual) and per PaymentIntent (card).
            models.UniqueConstraint(fields=["method", "reference"], name="licensing_payment_reference_unique"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.method} {self.reference}"


class PaymentAllocation(TimeStampedModel):
    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="allocations")
    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="allocations")
    amount_minor = models.BigIntegerField(_("amount (minor units)"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("payment allocation")
        verbose_name_plural = _("payment allocations")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="licensing_allocation_positive"),
            models.UniqueConstraint(fields=["payment", "invoice"], name="licensing_allocation_once"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.amount_minor} to invoice {self.invoice_id}"


class RenewalDeclaration(TimeStampedModel):
    """The registrant's declaration for one period: fit to practise, or not (with what they disclose)."""

    register_entry = models.ForeignKey("registry.RegisterEntry", on_delete=models.PROTECT, related_name="declarations")
    period = models.ForeignKey(RenewalPeriod, on_delete=models.PROTECT, related_name="declarations")
    is_fit_to_practise = models.BooleanField(_("fit to practise"))
    disclosure = models.TextField(_("anything the council should know"), blank=True)
    declared_at = models.DateTimeField(_("declared at"))
    declared_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("renewal declaration")
        verbose_name_plural = _("renewal declarations")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["register_entry", "period"], name="licensing_one_declaration_per_period")
        ]

    def __str__(self) -> str:
        return f"#{self.pk} entry {self.register_entry_id} {self.period_id}"


class Licence(TimeStampedModel):
    """The right to practise for one period: issued when the declaration, fee and CPD steps are all met."""

    register_entry = models.ForeignKey("registry.RegisterEntry", on_delete=models.PROTECT, related_name="licences")
    period = models.ForeignKey(RenewalPeriod, on_delete=models.PROTECT, related_name="licences")
    number = models.CharField(_("licence number"), max_length=40, unique=True)
    valid_from_date = models.DateField(_("valid from"))
    valid_to_date = models.DateField(_("valid to"))
    issued_at = models.DateTimeField(_("issued at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("practising licence")
        verbose_name_plural = _("practising licences")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["register_entry", "period"], name="licensing_one_licence_per_period"),
            models.CheckConstraint(
                condition=Q(valid_from_date__lte=F("valid_to_date")), name="licensing_licence_dates_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.number}"


class CardPayment(TimeStampedModel):
    """One attempt to pay an invoice by card: a Stripe PaymentIntent and what became of it.

    The Payment row is made only when Stripe's signed webhook says the intent succeeded.
    """

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Waiting for confirmation")
        SUCCEEDED = "SUCCEEDED", _("Succeeded")
        FAILED = "FAILED", _("Failed")
        CANCELED = "CANCELED", _("Cancelled")

    invoice = models.ForeignKey(Invoice, on_delete=models.PROTECT, related_name="card_payments")
    intent_id = models.CharField(_("PaymentIntent"), max_length=255, unique=True)
    idempotency_key = models.CharField(_("idempotency key"), max_length=255, unique=True)
    client_secret = models.CharField(max_length=255, blank=True)
    amount_minor = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PENDING)
    failure_message = models.TextField(_("why it failed"), blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    payment = models.OneToOneField(
        Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="card_payment"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("card payment")
        verbose_name_plural = _("card payments")
        ordering = ("-created_at",)
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(status__in=["PENDING", "SUCCEEDED", "FAILED", "CANCELED"]),
                name="licensing_card_payment_status_valid",
            ),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="licensing_card_payment_positive"),
            models.CheckConstraint(condition=_CURRENCY, name="licensing_card_payment_currency_iso"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.intent_id}"


class StripeEvent(TimeStampedModel):
    """A verified Stripe webhook event, stored once by its id, then processed by a Celery task."""

    class Status(models.TextChoices):
        RECEIVED = "RECEIVED", _("Received")
        PROCESSED = "PROCESSED", _("Processed")
        IGNORED = "IGNORED", _("Ignored")

    event_id = models.CharField(_("event id"), max_length=255, unique=True)
    type = models.CharField(_("type"), max_length=100)
    provider_created_at = models.DateTimeField(_("created at Stripe"))
    data_object = models.JSONField(_("event object"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    processed_at = models.DateTimeField(_("processed at"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("Stripe event")
        verbose_name_plural = _("Stripe events")
        ordering = ("-created_at",)
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(status__in=["RECEIVED", "PROCESSED", "IGNORED"]), name="licensing_stripe_event_status"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_id} {self.type}"


class FinanceAdjustment(TimeStampedModel):
    """A refund of a payment, or a write-off or void of an invoice: asked for by one member of staff, approved by
    another."""

    class Kind(models.TextChoices):
        REFUND = "REFUND", _("Refund")
        WRITE_OFF = "WRITE_OFF", _("Write-off")
        VOID = "VOID", _("Void")

    class Status(models.TextChoices):
        REQUESTED = "REQUESTED", _("Awaiting approval")
        APPROVED = "APPROVED", _("Approved")
        REJECTED = "REJECTED", _("Rejected")

    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT, related_name="adjustments")
    invoice = models.ForeignKey(Invoice, null=True, blank=True, on_delete=models.PROTECT, related_name="adjustments")
    amount_minor = models.BigIntegerField(_("amount (minor units)"))
    currency = models.CharField(_("currency"), max_length=3)
    reason = models.TextField(_("reason"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("note on the decision"), blank=True)
    provider_reference = models.CharField(_("provider reference"), max_length=255, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("refund or write-off")
        verbose_name_plural = _("refunds and write-offs")
        ordering = ("-created_at",)
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(kind__in=["REFUND", "WRITE_OFF", "VOID"]), name="licensing_adjustment_kind"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["REQUESTED", "APPROVED", "REJECTED"]), name="licensing_adjustment_status"
            ),
            models.CheckConstraint(
                condition=Q(kind="REFUND", payment__isnull=False)
                | Q(kind__in=["WRITE_OFF", "VOID"], invoice__isnull=False),
                name="licensing_adjustment_names_its_object",
            ),
            models.CheckConstraint(condition=Q(amount_minor__gt=0), name="licensing_adjustment_positive"),
            models.CheckConstraint(condition=_CURRENCY, name="licensing_adjustment_currency_iso"),
            models.CheckConstraint(condition=~Q(reason=""), name="licensing_adjustment_has_reason"),
            # The second pair of eyes, in the database too: nobody approves their own request.
            models.CheckConstraint(
                condition=Q(decided_by__isnull=True) | ~Q(decided_by=F("requested_by")),
                name="licensing_adjustment_second_person",
            ),
            models.CheckConstraint(
                condition=Q(status="REQUESTED") | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="licensing_adjustment_decision_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.amount_minor} {self.currency}"


class RestorationApplication(TimeStampedModel):
    """A lapsed registrant asks to be restored: they pay the restoration fee and arrears; a registrar decides."""

    class Status(models.TextChoices):
        SUBMITTED = "SUBMITTED", _("Submitted")
        APPROVED = "APPROVED", _("Approved")
        REFUSED = "REFUSED", _("Refused")

    register_entry = models.ForeignKey("registry.RegisterEntry", on_delete=models.PROTECT, related_name="restorations")
    invoice = models.OneToOneField(Invoice, on_delete=models.PROTECT, related_name="restoration")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    is_fit_to_practise = models.BooleanField(_("fit to practise"))
    statement = models.TextField(_("why the registration lapsed, and anything the council should know"))
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reason for the decision"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("restoration application")
        verbose_name_plural = _("restoration applications")
        ordering = ("-created_at",)
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(status__in=["SUBMITTED", "APPROVED", "REFUSED"]), name="licensing_restoration_status"
            ),
            models.UniqueConstraint(
                fields=["register_entry"],
                condition=Q(status="SUBMITTED"),
                name="licensing_one_open_restoration",
            ),
            models.CheckConstraint(
                condition=Q(status="SUBMITTED") | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="licensing_restoration_decision_recorded",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} entry {self.register_entry_id} {self.status}"


class RenewalReminder(models.Model):
    """A reminder sent for one registrant, period and offset: the log that makes the reminder job idempotent."""

    class Kind(models.TextChoices):
        DUE = "DUE", _("Fee due")
        AT_RISK = "AT_RISK", _("At risk of lapsing")

    register_entry = models.ForeignKey("registry.RegisterEntry", on_delete=models.PROTECT, related_name="+")
    period = models.ForeignKey(RenewalPeriod, on_delete=models.PROTECT, related_name="reminders")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    days_before = models.IntegerField()
    sent_on = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("renewal reminder")
        verbose_name_plural = _("renewal reminders")
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["register_entry", "period", "kind", "days_before"], name="licensing_reminder_once"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.days_before}d entry {self.register_entry_id}"
