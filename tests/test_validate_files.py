"""Whole-file faults quarantine the file with a reason and let the rest of the cycle go on."""

from __future__ import annotations

import io

import pytest
from openpyxl import Workbook

from pipeline.core.errors import UserError
from pipeline.validate.stage import ValidationResult
from tests.helpers.validate_fixtures import GOOD_P001, returns_csv, run, workspace


def _xlsx(rows: list[list[object]]) -> bytes:
    wb = Workbook()
    ws = wb.active
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


HEADER = ["partner_id", "contract_id", "measure_id", "period", "value"]
FILES: dict[str, str | bytes] = {
    "returns/P001.csv": returns_csv(GOOD_P001),
    "returns/P002.xlsx": _xlsx([HEADER, ["P002", "C002", "CS1-01", "2024/25", 7]]),
    "returns/empty.csv": "",
    "returns/notes.pdf": b"%PDF-1.4 not a spreadsheet",
    "returns/broken.xlsx": b"PK\x03\x04 this is not really a workbook",
    # 0x81 is undefined in Windows-1252 and invalid UTF-8: its row is refused, not the file
    # (test_readers_hostile has the reason).
    "returns/encoding.csv": b"partner_id,contract_id,measure_id,period,value\nP001,C001,\x81\x81,2024/25,1\n",
    "returns/nocolumn.csv": "partner_id,contract_id,measure_id,period\nP001,C001,CS1-02,2023/24\n"
    "P001,C001,CS1-02,2022/23\n",
    # A title line above the real header: the title is taken as the header, so the required
    # columns are missing and the file is rejected with that reason.
    "returns/title.csv": "Returns for 2024/25\n" + returns_csv(GOOD_P001),
}
EXPECTED = {
    "returns/empty.csv": ("file_is_readable", "the file is empty", 0),
    "returns/notes.pdf": ("file_is_readable", "not a CSV or XLSX file", 0),
    "returns/broken.xlsx": ("file_is_readable", "corrupt or unreadable Excel workbook", 0),
    "returns/nocolumn.csv": ("file_has_required_columns", "missing required column value", 2),
    "returns/title.csv": ("file_has_required_columns", "missing required columns", 2),
}


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ValidationResult:
    return run(workspace(tmp_path_factory.mktemp("files"), FILES))


@pytest.mark.parametrize("file", sorted(EXPECTED))
def test_whole_file_fault_quarantines_the_file_once(result: ValidationResult, file: str) -> None:
    expectation, words, rows = EXPECTED[file]
    found = [q for q in result.rejections if q.file == file]
    assert len(found) == 1
    q = found[0]
    assert q.row is None and q.expectation == expectation and words in q.reason
    assert file in q.reason  # the sentence names the file
    count = next(f for f in result.files if f.file == file)
    # Rows that can be counted count as quarantined, so the file still reconciles.
    assert (count.rows, count.quarantined, count.clean) == (rows, rows, 0)
    assert words in count.file_error


def test_the_rest_of_the_cycle_goes_on(result: ValidationResult) -> None:
    returns = result.tables["returns"]
    assert sorted(returns["source_file"]) == ["returns/P001.csv", "returns/P002.xlsx"]
    assert returns.set_index("source_file").at["returns/P002.xlsx", "value"] == 7.0
    summary = result.summary()
    assert summary["reconciles"] is True
    # Two good returns, four countable rows in rejected files, the row with undecodable bytes,
    # four register rows.
    assert summary["totals"] == {"rows": 11, "clean": 6, "quarantined": 5, "superseded": 0}


def test_missing_column_names_the_column(result: ValidationResult) -> None:
    q = next(q for q in result.rejections if q.file == "returns/nocolumn.csv")
    assert q.column == "value"


def test_file_named_for_a_partner_is_that_partners_feedback(tmp_path) -> None:  # noqa: ANN001
    paths = workspace(tmp_path, {"returns/P002 returns.csv": "partner_id\nP002\n"})
    q = run(paths).rejections[0]
    assert q.partner_id == "P002" and q.row is None


def test_cycle_without_registers_is_a_user_error(tmp_path) -> None:  # noqa: ANN001
    paths = workspace(tmp_path, {"P001.csv": returns_csv(GOOD_P001)}, registers=False)
    with pytest.raises(UserError, match="no partners.csv or contracts.csv"):
        run(paths)


def test_a_file_fault_is_classified_by_what_went_wrong_not_by_its_words(tmp_path) -> None:
    """A heading written twice is an unreadable header, even when the heading itself reads
    'missing required column': faults are told apart by their kind, not their message."""
    header = "partner_id,contract_id,measure_id,period,value,missing required column,"
    paths = workspace(
        tmp_path,
        {"returns/P001.csv": f"{header}missing required column\n{GOOD_P001}\n"},
    )
    (q,) = [r for r in run(paths).rejections if r.file == "returns/P001.csv"]
    assert q.reason == (
        "returns/P001.csv: column 'missing required column' appears twice in the header"
    )
    assert (q.row, q.expectation) == (None, "file_is_readable")
