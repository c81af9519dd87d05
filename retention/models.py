"""Retention rules per record type, and the flags that put records past their retention to staff for review.

The record types are a fixed list in code (retention.record_types): how each one's retention starts and
what disposing of it means. Councils set each one's period in the admin. The register itself
(practitioners, register entries, licences, sanctions) and its history, and the audit chain, are never
a record type: they are kept as the law requires.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel

MAX_PERIOD_MONTHS = 1200


class RecordType(models.TextChoices):
    DRAFT_APPLICATION = "draft-application", _("Draft applications never submitted")
    CLOSED_APPLICATION = "closed-application", _("Refused or withdrawn applications")
    GRANTED_APPLICATION_DOCUMENT = "granted-application-document", _("Supporting documents of granted applications")
    CLOSED_COMPLAINT = "closed-complaint", _("Complaints closed without a case")
    NOTIFICATION = "notification", _("Emails sent or given up on")
    WEBHOOK_DELIVERY = "webhook-delivery", _("Employer webhook delivery logs")
    ROSTER_UPLOAD = "roster-upload", _("Employer roster upload reports")


class RetentionRule(TimeStampedModel):
    """How long one record type is kept before it is flagged for review. One row per record type."""

    record_type = models.CharField(_("record type"), max_length=40, choices=RecordType.choices, unique=True)
    period_months = models.PositiveSmallIntegerField(
        _("retention period in months"),
        help_text=_("Counted from the day the record's retention starts (see the record type)."),
    )
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("When off, no new records of this type are flagged.")
    )
    notes = models.TextField(_("notes"), blank=True, help_text=_("For example, the law or policy the period follows."))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("retention rule")
        verbose_name_plural = _("retention rules")
        ordering = ("record_type",)
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(record_type__in=RecordType.values), name="retention_rule_type_valid"),
            models.CheckConstraint(
                condition=Q(period_months__gte=1, period_months__lte=MAX_PERIOD_MONTHS),
                name="retention_rule_period_range",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.record_type}"


class FlagStatus(models.TextChoices):
    OPEN = "OPEN", _("Awaiting review")
    KEPT = "KEPT", _("Kept")
    DISPOSED = "DISPOSED", _("Disposed of")


# One visible table of the allowed moves: a flag is decided once. A kept record is flagged again by the
# sweep, as a new flag, after the date it was kept until.
ALLOWED_TRANSITIONS: dict[str, frozenset[str]] = {
    FlagStatus.OPEN: frozenset({FlagStatus.KEPT, FlagStatus.DISPOSED}),
    FlagStatus.KEPT: frozenset(),
    FlagStatus.DISPOSED: frozenset(),
}


class RetentionFlag(TimeStampedModel):
    """A record past its retention, put to staff: keep it (until a date) or dispose of it."""

    Status = FlagStatus

    rule = models.ForeignKey(RetentionRule, on_delete=models.PROTECT, related_name="flags")
    record_type = models.CharField(_("record type"), max_length=40, choices=RecordType.choices)
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField(_("record id"))
    record = GenericForeignKey("content_type", "object_id")
    due_date = models.DateField(_("retention ended on"))
    status = models.CharField(_("status"), max_length=10, choices=FlagStatus.choices, default=FlagStatus.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    keep_until_date = models.DateField(_("kept until"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("retention flag")
        verbose_name_plural = _("retention flags")
        ordering = ("due_date", "id")
        permissions: ClassVar = [("review_retention", "Can review records past retention, and keep or dispose of them")]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(status__in=FlagStatus.values), name="retention_flag_status_valid"),
            models.CheckConstraint(condition=Q(record_type__in=RecordType.values), name="retention_flag_type_valid"),
            # A record has at most one flag awaiting review: the sweep can run twice and flag it once.
            models.UniqueConstraint(
                fields=["content_type", "object_id"], condition=Q(status="OPEN"), name="retention_flag_one_open"
            ),
            models.CheckConstraint(
                condition=Q(status="OPEN") | (Q(decided_at__isnull=False, decided_by__isnull=False) & ~Q(reason="")),
                name="retention_flag_decided",
            ),
            models.CheckConstraint(
                condition=~Q(status="KEPT") | Q(keep_until_date__isnull=False), name="retention_flag_kept_has_date"
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["record_type", "status", "due_date"], name="retention_flag_queue_idx"),
            models.Index(fields=["content_type", "object_id", "status"], name="retention_flag_record_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.record_type} {self.object_id}"
