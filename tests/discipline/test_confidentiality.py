"""Confidential case documents, panel scoping, and the public register's silence about undecided allegations."""

from __future__ import annotations

import copy
import re
from http import HTTPStatus
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from core.access import PUBLIC, rule_for
from core.models import AuditEvent, RuleSet, User
from core.roles import Role
from discipline import services
from discipline.models import CaseDocument, PanelSeat
from registry.models import RegisterEntry
from tests import factories
from tests.conftest import mfa_login
from tests.discipline.conftest import ALLEGATION_MARKER, lodge, open_case, pdf, schedule_and_declare, to_hearing

pytestmark = pytest.mark.django_db


def _opened(document: CaseDocument) -> int:
    return AuditEvent.objects.filter(action="case_document.opened", object_id=str(document.pk)).count()


@pytest.fixture
def world(entry: RegisterEntry, conduct_officer: User, registrar: User, panel: list[User]) -> dict[str, Any]:
    case = open_case(entry, conduct_officer)
    document = services.case_document_add(actor=conduct_officer, case=case, title="Witness statement", uploaded=pdf())
    hearing = services.hearing_schedule
    hearing = to_hearing(case, conduct_officer, panel[:2])
    # a third panel member sits on another case's hearing only
    other_case = open_case(entry, conduct_officer)
    other_hearing = to_hearing(other_case, conduct_officer, [panel[2], panel[0]])
    return {"case": case, "document": document, "hearing": hearing, "other_hearing": other_hearing}


def _client_for(role: Role | None) -> Client:
    if role is None:
        return mfa_login(Client(), factories.UserFactory())
    return mfa_login(Client(), factories.staff_user(role))


def test_documents_are_refused_outside_the_case_team_and_panel(
    world: dict[str, Any], conduct_officer: User, registrar: User, panel: list[User], entry: RegisterEntry
) -> None:
    case, document = world["case"], world["document"]
    staff_url = reverse("conduct:document", args=[case.pk, document.pk])
    panel_url = reverse("panel:document", args=[world["hearing"].pk, document.pk])
    outsiders: dict[str, Client] = {role.value: _client_for(role) for role in Role if role != Role.EMPLOYER_USER}
    outsiders["registrar on no case team"] = mfa_login(Client(), registrar)
    outsiders["panel member of another hearing"] = mfa_login(Client(), panel[2])
    outsiders["the practitioner the case is about"] = mfa_login(Client(), entry.practitioner.user)
    outsiders["anonymous"] = Client()
    employer = factories.UserFactory()
    employer.groups.add(Group.objects.get(name=Role.EMPLOYER_USER.value))
    outsiders["employer"] = mfa_login(Client(), employer)
    for label, client in outsiders.items():
        for url in (staff_url, panel_url):
            response = client.get(url)
            assert response.status_code in (HTTPStatus.FORBIDDEN, HTTPStatus.NOT_FOUND, HTTPStatus.FOUND), (label, url)
            assert not getattr(response, "streaming", False), (label, url)
    assert _opened(document) == 0
    # a refusal that reached the view is itself on the record
    assert AuditEvent.objects.filter(action="case_document.refused", object_id=str(document.pk)).exists()

    # the case officer, a registrar added to the team, and a sitting panel member may open it, and each
    # opening is an audit event naming who opened it
    services.case_team_change(actor=conduct_officer, case=case, member=registrar, add=True, reason="Interim order")
    allowed = [
        (conduct_officer, staff_url),
        (registrar, staff_url),
        (panel[0], panel_url),
        (panel[1], panel_url),
        (panel[1], panel_url),
    ]
    for user, url in allowed:
        response = mfa_login(Client(), user).get(url)
        assert response.status_code == HTTPStatus.OK, (user.email, url)
        assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert _opened(document) == len(allowed)
    openers = list(
        AuditEvent.objects.filter(action="case_document.opened", object_id=str(document.pk))
        .order_by("id")
        .values_list("actor__email", flat=True)
    )
    assert openers == [user.email for user, _url in allowed]


def test_the_council_may_let_registrars_see_every_case_document(
    world: dict[str, Any], registrar: User, discipline_rules: RuleSet
) -> None:
    url = reverse("conduct:document", args=[world["case"].pk, world["document"].pk])
    assert mfa_login(Client(), registrar).get(url).status_code == HTTPStatus.FORBIDDEN
    rules = copy.deepcopy(discipline_rules.rules)
    rules["discipline"]["registrars_see_case_documents"] = True
    discipline_rules.rules = rules
    discipline_rules.save(update_fields=["rules"])
    assert mfa_login(Client(), registrar).get(url).status_code == HTTPStatus.OK
    assert _opened(world["document"]) == 1


def test_a_panel_member_sees_only_their_own_hearings(world: dict[str, Any], panel: list[User]) -> None:
    hearing, other = world["hearing"], world["other_hearing"]
    outsider = mfa_login(Client(), panel[2])  # sits on `other` only
    listing = outsider.get(reverse("panel:hearings")).content.decode()
    assert reverse("panel:hearing", args=[other.pk]) in listing
    assert reverse("panel:hearing", args=[hearing.pk]) not in listing
    for name in ("panel:hearing",):
        assert outsider.get(reverse(name, args=[hearing.pk])).status_code == HTTPStatus.NOT_FOUND
    before = tuple(PanelSeat.objects.order_by("pk").values_list("declaration"))
    for name, data in (("panel:declare", {"has_conflict": "no"}), ("panel:confirm", {})):
        assert outsider.post(reverse(name, args=[hearing.pk]), data).status_code == HTTPStatus.NOT_FOUND
    assert tuple(PanelSeat.objects.order_by("pk").values_list("declaration")) == before
    # panel members have no way into the conduct officers' case pages
    assert outsider.get(reverse("conduct:case", args=[world["case"].pk])).status_code == HTTPStatus.FORBIDDEN
    member = mfa_login(Client(), panel[0])
    page = member.get(reverse("panel:hearing", args=[hearing.pk])).content.decode()
    assert "Witness statement" in page


def test_a_panel_member_reads_the_bundle_only_after_declaring_no_conflict(
    entry: RegisterEntry, conduct_officer: User, panel: list[User]
) -> None:
    case = open_case(entry, conduct_officer)
    document = services.case_document_add(actor=conduct_officer, case=case, title="Bundle item", uploaded=pdf())
    services.case_charge(actor=conduct_officer, case=case, charges="x", reason="y")
    import datetime as dt

    from django.utils import timezone

    hearing = services.hearing_schedule(
        actor=conduct_officer,
        case=case,
        starts_at=timezone.now() + dt.timedelta(days=3),
        venue="Online",
        members=panel[:2],
        chair=panel[0],
    )
    client = mfa_login(Client(), panel[1])
    url = reverse("panel:document", args=[hearing.pk, document.pk])
    assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    client.post(reverse("panel:declare", args=[hearing.pk]), {"has_conflict": "yes", "note": "I supervised them"})
    assert client.get(url).status_code == HTTPStatus.FORBIDDEN
    assert "Bundle item" not in client.get(reverse("panel:hearing", args=[hearing.pk])).content.decode()
    assert _opened(document) == 0


def _public_paths(**kwargs: str) -> list[str]:
    """Every URL whose declared rule is PUBLIC, with its arguments filled in."""
    paths: list[str] = []

    def walk(patterns: list[Any], prefix: str) -> None:
        for item in patterns:
            if isinstance(item, URLResolver):
                walk(item.url_patterns, prefix + str(item.pattern))
            elif isinstance(item, URLPattern):
                pattern = prefix + str(item.pattern)
                if any(part in pattern for part in ("admin/", "accounts/", "i18n/")):
                    continue
                path = "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda found: kwargs.get(found.group(1), "1"), pattern)
                from django.urls import resolve

                if rule_for(resolve(path)) is PUBLIC:
                    paths.append(path)

    walk(get_resolver().url_patterns, "")
    return paths


def _assert_public_silence(entry: RegisterEntry, token: str, markers: list[str]) -> None:
    client = Client()
    paths = _public_paths(registration_number=entry.registration_number, token=token)
    assert "/complaints/" in paths
    assert f"/register/{entry.registration_number}/" in paths
    searches = [
        f"/register/?q={entry.practitioner.family_name}",
        f"/register/?q={entry.registration_number}",
    ]
    for path in [*paths, *searches]:
        response = client.get(path)
        body = b"".join(response.streaming_content) if getattr(response, "streaming", False) else response.content
        text = body.decode("utf-8", "replace")
        for marker in markers:
            assert marker not in text, (path, marker)


def test_no_undecided_allegation_reaches_any_public_page(
    entry: RegisterEntry, conduct_officer: User, registrar: User, panel: list[User]
) -> None:
    # given a complaint whose every confidential field carries a unique marker
    lodged = services.complaint_lodge(
        data={
            "complainant_role": "CARE_RESIDENT",
            "complainant_name": "MARKER-NAME-5521",
            "complainant_email": "marker5521@example.org",
            "anonymous_to_practitioner": True,
            "practitioner_named": entry.practitioner.full_name,
            "registration_number_given": entry.registration_number,
            "workplace_named": "MARKER-WORKPLACE-5521",
            "description": f"Description {ALLEGATION_MARKER}",
        },
        attachments=[pdf("MARKER-FILE-5521.pdf")],
        source_address="192.0.2.10",
        tracking_url=lambda token: token,
    )
    markers = [ALLEGATION_MARKER, "MARKER-NAME-5521", "marker5521@example.org", "MARKER-WORKPLACE-5521", "MARKER-FILE"]
    _assert_public_silence(entry, lodged.tracking_token, markers)
    # when it becomes a case, with an interim order, charges, a document and a hearing
    case = services.complaint_triage(
        actor=conduct_officer,
        complaint=lodged.complaint,
        open_case=True,
        reason="MARKER-TRIAGE-5521",
        register_entry=entry,
        allegation=f"Allegation {ALLEGATION_MARKER}",
    )
    assert case is not None
    services.interim_order_make(actor=registrar, case=case, kind="SUSPENSION", reason="MARKER-INTERIM-5521")
    services.case_document_add(actor=conduct_officer, case=case, title="MARKER-DOC-5521", uploaded=pdf())
    services.case_charge(actor=conduct_officer, case=case, charges="MARKER-CHARGE-5521", reason="Evidence")
    markers += ["MARKER-TRIAGE-5521", "MARKER-INTERIM-5521", "MARKER-DOC-5521", "MARKER-CHARGE-5521", case.number]
    _assert_public_silence(entry, lodged.tracking_token, markers)
    # then the register shows the interim order, and nothing of the allegation
    record = Client().get(reverse("portal:register-record", args=[entry.registration_number])).content.decode()
    assert "Interim suspension order" in record
    # and after a decision only its public summary is published, never the findings or reasons
    hearing = schedule_and_declare(case, conduct_officer, panel)
    services.decision_record(
        actor=panel[0],
        hearing=hearing,
        decision=services.DecisionInput(
            outcome="SANCTION",
            findings="MARKER-FINDINGS-5521",
            reasons="MARKER-REASONS-5521",
            sanction_kind="CAUTION",
            public_summary="Failed to keep proper records.",
        ),
    )
    _assert_public_silence(entry, lodged.tracking_token, [*markers, "MARKER-FINDINGS-5521", "MARKER-REASONS-5521"])
    record = Client().get(reverse("portal:register-record", args=[entry.registration_number])).content.decode()
    assert "Failed to keep proper records." in record
    assert "Caution" in record


def test_a_complaint_attachment_opening_is_audited(entry: RegisterEntry, conduct_officer: User) -> None:
    complaint = lodge(entry)
    attachment = complaint.attachments.get()
    url = reverse("conduct:complaint-attachment", args=[complaint.pk, attachment.pk])
    assert mfa_login(Client(), conduct_officer).get(url).status_code == HTTPStatus.OK
    assert AuditEvent.objects.filter(action="complaint_attachment.opened", object_id=str(attachment.pk)).count() == 1
