"""National qualifying examinations: exams and their versions, sittings, bookings, results.

A published result is immutable. Corrections are new versions of the result with a reason; the
database refuses any UPDATE or DELETE of a published row (triggers in migration 0002), so no form,
admin page or service call can change one.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel
from registry.numbers import damm_check_digit

CANDIDATE_NUMBER_PREFIX = "C"
CANDIDATE_NUMBER_DIGITS = 7


def candidate_number_for(booking_id: int) -> str:
    body = f"{booking_id:0{CANDIDATE_NUMBER_DIGITS}d}"
    return f"{CANDIDATE_NUMBER_PREFIX}{body}{damm_check_digit(body)}"


def booking_id_from_candidate_number(raw: str) -> int | None:
    """The booking a candidate number names, or None when it is malformed or its check digit is wrong."""
    text = raw.strip().upper()
    if not text.startswith(CANDIDATE_NUMBER_PREFIX):
        return None
    digits = text[len(CANDIDATE_NUMBER_PREFIX) :]
    if not digits.isascii() or not digits.isdigit() or len(digits) < 2:
        return None
    body, check = digits[:-1], int(digits[-1])
    if damm_check_digit(body) != check:
        return None
    return int(body)


class Exam(TimeStampedModel):
    """A national exam for one register category at one level (e.g. generalist, advanced)."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    category = models.ForeignKey("registry.RegisterCategory", on_delete=models.PROTECT, related_name="exams")
    level = models.CharField(_("level"), max_length=60)
    is_active = models.BooleanField(_("in use"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("exam")
        verbose_name_plural = _("exams")
        ordering = ("category__display_order", "level")
        permissions: ClassVar = [
            ("manage_exams", "Can schedule sittings, see rosters and decide accommodations"),
            ("record_results", "Can import, publish and correct exam results"),
            ("approve_to_test", "Can give a person approval to sit an exam"),
            ("view_exam_reports", "Can see exam pass-rate reports"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["category", "level"], name="exams_exam_one_per_category_level")
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"


class ExamVersion(TimeStampedModel):
    """One form of an exam, with how it is scored: a raw pass mark, or a scaled pass score."""

    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="versions")
    code = models.CharField(_("version"), max_length=40)
    max_raw_score = models.PositiveIntegerField(_("highest raw score"))
    pass_raw_score = models.PositiveIntegerField(_("raw pass mark"), null=True, blank=True)
    scaled_min = models.PositiveIntegerField(_("lowest scaled score"), null=True, blank=True)
    scaled_max = models.PositiveIntegerField(_("highest scaled score"), null=True, blank=True)
    scaled_pass_score = models.PositiveIntegerField(_("scaled pass score"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("exam version")
        verbose_name_plural = _("exam versions")
        ordering = ("exam", "code")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["exam", "code"], name="exams_version_code_unique"),
            models.CheckConstraint(condition=Q(max_raw_score__gt=0), name="exams_version_max_positive"),
            # Exactly one way of passing: a raw pass mark within the raw range, or a scaled pass score
            # within a scaled range.
            models.CheckConstraint(
                condition=(
                    Q(pass_raw_score__isnull=False, pass_raw_score__lte=F("max_raw_score"), scaled_pass_score=None)
                    | Q(
                        pass_raw_score=None,
                        scaled_pass_score__isnull=False,
                        scaled_min__isnull=False,
                        scaled_max__gt=F("scaled_min"),
                        scaled_pass_score__gte=F("scaled_min"),
                        scaled_pass_score__lte=F("scaled_max"),
                    )
                ),
                name="exams_version_one_pass_rule",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.exam.name} {self.code}"

    @property
    def is_scaled(self) -> bool:
        return self.scaled_pass_score is not None


class Sitting(TimeStampedModel):
    """A date and place (or online) where candidates take an exam version, with a fixed number of seats."""

    code = models.SlugField(_("sitting code"), max_length=40, unique=True)
    version = models.ForeignKey(ExamVersion, on_delete=models.PROTECT, related_name="sittings")
    starts_at = models.DateTimeField(_("starts at"))
    is_online = models.BooleanField(_("online"), default=False)
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    capacity = models.PositiveIntegerField(_("seats"))
    seats_booked = models.PositiveIntegerField(_("seats booked"), default=0)
    booking_opens_at = models.DateTimeField(_("booking opens"))
    booking_closes_at = models.DateTimeField(_("booking closes"))
    results_published_at = models.DateTimeField(_("results published"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sitting")
        verbose_name_plural = _("sittings")
        ordering = ("-starts_at",)
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(capacity__gt=0), name="exams_sitting_has_seats"),
            # The last seat is never sold twice, whatever the code above does.
            models.CheckConstraint(condition=Q(seats_booked__lte=F("capacity")), name="exams_sitting_not_overbooked"),
            models.CheckConstraint(condition=Q(is_online=True) | ~Q(venue=""), name="exams_sitting_has_a_place"),
            models.CheckConstraint(
                condition=Q(booking_opens_at__lt=F("booking_closes_at"), booking_closes_at__lte=F("starts_at")),
                name="exams_sitting_window_before_start",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.code}"

    @property
    def seats_left(self) -> int:
        return max(self.capacity - self.seats_booked, 0)


class ApprovalToTest(TimeStampedModel):
    """A registrar's approval for a person to sit an exam without an application whose route needs one."""

    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exam_approvals")
    exam = models.ForeignKey(Exam, on_delete=models.PROTECT, related_name="approvals")
    reason = models.TextField(_("reason"))
    expires_date = models.DateField(_("expires on"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("approval to test")
        verbose_name_plural = _("approvals to test")
        ordering = ("-created_at",)
        constraints: ClassVar = [models.CheckConstraint(condition=~Q(reason=""), name="exams_approval_has_reason")]

    def __str__(self) -> str:
        return f"#{self.pk} approval for {self.candidate_id}"


class Booking(TimeStampedModel):
    """A candidate's seat at a sitting: one attempt at the exam."""

    class Status(models.TextChoices):
        BOOKED = "BOOKED", _("Booked")
        CANCELLED = "CANCELLED", _("Cancelled")

    sitting = models.ForeignKey(Sitting, on_delete=models.PROTECT, related_name="bookings")
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exam_bookings")
    practitioner = models.ForeignKey("registry.Practitioner", on_delete=models.PROTECT, related_name="exam_bookings")
    application = models.ForeignKey(
        "registry.Application", null=True, blank=True, on_delete=models.PROTECT, related_name="exam_bookings"
    )
    approval = models.ForeignKey(
        ApprovalToTest, null=True, blank=True, on_delete=models.PROTECT, related_name="bookings"
    )
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.BOOKED)
    attempt_number = models.PositiveSmallIntegerField(_("attempt"))
    institution_name = models.CharField(_("institution"), max_length=200, blank=True)
    invoice = models.ForeignKey(
        "licensing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="exam_bookings"
    )
    rule_set = models.ForeignKey("core.RuleSet", on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("booking")
        verbose_name_plural = _("bookings")
        ordering = ("sitting", "pk")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(status__in=["BOOKED", "CANCELLED"]), name="exams_booking_status_valid"),
            models.CheckConstraint(
                condition=Q(application__isnull=False) | Q(approval__isnull=False), name="exams_booking_has_a_route"
            ),
            models.CheckConstraint(condition=Q(attempt_number__gte=1), name="exams_booking_attempt_from_one"),
            models.UniqueConstraint(
                fields=["sitting", "candidate"], condition=Q(status="BOOKED"), name="exams_booking_one_seat_each"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.candidate_number}"

    @property
    def candidate_number(self) -> str:
        return candidate_number_for(self.pk) if self.pk else "C-new"


class AccommodationRequest(TimeStampedModel):
    """A candidate's request for a reasonable accommodation (extra time, a reader, ...) and the decision."""

    class Status(models.TextChoices):
        REQUESTED = "REQUESTED", _("Requested")
        APPROVED = "APPROVED", _("Approved")
        DECLINED = "DECLINED", _("Declined")

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="accommodations")
    details = models.TextField(_("what you need"))
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.REQUESTED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.TextField(_("decision note"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("accommodation request")
        verbose_name_plural = _("accommodation requests")
        ordering = ("created_at",)
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(status__in=["REQUESTED", "APPROVED", "DECLINED"]), name="exams_accommodation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="REQUESTED") | Q(decided_by__isnull=False, decided_at__isnull=False),
                name="exams_accommodation_decision_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(status="DECLINED") | ~Q(decision_note=""), name="exams_accommodation_refusal_has_reason"
            ),
            models.UniqueConstraint(
                fields=["booking"], condition=Q(status="REQUESTED"), name="exams_accommodation_one_open"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} accommodation for booking {self.booking_id}"


class ConflictOfInterest(TimeStampedModel):
    """An examiner's declared conflict with a candidate: the examiner may not record that candidate's result."""

    examiner = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="exam_conflicts")
    candidate = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(_("nature of the conflict"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("conflict of interest")
        verbose_name_plural = _("conflicts of interest")
        ordering = ("-created_at",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["examiner", "candidate"], name="exams_conflict_once_per_pair"),
            models.CheckConstraint(condition=~Q(reason=""), name="exams_conflict_has_reason"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} examiner {self.examiner_id} / candidate {self.candidate_id}"


class ResultImport(TimeStampedModel):
    """A testing vendor's results file for one sitting: previewed, then committed whole or not at all."""

    class Status(models.TextChoices):
        PREVIEWED = "PREVIEWED", _("Previewed")
        COMMITTED = "COMMITTED", _("Imported")
        DISCARDED = "DISCARDED", _("Discarded")

    sitting = models.ForeignKey(Sitting, on_delete=models.PROTECT, related_name="imports")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PREVIEWED)
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(max_length=64)
    content = models.TextField(_("file content"))
    row_count = models.PositiveIntegerField(_("rows"), default=0)
    error_count = models.PositiveIntegerField(_("rows with errors"), default=0)
    file_errors = models.JSONField(_("problems with the whole file"), default=list)
    row_errors = models.JSONField(_("problems by row"), default=list)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("imported or discarded at"), null=True, blank=True)
    history = HistoricalRecords(excluded_fields=["content"])

    class Meta:
        verbose_name = _("results import")
        verbose_name_plural = _("results imports")
        ordering = ("-created_at",)
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(status__in=["PREVIEWED", "COMMITTED", "DISCARDED"]), name="exams_import_status_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="COMMITTED") | Q(error_count=0, file_errors=[]),
                name="exams_import_commits_only_clean_files",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"

    @property
    def is_clean(self) -> bool:
        return not self.file_errors and self.error_count == 0


class Result(TimeStampedModel):
    """A candidate's score at a sitting. Version 1 comes from the import; corrections add versions.

    DRAFT until published; a PUBLISHED row can never be updated or deleted (database triggers).
    The candidate's current result is the booking's highest published version.
    """

    class Status(models.TextChoices):
        DRAFT = "DRAFT", _("Draft")
        PUBLISHED = "PUBLISHED", _("Published")

    booking = models.ForeignKey(Booking, on_delete=models.PROTECT, related_name="results")
    version = models.PositiveSmallIntegerField(_("version"), default=1)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    raw_score = models.DecimalField(_("raw score"), max_digits=7, decimal_places=2)
    scaled_score = models.DecimalField(_("scaled score"), max_digits=7, decimal_places=2, null=True, blank=True)
    pass_score = models.DecimalField(_("pass score"), max_digits=7, decimal_places=2)
    passed = models.BooleanField(_("passed"))
    source_import = models.ForeignKey(
        ResultImport, null=True, blank=True, on_delete=models.PROTECT, related_name="results"
    )
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    correction_reason = models.TextField(_("reason for the correction"), blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("exam result")
        verbose_name_plural = _("exam results")
        ordering = ("booking", "-version")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(status__in=["DRAFT", "PUBLISHED"]), name="exams_result_status_valid"),
            models.UniqueConstraint(fields=["booking", "version"], name="exams_result_version_unique"),
            models.CheckConstraint(
                condition=Q(version=1) | ~Q(correction_reason=""), name="exams_result_correction_has_reason"
            ),
            models.CheckConstraint(
                condition=Q(status="DRAFT") | Q(published_at__isnull=False, published_by__isnull=False),
                name="exams_result_publication_recorded",
            ),
            models.CheckConstraint(condition=Q(raw_score__gte=0), name="exams_result_raw_not_negative"),
            # One draft at a time per booking.
            models.UniqueConstraint(fields=["booking"], condition=Q(status="DRAFT"), name="exams_result_one_draft"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} booking {self.booking_id} v{self.version}"
