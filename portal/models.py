"""Employer services and public verification: organisations, API keys, rosters, change alerts, statements.

Nothing here is regulated data. Rosters, keys and alert settings belong to an employer organisation
and are read only by its own users (portal.selectors scopes every read by organisation).
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel


class AlertFrequency(models.TextChoices):
    IMMEDIATE = "IMMEDIATE", _("As soon as it happens")
    DAILY = "DAILY", _("Once a day, in a digest")
    NONE = "NONE", _("No emails")


class EmployerOrganisation(TimeStampedModel):
    """An employer that verifies its staff: its users, API keys, roster and alert settings."""

    name = models.CharField(_("name"), max_length=200)
    registration_number = models.CharField(_("organisation registration number"), max_length=60, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    alert_frequency = models.CharField(
        _("alert emails"), max_length=10, choices=AlertFrequency.choices, default=AlertFrequency.DAILY
    )
    webhook_url = models.URLField(_("webhook address"), max_length=500, blank=True)
    # The HMAC secret must be held in the clear to sign with; it is shown once to the employer.
    webhook_secret = models.CharField(max_length=64, blank=True)
    history = HistoricalRecords(excluded_fields=["webhook_secret"])

    class Meta:
        verbose_name = _("employer organisation")
        verbose_name_plural = _("employer organisations")
        ordering = ("name",)
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(alert_frequency__in=AlertFrequency.values), name="portal_org_alert_frequency_valid"
            ),
            models.CheckConstraint(
                condition=Q(webhook_url="") | ~Q(webhook_secret=""), name="portal_org_webhook_has_secret"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"


class EmployerMember(TimeStampedModel):
    """A user who acts for an organisation. A user belongs to at most one."""

    organisation = models.ForeignKey(EmployerOrganisation, on_delete=models.CASCADE, related_name="members")
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="employer_member")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("employer user")
        verbose_name_plural = _("employer users")

    def __str__(self) -> str:
        return f"#{self.pk} user {self.user_id} of {self.organisation_id}"


class ApiKey(TimeStampedModel):
    """An API key. Only its prefix (to find it) and the SHA-256 of the whole key (to check it) are stored."""

    organisation = models.ForeignKey(EmployerOrganisation, on_delete=models.CASCADE, related_name="api_keys")
    name = models.CharField(_("name"), max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"#{self.pk} {self.prefix}"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


class RosterSource(models.TextChoices):
    UPLOAD = "UPLOAD", _("Uploaded file")
    API = "API", _("API")


class RosterEntry(TimeStampedModel):
    """One practitioner an employer watches."""

    organisation = models.ForeignKey(EmployerOrganisation, on_delete=models.CASCADE, related_name="roster")
    register_entry = models.ForeignKey("registry.RegisterEntry", on_delete=models.PROTECT, related_name="+")
    staff_reference = models.CharField(_("your reference"), max_length=60, blank=True)
    source = models.CharField(_("added by"), max_length=10, choices=RosterSource.choices)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("roster entry")
        verbose_name_plural = _("roster entries")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "register_entry"], name="portal_roster_once_per_org"),
        ]
        indexes: ClassVar = [models.Index(fields=["register_entry"], name="portal_roster_entry_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} entry {self.register_entry_id} for {self.organisation_id}"


class RosterUpload(TimeStampedModel):
    """A roster file as uploaded, with its outcome row by row (the good rows are kept, the bad ones explained)."""

    organisation = models.ForeignKey(EmployerOrganisation, on_delete=models.CASCADE, related_name="roster_uploads")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField(_("file name"), max_length=255)
    rows_total = models.PositiveIntegerField(default=0)
    rows_added = models.PositiveIntegerField(default=0)
    rows_already = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name = _("roster upload")
        verbose_name_plural = _("roster uploads")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"


class AlertKind(models.TextChoices):
    STATUS = "STATUS", _("Register status changed")
    LICENCE = "LICENCE", _("Practising licence issued")
    NOTICE = "NOTICE", _("Fitness to practise notice")


class ChangeAlert(models.Model):
    """A change to a rostered practitioner, found in the audit events, for one organisation."""

    Kind = AlertKind

    organisation = models.ForeignKey(EmployerOrganisation, on_delete=models.CASCADE, related_name="alerts")
    register_entry = models.ForeignKey("registry.RegisterEntry", on_delete=models.PROTECT, related_name="+")
    audit_event = models.ForeignKey("core.AuditEvent", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(max_length=10, choices=AlertKind.choices)
    before = models.JSONField(default=dict, blank=True)
    after = models.JSONField(default=dict, blank=True)
    occurred_at = models.DateTimeField()
    created_at = models.DateTimeField(default=timezone.now)
    emailed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("change alert")
        verbose_name_plural = _("change alerts")
        ordering = ("-occurred_at", "-id")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "audit_event"], name="portal_alert_once_per_event"),
        ]
        indexes: ClassVar = [
            models.Index(fields=["organisation", "emailed_at"], name="portal_alert_unsent_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} entry {self.register_entry_id}"

    def description(self) -> str:
        """The change in words, in the active language."""
        from django.utils.translation import gettext

        from registry.models import RegisterEntryStatus

        labels = dict(RegisterEntryStatus.choices)
        if self.kind == AlertKind.STATUS:
            return gettext("Register status changed from %(before)s to %(after)s.") % {
                "before": labels.get(self.before.get("status", ""), self.before.get("status", "")),
                "after": labels.get(self.after.get("status", ""), self.after.get("status", "")),
            }
        if self.kind == AlertKind.LICENCE:
            return gettext("A practising licence was issued, valid until %(date)s.") % {
                "date": self.after.get("valid_to", "")
            }
        if self.after.get("action") == "publication.taken_down":
            return gettext("A fitness to practise notice was taken down from the public register.")
        return gettext("A fitness to practise notice was published on the public register.")


class AlertCursor(models.Model):
    """How far through the audit events the alert job has read. One row."""

    name = models.CharField(max_length=40, unique=True)
    last_event_id = models.BigIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.name}: {self.last_event_id}"


class DeliveryStatus(models.TextChoices):
    PENDING = "PENDING", _("Waiting to be sent")
    DELIVERED = "DELIVERED", _("Delivered")
    FAILED = "FAILED", _("Gave up")


class WebhookDelivery(TimeStampedModel):
    """One webhook message to an organisation's URL, and every attempt to deliver it."""

    Status = DeliveryStatus

    organisation = models.ForeignKey(EmployerOrganisation, on_delete=models.CASCADE, related_name="deliveries")
    alert = models.ForeignKey(ChangeAlert, null=True, blank=True, on_delete=models.CASCADE, related_name="deliveries")
    event_id = models.UUIDField(default=uuid.uuid4)
    url = models.URLField(max_length=500)
    body = models.TextField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    resent_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ("-created_at", "-id")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(status__in=DeliveryStatus.values), name="portal_delivery_status_valid"),
        ]
        indexes: ClassVar = [models.Index(fields=["status", "next_attempt_at"], name="portal_delivery_due_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.event_id} {self.status}"


class VerificationStatement(models.Model):
    """A signed statement of a register entry "as at" a date. The same facts give the same statement."""

    reference = models.CharField(max_length=20, unique=True)
    register_entry = models.ForeignKey("registry.RegisterEntry", on_delete=models.PROTECT, related_name="+")
    as_at_date = models.DateField()
    payload = models.JSONField()
    payload_sha256 = models.CharField(max_length=64)
    token = models.TextField()
    issued_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name = _("verification statement")
        verbose_name_plural = _("verification statements")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["register_entry", "payload_sha256"], name="portal_statement_once"),
        ]

    def __str__(self) -> str:
        return self.reference


class SearchCount(models.Model):
    """Anonymous counts of public searches, by day, channel, kind and outcome. Who searched is never kept."""

    day = models.DateField()
    channel = models.CharField(max_length=10)
    kind = models.CharField(max_length=10)
    outcome = models.CharField(max_length=10)
    count = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("search count")
        verbose_name_plural = _("search counts")
        permissions: ClassVar = [
            ("view_search_statistics", "Can view anonymous public search statistics"),
            ("export_register", "Can export the whole register as CSV"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["day", "channel", "kind", "outcome"], name="portal_search_count_key"),
        ]

    def __str__(self) -> str:
        return f"{self.day} {self.channel} {self.kind} {self.outcome}: {self.count}"
