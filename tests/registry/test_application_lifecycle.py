"""The application lifecycle through its services: every step, its audit event, history and notification."""

from __future__ import annotations

import pytest
from django.core import mail

from core.exceptions import ApplicationError, InvalidTransition
from core.models import AuditEvent, Notification
from registry import services
from registry.exceptions import ApplicationIncomplete
from registry.models import Application, Practitioner, RegisterEntry
from registry.numbers import normalise_registration_number
from tests import factories

pytestmark = pytest.mark.django_db


def _actions(application: Application) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type__model="application", object_id=str(application.pk))
        .order_by("id")
        .values_list("action", flat=True)
    )


def test_full_journey_from_draft_to_register(categories, applicant, registrar, django_capture_on_commit_callbacks):
    # given a complete draft
    category = categories["social-worker"]
    application = factories.draft_application(applicant=applicant, category=category)

    # when it is submitted, assigned, questioned, answered and approved
    with django_capture_on_commit_callbacks(execute=True):
        services.application_submit(actor=applicant, application=application)
        services.application_assign(actor=registrar, application=application, officer=registrar)
        services.application_request_information(
            actor=registrar, application=application, message="Please send your transcript."
        )
        services.application_respond(actor=applicant, application=application, response="Attached, thank you.")
        services.application_decide(actor=registrar, application=application, approve=True, reason="")

    # then the person is on the register with a valid number
    application.refresh_from_db()
    entry = RegisterEntry.objects.get(application=application)
    assert application.status == Application.Status.APPROVED
    assert application.decided_by == registrar
    assert application.rule_set is not None
    assert entry.status == RegisterEntry.Status.REGISTERED
    assert entry.registration_number.startswith("SW-")
    assert normalise_registration_number(entry.registration_number) == entry.registration_number
    assert entry.practitioner == Practitioner.objects.get(user=applicant)
    assert entry.practitioner.full_name == "José Núñez"
    # every step is an audit event, in order
    assert _actions(application) == [
        "application.started",
        "application.draft_saved",
        "application.document_added",
        "application.document_added",
        "application.submitted",
        "application.assigned",
        "application.information_requested",
        "application.information_provided",
        "application.approved",
    ]
    assert AuditEvent.objects.get(action="register_entry.registered").actor == registrar
    # and a history row for each status the application passed through
    statuses = list(application.history.order_by("history_id").values_list("status", flat=True))
    assert statuses[-5:] == ["SUBMITTED", "IN_REVIEW", "INFO_REQUESTED", "IN_REVIEW", "APPROVED"]
    assert application.history.latest("history_id").history_user == registrar
    # and the applicant (and the officer, when the applicant answered) was told at each step
    kinds = list(Notification.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == ["application_submitted", "information_requested", "information_provided", "application_approved"]
    assert Notification.objects.filter(status=Notification.Status.SENT).count() == 4
    assert [message.to for message in mail.outbox] == [
        [applicant.email],
        [applicant.email],
        [registrar.email],
        [applicant.email],
    ]
    assert entry.registration_number in mail.outbox[-1].body


def test_refusal_without_reasons_is_refused_and_changes_nothing(categories, applicant, registrar):
    # given an application in review
    application = factories.application_in_review(
        applicant=applicant, category=categories["social-worker"], registrar=registrar
    )
    events_before = AuditEvent.objects.count()
    history_before = application.history.count()

    # when the registrar refuses without reasons
    with pytest.raises(ApplicationError, match=r"Give the reasons for refusing this application\."):
        services.application_decide(actor=registrar, application=application, approve=False, reason="   ")

    # then nothing changed
    application.refresh_from_db()
    assert application.status == Application.Status.IN_REVIEW
    assert application.decided_at is None
    assert AuditEvent.objects.count() == events_before
    assert application.history.count() == history_before


def test_refusal_with_reasons_records_them_and_notifies(
    categories, applicant, registrar, django_capture_on_commit_callbacks
):
    application = factories.application_in_review(
        applicant=applicant, category=categories["social-worker"], registrar=registrar
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.application_decide(
            actor=registrar, application=application, approve=False, reason="The degree is not accredited."
        )
    application.refresh_from_db()
    assert application.status == Application.Status.REFUSED
    assert application.decision_reason == "The degree is not accredited."
    event = AuditEvent.objects.get(action="application.refused")
    assert (event.reason, event.before, event.after) == (
        "The degree is not accredited.",
        {"status": "IN_REVIEW"},
        {"status": "REFUSED"},
    )
    assert not RegisterEntry.objects.exists()
    history = application.history.latest("history_id")
    assert (history.status, history.history_user, history.history_change_reason) == (
        "REFUSED",
        registrar,
        "The degree is not accredited.",
    )
    assert "The degree is not accredited." in mail.outbox[-1].body


def test_submit_incomplete_lists_every_problem(categories, applicant):
    application = services.application_start(actor=applicant, category=categories["social-worker"])
    with pytest.raises(ApplicationIncomplete) as caught:
        services.application_submit(actor=applicant, application=application)
    assert caught.value.problems == [
        "Enter your name.",
        "Enter your date of birth.",
        "Enter your national ID number.",
        "Tell us about your qualification.",
        "Enter the date your qualification was awarded.",
        "Upload your identity document.",
        "Upload your degree or qualification certificate.",
        "Confirm the declaration.",
    ]
    application.refresh_from_db()
    assert application.status == Application.Status.DRAFT


def test_supervised_practice_requirement_blocks_approval(categories, applicant, registrar):
    application = factories.application_in_review(
        applicant=applicant,
        category=categories["social-auxiliary-worker"],
        registrar=registrar,
        supervised_practice_hours=120,
    )
    with pytest.raises(ApplicationError, match="requirements are not met") as caught:
        services.application_decide(actor=registrar, application=application, approve=True, reason="")
    assert caught.value.problems == [  # type: ignore[attr-defined]
        "The category needs 200 supervised practice hours; the application records 120."
    ]
    application.refresh_from_db()
    assert application.status == Application.Status.IN_REVIEW
    assert not RegisterEntry.objects.exists()


@pytest.mark.parametrize(
    ("_case", "status", "service_call"),
    [
        ("submit twice", "SUBMITTED", lambda a, app: services.application_submit(actor=a, application=app)),
        (
            "edit after submit",
            "SUBMITTED",
            lambda a, app: services.application_save_draft(actor=a, application=app, data={"phone": "1"}),
        ),
        (
            "respond unasked",
            "SUBMITTED",
            lambda a, app: services.application_respond(actor=a, application=app, response="hi"),
        ),
    ],
)
def test_illegal_moves_are_refused(_case, status, service_call, categories, applicant):
    application = factories.draft_application(applicant=applicant, category=categories["social-worker"])
    services.application_submit(actor=applicant, application=application)
    events_before = AuditEvent.objects.count()
    with pytest.raises(InvalidTransition):
        service_call(applicant, application)
    application.refresh_from_db()
    assert application.status == status
    assert AuditEvent.objects.count() == events_before


def test_one_open_application_per_category(categories, applicant):
    services.application_start(actor=applicant, category=categories["social-worker"])
    with pytest.raises(ApplicationError, match="already have an open application"):
        services.application_start(actor=applicant, category=categories["social-worker"])
    assert Application.objects.filter(applicant=applicant).count() == 1


def test_only_the_applicant_can_change_their_application(categories, applicant, other_applicant):
    application = services.application_start(actor=applicant, category=categories["social-worker"])
    with pytest.raises(ApplicationError, match="Only the applicant"):
        services.application_save_draft(actor=other_applicant, application=application, data={"given_names": "X"})
    application.refresh_from_db()
    assert application.given_names == ""


def test_withdraw_from_review(categories, applicant, registrar):
    application = factories.application_in_review(
        applicant=applicant, category=categories["social-worker"], registrar=registrar
    )
    services.application_withdraw(actor=applicant, application=application, reason="Moving abroad")
    application.refresh_from_db()
    assert application.status == Application.Status.WITHDRAWN
    assert AuditEvent.objects.get(action="application.withdrawn").reason == "Moving abroad"
