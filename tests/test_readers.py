"""Readers turn any CSV or XLSX input into the canonical frame, keeping file and row of each row."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from pipeline.core.contract import column_map, kind_of_file, normalise
from pipeline.core.errors import ContractError, UserError
from pipeline.core.readers import input_files, read_many, read_table

RETURNS_HEADER = "partner_id,contract_id,measure_id,period,value\n"


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(text.encode(encoding))
    return path


def test_odd_column_spellings_are_matched_to_canonical_names(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "P001.csv",
        " Partner ID ,Contract_ID,MEASURE-ID,Financial Year,Value ,Comments,Our Ref\n"
        "P001,C0001,CS2-06,2024/25,12,Two apprentices started in March,A1\n",
    )
    frame = read_table(path, "returns")
    assert list(frame.columns[:9]) == [
        "source_file",
        "source_row",
        "partner_id",
        "contract_id",
        "measure_id",
        "period",
        "value",
        "comment",
        "our_ref",
    ]
    row = frame.iloc[0]
    assert (row["partner_id"], row["measure_id"], row["period"]) == ("P001", "CS2-06", "2024/25")
    assert row["value"] == "12"  # kept as the text typed: parsing is validation's job
    assert row["our_ref"] == "A1"  # a column outside the contract is kept, not dropped
    # Optional columns the file lacks are present and empty.
    assert row["target"] is None and row["submitted_on"] is None


def test_transparency_code_spend_headings_are_recognised(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "spend.csv",
        "Body,Date,Transaction Number,Amount,Supplier Name,Supplier ID,Expense Area,Expense Type\n"
        "Thurrock Council,13/05/2024,TC24000001,1250.00,Grays Catering Ltd,SUP00001,Place,"
        "Catering supplies\n",
    )
    frame = read_table(path, "spend")
    assert frame.iloc[0][["transaction_number", "amount", "supplier_id"]].tolist() == [
        "TC24000001",
        "1250.00",
        "SUP00001",
    ]
    assert column_map("spend", ["Net Amount", "Payment Date"]) == {
        "Net Amount": "amount",
        "Payment Date": "date",
    }
    assert normalise(" Supplier-Name ") == normalise("supplier_name") == "suppliername"


def test_row_numbers_are_as_seen_in_the_file_and_blank_rows_are_kept(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "P002.csv",
        RETURNS_HEADER
        + "P002,C0002,CS1-01,2023/24,4\n"  # row 2
        + "\n"  # row 3: an empty line
        + ",,,,\n"  # row 4: Excel's blank row
        + "partner_id,contract_id,measure_id,period,value\n"  # row 5: header pasted again
        + "P002,C0002,CS1-01,2024/25,6\n",  # row 6
    )
    frame = read_table(path, "returns")
    assert frame["source_row"].tolist() == [2, 3, 4, 5, 6]
    assert frame["source_file"].unique().tolist() == ["P002.csv"]
    assert frame.loc[1, ["partner_id", "value"]].isna().all()
    assert frame.loc[2, ["partner_id", "value"]].isna().all()
    assert frame.loc[3, "value"] == "value"  # the stray header is a row for validation to refuse
    assert frame.loc[4, "value"] == "6"


def test_blank_lines_before_the_header_shift_the_row_numbers(tmp_path: Path) -> None:
    path = _write(tmp_path / "P003.csv", "\n\n" + RETURNS_HEADER + "P003,C1,CS1-01,2024/25,1\n")
    # Header on line 3, so its first data row is row 4 in a spreadsheet.
    assert read_table(path, "returns")["source_row"].tolist() == [4]


def test_xlsx_cells_are_read_as_the_text_a_person_sees(tmp_path: Path) -> None:
    wb = Workbook()
    ws = wb.active
    ws.append(
        [
            "Partner ID",
            "Contract ID",
            "Measure ID",
            "Period",
            "Value",
            "Target",
            "Verified",
            "Submitted On",
            "Comment",
        ]
    )
    ws.append(
        [
            "P004",
            "C0004",
            "CS2-01",
            "2024/25",
            87.5,
            90,
            True,
            dt.datetime(2025, 5, 2),
            '=HYPERLINK("x")',
        ]
    )
    ws["I2"].data_type = "s"  # text that looks like a formula stays text
    ws.append([])  # a blank row
    ws.append(["P004", "C0004", "CS2-06", "2024/25", 12, None, False, dt.date(2025, 5, 3), None])
    ws.append(["P004", "C0004", "CS2-08", "2024/25", 25 * 1.1, 0.1 + 0.2, None, None, None])
    notes = wb.create_sheet("Notes")
    notes.append(["This sheet is ignored"])
    path = tmp_path / "P004.xlsx"
    wb.save(path)

    frame = read_table(path, "returns")
    assert frame["source_row"].tolist() == [2, 3, 4, 5]
    first = frame.iloc[0]
    assert first[["value", "target", "verified", "submitted_on", "comment"]].tolist() == [
        "87.5",
        "90",
        "yes",
        "2025-05-02",
        '=HYPERLINK("x")',
    ]
    assert frame.iloc[1][["partner_id", "value"]].isna().all()
    assert frame.iloc[2][["value", "target", "verified"]].tolist() == ["12", None, "no"]
    # Binary rounding noise (27.500000000000004, 0.30000000000000004) reads as Excel shows it.
    assert frame.iloc[3][["value", "target"]].tolist() == ["27.5", "0.3"]


def test_an_empty_first_sheet_is_skipped(tmp_path: Path) -> None:
    wb = Workbook()
    wb.active.title = "Cover"
    data = wb.create_sheet("Data")
    data.append(["partner_id", "name", "type"])
    data.append(["P001", "Grays Foodbank", "vcfs"])
    path = tmp_path / "partners.xlsx"
    wb.save(path)
    assert read_table(path, "partners")["name"].tolist() == ["Grays Foodbank"]


def test_a_missing_required_column_is_reported_by_name(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "P005.csv", "partner_id,contract_id,measure_id,Year\nP005,C5,CS1-01,2024/25\n"
    )
    with pytest.raises(ContractError) as info:
        read_table(path, "returns")
    assert str(info.value) == (
        "P005.csv: missing required column value (found: partner_id, contract_id, measure_id, Year)"
    )
    assert (info.value.file, info.value.column) == ("P005.csv", "value")


def test_several_missing_columns_are_all_named(tmp_path: Path) -> None:
    path = _write(tmp_path / "contracts.csv", "contract_id,partner_id,title\nC1,P1,Cleaning\n")
    with pytest.raises(
        ContractError,
        match=r"missing required columns start, end, value_gbp, "
        r"outcome_measures, linked_to_subject_matter",
    ):
        read_table(path, "contracts")


def test_a_column_given_twice_is_refused(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "P006.csv", "partner_id,Partner ID,contract_id,measure_id,period,value\n"
    )
    with pytest.raises(ContractError, match="column 'Partner ID' appears twice"):
        read_table(path, "returns")


def test_windows_1252_csv_is_decoded(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "P007.csv",
        "partner_id,contract_id,measure_id,period,value,comment\n"
        'P007,C7,CS2-08,2024/25,12500,"£12,500 in kind – the café’s gift"\n',
        encoding="cp1252",
    )
    assert read_table(path, "returns")["comment"].tolist() == ["£12,500 in kind – the café’s gift"]


def test_utf8_with_bom_and_semicolons_is_read(tmp_path: Path) -> None:
    path = tmp_path / "P008.csv"
    path.write_bytes(
        "\ufeffpartner_id;contract_id;measure_id;period;value\n"
        "P008;C8;CS1-02;2024/25;40,5\n".encode()
    )
    frame = read_table(path, "returns")
    assert frame.iloc[0][["partner_id", "value"]].tolist() == ["P008", "40,5"]


def test_cells_beyond_the_header_are_kept_for_validation(tmp_path: Path) -> None:
    path = _write(tmp_path / "P009.csv", RETURNS_HEADER + "P009,C9,CS1-01,2024/25,3,oops,again\n")
    assert read_table(path, "returns")["_extra_cells"].tolist() == ["oops|again"]


def test_header_only_file_gives_no_rows(tmp_path: Path) -> None:
    frame = read_table(_write(tmp_path / "P010.csv", RETURNS_HEADER), "returns")
    assert len(frame) == 0 and "value" in frame.columns


@pytest.mark.parametrize(
    ("name", "data", "expected"),
    [
        ("P011.csv", b"", "P011.csv: the file is empty"),
        ("P011.csv", b"\n\r\n  \n", "P011.csv: the file is empty"),
        ("P011.csv", b"%PDF-1.7\n\x00\x01\x02binary", "P011.csv: not a CSV file"),
        ("P011.pdf", b"%PDF-1.7 text", "P011.pdf: not a CSV or XLSX file (extension .pdf)"),
        ("P011.xlsx", b"this is not a workbook", "P011.xlsx: corrupt or unreadable Excel"),
        ("P011.xlsx", b"PK\x03\x04 truncated zip", "P011.xlsx: corrupt or unreadable Excel"),
    ],
)
def test_unusable_files_are_refused_in_one_line(
    tmp_path: Path, name: str, data: bytes, expected: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UserError) as info:
        read_table(path, "returns")
    assert str(info.value).startswith(expected)
    assert "\n" not in str(info.value)


def test_read_many_names_files_relative_to_the_cycle_folder(tmp_path: Path) -> None:
    raw = tmp_path / "raw"
    _write(raw / "returns" / "P001.csv", RETURNS_HEADER + "P001,C1,CS1-01,2024/25,1\n")
    _write(
        raw / "returns" / "P002.csv",
        RETURNS_HEADER + "P002,C2,CS1-01,2024/25,2\nP002,C2,CS1-02,2024/25,30\n",
    )
    _write(raw / ".sample-manifest.json", "{}")
    _write(raw / "partners.csv", "partner_id,name,type\n")
    files = input_files(raw)
    assert [f.relative_to(raw).as_posix() for f in files] == [
        "partners.csv",
        "returns/P001.csv",
        "returns/P002.csv",
    ]
    returns = [f for f in files if kind_of_file(f.name) == "returns"]
    frame = read_many(returns, "returns", raw)
    assert list(zip(frame["source_file"], frame["source_row"], strict=True)) == [
        ("returns/P001.csv", 2),
        ("returns/P002.csv", 2),
        ("returns/P002.csv", 3),
    ]
    assert read_many([], "returns", raw).empty


def test_kind_of_file_follows_the_file_name() -> None:
    assert [
        kind_of_file(n)
        for n in (
            "partners.csv",
            "Contracts.xlsx",
            "suppliers.csv",
            "spend-2024-25.csv",
            "spend.csv",
            "returns/P001.csv",
            "all_returns.xlsx",
        )
    ] == ["partners", "contracts", "suppliers", "spend", "spend", "returns", "returns"]


_CELL = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r\n"),
    max_size=12,
)
_HEADER = ["partner_id", "contract_id", "measure_id", "period", "value", "comment"]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(rows=st.lists(st.lists(_CELL, min_size=6, max_size=6), min_size=1, max_size=6))
def test_any_text_a_partner_types_comes_back_exactly(tmp_path: Path, rows: list[list[str]]) -> None:
    # Commas, quotes, semicolons, pipes, tabs, markup, non-Latin text: whatever is in a cell is
    # read back as typed (blank only when the cell is blank) and on the row it was written on.
    path = tmp_path / "P012.csv"
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(_HEADER)
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")
    frame = read_table(path, "returns")
    assert frame[_HEADER].to_numpy().tolist() == [
        [c if c.strip() else None for c in r] for r in rows
    ]
    assert frame["source_row"].tolist() == list(range(2, 2 + len(rows)))
