"""Continuing professional development: activity types, providers and accredited activities, the
practitioner's log, attendance uploads, exemptions, compliance per cycle, and audits.

The requirements themselves (points per cycle, required sub-types, caps, carry-forward, pro rata) are
rules (core.RuleSet, read by cpd.rules); a cycle is assessed under the rule version in force on its
first day, and the compliance row stores that version.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel


class ActivityType(TimeStampedModel):
    """A kind of CPD activity (course, conference, supervision, self-directed reading...)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    requires_reflection = models.BooleanField(_("requires a reflection"), default=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("CPD activity type")
        verbose_name_plural = _("CPD activity types")
        ordering = ("name",)
        permissions: ClassVar = [
            ("manage_cpd", "Can decide CPD providers and accredited activities and see CPD compliance"),
            ("audit_cpd", "Can draw CPD audits and decide them"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"


class Provider(TimeStampedModel):
    """An organisation offering CPD. It applies for accreditation; a CPD officer decides."""

    class Status(models.TextChoices):
        APPLIED = "APPLIED", _("Applied")
        ACCREDITED = "ACCREDITED", _("Accredited")
        REFUSED = "REFUSED", _("Refused")

    name = models.CharField(_("name"), max_length=200)
    contact_email = models.EmailField(_("contact email"))
    description = models.TextField(_("what you offer"), blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.APPLIED)
    users = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="cpd_providers", blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reasons"), blank=True)
    history = HistoricalRecords(m2m_fields=[users])

    class Meta:
        verbose_name = _("CPD provider")
        verbose_name_plural = _("CPD providers")
        ordering = ("name",)
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(status__in=["APPLIED", "ACCREDITED", "REFUSED"]), name="cpd_provider_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="REFUSED") | ~Q(decision_reason=""), name="cpd_provider_refusal_has_reasons"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"


class AccreditedActivity(TimeStampedModel):
    """An activity a provider submits; a CPD officer accredits it with a code and a points value."""

    class Status(models.TextChoices):
        SUBMITTED = "SUBMITTED", _("Submitted")
        ACCREDITED = "ACCREDITED", _("Accredited")
        REFUSED = "REFUSED", _("Refused")

    provider = models.ForeignKey(Provider, on_delete=models.PROTECT, related_name="activities")
    title = models.CharField(_("title"), max_length=200)
    activity_type = models.ForeignKey(ActivityType, on_delete=models.PROTECT, related_name="+")
    subtype = models.SlugField(_("sub-type"), max_length=40, blank=True, help_text=_("For example, ethics."))
    held_on = models.DateField(_("held on"))
    proposed_points = models.DecimalField(_("points proposed"), max_digits=6, decimal_places=2)
    points = models.DecimalField(_("points"), max_digits=6, decimal_places=2, null=True, blank=True)
    code = models.CharField(_("accreditation code"), max_length=30, unique=True, null=True, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.SUBMITTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.TextField(_("reasons"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("accredited activity")
        verbose_name_plural = _("accredited activities")
        ordering = ("-held_on", "title")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(status__in=["SUBMITTED", "ACCREDITED", "REFUSED"]), name="cpd_accredited_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="ACCREDITED") | Q(code__isnull=False, points__gt=0),
                name="cpd_accredited_has_code_and_points",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.code or self.title}"


class Activity(TimeStampedModel):
    """One entry in a practitioner's CPD log: logged by them, or credited from a provider's attendance list."""

    class Source(models.TextChoices):
        LOGGED = "LOGGED", _("Logged by the practitioner")
        ATTENDANCE = "ATTENDANCE", _("Credited from a provider's attendance list")

    practitioner = models.ForeignKey("registry.Practitioner", on_delete=models.PROTECT, related_name="cpd_activities")
    activity_type = models.ForeignKey(ActivityType, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=200)
    provider_name = models.CharField(_("provider"), max_length=200, blank=True)
    accredited_activity = models.ForeignKey(
        AccreditedActivity, null=True, blank=True, on_delete=models.PROTECT, related_name="credits"
    )
    subtype = models.SlugField(_("sub-type"), max_length=40, blank=True)
    activity_date = models.DateField(_("date"))
    points = models.DecimalField(_("points or hours"), max_digits=6, decimal_places=2)
    reflection = models.TextField(_("reflection"), blank=True)
    source = models.CharField(_("source"), max_length=20, choices=Source.choices, default=Source.LOGGED)
    evidence = models.FileField(_("evidence"), upload_to="cpd/%Y/%m/", blank=True)
    evidence_name = models.CharField(_("evidence file name"), max_length=255, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("CPD activity")
        verbose_name_plural = _("CPD activities")
        ordering = ("-activity_date", "-pk")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(points__gt=0), name="cpd_activity_points_positive"),
            models.CheckConstraint(condition=Q(source__in=["LOGGED", "ATTENDANCE"]), name="cpd_activity_source_valid"),
            # An attendance list credits each person once per accredited activity, however often it is uploaded.
            models.UniqueConstraint(
                fields=["practitioner", "accredited_activity"],
                condition=Q(accredited_activity__isnull=False),
                name="cpd_activity_credited_once",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["activity_date", "practitioner"], name="cpd_activity_date_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class AttendanceUpload(TimeStampedModel):
    """A provider's attendance list for one accredited activity: imported whole, or not at all."""

    class Status(models.TextChoices):
        IMPORTED = "IMPORTED", _("Imported")
        REJECTED = "REJECTED", _("Rejected")

    activity = models.ForeignKey(AccreditedActivity, on_delete=models.PROTECT, related_name="uploads")
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(max_length=64)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    row_count = models.PositiveIntegerField(default=0)
    credited_count = models.PositiveIntegerField(default=0)
    already_credited_count = models.PositiveIntegerField(default=0)
    file_errors = models.JSONField(default=list)
    row_errors = models.JSONField(default=list)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("attendance upload")
        verbose_name_plural = _("attendance uploads")
        ordering = ("-created_at",)

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"


class Exemption(TimeStampedModel):
    """A reduction of one cycle's requirement for a practitioner (parental leave, illness, not practising)."""

    class Kind(models.TextChoices):
        PARENTAL_LEAVE = "PARENTAL_LEAVE", _("Parental leave")
        ILLNESS = "ILLNESS", _("Illness")
        NON_PRACTISING = "NON_PRACTISING", _("Not practising")

    practitioner = models.ForeignKey("registry.Practitioner", on_delete=models.PROTECT, related_name="cpd_exemptions")
    cycle_start_year = models.PositiveSmallIntegerField(_("cycle starting in"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    reduction_percent = models.PositiveSmallIntegerField(_("reduction (%)"))
    reason = models.TextField(_("reason"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("CPD exemption")
        verbose_name_plural = _("CPD exemptions")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["practitioner", "cycle_start_year"], name="cpd_exemption_one_per_cycle"),
            models.CheckConstraint(
                condition=Q(reduction_percent__gte=1, reduction_percent__lte=100), name="cpd_exemption_percent_range"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.cycle_start_year}"


class Compliance(TimeStampedModel):
    """A register entry's CPD standing for one cycle, computed by the set-based batch (cpd.compliance)."""

    class Status(models.TextChoices):
        MET = "MET", _("Met")
        AT_RISK = "AT_RISK", _("At risk")
        NOT_MET = "NOT_MET", _("Not met")

    register_entry = models.ForeignKey(
        "registry.RegisterEntry", on_delete=models.PROTECT, related_name="cpd_compliance"
    )
    cycle_start_year = models.PositiveSmallIntegerField(_("cycle starting in"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices)
    required = models.DecimalField(_("required"), max_digits=7, decimal_places=2)
    earned = models.DecimalField(_("earned (after caps)"), max_digits=7, decimal_places=2)
    carried_forward = models.DecimalField(_("carried forward"), max_digits=7, decimal_places=2)
    subtypes = models.JSONField(_("sub-types: [earned, required]"), default=dict)
    rule_set = models.ForeignKey("core.RuleSet", on_delete=models.PROTECT, related_name="+")
    computed_at = models.DateTimeField(_("computed at"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("CPD compliance")
        verbose_name_plural = _("CPD compliance")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["register_entry", "cycle_start_year"], name="cpd_compliance_one_per_cycle"),
            models.CheckConstraint(
                condition=Q(status__in=["MET", "AT_RISK", "NOT_MET"]), name="cpd_compliance_status_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.register_entry_id} {self.cycle_start_year} {self.status}"


class AuditDraw(TimeStampedModel):
    """A reproducible random sample for audit: the seed is published and stored with the list drawn."""

    cycle_start_year = models.PositiveSmallIntegerField(_("cycle starting in"))
    seed = models.CharField(_("published seed"), max_length=100)
    rate_percent = models.DecimalField(_("sample rate (%)"), max_digits=5, decimal_places=2)
    stratified = models.BooleanField(_("stratified by category"), default=False)
    exclude_new = models.BooleanField(_("excludes people registered for less than a cycle"), default=True)
    population_count = models.PositiveIntegerField(_("population"))
    selected = models.JSONField(_("registration numbers drawn"), default=list)
    drawn_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    rule_set = models.ForeignKey("core.RuleSet", on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("CPD audit draw")
        verbose_name_plural = _("CPD audit draws")
        ordering = ("-created_at",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["cycle_start_year"], name="cpd_audit_draw_once_per_cycle")
        ]

    def __str__(self) -> str:
        return f"#{self.pk} draw {self.cycle_start_year}"


class Audit(TimeStampedModel):
    """One practitioner's audit. EVIDENCE_REQUESTED → SUBMITTED → COMPLIANT | NON_COMPLIANT, or EXTENDED, or EXEMPT."""

    class Status(models.TextChoices):
        EVIDENCE_REQUESTED = "EVIDENCE_REQUESTED", _("Evidence requested")
        EXTENDED = "EXTENDED", _("Extended")
        SUBMITTED = "SUBMITTED", _("Submitted")
        COMPLIANT = "COMPLIANT", _("Compliant")
        NON_COMPLIANT = "NON_COMPLIANT", _("Not compliant")
        EXEMPT = "EXEMPT", _("Exempt")

    draw = models.ForeignKey(AuditDraw, on_delete=models.PROTECT, related_name="audits")
    register_entry = models.ForeignKey("registry.RegisterEntry", on_delete=models.PROTECT, related_name="cpd_audits")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.EVIDENCE_REQUESTED)
    due_date = models.DateField(_("evidence due"))
    statement = models.TextField(_("practitioner's statement"), blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reasons"), blank=True)
    consequence = models.CharField(_("consequence applied"), max_length=30, blank=True)
    reminded_on = models.DateField(_("last reminded on"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("CPD audit")
        verbose_name_plural = _("CPD audits")
        ordering = ("due_date", "pk")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["draw", "register_entry"], name="cpd_audit_once_per_draw"),
            models.CheckConstraint(
                condition=Q(
                    status__in=["EVIDENCE_REQUESTED", "EXTENDED", "SUBMITTED", "COMPLIANT", "NON_COMPLIANT", "EXEMPT"]
                ),
                name="cpd_audit_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["COMPLIANT", "NON_COMPLIANT", "EXEMPT", "EXTENDED"])
                | (Q(decided_by__isnull=False) & ~Q(decision_reason="")),
                name="cpd_audit_decision_has_reasons",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} audit of {self.register_entry_id}"
