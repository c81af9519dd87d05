"""Shared models: the user, the council's settings and rules, the audit chain, the outbox."""

from __future__ import annotations

import zoneinfo
from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True, editable=False)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        abstract = True


class EmailUserManager(UserManager["User"]):
    """A manager for users who sign in with their email address and have no username."""

    def _create_user_object(self, username: Any, email: str | None, password: str | None, **extra: Any) -> User:
        email = self.normalize_email(email)
        user = self.model(email=email, **extra)
        user.set_password(password)
        return user

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        user = self._create_user_object(None, email, password, **extra)
        user.save(using=self._db)
        return user

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra: Any
    ) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        return self.create_user(email, password, **extra)


class User(AbstractUser):
    """An account. Practitioners, staff, employers and providers all sign in with their email."""

    username = None  # type: ignore[assignment]
    first_name = None  # type: ignore[assignment]
    last_name = None  # type: ignore[assignment]
    email = models.EmailField(_("email address"), unique=True)
    # One field for a name: given/family splits don't fit every naming culture.
    name = models.CharField(_("name"), max_length=200, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=10, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []

    objects: ClassVar[EmailUserManager] = EmailUserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self) -> str:
        # The email is unique, and allauth shows this string to the person ("Signed in as ...").
        return self.email

    @property
    def display_name(self) -> str:
        return self.name or self.email


def _validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(_("%(value)s is not a known time zone."), params={"value": value})


class Region(TimeStampedModel):
    """A part of the country the council reports by (province, region, district): where people work.

    Regions may nest (a district within a province); workforce statistics count at any level."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("within")
    )
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("region")
        verbose_name_plural = _("regions")
        ordering = ("name",)

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"


class Council(TimeStampedModel):
    """The council running this registry. There is exactly one row."""

    singleton = models.BooleanField(default=True, unique=True, editable=False)
    name = models.CharField(_("name"), max_length=200)
    short_name = models.CharField(_("short name"), max_length=40)
    currency = models.CharField(_("currency"), max_length=3, help_text=_("ISO 4217 code, e.g. ZAR."))
    time_zone = models.CharField(_("time zone"), max_length=64, validators=[_validate_time_zone])
    languages = models.JSONField(
        _("languages offered"), default=list, help_text=_('Language codes, e.g. ["en", "es"].')
    )
    public_register_shows_previous_names = models.BooleanField(_("publish previous names"), default=False)
    public_register_shows_work_town = models.BooleanField(_("publish town of work"), default=False)
    optional_public_fields_need_consent = models.BooleanField(
        _("optional public fields need the practitioner's consent"),
        default=True,
        help_text=_(
            "When on, previous names and town of work are published only for practitioners who agreed. "
            "Turn off only where the law makes them public without consent."
        ),
    )
    contact_email = models.EmailField(_("contact email"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("council")
        verbose_name_plural = _("council")
        constraints: ClassVar = [
            models.CheckConstraint(condition=models.Q(singleton=True), name="core_council_singleton"),
            models.CheckConstraint(condition=models.Q(currency__regex=r"^[A-Z]{3}$"), name="core_council_currency_iso"),
        ]
        permissions: ClassVar = [
            ("edit_council_rules", "Can edit the council's settings and rules"),
            ("access_staff_area", "Can open the staff area"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.name}"


class RuleSet(TimeStampedModel):
    """One version of the council's rules, in force from its effective date until the next version's.

    Decisions store the version they used, so they can be explained and replayed later.
    """

    version = models.PositiveIntegerField(_("version"), unique=True)
    effective_date = models.DateField(_("effective date"), unique=True)
    rules = models.JSONField(_("rules"), default=dict)
    notes = models.TextField(_("notes"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("rule set")
        verbose_name_plural = _("rule sets")
        ordering = ("-effective_date",)

    def __str__(self) -> str:
        return f"#{self.pk} v{self.version} from {self.effective_date:%Y-%m-%d}"


class AuditEvent(models.Model):
    """One business action: who did what, to which object, when and why.

    Rows are append-only (database triggers refuse UPDATE and DELETE) and each row's hash covers
    the previous row's hash, so `manage.py audit_verify` can find the first altered row.
    """

    occurred_at = models.DateTimeField(_("occurred at"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        "core.User", verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    actor_label = models.CharField(_("actor"), max_length=254, help_text=_('The actor\'s email, or "system".'))
    action = models.CharField(_("action"), max_length=80)
    # Indexed by core_audit_object_idx, which leads with it.
    object_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+", db_index=False)
    object_id = models.CharField(_("object id"), max_length=64)
    object_repr = models.CharField(_("object"), max_length=255)
    reason = models.TextField(_("reason"), blank=True)
    before = models.JSONField(_("before"), default=dict, blank=True)
    after = models.JSONField(_("after"), default=dict, blank=True)
    previous_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ("id",)
        # Only the indexes reads use: batch jobs write an event per row, and every index costs them. A
        # constraint and a plain index, unlike unique=True and db_index=True on a CharField, add no
        # second varchar_pattern_ops index on PostgreSQL, which no query here would use.
        indexes: ClassVar = [
            models.Index(fields=["object_type", "object_id", "id"], name="core_audit_object_idx"),
            models.Index(fields=["action"], name="core_audit_action_idx"),
        ]
        constraints: ClassVar = [models.UniqueConstraint(fields=["hash"], name="core_audit_hash_unique")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.action} {self.object_repr}"


class Notification(TimeStampedModel):
    """The outbox. A row commits with the action that caused it; a task sends it, a sweep retries it."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Pending")
        SENT = "SENT", _("Sent")
        FAILED = "FAILED", _("Failed")

    recipient = models.ForeignKey(
        "core.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="notifications"
    )
    to_email = models.EmailField(_("to"))
    subject = models.CharField(_("subject"), max_length=255)
    body = models.TextField(_("body"))
    kind = models.CharField(_("kind"), max_length=80, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    last_error = models.TextField(_("last error"), blank=True)
    last_attempt_at = models.DateTimeField(_("last attempt at"), null=True, blank=True)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=models.Q(status__in=["PENDING", "SENT", "FAILED"]), name="core_notification_status_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status="SENT", sent_at__isnull=False) | ~models.Q(status="SENT"),
                name="core_notification_sent_has_time",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["status", "last_attempt_at"], name="core_notification_unsent_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} to {self.to_email}"
