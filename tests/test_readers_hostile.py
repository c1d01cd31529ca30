"""Hostile and broken files meet the readers' limits and row faults (issue 12).

Each test is one finding of the issue: before the fix the reader crashed, ran out of memory,
misread the file or refused all of it; now a file over a limit is refused naming the limit, and a
problem confined to one row faults that row only (validation quarantines it with the reason).
"""

from __future__ import annotations

import resource
from pathlib import Path

import pytest

from pipeline.core.errors import ContractError
from pipeline.core.readers import LIMITS, ROW_FAULT, read_table
from tests.helpers.hostile_files import (
    RETURNS_HEADER,
    declared_grid,
    dimension_bomb,
    far_cell,
    inflation_bomb,
    sheet_xml,
    workbook,
)

HEADER = ",".join(RETURNS_HEADER) + ",comment\n"


def _file(tmp_path: Path, name: str, data: bytes) -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _refused(path: Path, *words: str) -> str:
    with pytest.raises(ContractError) as info:
        read_table(path, "returns")
    message = str(info.value)
    assert message.startswith(f"{path.name}: ") and "\n" not in message
    for w in words:
        assert w in message
    return message


def _max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ------------------------------------------------------------------------- memory and time bombs


def test_a_sheet_declaring_the_whole_grid_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = _file(tmp_path, "P001.xlsx", dimension_bomb())
    before = _max_rss_mb()
    _refused(path, "declares 1,048,576 rows and 16,384 columns", "the limit is 250,000 rows")
    # The old reader built every declared row (past 4 GB); peak memory barely moves now.
    assert _max_rss_mb() - before < 200


def test_a_declared_million_rows_over_three_real_ones_is_refused(tmp_path: Path) -> None:
    _refused(_file(tmp_path, "P001.xlsx", declared_grid()), "declares 1,048,576 rows")


def test_a_cell_far_down_an_undeclared_sheet_is_refused_without_filling_the_gap(
    tmp_path: Path,
) -> None:
    path = _file(tmp_path, "P001.xlsx", far_cell())
    _refused(path, "has a row 1,048,576; the limit is 250,000 rows")


def test_a_workbook_inflating_past_the_limit_is_refused_from_its_zip_directory(
    tmp_path: Path,
) -> None:
    path = _file(tmp_path, "P001.xlsx", inflation_bomb(LIMITS.inflated_bytes + 20_000_000))
    assert path.stat().st_size < 1_000_000
    _refused(path, "inflates to", "the limit is 100,000,000 (inflated size)")


def test_a_part_compressed_too_well_is_refused_as_a_zip_bomb(tmp_path: Path) -> None:
    path = _file(tmp_path, "P001.xlsx", inflation_bomb(5_000_000))
    _refused(path, "part xl/padding.xml inflates", "the limit is 100 times")


def test_a_file_over_the_size_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    path = tmp_path / "P001.csv"
    with path.open("wb") as fh:  # sparse: costs no disk
        fh.truncate(LIMITS.file_bytes + 1)
    _refused(path, "the limit is 20,000,000 bytes (file size)")


def test_too_many_csv_rows_are_refused_naming_the_limit(tmp_path: Path) -> None:
    data = (HEADER + "P001,C001,CS1-02,2024/25,1,\n" * LIMITS.rows).encode()
    _refused(_file(tmp_path, "P001.csv", data), "more than 250,000 rows")


def test_malformed_sheet_xml_is_a_fault_naming_the_file(tmp_path: Path) -> None:
    xml = sheet_xml([RETURNS_HEADER, ["P001", "C001", "CS1-02", "2024/25", 1]])
    broken = xml.replace("</sheetData>", "<row><c><v>1</c></sheetData>")
    path = _file(tmp_path, "P001.xlsx", workbook([("Returns", "visible", broken)]))
    _refused(path, "corrupt or unreadable Excel workbook (ParseError")


# ----------------------------------------------------------------------- read what a person sees


def test_a_hidden_sheet_with_stale_figures_is_not_read(tmp_path: Path) -> None:
    stale = sheet_xml([RETURNS_HEADER, ["P001", "C001", "CS1-02", "2023/24", 999]])
    current = sheet_xml([RETURNS_HEADER, ["P001", "C001", "CS1-02", "2024/25", 12]])
    path = _file(
        tmp_path,
        "P001.xlsx",
        workbook([("Old", "hidden", stale), ("Returns", "visible", current)]),
    )
    assert read_table(path, "returns")["value"].tolist() == ["12"]


def test_the_sheet_whose_header_matches_is_read_after_a_cover_sheet(tmp_path: Path) -> None:
    cover = sheet_xml([["Social value return"], ["Prepared by: Acme Care Ltd"]])
    data = sheet_xml([RETURNS_HEADER, ["P001", "C001", "CS1-02", "2024/25", 12]])
    path = _file(
        tmp_path, "P001.xlsx", workbook([("Cover", "visible", cover), ("Data", "visible", data)])
    )
    frame = read_table(path, "returns")
    assert frame[["partner_id", "value", "source_row"]].values.tolist() == [["P001", "12", 2]]


def test_a_workbook_with_only_hidden_sheets_says_so(tmp_path: Path) -> None:
    data = sheet_xml([RETURNS_HEADER, ["P001", "C001", "CS1-02", "2024/25", 12]])
    path = _file(tmp_path, "P001.xlsx", workbook([("Data", "hidden", data)]))
    _refused(path, "no data in any sheet (1 hidden sheet not read)")


def test_semicolons_in_comments_do_not_fool_the_separator(tmp_path: Path) -> None:
    data = (
        HEADER
        + 'P001,C001,CS1-02,2024/25,12,"hours; staff; volunteers; see notes; page 2"\n'
        + 'P001,C001,CS1-06,2024/25,40,"checked; signed off; filed"\n'
    ).encode()
    frame = read_table(_file(tmp_path, "P001.csv", data), "returns")
    assert frame["value"].tolist() == ["12", "40"]
    assert ROW_FAULT not in frame.columns


def test_a_decimal_comma_in_a_semicolon_file_faults_its_row(tmp_path: Path) -> None:
    data = (
        b"partner_id;contract_id;measure_id;period;value;comment\n"
        b"P001;C001;CS1-02;2024/25;1,500;a, b\n"
        b"P001;C001;CS1-06;2024/25;40;\n"
    )
    frame = read_table(_file(tmp_path, "P001.csv", data), "returns")
    assert frame["value"].tolist() == ["1,500", "40"]  # kept as typed, never read as 1500
    fault = frame[ROW_FAULT].tolist()
    assert "value '1,500' in column value has a comma" in fault[0]
    assert "separated by ';'" in fault[0]
    assert fault[1] is None  # the comma in a comment is text, and the next row is fine


def test_a_stray_windows_byte_in_utf8_faults_only_its_row(tmp_path: Path) -> None:
    data = (
        HEADER.encode()
        + "P001,C001,CS1-02,2024/25,12,Café on the high street\n".encode()
        + b"P001,C001,CS1-06,2024/25,40,Caf\xe9 again\n"
    )
    frame = read_table(_file(tmp_path, "P001.csv", data), "returns")
    assert frame["comment"].tolist()[0] == "Café on the high street"  # not CafÃ©
    faults = frame[ROW_FAULT].tolist()
    assert faults[0] is None
    assert "column comment holds bytes that are not text" in faults[1]
    assert "\\xe9" in frame["comment"].tolist()[1]


def test_utf16_without_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    text = HEADER + "P001,C001,CS1-02,2024/25,12,Grays £ café\n"
    for encoding in ("utf-16-le", "utf-16-be"):
        path = _file(tmp_path, f"P001-{encoding}.csv", text.encode(encoding))
        frame = read_table(path, "returns")
        assert frame["comment"].tolist() == ["Grays £ café"]


def test_a_nul_byte_faults_its_row_and_the_other_rows_are_read(tmp_path: Path) -> None:
    data = (
        HEADER + "P001,C001,CS1-02,2024/25,12,fine\nP001,C001,CS1-06,2024/25,4\x000,bad\n"
        "P001,C001,CS2-08,2024/25,7,fine\n"
    ).encode()
    frame = read_table(_file(tmp_path, "P001.csv", data), "returns")
    assert frame["source_row"].tolist() == [2, 3, 4]
    faults = frame[ROW_FAULT].tolist()
    assert faults[0] is None and faults[2] is None
    assert faults[1] == "the cell in column value holds a NUL character (\\0)"


def test_an_oversized_cell_faults_its_row_and_the_other_rows_are_read(tmp_path: Path) -> None:
    data = (
        HEADER + f'P001,C001,CS1-02,2024/25,12,"{"x" * 1_048_576}"\n'
        "P001,C001,CS1-06,2024/25,40,fine\n"
    ).encode()
    frame = read_table(_file(tmp_path, "P001.csv", data), "returns")
    faults = frame[ROW_FAULT].tolist()
    assert faults == [
        "the cell in column comment holds 1,048,576 characters; the limit is 32,767",
        None,
    ]
    # What is kept of the cell is bounded: quarantine and feedback never carry the megabyte.
    assert len(frame["comment"].tolist()[0]) < 300


def test_headings_that_collide_with_the_pipelines_own_columns_are_kept_renamed(
    tmp_path: Path,
) -> None:
    data = (
        ",".join(RETURNS_HEADER) + ",Source File,Source Row\nP001,C001,CS1-02,2024/25,12,x.csv,9\n"
    ).encode()
    frame = read_table(_file(tmp_path, "P001.csv", data), "returns")
    row = frame.iloc[0]
    assert (row["source_file"], row["source_row"]) == ("P001.csv", 2)
    assert (row["source_file_in_file"], row["source_row_in_file"]) == ("x.csv", "9")


def test_a_sheet_over_the_cell_limit_is_refused_before_it_is_read(tmp_path: Path) -> None:
    from pipeline.core.readers import Limits, read_sheet

    rows = [RETURNS_HEADER, *([["P001", "C001", "CS1-02", "2024/25", 1]] * 3)]
    path = _file(tmp_path, "P001.xlsx", workbook([("Returns", "visible", sheet_xml(rows))]))
    with pytest.raises(ContractError, match=r"spans 4 rows by 5 columns; the limit is 19 cells"):
        read_sheet(path, "P001.xlsx", "returns", Limits(sheet_cells=19))
    assert len(read_sheet(path, "P001.xlsx", "returns", Limits(sheet_cells=20)).rows) == 4
