"""Reads of the register, scoped to who is asking."""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Prefetch, Q, QuerySet

from core.audit import SYSTEM_ACTOR_LABEL
from core.audit_labels import action_label
from core.crypto import mask
from core.db_functions import Fold, fold
from core.models import AuditEvent, User
from registry.filters import ApplicationQueueFilter
from registry.models import (
    MASKED_FIELDS,
    Application,
    ApplicationDocument,
    InformationRequest,
    Practitioner,
    RegisterCategory,
    RegisterEntry,
)
from registry.numbers import looks_like_registration_number, normalise_registration_number


class NameFold(Fold):
    """The fold of a practitioner's name: on PostgreSQL, the stored fold that migration 0004 made."""

    stored = frozenset(("registry_practitioner", column) for column in ("given_names", "family_name", "previous_names"))


def category_list_open() -> QuerySet[RegisterCategory]:
    return RegisterCategory.objects.filter(is_open_for_applications=True).order_by("display_order", "name")


# Applicant -------------------------------------------------------------------------------


def application_list_for_applicant(*, user: User) -> QuerySet[Application]:
    return Application.objects.filter(applicant=user).select_related("category").order_by("-created_at")


def application_get_for_applicant(*, user: User, application_id: int) -> Application:
    """The user's own application. Anyone else's id raises DoesNotExist (a 404), never a leak."""
    return (
        Application.objects.filter(applicant=user)
        .select_related("category", "qualification_type", "register_entry")
        .prefetch_related(
            Prefetch("documents", queryset=ApplicationDocument.objects.order_by("created_at")),
            Prefetch("information_requests", queryset=InformationRequest.objects.order_by("created_at")),
        )
        .get(pk=application_id)
    )


def application_document_get_for_applicant(*, user: User, application_id: int, document_id: int) -> ApplicationDocument:
    return ApplicationDocument.objects.get(pk=document_id, application_id=application_id, application__applicant=user)


def practitioner_get_for_user(*, user: User) -> Practitioner:
    """The signed-in person's own practitioner record (not a duplicate joined into another one)."""
    return Practitioner.objects.prefetch_related(
        Prefetch("register_entries", queryset=RegisterEntry.objects.select_related("category").order_by("pk"))
    ).get(user=user, merged_into__isnull=True)


# Staff -----------------------------------------------------------------------------------


def application_queue(*, filters: dict[str, Any] | None = None, user: User | None = None) -> ApplicationQueueFilter:
    """The review queue with its filters. Drafts are the applicant's own business and never listed."""
    queryset = (
        Application.objects.exclude(status=Application.Status.DRAFT)
        .select_related("category", "assigned_to", "applicant")
        .order_by("submitted_at", "id")
    )
    return ApplicationQueueFilter(filters, queryset=queryset, request_user=user)


def application_get_for_staff(*, application_id: int) -> Application:
    return (
        Application.objects.exclude(status=Application.Status.DRAFT)
        .select_related("category", "qualification_type", "assigned_to", "applicant", "recommended_by", "decided_by")
        .prefetch_related(
            Prefetch("documents", queryset=ApplicationDocument.objects.order_by("created_at")),
            Prefetch(
                "information_requests",
                queryset=InformationRequest.objects.select_related("requested_by").order_by("created_at"),
            ),
        )
        .get(pk=application_id)
    )


def application_document_get_for_staff(*, application_id: int, document_id: int) -> ApplicationDocument:
    return ApplicationDocument.objects.exclude(application__status=Application.Status.DRAFT).get(
        pk=document_id, application_id=application_id
    )


def reviewer_list() -> QuerySet[User]:
    return (
        User.objects.filter(is_active=True)
        .filter(
            Q(
                groups__permissions__codename="review_application",
                groups__permissions__content_type__app_label="registry",
            )
            | Q(is_superuser=True)
        )
        .distinct()
        .order_by("email")
    )


def register_entry_get_for_staff(*, entry_id: int) -> RegisterEntry:
    return RegisterEntry.objects.select_related("practitioner", "category", "application").get(pk=entry_id)


@dataclass(frozen=True)
class TimelineItem:
    occurred_at: Any
    actor: str
    action: str
    reason: str
    before: dict[str, Any]
    after: dict[str, Any]
    source: str

    @property
    def label(self) -> str:
        return action_label(self.action)

    @property
    def is_system(self) -> bool:
        return self.actor == SYSTEM_ACTOR_LABEL


def _masked(values: dict[str, Any]) -> dict[str, Any]:
    """An event's values with identifiers masked: events written before they were masked hold them in full."""
    return {key: mask(str(value)) if key in MASKED_FIELDS and value else value for key, value in values.items()}


def record_timeline(*, entry: RegisterEntry) -> list[TimelineItem]:
    """Everything that happened to an entry and its application: audit events and history rows, newest first."""
    targets: list[tuple[Any, Any]] = [(RegisterEntry, entry.pk)]
    if entry.application_id is not None:
        targets.append((Application, entry.application_id))
    condition = Q()
    for model, pk in targets:
        condition |= Q(object_type=ContentType.objects.get_for_model(model), object_id=str(pk))
    events = [
        TimelineItem(
            occurred_at=event.occurred_at,
            actor=event.actor_label,
            action=event.action,
            reason=event.reason,
            before=_masked(event.before),
            after=_masked(event.after),
            source="audit",
        )
        for event in AuditEvent.objects.filter(condition).order_by("id")
    ]
    history = [
        TimelineItem(
            occurred_at=row.history_date,
            actor=row.history_user.email if row.history_user is not None else SYSTEM_ACTOR_LABEL,
            action={"+": "history.created", "~": "history.changed", "-": "history.deleted"}[row.history_type],
            reason=row.history_change_reason or "",
            before={},
            after={"status": row.status},
            source="history",
        )
        for row in entry.history.select_related("history_user").order_by("history_id")
    ]
    return sorted(itertools.chain(events, history), key=lambda item: item.occurred_at, reverse=True)


# Public register ---------------------------------------------------------------------------


def _public_entries() -> QuerySet[RegisterEntry]:
    ordering = ("practitioner__family_name", "practitioner__given_names", "registration_number")
    return (
        RegisterEntry.objects.select_related("practitioner", "category")
        .order_by(*ordering)
        .only(
            "registration_number",
            "status",
            "registered_date",
            "conditions",
            "category__name",
            "category__code",
            "practitioner__given_names",
            "practitioner__family_name",
            "practitioner__previous_names",
            "practitioner__consents_to_publish_previous_names",
            "practitioner__work_town",
            "practitioner__consents_to_publish_work_town",
        )
    )


# A name search needs this many letters: two letters narrow a national register to little.
NAME_QUERY_MIN_CHARS = 2


def public_register_search(
    *, query: str, category_code: str = "", status: str = "", previous_names_where: Q | None = None
) -> tuple[QuerySet[RegisterEntry], str | None]:
    """Search by registration number (exact, check digit verified) or by name, ignoring case and accents.

    Previous names are searched too, but only on the entries matching `previous_names_where` (None: on
    none; Q(): on all): the rows whose previous names are public (portal.selectors.OptionalPublicFields).
    The condition sits beside the previous-name match inside each token's OR, so the trigram index on
    the stored fold still finds the candidates and the condition only filters them, in the same query.
    Returns the entries and a problem code: "invalid-number" when the query looked like a number but
    was not a valid one, "too-short" when a name query had fewer than NAME_QUERY_MIN_CHARS letters.
    """
    query = " ".join(query.split())
    entries = _public_entries()
    if category_code:
        entries = entries.filter(category__code=category_code)
    if status:
        entries = entries.filter(status=status)
    if not query:
        return entries.none(), None
    if looks_like_registration_number(query):
        number = normalise_registration_number(query)
        if number is None:
            return entries.none(), "invalid-number"
        return entries.filter(registration_number=number), None
    if sum(char.isalnum() for char in query) < NAME_QUERY_MIN_CHARS:
        return entries.none(), "too-short"
    entries = entries.alias(
        given_folded=NameFold("practitioner__given_names"), family_folded=NameFold("practitioner__family_name")
    )
    if previous_names_where is not None:
        entries = entries.alias(previous_folded=NameFold("practitioner__previous_names"))
    for token in query.split(" ")[:6]:
        folded = fold(token) or ""
        matches = Q(given_folded__contains=folded) | Q(family_folded__contains=folded)
        if previous_names_where is not None:
            matches |= Q(previous_folded__contains=folded) & previous_names_where
        entries = entries.filter(matches)
    return entries, None


def public_register_entry(*, registration_number: str) -> RegisterEntry:
    return _public_entries().get(registration_number=registration_number)
