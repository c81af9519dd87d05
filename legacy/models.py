"""A legacy register file on its way in, and the possible duplicate people it turned up."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel


class LegacyImport(TimeStampedModel):
    """An existing register (spreadsheet or old database export): uploaded, mapped and checked, then
    imported whole or not at all."""

    class Status(models.TextChoices):
        UPLOADED = "UPLOADED", _("Columns to map")
        PREVIEWED = "PREVIEWED", _("Checked")
        COMMITTED = "COMMITTED", _("Imported")
        DISCARDED = "DISCARDED", _("Discarded")

    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.UPLOADED)
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(max_length=64)
    header = models.JSONField(_("column names"), default=list)
    # The file's rows as [row number, [cells...]]: kept until the import is decided, and emptied then
    # (the register rows it became, and their history, are the record from there on).
    rows = models.JSONField(_("rows"), default=list)
    mapping = models.JSONField(_("column for each field"), default=dict)
    date_order = models.CharField(_("dates written as"), max_length=3, default="DMY")
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    file_errors = models.JSONField(_("problems with the whole file"), default=list)
    row_errors = models.JSONField(_("problems by row"), default=list)
    duplicates = models.JSONField(_("possible duplicate people"), default=list)
    # Per category code: the highest place the file's numbers take, and the next new number after them.
    numbering = models.JSONField(_("where numbering continues"), default=dict)
    imported_count = models.PositiveIntegerField(_("registrants imported"), default=0)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("imported or discarded at"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["rows"])

    class Meta:
        verbose_name = _("legacy register import")
        verbose_name_plural = _("legacy register imports")
        ordering = ("-created_at",)
        permissions: ClassVar = [("import_legacy_register", "Can import an existing register")]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(status__in=["UPLOADED", "PREVIEWED", "COMMITTED", "DISCARDED"]),
                name="legacy_import_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="COMMITTED") | Q(error_count=0, file_errors=[]),
                name="legacy_import_commits_clean",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"

    @property
    def is_clean(self) -> bool:
        return self.status != self.Status.UPLOADED and not self.file_errors and not self.error_count


class DuplicatePair(TimeStampedModel):
    """Two practitioner records that may be one person, waiting for a member of staff to merge them or
    to say they are different people."""

    class Status(models.TextChoices):
        OPEN = "OPEN", _("To decide")
        MERGED = "MERGED", _("Merged")
        DISMISSED = "DISMISSED", _("Different people")

    first = models.ForeignKey("registry.Practitioner", on_delete=models.PROTECT, related_name="+")
    second = models.ForeignKey("registry.Practitioner", on_delete=models.PROTECT, related_name="+")
    same_birth_date = models.BooleanField(_("same date of birth"), default=False)
    same_id = models.BooleanField(_("same national ID number"), default=False)
    similarity = models.DecimalField(_("name similarity"), max_digits=4, decimal_places=3)
    source_import = models.ForeignKey(
        LegacyImport, null=True, blank=True, on_delete=models.PROTECT, related_name="duplicate_pairs"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.OPEN)
    kept = models.ForeignKey("registry.Practitioner", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    history = HistoricalRecords()
    # registry.services.practitioner_merge leaves these rows alone: legacy.services.duplicate_merge
    # decides the pair merged and points the other open pairs at the kept record.
    merge_keeps_reference = True

    class Meta:
        verbose_name = _("possible duplicate")
        verbose_name_plural = _("possible duplicates")
        ordering = ("created_at", "pk")
        permissions: ClassVar = [("merge_practitioners", "Can merge two practitioner records")]
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(status__in=["OPEN", "MERGED", "DISMISSED"]), name="legacy_pair_status"),
            models.CheckConstraint(condition=~Q(first=models.F("second")), name="legacy_pair_two_people"),
            models.UniqueConstraint(
                fields=["first", "second"], condition=Q(status="OPEN"), name="legacy_pair_open_once"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} #{self.first_id} / #{self.second_id}"
