"""Conduct and fitness to practise: complaints, cases, interim orders, hearings, sanctions, appeals, publication.

Everything here is confidential except `Publication`, the only rows the public register reads: they are
written by the services for interim orders and decided sanctions, with text meant for the public, so an
undecided allegation has no way onto a public page. Lifecycles are in discipline/lifecycles.py.
"""

from __future__ import annotations

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from core.models import TimeStampedModel

DOCUMENT_TYPES = ["application/pdf", "image/jpeg", "image/png"]


def _choice_in(field: str, choices: type[models.TextChoices], name: str) -> models.CheckConstraint:
    return models.CheckConstraint(condition=Q(**{f"{field}__in": choices.values}), name=name)


class ComplainantRole(models.TextChoices):
    MEMBER_OF_PUBLIC = "MEMBER_OF_PUBLIC", _("A member of the public")
    SERVICE_USER = "SERVICE_USER", _("Someone who received services from the practitioner")
    CHILD_OR_YOUNG_PERSON = "CHILD_OR_YOUNG_PERSON", _("A child or young person")
    CARE_RESIDENT = "CARE_RESIDENT", _("A current or former resident of a care home or foster care")
    FAMILY_OR_CARER = "FAMILY_OR_CARER", _("A family member or carer")
    EMPLOYER = "EMPLOYER", _("An employer (including a mandatory report)")
    COLLEAGUE = "COLLEAGUE", _("A colleague or another professional")
    OTHER = "OTHER", _("Someone else")


class ComplaintStatus(models.TextChoices):
    RECEIVED = "RECEIVED", _("Received, awaiting triage")
    CLOSED_NO_ACTION = "CLOSED_NO_ACTION", _("Closed with no action")
    CASE_OPENED = "CASE_OPENED", _("Opened as a case")


class Complaint(TimeStampedModel):
    """A concern raised about a practitioner, by anyone, with or without an account."""

    Status = ComplaintStatus

    reference = models.CharField(_("reference"), max_length=24, unique=True)
    tracking_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.RECEIVED)
    complainant_role = models.CharField(_("who is raising the concern"), max_length=30, choices=ComplainantRole.choices)
    complainant_name = models.CharField(_("your name"), max_length=200, blank=True)
    complainant_email = models.EmailField(_("your email address"), blank=True)
    complainant_phone = models.CharField(_("your phone number"), max_length=40, blank=True)
    anonymous_to_practitioner = models.BooleanField(_("keep my identity from the practitioner"), default=True)
    practitioner_named = models.CharField(_("practitioner's name"), max_length=200, blank=True)
    registration_number_given = models.CharField(_("registration number"), max_length=32, blank=True)
    workplace_named = models.CharField(_("where they work"), max_length=200, blank=True)
    incident_date = models.DateField(_("when it happened"), null=True, blank=True)
    description = models.TextField(_("what happened"))
    practitioner = models.ForeignKey(
        "registry.Practitioner", null=True, blank=True, on_delete=models.PROTECT, related_name="complaints"
    )
    triage_due_date = models.DateField(_("triage due"))
    triaged_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    triaged_at = models.DateTimeField(_("triaged at"), null=True, blank=True)
    triage_reason = models.TextField(_("triage reason"), blank=True)
    # A keyed hash of the sender's address: enough to limit a flood, never the address itself.
    source_hash = models.CharField(max_length=64, blank=True, editable=False)
    history = HistoricalRecords(excluded_fields=["tracking_token_hash"])

    class Meta:
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        ordering = ("created_at",)
        permissions: ClassVar = [("triage_complaint", "Can triage complaints")]
        constraints: ClassVar = [
            _choice_in("status", ComplaintStatus, "discipline_complaint_status_valid"),
            _choice_in("complainant_role", ComplainantRole, "discipline_complaint_role_valid"),
            models.CheckConstraint(
                condition=Q(status="RECEIVED") | (Q(triaged_at__isnull=False) & ~Q(triage_reason="")),
                name="discipline_complaint_triage_recorded",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["source_hash", "created_at"], name="disc_complaint_source_idx"),
            models.Index(fields=["status", "triage_due_date"], name="disc_complaint_queue_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.reference}"


class ComplaintAttachment(TimeStampedModel):
    complaint = models.ForeignKey(Complaint, on_delete=models.PROTECT, related_name="attachments")
    file = models.FileField(_("file"), upload_to="complaints/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size_bytes = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("complaint attachment")
        verbose_name_plural = _("complaint attachments")
        ordering = ("id",)
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(content_type__in=DOCUMENT_TYPES), name="discipline_attachment_type_accepted"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.original_name}"


class CaseStatus(models.TextChoices):
    INVESTIGATION = "INVESTIGATION", _("Investigation")
    CHARGED = "CHARGED", pgettext_lazy("conduct case status", "Charged")
    HEARING_SCHEDULED = "HEARING_SCHEDULED", _("Hearing scheduled")
    DECIDED = "DECIDED", _("Decided")
    APPEAL = "APPEAL", _("Under appeal")
    CLOSED = "CLOSED", _("Closed")


class Case(TimeStampedModel):
    """A fitness-to-practise case against one register entry. Confidential to the conduct team."""

    Status = CaseStatus

    number = models.CharField(_("case number"), max_length=24, unique=True)
    complaint = models.OneToOneField(Complaint, null=True, blank=True, on_delete=models.PROTECT, related_name="case")
    register_entry = models.ForeignKey("registry.RegisterEntry", on_delete=models.PROTECT, related_name="conduct_cases")
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.INVESTIGATION)
    allegation = models.TextField(_("allegation"))
    charges = models.TextField(pgettext_lazy("conduct case", "charges"), blank=True)
    officer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="conduct_cases",
        verbose_name=_("conduct officer"),
    )
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, blank=True, related_name="conduct_case_teams")
    stage_due_date = models.DateField(_("current stage due"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    outcome = models.TextField(_("outcome"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("conduct case")
        verbose_name_plural = _("conduct cases")
        ordering = ("opened_at",)
        permissions: ClassVar = [
            ("view_cases", "Can see the conduct case list and case pages"),
            ("manage_cases", "Can investigate, charge, schedule and close conduct cases"),
            ("make_interim_order", "Can make and revoke interim orders"),
            ("sit_on_panel", "Can sit on hearing panels"),
        ]
        constraints: ClassVar = [
            _choice_in("status", CaseStatus, "discipline_case_status_valid"),
            models.CheckConstraint(
                condition=Q(status="CLOSED", closed_at__isnull=False)
                | (~Q(status="CLOSED") & Q(closed_at__isnull=True)),
                name="discipline_case_closed_at_matches",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["status", "stage_due_date"], name="disc_case_queue_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.number}"


class CaseDocument(TimeStampedModel):
    """A confidential case document: only the case team and the hearing's panel may open it.

    Each opening is an audit event.
    """

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="documents")
    title = models.CharField(_("title"), max_length=200)
    file = models.FileField(_("file"), upload_to="cases/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=255)
    content_type = models.CharField(_("content type"), max_length=100)
    size_bytes = models.PositiveIntegerField(_("size in bytes"))
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    in_bundle = models.BooleanField(_("in the hearing bundle"), default=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("case document")
        verbose_name_plural = _("case documents")
        ordering = ("id",)
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(content_type__in=DOCUMENT_TYPES), name="discipline_document_type_accepted"
            )
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"


class RestrictionKind(models.TextChoices):
    SUSPENSION = "SUSPENSION", _("Suspension")
    CONDITIONS = "CONDITIONS", _("Conditions of practice")


class InterimOrderStatus(models.TextChoices):
    IN_FORCE = "IN_FORCE", _("In force")
    REVOKED = "REVOKED", _("Revoked")
    ENDED = "ENDED", _("Ended")


class InterimOrder(TimeStampedModel):
    """A registrar's order pending the case: it changes the register entry at once and has a review date."""

    Status = InterimOrderStatus

    Kind = RestrictionKind

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="interim_orders")
    register_entry = models.ForeignKey("registry.RegisterEntry", on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    conditions = models.TextField(_("conditions"), blank=True)
    reason = models.TextField(_("reason"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.IN_FORCE)
    made_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    effective_date = models.DateField(_("in force from"))
    review_date = models.DateField(_("review by"))
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    end_reason = models.TextField(_("why it ended"), blank=True)
    restore_status = models.CharField(max_length=30)
    restore_conditions = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("interim order")
        verbose_name_plural = _("interim orders")
        ordering = ("effective_date", "id")
        constraints: ClassVar = [
            _choice_in("kind", RestrictionKind, "discipline_interim_kind_valid"),
            _choice_in("status", InterimOrderStatus, "discipline_interim_status_valid"),
            models.CheckConstraint(
                condition=~Q(kind="CONDITIONS") | ~Q(conditions=""), name="discipline_interim_conditions_stated"
            ),
            models.CheckConstraint(
                condition=Q(review_date__gte=models.F("effective_date")), name="discipline_interim_review_after_start"
            ),
            models.UniqueConstraint(
                fields=["register_entry"], condition=Q(status="IN_FORCE"), name="discipline_one_interim_order_in_force"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} on case {self.case_id}"


class HearingStatus(models.TextChoices):
    SCHEDULED = "SCHEDULED", _("Scheduled")
    DECIDED = "DECIDED", _("Decided")
    ADJOURNED = "ADJOURNED", _("Adjourned")


class Hearing(TimeStampedModel):
    Status = HearingStatus

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="hearings")
    starts_at = models.DateTimeField(_("starts at"))
    venue = models.CharField(_("venue"), max_length=200)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    scheduled_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("hearing")
        verbose_name_plural = _("hearings")
        ordering = ("starts_at",)
        constraints: ClassVar = [
            _choice_in("status", HearingStatus, "discipline_hearing_status_valid"),
            models.UniqueConstraint(
                fields=["case"], condition=Q(status="SCHEDULED"), name="discipline_one_open_hearing"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} hearing of case {self.case_id}"


class PanelSeatDeclaration(models.TextChoices):
    PENDING = "PENDING", _("Not yet declared")
    NO_CONFLICT = "NO_CONFLICT", _("No conflict")
    CONFLICT = "CONFLICT", _("Conflict declared: stood down")


class PanelSeat(TimeStampedModel):
    """A hearing panel member's place on one hearing, with their declaration of conflicts."""

    Declaration = PanelSeatDeclaration

    hearing = models.ForeignKey(Hearing, on_delete=models.PROTECT, related_name="seats")
    member = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="panel_seats")
    is_chair = models.BooleanField(_("chair"), default=False)
    declaration = models.CharField(
        _("declaration"), max_length=12, choices=Declaration.choices, default=Declaration.PENDING
    )
    conflict_note = models.TextField(_("conflict"), blank=True)
    declared_at = models.DateTimeField(_("declared at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("panel seat")
        verbose_name_plural = _("panel seats")
        ordering = ("-is_chair", "id")
        constraints: ClassVar = [
            _choice_in("declaration", PanelSeatDeclaration, "discipline_seat_declaration_valid"),
            models.UniqueConstraint(fields=["hearing", "member"], name="discipline_one_seat_per_member"),
            models.CheckConstraint(
                condition=~Q(declaration="CONFLICT") | ~Q(conflict_note=""), name="discipline_seat_conflict_stated"
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} seat on hearing {self.hearing_id}"


class SanctionKind(models.TextChoices):
    CAUTION = "CAUTION", _("Caution")
    FINE = "FINE", _("Fine")
    CONDITIONS = "CONDITIONS", _("Conditions of practice")
    SUSPENSION = "SUSPENSION", _("Suspension")
    REMOVAL = "REMOVAL", _("Removal from the register")


class DecisionStatus(models.TextChoices):
    AWAITING_CONFIRMATION = "AWAITING_CONFIRMATION", _("Awaiting a second panel member's confirmation")
    FINAL = "FINAL", _("Final")


class DecisionOutcome(models.TextChoices):
    NOT_PROVEN = "NOT_PROVEN", _("Allegations not proven: no sanction")
    PROVEN_NO_SANCTION = "PROVEN_NO_SANCTION", _("Proven: no sanction")
    SANCTION = "SANCTION", _("Proven: sanction")


class Decision(TimeStampedModel):
    """The panel's decision at a hearing: findings, and a sanction with reasons (or none).

    Removal from the register needs a second panel member to confirm before it takes effect.
    """

    Status = DecisionStatus

    Outcome = DecisionOutcome

    hearing = models.OneToOneField(Hearing, on_delete=models.PROTECT, related_name="decision")
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="decisions")
    status = models.CharField(_("status"), max_length=24, choices=Status.choices)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    findings = models.TextField(_("findings"))
    sanction_kind = models.CharField(_("sanction"), max_length=12, choices=SanctionKind.choices, blank=True)
    sanction_months = models.PositiveSmallIntegerField(_("for (months)"), null=True, blank=True)
    conditions = models.TextField(_("conditions"), blank=True)
    fine_minor = models.PositiveBigIntegerField(_("fine (minor units)"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    reasons = models.TextField(_("reasons"))
    public_summary = models.TextField(_("public summary"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_date = models.DateField(_("decided on"))
    appeal_deadline = models.DateField(_("appeal by"))
    rule_set = models.ForeignKey("core.RuleSet", on_delete=models.PROTECT, related_name="+")
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")
        constraints: ClassVar = [
            _choice_in("status", DecisionStatus, "discipline_decision_status_valid"),
            _choice_in("outcome", DecisionOutcome, "discipline_decision_outcome_valid"),
            models.CheckConstraint(
                condition=Q(outcome="SANCTION", sanction_kind__in=SanctionKind.values)
                | (~Q(outcome="SANCTION") & Q(sanction_kind="")),
                name="discipline_decision_sanction_matches_outcome",
            ),
            models.CheckConstraint(
                condition=~Q(sanction_kind__in=["SUSPENSION", "CONDITIONS"]) | Q(sanction_months__gt=0),
                name="discipline_decision_period_stated",
            ),
            models.CheckConstraint(
                condition=~Q(sanction_kind="FINE") | (Q(fine_minor__gt=0) & ~Q(currency="")),
                name="discipline_decision_fine_stated",
            ),
            models.CheckConstraint(
                condition=~Q(status="FINAL", sanction_kind="REMOVAL") | Q(confirmed_by__isnull=False),
                name="discipline_removal_confirmed",
            ),
            models.CheckConstraint(
                condition=Q(confirmed_by__isnull=True) | ~Q(confirmed_by=models.F("recorded_by")),
                name="discipline_decision_second_person",
            ),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} decision on case {self.case_id}"


class SanctionStatus(models.TextChoices):
    IN_FORCE = "IN_FORCE", _("In force")
    STAYED = "STAYED", _("Stayed pending appeal")
    ENDED = "ENDED", _("Ended")
    QUASHED = "QUASHED", _("Quashed on appeal")


class Sanction(TimeStampedModel):
    """A decided sanction in effect on the register entry; suspension and conditions end on their end date."""

    Status = SanctionStatus

    Kind = SanctionKind

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="sanctions")
    decision = models.OneToOneField(Decision, on_delete=models.PROTECT, related_name="sanction")
    register_entry = models.ForeignKey("registry.RegisterEntry", on_delete=models.PROTECT, related_name="sanctions")
    kind = models.CharField(_("kind"), max_length=12, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.IN_FORCE)
    conditions = models.TextField(_("conditions"), blank=True)
    fine_minor = models.PositiveBigIntegerField(_("fine (minor units)"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    invoice = models.ForeignKey("licensing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("ends on"), null=True, blank=True)
    reapply_date = models.DateField(_("may apply again from"), null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)
    restore_status = models.CharField(max_length=30, blank=True)
    restore_conditions = models.TextField(blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")
        ordering = ("start_date", "id")
        constraints: ClassVar = [
            _choice_in("kind", SanctionKind, "discipline_sanction_kind_valid"),
            _choice_in("status", SanctionStatus, "discipline_sanction_status_valid"),
            models.CheckConstraint(
                condition=~Q(kind__in=["SUSPENSION", "CONDITIONS"]) | Q(end_date__gt=models.F("start_date")),
                name="discipline_sanction_period_ordered",
            ),
            models.CheckConstraint(
                condition=~Q(kind="REMOVAL") | Q(reapply_date__isnull=False), name="discipline_removal_has_reapply_date"
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["status", "end_date"], name="disc_sanction_due_idx")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind} on case {self.case_id}"


class AppealStatus(models.TextChoices):
    LODGED = "LODGED", _("Lodged")
    ALLOWED = "ALLOWED", _("Allowed: sanction quashed")
    DISMISSED = "DISMISSED", _("Dismissed: sanction stands")
    WITHDRAWN = "WITHDRAWN", pgettext_lazy("appeal status", "Withdrawn")


class Appeal(TimeStampedModel):
    Status = AppealStatus

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="appeals")
    decision = models.ForeignKey(Decision, on_delete=models.PROTECT, related_name="appeals")
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.LODGED)
    lodged_date = models.DateField(_("lodged on"))
    grounds = models.TextField(_("grounds"))
    stay_requested = models.BooleanField(_("stay of the sanction requested"), default=False)
    stayed = models.BooleanField(_("sanction stayed"), default=False)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_reason = models.TextField(_("reasons"), blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")
        constraints: ClassVar = [
            _choice_in("status", AppealStatus, "discipline_appeal_status_valid"),
            models.UniqueConstraint(fields=["case"], condition=Q(status="LODGED"), name="discipline_one_open_appeal"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} appeal on case {self.case_id}"


class PublicationKind(models.TextChoices):
    INTERIM_SUSPENSION = "INTERIM_SUSPENSION", _("Interim suspension order")
    INTERIM_CONDITIONS = "INTERIM_CONDITIONS", _("Interim conditions of practice")
    CAUTION = "CAUTION", _("Caution")
    FINE = "FINE", _("Fine")
    CONDITIONS = "CONDITIONS", _("Conditions of practice")
    SUSPENSION = "SUSPENSION", _("Suspension")
    REMOVAL = "REMOVAL", _("Removal from the register")


class PublicationStatus(models.TextChoices):
    PUBLISHED = "PUBLISHED", pgettext_lazy("register notice status", "Published")
    TAKEN_DOWN = "TAKEN_DOWN", _("Taken down")


class Publication(TimeStampedModel):
    """One notice on the public register. The public pages read these rows and nothing else of discipline."""

    Status = PublicationStatus

    Kind = PublicationKind

    register_entry = models.ForeignKey("registry.RegisterEntry", on_delete=models.PROTECT, related_name="publications")
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PUBLISHED)
    summary = models.TextField(_("public summary"), blank=True)
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("until"), null=True, blank=True)
    publish_until = models.DateField(_("published until"), null=True, blank=True)
    interim_order = models.ForeignKey(
        InterimOrder, null=True, blank=True, on_delete=models.PROTECT, related_name="publications"
    )
    sanction = models.ForeignKey(Sanction, null=True, blank=True, on_delete=models.PROTECT, related_name="publications")
    taken_down_at = models.DateTimeField(_("taken down at"), null=True, blank=True)
    history = HistoricalRecords()

    class Meta:
        verbose_name = _("publication")
        verbose_name_plural = _("publications")
        ordering = ("-start_date", "-id")
        constraints: ClassVar = [
            _choice_in("kind", PublicationKind, "discipline_publication_kind_valid"),
            _choice_in("status", PublicationStatus, "discipline_publication_status_valid"),
            models.CheckConstraint(
                condition=Q(interim_order__isnull=False, sanction__isnull=True)
                | Q(interim_order__isnull=True, sanction__isnull=False),
                name="discipline_publication_has_one_source",
            ),
            models.CheckConstraint(
                condition=Q(status="PUBLISHED", taken_down_at__isnull=True)
                | Q(status="TAKEN_DOWN", taken_down_at__isnull=False),
                name="discipline_publication_takedown_time",
            ),
        ]
        indexes: ClassVar = [
            models.Index(fields=["register_entry", "status"], name="disc_publication_entry_idx"),
            models.Index(fields=["status", "publish_until"], name="disc_publication_due_idx"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.kind}"
