"""Providers' attendance lists: all or nothing, a report per bad row, and nobody credited twice."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile

from core.models import AuditEvent
from core.roles import Role
from cpd import services
from cpd.models import Activity, AttendanceUpload, Compliance
from registry.models import RegisterEntry
from registry.services import register_entry_change_status
from tests import factories
from tests.cpd.conftest import at, registered

pytestmark = pytest.mark.django_db


@pytest.fixture
def accredited(cpd_rules, types, cpd_officer):
    """An accredited provider's accredited 6-point ethics workshop held on 10 March 2027."""
    user = factories.UserFactory()
    user.groups.add(Group.objects.get(name=Role.CPD_PROVIDER_USER.value))
    provider = services.provider_apply(
        actor=user, name="Ubuntu Training Institute", contact_email="u@example.org", description=""
    )
    services.provider_decide(actor=cpd_officer, provider=provider, approve=True, reason="")
    activity = services.accredited_activity_submit(
        actor=user,
        provider=provider,
        title="Ethics in child protection",
        activity_type=types["course"],
        held_on=dt.date(2027, 3, 10),
        proposed_points=Decimal(8),
        subtype="ethics",
    )
    activity = services.accredited_activity_decide(
        actor=cpd_officer, activity=activity, approve=True, points=Decimal(6), reason=""
    )
    activity.provider_user = user
    return activity


def _upload(activity, text: str):
    with time_machine.travel(at(2027, 3, 12), tick=False):
        return services.attendance_upload(
            actor=activity.provider_user,
            activity=activity,
            uploaded=SimpleUploadedFile("attendance.csv", text.encode()),
        )


def test_an_attendance_list_credits_everyone_once_however_often_it_is_uploaded(categories, accredited):
    people = [
        registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), name=f"Mokoena {index}") for index in range(3)
    ]
    assert accredited.code == f"CPD-2027-{accredited.pk:06d}"
    text = "registration_number,name\n" + "".join(f"{entry.registration_number},x\n" for entry in people[:2])

    first = _upload(accredited, text)
    assert (first.status, first.credited_count, first.already_credited_count) == ("IMPORTED", 2, 0)
    credits = Activity.objects.filter(accredited_activity=accredited)
    assert sorted(credits.values_list("practitioner_id", flat=True)) == sorted(
        entry.practitioner_id for entry in people[:2]
    )
    assert {(credit.points, credit.subtype, credit.source) for credit in credits} == {
        (Decimal("6.00"), "ethics", "ATTENDANCE")
    }
    # their compliance was recomputed at once
    assert Compliance.objects.filter(register_entry__in=people[:2], cycle_start_year=2027).count() == 2

    # when the same list is uploaded again, with a third person added
    again = _upload(accredited, text + f"{people[2].registration_number},y\n")

    # then only the new person is credited
    assert (again.status, again.credited_count, again.already_credited_count) == ("IMPORTED", 1, 2)
    assert Activity.objects.filter(accredited_activity=accredited).count() == 3
    assert AuditEvent.objects.filter(action="cpd_activity.credited").count() == 3


def test_a_bad_list_credits_nobody_and_reports_each_row(categories, accredited):
    good = registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC))
    lapsed = registered(categories, on=dt.datetime(2026, 3, 1, tzinfo=dt.UTC), name="Lapsed")
    register_entry_change_status(actor=None, entry=lapsed, status=RegisterEntry.Status.LAPSED, reason="Not renewed")
    wrong_digit = good.registration_number[:-1] + str((int(good.registration_number[-1]) + 1) % 10)
    text = (
        "registration_number,name\n"
        f"{good.registration_number},a\n"  # row 2: fine
        f"{wrong_digit},b\n"  # row 3: the check digit is wrong
        "SW-999999-9,c\n"  # row 4: nobody (or invalid)
        f"{lapsed.registration_number},d\n"  # row 5: not practising
        f"{good.registration_number},e\n"  # row 6: duplicate
        ",f\n"  # row 7: no number
    )
    upload = _upload(accredited, text)
    assert upload.status == AttendanceUpload.Status.REJECTED
    problems = {row["row"]: row["problems"] for row in upload.row_errors}
    assert sorted(problems) == [3, 4, 5, 6, 7]
    assert "check digit" in problems[3][0]
    assert "not a practising registrant" in problems[5][0]
    assert problems[6] == ["This person is already on row 2."]
    assert problems[7] == ["The registration number is missing."]
    assert not Activity.objects.filter(accredited_activity=accredited).exists()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"registration_number;name\nSW-000001-3;x\n", "semicolons"),
        (b"number,name\nSW-000001-3,x\n", "lacks the registration_number column"),
        (b"registration_number\n", "no attendees"),
    ],
)
def test_a_list_with_a_file_problem_credits_nobody(accredited, content, message):
    upload = _upload(accredited, content.decode())
    assert upload.status == AttendanceUpload.Status.REJECTED
    assert message in upload.file_errors[0]
    assert not Activity.objects.exists()


def test_a_spreadsheet_is_refused(accredited):
    from core.exceptions import ApplicationError

    with time_machine.travel(at(2027, 3, 12), tick=False), pytest.raises(ApplicationError, match="not a CSV"):
        services.attendance_upload(
            actor=accredited.provider_user,
            activity=accredited,
            uploaded=SimpleUploadedFile("a.xlsx", b"PK\x03\x04" + b"\x00" * 100),
        )
    assert not AttendanceUpload.objects.exists()


def test_only_the_providers_own_users_upload_and_only_for_accredited_activities(categories, accredited, types):
    outsider = factories.UserFactory()
    outsider.groups.add(Group.objects.get(name=Role.CPD_PROVIDER_USER.value))
    from core.exceptions import ApplicationError

    with pytest.raises(ApplicationError, match="provider's own users"):
        services.attendance_upload(
            actor=outsider, activity=accredited, uploaded=SimpleUploadedFile("a.csv", b"registration_number\n")
        )
    pending = services.accredited_activity_submit(
        actor=accredited.provider_user,
        provider=accredited.provider,
        title="Pending",
        activity_type=types["course"],
        held_on=dt.date(2027, 4, 1),
        proposed_points=Decimal(2),
    )
    with pytest.raises(ApplicationError, match="Only an accredited activity"):
        services.attendance_upload(
            actor=accredited.provider_user,
            activity=pending,
            uploaded=SimpleUploadedFile("a.csv", b"registration_number\n"),
        )
