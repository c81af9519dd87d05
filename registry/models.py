"""The register: categories (cadres), people, qualifications, employers, applications, entries."""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from core.crypto import EncryptedTextField
from core.models import TimeStampedModel


def _status_in(choices: type[models.TextChoices], name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(status__in=choices.values), name=name)


class QualificationType(TimeStampedModel):
    """A kind of qualification a council recognises, e.g. BSW, or a certificate in child and youth care."""

    class Level(models.IntegerChoices):
        """Education levels for workforce statistics, lowest first ("highest qualification" is the maximum)."""

        CERTIFICATE = 1, _("Certificate")
        DIPLOMA = 2, _("Diploma")
        BACHELOR = 3, _("Bachelor's degree")
        POSTGRADUATE = 4, _("Honours or postgraduate diploma")
        MASTER = 5, _("Master's degree")
        DOCTORATE = 6, _("Doctorate")

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    level = models.PositiveSmallIntegerField(_("education level"), choices=Level.choices, null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("qualification type")
        verbose_name_plural = _("qualification types")
        ordering = ("name",)

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"


class RegisterCategory(TimeStampedModel):
    """A cadre on the register (social worker, social auxiliary worker, ...) and its requirements."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    description = models.TextField(_("description"), blank=True)
    accepted_qualification_types = models.ManyToManyField(
        QualificationType, verbose_name=_("accepted qualification types"), related_name="categories", blank=True
    )
    requires_exam = models.BooleanField(_("requires a passed national exam"), default=False)
    supervised_practice_hours_required = models.PositiveIntegerField(_("supervised practice hours required"), default=0)
    registration_number_prefix = models.CharField(_("registration number prefix"), max_length=10)
    registration_number_digits = models.PositiveSmallIntegerField(_("digits before the check digit"), default=6)
    is_open_for_applications = models.BooleanField(_("open for applications"), default=True)
    display_order = models.PositiveSmallIntegerField(_("display order"), default=0)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("register category")
        verbose_name_plural = _("register categories")
        ordering = ("display_order", "name")
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["registration_number_prefix"], name="registry_category_prefix_unique"),
            models.CheckConstraint(
                condition=Q(registration_number_digits__gte=3, registration_number_digits__lte=12),
                name="registry_category_digits_range",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"


class RegistrationNumberCounter(models.Model):
    """The per-category number sequence. Incremented atomically in the database; numbers are never reused."""

    category = models.OneToOneField(RegisterCategory, on_delete=models.PROTECT, related_name="number_counter")
    last_value = models.PositiveBigIntegerField(default=0)

    class Meta:
        verbose_name = _("registration number counter")
        verbose_name_plural = _("registration number counters")

    def __str__(self) -> str:
        return f"#{self.pk} {self.category_id}: {self.last_value}"


class Institution(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    country = models.CharField(_("country"), max_length=2, help_text=_("ISO 3166 alpha-2 code."))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("institution")
        verbose_name_plural = _("institutions")
        ordering = ("name",)
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["name", "country"], name="registry_institution_unique")
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"


class Programme(TimeStampedModel):
    """A programme at an institution, and whether the council accredits it."""

    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="programmes")
    name = models.CharField(_("name"), max_length=200)
    qualification_type = models.ForeignKey(QualificationType, on_delete=models.PROTECT, related_name="programmes")
    is_accredited = models.BooleanField(_("accredited"), default=False)
    accredited_from_date = models.DateField(_("accredited from"), null=True, blank=True)
    accredited_until_date = models.DateField(_("accredited until"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("programme")
        verbose_name_plural = _("programmes")
        ordering = ("institution__name", "name")

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"


class Sex(models.TextChoices):
    FEMALE = "FEMALE", _("Female")
    MALE = "MALE", _("Male")
    OTHER = "OTHER", _("Another sex")


class Practitioner(TimeStampedModel):
    """A person on (or applying to) the register. Personal data here is never public."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="practitioner"
    )
    given_names = models.CharField(_("given names"), max_length=150)
    family_name = models.CharField(_("family name"), max_length=150)
    previous_names = models.CharField(_("previous names"), max_length=300, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    # Database defaults too, so bulk loads (bench/, COPY) need not name every column.
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, blank=True, default="", db_default="")
    region = models.ForeignKey(
        "core.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("region of work"),
    )
    # Encrypted at rest (core.crypto); national_id_digest finds a number again without decrypting.
    national_id = EncryptedTextField(
        _("national ID number"), max_length=40, blank=True, digest_field="national_id_digest"
    )
    national_id_digest = models.CharField(
        max_length=64, blank=True, db_index=True, editable=False, default="", db_default=""
    )
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.TextField(_("address"), blank=True)
    # Optional public fields: published only where the council's rules allow, and (when its rules ask
    # for it) only with the practitioner's consent (portal.selectors.optional_public_fields).
    work_town = models.CharField(_("town or city of work"), max_length=100, blank=True, default="", db_default="")
    consents_to_publish_previous_names = models.BooleanField(
        _("agrees to publish previous names"), default=False, db_default=False
    )
    consents_to_publish_work_town = models.BooleanField(
        _("agrees to publish town of work"), default=False, db_default=False
    )
    # A duplicate joined into another person by registry.services.practitioner_merge. The row and its
    # history stay; everything that belonged to it now belongs to merged_into.
    merged_into = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="merged_from", editable=False
    )
    merged_at = models.DateTimeField(_("merged at"), null=True, blank=True, editable=False)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("practitioner")
        verbose_name_plural = _("practitioners")
        # On PostgreSQL, migration 0004 adds <name>_folded columns (GENERATED ... STORED) with trigram
        # indexes for name search; the ORM does not know them (registry.selectors.NameFold reads them).

    def __str__(self) -> str:
        return f"#{self.pk} {self.full_name}"

    @property
    def full_name(self) -> str:
        return f"{self.given_names} {self.family_name}".strip()


class Qualification(TimeStampedModel):
    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="qualifications")
    qualification_type = models.ForeignKey(QualificationType, on_delete=models.PROTECT, related_name="+")
    programme = models.ForeignKey(Programme, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    institution_name = models.CharField(_("institution"), max_length=200)
    awarded_date = models.DateField(_("awarded on"))
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("qualification")
        verbose_name_plural = _("qualifications")

    def __str__(self) -> str:
        return f"#{self.pk} {self.qualification_type_id} {self.institution_name}"


class ApplicationStatus(models.TextChoices):
    DRAFT = "DRAFT", _("Draft")
    SUBMITTED = "SUBMITTED", _("Submitted")
    IN_REVIEW = "IN_REVIEW", _("In review")
    INFO_REQUESTED = "INFO_REQUESTED", _("Information requested")
    APPROVED = "APPROVED", _("Approved")
    REFUSED = "REFUSED", _("Refused")
    WITHDRAWN = "WITHDRAWN", _("Withdrawn")


class RegisterEntryStatus(models.TextChoices):
    REGISTERED = "REGISTERED", _("Registered")
    REGISTERED_WITH_CONDITIONS = "REGISTERED_WITH_CONDITIONS", _("Registered with conditions")
    SUSPENDED = "SUSPENDED", _("Suspended")
    LAPSED = "LAPSED", _("Lapsed")
    REMOVED = "REMOVED", _("Removed")
    VOLUNTARILY_REMOVED = "VOLUNTARILY_REMOVED", _("Voluntarily removed")
    DECEASED = "DECEASED", _("Deceased")


class Sector(models.TextChoices):
    GOVERNMENTAL = "GOVERNMENTAL", _("Governmental")
    NON_GOVERNMENTAL = "NON_GOVERNMENTAL", _("Non-governmental")


class Employer(TimeStampedModel):
    name = models.CharField(_("name"), max_length=200)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    registration_number = models.CharField(_("organisation registration number"), max_length=60, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("employer")
        verbose_name_plural = _("employers")
        ordering = ("name",)
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(sector__in=Sector.values), name="registry_employer_sector_valid")
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"


class Employment(TimeStampedModel):
    """Where a practitioner works: paid or unpaid, governmental or not (the workforce indicators' dimensions)."""

    practitioner = models.ForeignKey(Practitioner, on_delete=models.CASCADE, related_name="employments")
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="employments")
    job_title = models.CharField(_("job title"), max_length=150)
    is_paid = models.BooleanField(_("paid"), default=True)
    sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices)
    start_date = models.DateField(_("start date"), null=True, blank=True)
    end_date = models.DateField(_("end date"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("employment")
        verbose_name_plural = _("employment records")
        constraints: ClassVar = [
            models.CheckConstraint(condition=Q(sector__in=Sector.values), name="registry_employment_sector_valid"),
            models.CheckConstraint(
                condition=Q(end_date__isnull=True)
                | Q(start_date__isnull=True)
                | Q(end_date__gte=models.F("start_date")),
                name="registry_employment_dates_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.job_title}"


class Application(TimeStampedModel):
    """An application to join the register in one category. Lifecycle in registry/lifecycles.py."""

    Status = ApplicationStatus

    class Recommendation(models.TextChoices):
        NONE = "", _("No recommendation yet")
        APPROVE = "APPROVE", _("Approve")
        REFUSE = "REFUSE", _("Refuse")

    applicant = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="applications")
    category = models.ForeignKey(RegisterCategory, on_delete=models.PROTECT, related_name="applications")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.DRAFT)
    # Personal details, as the applicant gives them.
    given_names = models.CharField(_("given names"), max_length=150, blank=True)
    family_name = models.CharField(_("family name"), max_length=150, blank=True)
    previous_names = models.CharField(_("previous names"), max_length=300, blank=True)
    date_of_birth = models.DateField(_("date of birth"), null=True, blank=True)
    sex = models.CharField(_("sex"), max_length=10, choices=Sex.choices, blank=True)
    region = models.ForeignKey(
        "core.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("region of work"),
    )
    national_id = EncryptedTextField(_("national ID number"), max_length=40, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.TextField(_("address"), blank=True)
    # Qualification.
    qualification_type = models.ForeignKey(
        QualificationType, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    institution_name = models.CharField(_("institution"), max_length=200, blank=True)
    qualification_awarded_date = models.DateField(_("qualification awarded on"), null=True, blank=True)
    # Employment and practice.
    employer_name = models.CharField(_("employer"), max_length=200, blank=True)
    job_title = models.CharField(_("job title"), max_length=150, blank=True)
    employment_is_paid = models.BooleanField(_("paid work"), null=True, blank=True)
    employment_sector = models.CharField(_("sector"), max_length=20, choices=Sector.choices, blank=True)
    supervised_practice_hours = models.PositiveIntegerField(_("supervised practice hours"), default=0)
    declaration_accepted = models.BooleanField(_("declaration accepted"), default=False)
    # Workflow.
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="assigned_applications"
    )
    recommendation = models.CharField(
        _("recommendation"), max_length=10, choices=Recommendation.choices, blank=True, default=""
    )
    recommendation_note = models.TextField(_("recommendation note"), blank=True)
    recommended_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decision_reason = models.TextField(_("decision reasons"), blank=True)
    rule_set = models.ForeignKey("core.RuleSet", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("application")
        verbose_name_plural = _("applications")
        ordering = ("-created_at",)
        permissions: ClassVar = [
            ("review_application", "Can review applications and request information"),
            ("assign_application", "Can assign applications to officers"),
            ("decide_application", "Can approve or refuse applications"),
        ]
        constraints: ClassVar = [
            _status_in(ApplicationStatus, "registry_application_status_valid"),
            models.CheckConstraint(
                condition=Q(recommendation__in=["", "APPROVE", "REFUSE"]),
                name="registry_application_recommendation_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="REFUSED") | ~Q(decision_reason=""), name="registry_application_refusal_has_reasons"
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["APPROVED", "REFUSED"])
                | Q(decided_at__isnull=False, decided_by__isnull=False),
                name="registry_application_decision_recorded",
            ),
            models.CheckConstraint(
                condition=Q(status="DRAFT") | Q(submitted_at__isnull=False) | Q(status="WITHDRAWN"),
                name="registry_application_submitted_at_set",
            ),
            models.UniqueConstraint(
                fields=["applicant", "category"],
                condition=Q(status__in=["DRAFT", "SUBMITTED", "IN_REVIEW", "INFO_REQUESTED"]),
                name="registry_application_one_open_per_category",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["status", "submitted_at"], name="registry_app_queue_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.reference}"

    @property
    def reference(self) -> str:
        return f"APP-{self.pk:06d}" if self.pk else "APP-new"

    @property
    def applicant_name(self) -> str:
        return f"{self.given_names} {self.family_name}".strip()


class ApplicationDocument(TimeStampedModel):
    class Kind(models.TextChoices):
        IDENTITY = "IDENTITY", _("Identity document")
        DEGREE = "DEGREE", _("Degree or qualification certificate")
        TRANSCRIPT = "TRANSCRIPT", _("Academic transcript")
        OTHER = "OTHER", _("Other supporting document")

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="documents")
    kind = models.CharField(_("document"), max_length=20, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="applications/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size_bytes = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("application document")
        verbose_name_plural = _("application documents")
        ordering = ("created_at",)
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(kind__in=["IDENTITY", "DEGREE", "TRANSCRIPT", "OTHER"]), name="registry_document_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(content_type__in=["application/pdf", "image/jpeg", "image/png"]),
                name="registry_document_type_accepted",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} {self.original_name}"


class InformationRequest(TimeStampedModel):
    """An officer's request for more information, and the applicant's answer."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="information_requests")
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    message = models.TextField(_("what is needed"))
    response = models.TextField(_("response"), blank=True)
    responded_at = models.DateTimeField(_("responded at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("information request")
        verbose_name_plural = _("information requests")
        ordering = ("created_at",)
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["application"], condition=Q(responded_at__isnull=True), name="registry_one_open_info_request"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} on application {self.application_id}"


class RegisterEntry(TimeStampedModel):
    """A person's place on the register in one category. Lifecycle in registry/lifecycles.py."""

    Status = RegisterEntryStatus

    practitioner = models.ForeignKey(Practitioner, on_delete=models.PROTECT, related_name="register_entries")
    category = models.ForeignKey(RegisterCategory, on_delete=models.PROTECT, related_name="register_entries")
    registration_number = models.CharField(_("registration number"), max_length=32, unique=True)
    status = models.CharField(_("status"), max_length=30, choices=Status.choices, default=Status.REGISTERED)
    registered_date = models.DateField(_("registered since"))
    conditions = models.TextField(_("conditions in force"), blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"))
    application = models.OneToOneField(
        Application, null=True, blank=True, on_delete=models.PROTECT, related_name="register_entry"
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("register entry")
        verbose_name_plural = _("register entries")
        permissions: ClassVar = [
            ("view_register_record", "Can view a registrant's full staff record"),
            ("change_register_status", "Can change a register entry's status"),
        ]
        constraints: ClassVar = [
            _status_in(RegisterEntryStatus, "registry_entry_status_valid"),
            models.UniqueConstraint(fields=["practitioner", "category"], name="registry_entry_one_per_category"),
            models.CheckConstraint(
                condition=~Q(status="REGISTERED_WITH_CONDITIONS") | ~Q(conditions=""),
                name="registry_entry_conditions_stated",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["category", "status"], name="registry_entry_cat_status_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.registration_number}"


# Identifiers stored encrypted (core.crypto): audit events and staff timelines show them masked, never in full.
MASKED_FIELDS = frozenset(
    field.name
    for model in (Practitioner, Application)
    for field in model._meta.concrete_fields
    if isinstance(field, EncryptedTextField)
)
