"""The conduct pages through the client: each step is a form on the case page, a refusal re-shows the page
with the reason, and every page renders for the people it is for."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from core.models import User
from discipline.models import Case, Complaint, Decision, Hearing, InterimOrder, PanelSeat, Publication
from registry.models import RegisterEntry
from tests.conftest import mfa_login
from tests.discipline.conftest import lodge

pytestmark = pytest.mark.django_db


def test_a_case_from_triage_to_a_closed_appeal_through_the_pages(
    entry: RegisterEntry, conduct_officer: User, registrar: User, panel: list[User]
) -> None:
    officer = mfa_login(Client(), conduct_officer)
    complaint = lodge(entry)
    dashboard = officer.get(reverse("conduct:dashboard")).content.decode()
    assert complaint.reference in dashboard
    assert officer.get(reverse("conduct:complaint", args=[complaint.pk])).status_code == HTTPStatus.OK
    # opening a case needs a real registration number
    refused = officer.post(
        reverse("conduct:complaint-triage", args=[complaint.pk]),
        {"decision": "open", "registration_number": "SW-999999-9", "reason": "Serious"},
    )
    assert refused.status_code == HTTPStatus.BAD_REQUEST
    assert "No register entry has that number." in refused.content.decode()
    response = officer.post(
        reverse("conduct:complaint-triage", args=[complaint.pk]),
        {"decision": "open", "registration_number": entry.registration_number, "reason": "Serious"},
    )
    case = Case.objects.get()
    assert response["Location"] == reverse("conduct:case", args=[case.pk])
    page = officer.get(response["Location"]).content.decode()
    assert "Bring charges" in page
    assert "Make an interim order" not in page  # registrars only

    registrar_client = mfa_login(Client(), registrar)
    assert "Make an interim order" in registrar_client.get(reverse("conduct:case", args=[case.pk])).content.decode()
    registrar_client.post(
        reverse("conduct:interim-order-make", args=[case.pk]),
        {"kind": "CONDITIONS", "conditions": "Practise only under supervision.", "reason": "Risk pending the case"},
    )
    entry.refresh_from_db()
    assert entry.status == RegisterEntry.Status.REGISTERED_WITH_CONDITIONS
    assert "Practise only under supervision." in entry.conditions

    empty = officer.post(reverse("conduct:case-charge", args=[case.pk]), {"charges": "", "reason": ""})
    assert empty.status_code == HTTPStatus.BAD_REQUEST
    assert "There is a problem" in empty.content.decode()
    officer.post(reverse("conduct:case-charge", args=[case.pk]), {"charges": "Neglect", "reason": "Evidence"})
    starts = timezone.localtime(timezone.now() + dt.timedelta(days=10)).strftime("%Y-%m-%dT%H:%M")
    officer.post(
        reverse("conduct:hearing-schedule", args=[case.pk]),
        {"starts_at": starts, "venue": "Online", "members": [str(m.pk) for m in panel[:2]], "chair": str(panel[0].pk)},
    )
    hearing = Hearing.objects.get(case=case)
    assert PanelSeat.objects.filter(hearing=hearing).count() == 2

    for member in panel[:2]:
        client = mfa_login(Client(), member)
        assert reverse("panel:hearing", args=[hearing.pk]) in client.get(reverse("panel:hearings")).content.decode()
        client.post(reverse("panel:declare", args=[hearing.pk]), {"has_conflict": "no"})
    chair = mfa_login(Client(), panel[0])
    missing = chair.post(
        reverse("panel:decide", args=[hearing.pk]),
        {
            "outcome": "SANCTION",
            "findings": "Proven",
            "reasons": "Serious",
            "sanction_kind": "SUSPENSION",
            "public_summary": "Neglect.",
        },
    )
    assert missing.status_code == HTTPStatus.BAD_REQUEST
    assert "Give the sanction&#x27;s length in months." in missing.content.decode()
    chair.post(
        reverse("panel:decide", args=[hearing.pk]),
        {
            "outcome": "SANCTION",
            "findings": "Proven",
            "reasons": "Serious",
            "sanction_kind": "SUSPENSION",
            "sanction_months": "6",
            "public_summary": "Neglected children in their care.",
        },
    )
    decision = Decision.objects.get(hearing=hearing)
    entry.refresh_from_db()
    assert entry.status == RegisterEntry.Status.SUSPENDED
    assert InterimOrder.objects.get(case=case).status == InterimOrder.Status.ENDED
    record = Client().get(reverse("portal:register-record", args=[entry.registration_number])).content.decode()
    assert "Neglected children in their care." in record
    assert "Interim conditions" not in record

    # closing inside the appeal window is refused, an appeal is recorded and decided, and the case closes
    too_soon = officer.post(reverse("conduct:case-close", args=[case.pk]), {"reason": "Done"})
    assert "The time to appeal runs until" in too_soon.content.decode()
    officer.post(
        reverse("conduct:appeal-lodge", args=[case.pk]),
        {"lodged_date": timezone.localdate().isoformat(), "grounds": "Too harsh"},
    )
    appeal = decision.appeals.get()
    officer.post(
        reverse("conduct:appeal-decide", args=[case.pk, appeal.pk]),
        {"decision": "allow", "reason": "Disproportionate"},
    )
    case.refresh_from_db()
    entry.refresh_from_db()
    assert case.status == Case.Status.CLOSED
    assert entry.status == RegisterEntry.Status.REGISTERED
    assert entry.conditions == ""
    assert not Publication.objects.filter(status=Publication.Status.PUBLISHED).exists()
    timeline = officer.get(reverse("conduct:case", args=[case.pk])).content.decode()
    for label in ("Case opened", "Interim order made", "Decision recorded", "Appeal decided"):
        assert label in timeline, label
    assert Complaint.objects.get().status == Complaint.Status.CASE_OPENED
