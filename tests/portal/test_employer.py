"""The employer pages: roster uploads, the dashboard's flags, reports, API keys, alert settings, and that
an employer user sees only their own organisation's rosters, keys, alerts and deliveries."""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import zipfile
from html import unescape
from http import HTTPStatus
from typing import Any

import pytest
import time_machine
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from core.exceptions import ApplicationError
from core.models import AuditEvent
from core.roles import Role
from portal import alerts, employer_urls, services
from portal.models import (
    ApiKey,
    ChangeAlert,
    EmployerOrganisation,
    RosterEntry,
    RosterUpload,
    WebhookDelivery,
)
from registry import services as registry_services
from registry.numbers import format_registration_number
from tests import factories
from tests.licensing.conftest import JOHANNESBURG
from tests.licensing.test_certificates import pdf_texts
from tests.portal.conftest import employer_create, licence_create

pytestmark = pytest.mark.django_db

SEPTEMBER_15 = dt.datetime(2026, 9, 15, 10, 0, tzinfo=JOHANNESBURG)
CHECK_DIGIT_MESSAGE = "This is not a valid registration number: check it for a typing mistake."
UNKNOWN_MESSAGE = "No one is registered under this number."


def _csv_file(text: str, name: str = "staff.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def _upload(client: Any, uploaded: SimpleUploadedFile) -> Any:
    return client.post(reverse("employer:roster-upload"), {"roster": uploaded})


def _error_rows(html: str) -> list[tuple[str, ...]]:
    """(row, value, problem) for each line of the upload result's table of bad rows."""
    table = html.split('id="upload-errors"', 1)[1].split("</table>", 1)[0].split("<tbody", 1)[1]
    return [
        tuple(unescape(cell).strip() for cell in re.findall(r'<td class="govuk-table__cell">(.*?)</td>', row, re.S))
        for row in re.findall(r'<tr class="govuk-table__row">(.*?)</tr>', table, re.S)
    ]


def _roster_table(html: str) -> dict[str, set[str]]:
    """Each dashboard row's registration number, with the flags shown on it."""
    rows = re.findall(r'<tr class="govuk-table__row" data-number="([^"]+)">(.*?)</tr>', html, re.S)
    return {number: set(re.findall(r'council-flag" data-flag="([a-z]+)"', cells)) for number, cells in rows}


def _summary_counts(html: str) -> dict[str, int]:
    summary = html.split('id="roster-summary"', 1)[1].split("</ul>", 1)[0]
    return {
        flag: int(count)
        for flag, count in re.findall(r'data-flag="([a-z]+)">[^<]*: <strong>(\d+)</strong>', summary, re.S)
    }


def _text(response: Any) -> str:
    return response.content.decode()


def _streamed(response: Any) -> bytes:
    return b"".join(response.streaming_content)


# Roster uploads ---------------------------------------------------------------------------------


def test_an_upload_of_50_rows_adds_the_47_good_ones_and_explains_each_of_the_3_bad_rows(employer, registered, login):
    # given 47 registered people, and a file of 50 rows: their numbers, with one number mistyped in its
    # check digit (line 12), one well-formed number no one holds (line 27), and a repeat of line 6 (line 42)
    organisation, user = employer
    entries = [registered(f"Person{index}", "Mokoena") for index in range(47)]
    numbers = [entry.registration_number for entry in entries]
    prefix, body, check = numbers[10].split("-")
    mistyped = f"{prefix}-{body}-{(int(check) + 1) % 10}"
    unknown = format_registration_number(prefix="SW", sequence_value=987654, digits=len(body))
    repeat = numbers[4].replace("-", " ").lower()  # written differently, still the same number
    rows = [(number, f"EMP-{index:03d}") for index, number in enumerate(numbers)]
    rows.insert(10, (mistyped, "EMP-BAD-1"))
    rows.insert(25, (unknown, "EMP-BAD-2"))
    rows.insert(40, (repeat, "EMP-BAD-3"))
    assert len(rows) == 50
    text = "registration_number,reference\n" + "".join(f"{number},{ref}\n" for number, ref in rows)
    client = login(user)

    # when the employer uploads it
    response = _upload(client, _csv_file(text))

    # then the result page says 47 were added and lists each bad row by its line number, with why
    upload = RosterUpload.objects.get(organisation=organisation)
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == reverse("employer:upload", args=[upload.pk])
    page = client.get(response["Location"])
    html = _text(page)
    assert re.search(r'id="rows-added">47<', html)
    assert re.search(r'id="rows-bad">3<', html)
    assert _error_rows(html) == [
        ("12", mistyped, CHECK_DIGIT_MESSAGE),
        ("27", unknown, UNKNOWN_MESSAGE),
        ("42", repeat, "This number is also on row 6."),
    ]
    # and exactly the 47 good rows are on the roster, each with its reference
    roster = dict(
        RosterEntry.objects.filter(organisation=organisation).values_list(
            "register_entry__registration_number", "staff_reference"
        )
    )
    assert roster == {number: f"EMP-{index:03d}" for index, number in enumerate(numbers)}
    assert (upload.rows_total, upload.rows_added, upload.rows_already) == (50, 47, 0)
    # and the upload is audited with its counts
    event = AuditEvent.objects.get(action="roster.uploaded")
    assert event.after == {"file": "staff.csv", "rows": 50, "added": 47, "bad": 3}


def test_a_csv_saved_by_excel_with_a_bom_and_crlf_line_ends_is_read(employer, registered, login):
    # given a file as Excel saves it: a UTF-8 byte order mark, CRLF line ends, a header in words
    organisation, user = employer
    first, second = registered("Zoë", "Brontë"), registered("Søren", "Kierkegård")
    data = (
        "\ufeffRegistration Number,Reference\r\n"
        f"{first.registration_number},Zoë-01\r\n"
        f"{second.registration_number},SK-02\r\n"
        "\r\n"
    ).encode()
    # when it is uploaded
    response = _upload(login(user), SimpleUploadedFile("Staff list.csv", data, content_type="text/csv"))
    # then both people are added, with their references read whole (no stray \r, the accent kept)
    assert response.status_code == HTTPStatus.FOUND
    upload = RosterUpload.objects.get(organisation=organisation)
    assert (upload.rows_total, upload.rows_added, upload.errors) == (2, 2, [])
    assert set(
        RosterEntry.objects.filter(organisation=organisation).values_list("register_entry", "staff_reference")
    ) == {(first.pk, "Zoë-01"), (second.pk, "SK-02")}


def _xlsx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        archive.writestr("xl/worksheets/sheet1.xml", "<worksheet/>")
    return buffer.getvalue()


NOT_CSV = "This is not a CSV file (it looks like a spreadsheet, PDF or image). Save it as CSV."


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "staff.csv",
            b"registration_number;reference\nSW-000001-3;EMP-1\n",
            "The columns are separated by semicolons or tabs. Save the file as CSV.",
        ),
        ("staff.xlsx", _xlsx(), NOT_CSV),
        ("staff.pdf", factories.PDF_BYTES, NOT_CSV),
        ("staff.png", factories.PNG_BYTES, NOT_CSV),
        ("staff.csv", b"", "The submitted file is empty."),
        ("staff.csv", b"  \r\n", "The file is empty."),
        ("staff.csv", b"registration_number,reference\r\n", "The file has a header but no rows."),
    ],
    ids=["semicolons", "xlsx", "pdf", "png", "empty", "blank", "header-only"],
)
def test_a_file_that_is_not_a_comma_separated_roster_is_refused_with_a_clear_message(
    employer, registered, login, name, data, message
):
    # given a registered person whose number the file might name
    organisation, user = employer
    registered()
    # when the employer uploads the file
    response = _upload(login(user), SimpleUploadedFile(name, data))
    # then the form comes back with the reason, and nothing is added or recorded
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert message in unescape(_text(response))
    assert not RosterEntry.objects.filter(organisation=organisation).exists()
    assert not RosterUpload.objects.exists()
    assert not AuditEvent.objects.filter(action="roster.uploaded").exists()


# The dashboard -----------------------------------------------------------------------------------


def test_the_dashboard_flags_who_needs_attention_and_filters_by_flag(
    employer, registered, registrar, renewal_rules, login
):
    with time_machine.travel(SEPTEMBER_15, tick=False):
        today = dt.date(2026, 9, 15)
        # given a roster of six: lapsed, suspended, with conditions, licence ending in 30 days, in 61 days, and fine
        organisation, user = employer
        people = {
            key: registered(given, family)
            for key, given, family in [
                ("lapsed", "Lwazi", "Dube"),
                ("suspended", "Sipho", "Ndlovu"),
                ("conditioned", "Naledi", "Khumalo"),
                ("expiring", "Ayanda", "Zulu"),
                ("later", "Kagiso", "Molefe"),
                ("fine", "Thandiwe", "Nkosi"),
            ]
        }
        year_ago = today - dt.timedelta(days=300)
        for key, days in (("conditioned", 200), ("expiring", 30), ("later", 61), ("fine", 200)):
            licence_create(people[key], valid_from=year_ago, valid_to=today + dt.timedelta(days=days))
        registry_services.register_entry_change_status(
            actor=registrar, entry=people["lapsed"], status="LAPSED", reason="Did not renew"
        )
        registry_services.register_entry_change_status(
            actor=registrar, entry=people["suspended"], status="SUSPENDED", reason="Interim order"
        )
        registry_services.register_entry_change_status(
            actor=registrar,
            entry=people["conditioned"],
            status="REGISTERED_WITH_CONDITIONS",
            reason="Panel decision",
            conditions="Supervised practice only.",
        )
        services.roster_add_numbers(
            actor=user, organisation=organisation, numbers=[entry.registration_number for entry in people.values()]
        )
        number = {key: entry.registration_number for key, entry in people.items()}
        client = login(user)

        # when the employer opens the dashboard
        html = _text(client.get(reverse("employer:dashboard")))

        # then each person carries the flags that need attention, and the fine ones none
        assert _roster_table(html) == {
            number["lapsed"]: {"lapsed"},
            number["suspended"]: {"suspended"},
            number["conditioned"]: {"conditioned"},
            number["expiring"]: {"expiring"},
            number["later"]: set(),
            number["fine"]: set(),
        }
        assert _summary_counts(html) == {
            "lapsed": 1,
            "suspended": 1,
            "removed": 0,
            "conditioned": 1,
            "expiring": 1,
            "unlicensed": 0,
        }
        assert "6 people" in html
        # and each flag filters the roster to the people carrying it
        for flag in ("lapsed", "suspended", "conditioned", "expiring"):
            filtered = client.get(reverse("employer:dashboard"), {"flag": flag})
            assert set(_roster_table(_text(filtered))) == {number[flag]}, flag
        # and an unknown flag shows everyone
        assert len(_roster_table(_text(client.get(reverse("employer:dashboard"), {"flag": "nonsense"})))) == 6


def test_the_roster_report_downloads_as_csv_and_as_pdf(employer, registered, login):
    # given a roster of two, one with a staff reference
    organisation, user = employer
    zoe, jose = registered("Zoë", "Brontë"), registered("José", "Núñez")
    services.roster_add_numbers(
        actor=user,
        organisation=organisation,
        numbers=[{"registration_number": zoe.registration_number, "reference": "EMP-7"}, jose.registration_number],
    )
    client = login(user)

    # when the employer downloads the CSV
    response = client.get(reverse("employer:roster-csv"))
    # then it is a CSV attachment with a BOM (for Excel) holding both people
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="roster-')
    data = _streamed(response)
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert sorted(
        (row["registration_number"], row["reference"], row["family_name"], row["status"]) for row in rows
    ) == sorted(
        [
            (zoe.registration_number, "EMP-7", "Brontë", "REGISTERED"),
            (jose.registration_number, "", "Núñez", "REGISTERED"),
        ]
    )

    # when the employer downloads the PDF
    response = client.get(reverse("employer:roster-pdf"))
    # then it is a PDF naming the organisation and both people, with their numbers
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    texts = " ".join(pdf_texts(response.content))
    for shown in (
        "Ubuntu Care Services",
        "Zoë Brontë",
        "José Núñez",
        zoe.registration_number,
        jose.registration_number,
    ):
        assert shown in texts


def test_removing_someone_takes_them_off_the_roster(employer, registered, login):
    # given a roster of two
    organisation, user = employer
    leaving, staying = registered("Lwazi", "Dube"), registered("Sipho", "Ndlovu")
    services.roster_add_numbers(
        actor=user, organisation=organisation, numbers=[leaving.registration_number, staying.registration_number]
    )
    row = RosterEntry.objects.get(organisation=organisation, register_entry=leaving)
    client = login(user)
    # when the employer removes one
    response = client.post(reverse("employer:roster-remove", args=[row.pk]), follow=True)
    # then only the other is left, the page says so, and the removal is audited and kept in the history
    assert response.redirect_chain == [(reverse("employer:dashboard"), HTTPStatus.FOUND)]
    assert f"{leaving.registration_number} is no longer on your roster." in _text(response)
    assert set(_roster_table(_text(response))) == {staying.registration_number}
    assert list(RosterEntry.objects.filter(organisation=organisation).values_list("register_entry", flat=True)) == [
        staying.pk
    ]
    assert AuditEvent.objects.get(action="roster.removed").after == {"registration_number": leaving.registration_number}
    assert RosterEntry.history.get(id=row.pk, history_type="-").history_user == user


# API keys ---------------------------------------------------------------------------------------


def test_a_new_api_key_is_shown_once_and_only_its_prefix_and_hash_are_kept(employer, login):
    organisation, user = employer
    client = login(user)
    # when the employer creates a key
    response = client.post(reverse("employer:keys"), {"name": "HR system (production)"})
    # then the page shows the whole key, once
    assert response.status_code == HTTPStatus.OK
    raw = re.search(r'<code id="new-key" class="council-code">([^<]+)</code>', _text(response)).group(1)
    key = ApiKey.objects.get(organisation=organisation)
    assert raw.startswith(f"crk_{key.prefix}_")
    assert (key.name, key.created_by, key.revoked_at) == ("HR system (production)", user, None)
    # and the database holds its prefix and SHA-256, never the key itself
    assert key.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    secret_part = raw.rsplit("_", 1)[1]
    stored = [
        *ApiKey.objects.values_list("name", "prefix", "key_hash"),
        *ApiKey.history.values_list("name", "prefix", "key_hash"),
        *AuditEvent.objects.values_list("object_repr", "before", "after"),
    ]
    assert all(secret_part not in str(row) for row in stored)
    # and the next visit lists the key by its prefix but no longer shows it
    listing = _text(client.get(reverse("employer:keys")))
    assert raw not in listing
    assert secret_part not in listing
    assert f"crk_{key.prefix}_…" in listing
    assert services.api_key_find(raw) == key

    # when the employer revokes it
    response = client.post(reverse("employer:key-revoke", args=[key.pk]), follow=True)
    # then it is refused from then on, and the page says so
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert key.revoked_by == user
    assert services.api_key_find(raw) is None
    assert "The key HR system (production) is revoked." in unescape(_text(response))
    assert AuditEvent.objects.filter(action="api_key.revoked", object_id=str(key.pk)).count() == 1
    # and revoking it again changes nothing and says why
    again = client.post(reverse("employer:key-revoke", args=[key.pk]), follow=True)
    assert "This key has already been revoked." in _text(again)
    assert AuditEvent.objects.filter(action="api_key.revoked", object_id=str(key.pk)).count() == 1


def test_a_key_needs_a_name(employer, login):
    # when an employer asks for a key with a blank name
    _organisation, user = employer
    response = login(user).post(reverse("employer:keys"), {"name": "  "})
    # then the form comes back and no key is made
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not ApiKey.objects.exists()


# Alert settings ---------------------------------------------------------------------------------


def test_alert_settings_save_and_a_new_webhook_address_gets_a_secret_shown_once(employer, login):
    organisation, user = employer
    client = login(user)
    url = "https://hooks.ubuntu-care.example/council"
    # when the employer asks for immediate emails and a webhook
    response = client.post(reverse("employer:alerts"), {"frequency": "IMMEDIATE", "webhook_url": url})
    # then the settings are saved and the signing secret is shown, once
    assert response.status_code == HTTPStatus.OK
    html = _text(response)
    assert "Your alert settings are saved." in html
    secret = re.search(r'<code id="webhook-secret" class="council-code">([^<]+)</code>', html).group(1)
    organisation.refresh_from_db()
    assert (organisation.alert_frequency, organisation.webhook_url, organisation.webhook_secret) == (
        "IMMEDIATE",
        url,
        secret,
    )
    assert secret.startswith("whsec_")
    assert secret not in _text(client.get(reverse("employer:alerts")))
    # and neither the history nor the audit trail keeps the secret
    assert not hasattr(EmployerOrganisation.history.model, "webhook_secret")
    event = AuditEvent.objects.get(action="employer.alert_settings_changed")
    assert event.after == {"alert_frequency": "IMMEDIATE", "webhook_url": url, "new_secret": True}
    assert secret not in str(event.before) + str(event.after)

    # when only the frequency changes
    response = client.post(reverse("employer:alerts"), {"frequency": "DAILY", "webhook_url": url})
    # then the secret is kept and not shown again
    organisation.refresh_from_db()
    assert (organisation.alert_frequency, organisation.webhook_secret) == ("DAILY", secret)
    assert 'id="webhook-secret"' not in _text(response)

    # when the webhook address is cleared
    client.post(reverse("employer:alerts"), {"frequency": "NONE", "webhook_url": ""})
    # then the secret goes with it
    organisation.refresh_from_db()
    assert (organisation.alert_frequency, organisation.webhook_url, organisation.webhook_secret) == ("NONE", "", "")


def test_alert_settings_refuse_an_unknown_frequency(employer, login):
    # when the form is posted with a frequency it does not offer
    organisation, user = employer
    response = login(user).post(reverse("employer:alerts"), {"frequency": "HOURLY", "webhook_url": ""})
    # then it comes back and the setting is unchanged
    assert response.status_code == HTTPStatus.BAD_REQUEST
    organisation.refresh_from_db()
    assert organisation.alert_frequency == "DAILY"


# Who may use the pages ---------------------------------------------------------------------------

POST_ONLY = {"roster-remove", "key-revoke", "webhook-secret", "delivery-resend"}


def _every_employer_page() -> list[tuple[str, str]]:
    """(method, url) for every URL in portal/employer_urls.py, ids made up (1)."""
    pages = []
    for pattern in employer_urls.urlpatterns:
        args = [1] * len(pattern.pattern.converters)
        method = "post" if pattern.name in POST_ONLY else "get"
        pages.append((method, reverse(f"employer:{pattern.name}", args=args)))
    return pages


def test_a_user_linked_to_no_organisation_gets_a_403_page_on_every_employer_page(council, login):
    # given a user in the employer group who acts for no organisation
    user = factories.UserFactory()
    user.groups.add(Group.objects.get(name=Role.EMPLOYER_USER.value))
    client = login(user)
    pages = _every_employer_page()
    assert len(pages) == len(employer_urls.urlpatterns) == 11
    for method, url in pages:
        # when they open the page
        response = getattr(client, method)(url)
        # then it is the 403 page, saying why
        assert response.status_code == HTTPStatus.FORBIDDEN, url
        assert "Your account is not linked to an employer organisation." in _text(response), url


def test_a_user_of_a_deactivated_organisation_gets_a_403_page(employer, login):
    # given an organisation the council has deactivated
    organisation, user = employer
    EmployerOrganisation.objects.filter(pk=organisation.pk).update(is_active=False)
    client = login(user)
    # then its user can open none of the employer pages
    for method, url in _every_employer_page():
        assert getattr(client, method)(url).status_code == HTTPStatus.FORBIDDEN, url


def test_a_signed_in_user_outside_the_employer_group_is_refused_before_the_page(council, applicant, login):
    # an applicant is refused by the access rule itself, before any employer view runs
    response = login(applicant).get(reverse("employer:dashboard"))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert response["X-Access-Refused"] == "employer"


# Scoping -----------------------------------------------------------------------------------------


@pytest.fixture
def two_organisations(council, registered, registrar) -> dict[str, Any]:
    """Organisations A and B, each with its own people on its roster, an upload, a key, alerts and deliveries."""
    found: dict[str, Any] = {}
    for label, name, people in (
        ("a", "Alpha Family Services", [("Anele", "Alpha"), ("Amahle", "Alpha")]),
        ("b", "Bravo Child Welfare", [("Bongani", "Bravo"), ("Busisiwe", "Bravo")]),
    ):
        organisation, user = employer_create(name)
        entries = [registered(given, family) for given, family in people]
        upload = services.roster_upload(
            actor=user,
            organisation=organisation,
            name=f"{label}-staff.csv",
            data=(
                "registration_number,reference\n"
                + "".join(
                    f"{entry.registration_number},{label.upper()}-REF-{index}\n" for index, entry in enumerate(entries)
                )
                + f"SW-000000-0,{label.upper()}-BAD\n"
            ).encode(),
        )
        key, raw = services.api_key_issue(actor=user, organisation=organisation, name=f"{name} HR system")
        services.alert_settings_save(
            actor=user, organisation=organisation, frequency="DAILY", webhook_url=f"https://{label}.example/hook"
        )
        found[label] = {
            "organisation": organisation,
            "user": user,
            "entries": entries,
            "upload": upload,
            "key": key,
            "raw_key": raw,
        }
    for label in ("a", "b"):
        registry_services.register_entry_change_status(
            actor=registrar, entry=found[label]["entries"][0], status="SUSPENDED", reason="Interim order"
        )
    alerts.alerts_collect()  # deliveries are made; sending waits for a commit the test never makes
    for label in ("a", "b"):
        organisation = found[label]["organisation"]
        found[label]["alert"] = ChangeAlert.objects.get(organisation=organisation)
        found[label]["delivery"] = WebhookDelivery.objects.get(organisation=organisation)
        found[label]["roster"] = list(RosterEntry.objects.filter(organisation=organisation))
    return found


def test_an_employer_user_sees_only_their_own_organisations_rosters_keys_and_alerts(two_organisations, login):
    a, b = two_organisations["a"], two_organisations["b"]
    client = login(a["user"])
    b_marks = [
        "Bravo",
        "Bongani",
        "Busisiwe",
        "B-REF",
        "b-staff.csv",
        "b.example",
        b["key"].prefix,
        str(b["delivery"].event_id),
        *(entry.registration_number for entry in b["entries"]),
    ]
    a_marks = {
        "dashboard": ["Anele Alpha", "Amahle Alpha", "A-REF-0"],
        "keys": [a["key"].prefix],
        "alerts": ["Anele Alpha", str(a["delivery"].event_id)],
        "upload": ["a-staff.csv"],
    }

    # when A's user opens each of their pages and downloads
    pages = {
        "dashboard": _text(client.get(reverse("employer:dashboard"))),
        "keys": _text(client.get(reverse("employer:keys"))),
        "alerts": _text(client.get(reverse("employer:alerts"))),
        "upload": _text(client.get(reverse("employer:upload", args=[a["upload"].pk]))),
        "csv": _streamed(client.get(reverse("employer:roster-csv"))).decode("utf-8-sig"),
        "pdf": " ".join(pdf_texts(client.get(reverse("employer:roster-pdf")).content)),
    }
    # then A's own things are there
    for page, marks in a_marks.items():
        for mark in marks:
            assert mark in pages[page], (page, mark)
    assert a["entries"][0].registration_number in pages["csv"]
    assert a["entries"][0].registration_number in pages["pdf"]
    # and nothing of B's is on any of them
    for page, text in pages.items():
        for mark in b_marks:
            assert mark not in text, (page, mark)


def test_another_organisations_ids_are_not_found_and_posts_against_them_change_nothing(
    two_organisations, login, django_capture_on_commit_callbacks
):
    a, b = two_organisations["a"], two_organisations["b"]
    client = login(a["user"])
    deliveries_before = WebhookDelivery.objects.count()
    events_before = AuditEvent.objects.count()
    # when A's user asks for B's upload, or posts against B's key, delivery and roster row
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        responses = {
            "upload": client.get(reverse("employer:upload", args=[b["upload"].pk])),
            "key-revoke": client.post(reverse("employer:key-revoke", args=[b["key"].pk])),
            "delivery-resend": client.post(reverse("employer:delivery-resend", args=[b["delivery"].pk])),
            "roster-remove": client.post(reverse("employer:roster-remove", args=[b["roster"][0].pk])),
        }
    # then each is not found
    assert {name: response.status_code for name, response in responses.items()} == dict.fromkeys(
        responses, HTTPStatus.NOT_FOUND
    )
    # and B's key still works, no delivery was made or sent, B's roster is whole, and nothing was audited
    assert services.api_key_find(b["raw_key"]) == b["key"]
    assert WebhookDelivery.objects.count() == deliveries_before
    assert callbacks == []
    assert set(RosterEntry.objects.filter(organisation=b["organisation"])) == set(b["roster"])
    assert AuditEvent.objects.count() == events_before
    # and B's things are as they were: its key active, its delivery untouched
    b["key"].refresh_from_db()
    assert b["key"].revoked_at is None
    b["delivery"].refresh_from_db()
    assert (b["delivery"].attempts, b["delivery"].status) == (0, "PENDING")


def test_the_services_refuse_a_user_acting_for_another_organisation(two_organisations):
    # when A's user calls the services directly on B's objects, each is refused
    a, b = two_organisations["a"], two_organisations["b"]
    refused = [
        lambda: services.api_key_revoke(actor=a["user"], key=b["key"]),
        lambda: services.webhook_resend(actor=a["user"], delivery=b["delivery"]),
        lambda: services.roster_remove(
            actor=a["user"], organisation=b["organisation"], registration_number=b["entries"][0].registration_number
        ),
        lambda: services.roster_add_numbers(actor=a["user"], organisation=b["organisation"], numbers=[]),
        lambda: services.alert_settings_save(
            actor=a["user"], organisation=b["organisation"], frequency="NONE", webhook_url=""
        ),
        lambda: services.webhook_secret_rotate(actor=a["user"], organisation=b["organisation"]),
        lambda: services.api_key_issue(actor=a["user"], organisation=b["organisation"], name="Sneaky"),
    ]
    for call in refused:
        with pytest.raises(ApplicationError, match=r"You do not act for this organisation\."):
            call()
    # and B's keys and roster are as they were
    assert ApiKey.objects.filter(organisation=b["organisation"]).count() == 1
    assert RosterEntry.objects.filter(organisation=b["organisation"]).count() == 2
