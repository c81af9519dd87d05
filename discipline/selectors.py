"""Reads for the conduct pages: queues, the overdue dashboard, a case's timeline, a panel member's hearings,
and the public notices (the one read the public register makes of this app)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db.models import Q, QuerySet
from django.http import Http404

from core.audit_labels import action_label
from core.models import AuditEvent, User
from core.roles import Role
from core.selectors import council_today
from discipline.lifecycles import OPEN_CASE_STATUSES
from discipline.models import (
    Appeal,
    Case,
    CaseDocument,
    Complaint,
    Decision,
    Hearing,
    InterimOrder,
    PanelSeat,
    Sanction,
)
from discipline.services import token_hash


def complaint_queue() -> QuerySet[Complaint]:
    return Complaint.objects.filter(status=Complaint.Status.RECEIVED).order_by("triage_due_date", "id")


def complaint_by_token(token: str) -> Complaint:
    complaint = Complaint.objects.filter(tracking_token_hash=token_hash(token)).select_related("case").first()
    if complaint is None:
        raise Http404
    return complaint


def case_list(*, status: str = "", mine_of: User | None = None, overdue: bool = False) -> QuerySet[Case]:
    cases = Case.objects.select_related("register_entry__practitioner", "register_entry__category", "officer")
    cases = cases.filter(status=status) if status else cases.filter(status__in=OPEN_CASE_STATUSES)
    if mine_of is not None:
        cases = cases.filter(Q(officer=mine_of) | Q(team=mine_of)).distinct()
    if overdue:
        cases = cases.filter(stage_due_date__lt=council_today())
    return cases.order_by("stage_due_date", "id")


@dataclass(frozen=True)
class Dashboard:
    complaints_waiting: int
    complaints_overdue: int
    open_cases: int
    overdue_cases: QuerySet[Case]
    reviews_due: QuerySet[InterimOrder]
    hearings_ahead: QuerySet[Hearing]


def dashboard() -> Dashboard:
    today = council_today()
    waiting = complaint_queue()
    return Dashboard(
        complaints_waiting=waiting.count(),
        complaints_overdue=waiting.filter(triage_due_date__lt=today).count(),
        open_cases=Case.objects.filter(status__in=OPEN_CASE_STATUSES).count(),
        overdue_cases=case_list(overdue=True)[:50],
        reviews_due=InterimOrder.objects.filter(status=InterimOrder.Status.IN_FORCE, review_date__lte=today)
        .select_related("case", "register_entry")
        .order_by("review_date"),
        hearings_ahead=Hearing.objects.filter(status=Hearing.Status.SCHEDULED)
        .select_related("case")
        .order_by("starts_at")[:20],
    )


def case_get(*, case_id: int) -> Case:
    try:
        return Case.objects.select_related(
            "register_entry__practitioner__user", "register_entry__category", "officer", "complaint"
        ).get(pk=case_id)
    except Case.DoesNotExist as exc:
        raise Http404 from exc


@dataclass(frozen=True)
class CaseFile:
    documents: list[CaseDocument]
    interim_orders: list[InterimOrder]
    hearings: list[Hearing]
    decisions: list[Decision]
    sanctions: list[Sanction]
    appeals: list[Appeal]
    team: list[User]


def case_file(case: Case) -> CaseFile:
    return CaseFile(
        documents=list(case.documents.all()),
        interim_orders=list(case.interim_orders.order_by("-id")),
        hearings=list(case.hearings.prefetch_related("seats__member").order_by("-starts_at")),
        decisions=list(case.decisions.select_related("recorded_by", "confirmed_by").order_by("-id")),
        sanctions=list(case.sanctions.select_related("invoice").order_by("-id")),
        appeals=list(case.appeals.order_by("-id")),
        team=list(case.team.order_by("email")),
    )


@dataclass(frozen=True)
class CaseEvent:
    occurred_at: Any
    actor: str
    action: str
    reason: str

    @property
    def label(self) -> str:
        return action_label(self.action)


def case_timeline(case: Case) -> list[CaseEvent]:
    """Who did what, when and why: the audit events of the case and everything hanging off it, newest first."""
    targets: list[tuple[type, list[int]]] = [
        (Case, [case.pk]),
        (CaseDocument, list(case.documents.values_list("pk", flat=True))),
        (InterimOrder, list(case.interim_orders.values_list("pk", flat=True))),
        (Hearing, list(case.hearings.values_list("pk", flat=True))),
        (PanelSeat, list(PanelSeat.objects.filter(hearing__case=case).values_list("pk", flat=True))),
        (Decision, list(case.decisions.values_list("pk", flat=True))),
        (Sanction, list(case.sanctions.values_list("pk", flat=True))),
        (Appeal, list(case.appeals.values_list("pk", flat=True))),
    ]
    if case.complaint_id is not None:
        targets.append((Complaint, [case.complaint_id]))
    condition = Q()
    for model, ids in targets:
        if ids:
            condition |= Q(object_type=ContentType.objects.get_for_model(model), object_id__in=[str(pk) for pk in ids])
    return [
        CaseEvent(event.occurred_at, event.actor_label, event.action, event.reason)
        for event in AuditEvent.objects.filter(condition).order_by("-id")[:500]
    ]


def panel_members() -> QuerySet[User]:
    return User.objects.filter(groups__name=Role.HEARING_PANEL.value, is_active=True).order_by("email")


def conduct_officers() -> QuerySet[User]:
    return User.objects.filter(groups__name=Role.CONDUCT_OFFICER.value, is_active=True).order_by("email")


def hearings_of_member(*, user: User) -> QuerySet[PanelSeat]:
    return (
        PanelSeat.objects.filter(member=user)
        .select_related("hearing__case__register_entry__practitioner")
        .order_by("-hearing__starts_at")
    )


def seat_of_member(*, user: User, hearing_id: int) -> PanelSeat:
    """The member's seat on a hearing: a panel member sees only the cases of their own hearings (else 404)."""
    seat = (
        PanelSeat.objects.filter(member=user, hearing_id=hearing_id)
        .select_related("hearing__case__register_entry__practitioner", "hearing__case__register_entry__category")
        .first()
    )
    if seat is None:
        raise Http404
    return seat
