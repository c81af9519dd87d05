"""A testing vendor's results file: previewed with a per-row report, then imported all or nothing."""

from __future__ import annotations

import pytest

from core.audit import audit_chain_verify
from core.exceptions import ApplicationError
from core.models import AuditEvent
from core.roles import Role
from exams import services
from exams.models import ExamVersion, Result, ResultImport
from exams.results_file import NotACsvFile
from exams.services import ImportHasErrors
from tests import factories
from tests.exams.conftest import approved_to_test, csv_upload, results_csv, results_import, sitting_make

pytestmark = pytest.mark.django_db


@pytest.fixture
def booked(exam, sitting):
    """Three candidates booked on the sitting."""
    return [services.booking_create(actor=approved_to_test(exam), sitting=sitting) for _ in range(3)]


def _problems(preview: ResultImport) -> dict[int, list[str]]:
    return {row["row"]: row["problems"] for row in preview.row_errors}


def _assert_nothing_imported(officer, preview: ResultImport) -> None:
    with pytest.raises(ImportHasErrors):
        services.results_import_commit(actor=officer, result_import=preview)
    assert Result.objects.count() == 0
    preview.refresh_from_db()
    assert preview.status == ResultImport.Status.PREVIEWED


def test_a_clean_file_previews_then_imports_every_row_as_a_draft(exams_officer, sitting, booked):
    # given a clean file with a pass, a fail and a score on the pass mark
    text = results_csv(sitting, [(booked[0], 120), (booked[1], "97.5"), (booked[2], 98)])

    # when it is previewed
    preview = results_import(exams_officer, sitting, text)

    # then the report is clean and nothing is saved yet
    assert (preview.row_count, preview.error_count, preview.file_errors) == (3, 0, [])
    assert Result.objects.count() == 0

    # when it is committed, then every row is a draft result with its outcome, history and audit event
    assert services.results_import_commit(actor=exams_officer, result_import=preview) == 3
    results = {result.booking_id: result for result in Result.objects.all()}
    assert [results[booking.pk].passed for booking in booked] == [True, False, True]
    assert {result.status for result in results.values()} == {Result.Status.DRAFT}
    assert all(result.history.count() == 1 for result in results.values())
    assert AuditEvent.objects.filter(action="exam_result.recorded").count() == 3
    imported = AuditEvent.objects.get(action="exam_results.imported")
    assert imported.after["results"] == 3
    assert imported.after["sha256"] == preview.sha256
    preview.refresh_from_db()
    assert preview.status == ResultImport.Status.COMMITTED
    assert audit_chain_verify()[1] is None


@pytest.mark.parametrize(
    ("encode", "description"),
    [
        (lambda text: ("\ufeff" + text).encode("utf-8"), "UTF-8 with a byte-order mark"),
        (lambda text: text.replace("\n", "\r\n").encode("utf-8"), "Windows line endings"),
        (lambda text: ("\ufeff" + text.replace("\n", "\r\n")).encode("utf-8"), "both"),
    ],
)
def test_a_valid_file_from_excel_on_windows_imports(exams_officer, sitting, booked, encode, description):
    data = encode(results_csv(sitting, [(booked[0], 120), (booked[1], 80)]))
    preview = services.results_import_preview(actor=exams_officer, sitting=sitting, uploaded=csv_upload(data))
    assert preview.is_clean, (description, preview.file_errors, preview.row_errors)
    assert services.results_import_commit(actor=exams_officer, result_import=preview) == 2


def test_a_semicolon_separated_file_is_explained_and_imports_nothing(exams_officer, sitting, booked):
    text = results_csv(sitting, [(booked[0], 120)]).replace(",", ";")
    preview = results_import(exams_officer, sitting, text)
    assert preview.file_errors == [
        "The columns are separated by semicolons, not commas. Save the file as comma-separated CSV."
    ]
    _assert_nothing_imported(exams_officer, preview)


def test_a_tab_separated_file_is_explained(exams_officer, sitting, booked):
    preview = results_import(exams_officer, sitting, results_csv(sitting, [(booked[0], 120)]).replace(",", "\t"))
    assert "separated by tabs" in preview.file_errors[0]


def test_a_missing_column_is_named_and_nothing_is_imported(exams_officer, sitting, booked):
    text = f"candidate_number,sitting_code\n{booked[0].candidate_number},{sitting.code}\n"
    preview = results_import(exams_officer, sitting, text)
    assert len(preview.file_errors) == 1
    assert "lacks these columns: raw_score" in preview.file_errors[0]
    _assert_nothing_imported(exams_officer, preview)


def test_each_bad_row_is_reported_against_its_row_and_nothing_is_imported(
    exam, exams_officer, sitting, booked, version
):
    # given a file mixing good rows with every kind of bad row
    other = sitting_make(exams_officer, version, code="sw-2027-other")
    elsewhere = services.booking_create(actor=approved_to_test(exam), sitting=other)
    good = booked[0].candidate_number
    lines = [
        "Candidate Number,Sitting Code,Raw Score",  # header names are matched loosely
        f"{good},{sitting.code},120",  # row 2: good
        f"C99999990,{sitting.code},100",  # row 3: no such candidate (check digit fails too)
        f"{booked[1].candidate_number},{sitting.code},abc",  # row 4: not a number
        f"{booked[2].candidate_number},{sitting.code},151",  # row 5: above the version's 150
        f"{good},{sitting.code},120",  # row 6: duplicate of row 2
        f"{elsewhere.candidate_number},{other.code},100",  # row 7: another sitting's candidate and code
        f"{booked[1].candidate_number},{sitting.code},-1",  # row 8: negative (and a duplicate of row 4's candidate)
        f"{booked[2].candidate_number},{sitting.code},99.123",  # row 9: too precise
        f",{sitting.code},50",  # row 10: no candidate number
        f"{booked[2].candidate_number},{sitting.code}",  # row 11: short row
    ]
    preview = results_import(exams_officer, sitting, "\n".join(lines) + "\n")

    # then the preview reports each problem on its row
    problems = _problems(preview)
    assert preview.row_count == 10
    assert sorted(problems) == [3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert problems[3] == ["No candidate has the number C99999990."]
    assert problems[4] == ["The raw score “abc” is not a number."]
    assert problems[5] == ["The raw score 151 is out of range: it must be from 0 to 150."]
    assert problems[6] == ["This candidate is already on row 2."]
    assert problems[7] == [
        f"The sitting code “{other.code}” is not this sitting's ({sitting.code}).",
        f"This candidate is booked on sitting {other.code}, not this one.",
    ]
    assert "out of range" in " ".join(problems[8])
    assert problems[9] == [
        "This candidate is already on row 5.",
        "The raw score 99.123 has more than two decimal places.",
    ]
    assert problems[10] == ["The candidate number is missing."]
    assert problems[11] == ["The row has 2 columns; the header has 3."]

    # and committing imports nothing, not even the good row
    _assert_nothing_imported(exams_officer, preview)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"PK\x03\x04\x14\x00\x06\x00" + b"\x00" * 200, "not a CSV file"),
        (b"%PDF-1.4\n1 0 obj<<>>endobj\n", "not a CSV file"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 50, "not a CSV file"),
        (b"candidate_number\x00sitting_code\x00", "not a CSV file"),
        (b"", "empty"),
    ],
    ids=["xlsx", "pdf", "png", "binary", "empty"],
)
def test_a_file_that_is_not_csv_is_refused_before_anything_is_stored(exams_officer, sitting, data, message):
    with pytest.raises(NotACsvFile, match=message):
        services.results_import_preview(actor=exams_officer, sitting=sitting, uploaded=csv_upload(data, "results.xlsx"))
    assert not ResultImport.objects.exists()
    assert Result.objects.count() == 0


def test_a_file_that_goes_stale_between_preview_and_commit_imports_nothing(exam, exams_officer, sitting, booked):
    # given a clean preview, after which one candidate's result was published from another file
    preview = results_import(exams_officer, sitting, results_csv(sitting, [(booked[0], 120), (booked[1], 80)]))
    assert preview.is_clean
    first = results_import(exams_officer, sitting, results_csv(sitting, [(booked[0], 110)]))
    services.results_import_commit(actor=exams_officer, result_import=first)
    services.results_publish(actor=exams_officer, sitting=sitting)

    # when the first preview is committed, then it is checked again and refused whole
    with pytest.raises(ImportHasErrors):
        services.results_import_commit(actor=exams_officer, result_import=preview)
    assert Result.objects.count() == 1
    assert Result.objects.get().raw_score == 110


def test_a_second_file_replaces_draft_results_before_publication(exams_officer, sitting, booked):
    first = results_import(exams_officer, sitting, results_csv(sitting, [(booked[0], 90)]))
    services.results_import_commit(actor=exams_officer, result_import=first)
    second = results_import(exams_officer, sitting, results_csv(sitting, [(booked[0], 100)]))
    assert second.is_clean
    services.results_import_commit(actor=exams_officer, result_import=second)
    result = Result.objects.get()
    assert (result.raw_score, result.passed, result.source_import_id) == (100, True, second.pk)
    # the replaced draft's deletion is in the history
    assert Result.history.filter(history_type="-").count() == 1


def test_a_file_cannot_be_committed_twice_or_after_it_is_discarded(exams_officer, sitting, booked):
    preview = results_import(exams_officer, sitting, results_csv(sitting, [(booked[0], 120)]))
    services.results_import_commit(actor=exams_officer, result_import=preview)
    with pytest.raises(ApplicationError, match="already been imported"):
        services.results_import_commit(actor=exams_officer, result_import=preview)
    discarded = results_import(exams_officer, sitting, results_csv(sitting, [(booked[1], 120)]))
    services.results_import_discard(actor=exams_officer, result_import=discarded)
    with pytest.raises(ApplicationError, match="already been imported or discarded"):
        services.results_import_commit(actor=exams_officer, result_import=discarded)
    assert Result.objects.count() == 1


def test_a_conflicted_examiner_cannot_import_that_candidates_result(exams_officer, sitting, booked):
    # given an examiner who declared a conflict with one candidate
    services.conflict_declare(actor=exams_officer, candidate_number=booked[1].candidate_number, reason="My cousin")

    # when they preview a file with that candidate's row
    preview = results_import(exams_officer, sitting, results_csv(sitting, [(booked[0], 120), (booked[1], 130)]))

    # then the row is refused and nothing can be imported
    assert _problems(preview) == {
        3: ["You declared a conflict of interest with this candidate; another examiner must record the result."]
    }
    _assert_nothing_imported(exams_officer, preview)

    # and another examiner imports the same file
    colleague = factories.staff_user(Role.EXAMS_OFFICER)
    clean = results_import(colleague, sitting, results_csv(sitting, [(booked[0], 120), (booked[1], 130)]))
    assert services.results_import_commit(actor=colleague, result_import=clean) == 2


def test_a_scaled_exam_needs_the_scaled_score_and_passes_on_it(exam, exams_officer):
    scaled = ExamVersion.objects.create(
        exam=exam, code="2027S", max_raw_score=150, scaled_min=200, scaled_max=800, scaled_pass_score=500
    )
    sitting = sitting_make(exams_officer, scaled, code="scaled-1")
    bookings = [services.booking_create(actor=approved_to_test(exam), sitting=sitting) for _ in range(2)]
    missing = results_import(exams_officer, sitting, results_csv(sitting, [(bookings[0], 100)]))
    assert "scaled_score" in missing.file_errors[0]
    text = (
        "candidate_number,sitting_code,raw_score,scaled_score\n"
        f"{bookings[0].candidate_number},{sitting.code},90,520\n"
        f"{bookings[1].candidate_number},{sitting.code},95,480\n"
    )
    preview = results_import(exams_officer, sitting, text)
    assert preview.is_clean
    services.results_import_commit(actor=exams_officer, result_import=preview)
    outcomes = dict(Result.objects.values_list("booking_id", "passed"))
    assert outcomes == {bookings[0].pk: True, bookings[1].pk: False}
    out_of_range = results_import(
        exams_officer,
        sitting,
        f"candidate_number,sitting_code,raw_score,scaled_score\n{bookings[0].candidate_number},{sitting.code},90,900\n",
    )
    assert any("from 200 to 800" in problem for problem in out_of_range.row_errors[0]["problems"])
