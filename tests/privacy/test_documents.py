"""The export as PDF: the same content as the JSON, readable, and without the secrets.

The PDF is read back with the small parser of tests/licensing/test_certificates.py (no PDF library is
installed): the text the content streams really show.
"""

from __future__ import annotations

import zlib

import pytest
from django.utils.text import capfirst

from discipline.models import Complaint
from privacy import documents, selectors
from registry.models import Practitioner
from tests.licensing.test_certificates import pdf_streams, pdf_texts
from tests.privacy.conftest import CARD_CLIENT_SECRET, NATIONAL_ID

pytestmark = pytest.mark.django_db


def inflated(pdf: bytes) -> bytes:
    """Every stream of the file, decompressed: where any text would be, whatever operator drew it."""
    return b"".join(
        zlib.decompress(data) if b"/FlateDecode" in dictionary else data for dictionary, data in pdf_streams(pdf)
    )


def test_the_pdf_shows_the_person_every_section_and_their_values(person):
    # given the person's export
    document = selectors.personal_data_document(
        holding=selectors.personal_data_collect(subject=selectors.subject_for_user(user=person.user))
    )
    # when it is drawn as a PDF
    pdf = documents.personal_data_pdf(document=document)
    texts = pdf_texts(pdf)
    text = " ".join(texts)
    # then it opens as a PDF and names the person, the council and what it is
    assert pdf.startswith(b"%PDF-")
    assert pdf.rstrip().endswith(b"%%EOF")
    assert "Thandeka Mthembu" in texts
    assert "Council for Social Service Professions" in texts
    assert "Your personal data" in texts
    assert person.entry.registration_number in texts
    # and has a heading for every section of the JSON, in the same order (a long heading wraps: the
    # lines joined with spaces give it back)
    expected = [f"{capfirst(section['verbose_name'])} ({section['model']})" for section in document["sections"]]
    positions = [text.find(heading) for heading in expected]
    assert -1 not in positions, [heading for heading in expected if heading not in text]
    assert positions == sorted(positions)
    assert len(expected) >= 45
    # and label: value lines with the field's name and the value as a person reads it
    assert "National ID number:" in texts
    assert NATIONAL_ID in texts
    assert "Address:" in texts
    assert "12 Jacaranda Street, Pretoria" in text
    assert "Approved (APPROVED)" in texts
    # and says what it withheld and why, never the value
    assert "Withheld. A credential, or derived from one: never disclosed." in text


def test_the_pdf_holds_no_secret(person):
    document = selectors.personal_data_document(
        holding=selectors.personal_data_collect(subject=selectors.subject_for_user(user=person.user))
    )
    pdf = documents.personal_data_pdf(document=document)
    streams = inflated(pdf)
    complaint = Complaint.objects.get(pk=person.complaint.pk)
    for secret in (
        person.user.password,
        person.totp_secret,
        CARD_CLIENT_SECRET,
        complaint.tracking_token_hash,
        person.practitioner.national_id_digest,
        "Naledi",
    ):
        assert secret.encode("cp1252") not in streams, secret
        assert secret.encode("cp1252") not in pdf, secret


def test_a_name_in_any_script_draws(categories):
    # given a practitioner whose name the core font cannot draw in full
    practitioner = Practitioner.objects.create(given_names="Łukasz", family_name="Żółć Алексеев")
    document = selectors.personal_data_document(
        holding=selectors.personal_data_collect(
            subject=selectors.subject_for_practitioner(practitioner_id=practitioner.pk)
        )
    )
    # when the PDF is drawn, then it draws, with what the font can show (the JSON keeps every character)
    texts = pdf_texts(documents.personal_data_pdf(document=document))
    assert "Lukasz Zólc ????????" in texts
    assert document["subject"]["name"] == "Łukasz Żółć Алексеев"
