"""Spend files in each layout councils publish go through validation (a test per layout).

The layouts are those of `docs/data-contract.md`: the Transparency Code 2015 field list, the
LGA/ODI spend schema, pivot-table exports (`Inv Transaction`, `Sum of Inv Amount`), and the
headings and cells seen in published files; as CSV and as `.xls`, `.xlsx` and `.ods` workbooks.
The `.xls` and `.ods` fixtures in tests/data/spend-layouts/ were saved by LibreOffice Calc from
`lga-spend.csv` beside them.
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import Workbook

from pipeline.core.errors import ContractError
from pipeline.core.spend_cells import parse_amounts, parse_spend_dates
from pipeline.core.workbooks import workbook_rows
from pipeline.validate.stage import ValidationResult
from tests.helpers.validate_fixtures import GOOD_P001, returns_csv, run, workspace

LAYOUTS = Path(__file__).parent / "data" / "spend-layouts"

# Transparency Code 2015 field list, with two-digit years and amounts as councils type them.
CODE_2015 = """Body,Body Name,Date,Transaction Number,Amount,Supplier Name,Supplier ID,Expense Area,Expense Type
E06000034,Thurrock Council,24/09/14,T1,"1,100.00",Acme Care Ltd,S1,Adults,Home care
E06000034,Thurrock Council,25/09/14,T2,£250.00 ,Acme Care Ltd,S1,Adults,Home care
E06000034,Thurrock Council,26/09/14,T3,(75.25),Acme Care Ltd,S1,Adults,Credit note
"""
# A pivot-table export: month-only dates, `Inv Transaction`, `Sum of Inv Amount`, and a report
# title above the header, dozens of trailing empty columns, a grand total below.
PIVOT = (
    "Payments over £500 - September 2014" + "," * 30 + "\n"
    "" + "," * 30 + "\n"
    "Supplier,Clearing Date,Inv Transaction,Sum of Inv Amount,Expenses Type,"
    "Service Area Categorisation" + "," * 25 + "\n"
    "Grays Community Trust,Sep 2014,INV-1,600.00,Grant,Communities" + "," * 25 + "\n"
    "Grays Community Trust,Sep 2014,INV-1,600.00,Grant,Communities" + "," * 25 + "\n"
    "Redacted,Mar 2015,INV-2,700.00,Care,Adults" + "," * 25 + "\n"
    "Grand Total,,,1900.00,," + "," * 25 + "\n"
)
# `Amount £`, `Payment Date` as Excel serial numbers (what a date column saved as numbers is).
SERIAL = """Payment Date,Payee Name,Amount £,Purpose,Department
41906,Acme Care Ltd,500,Care,Adults
41907,Acme Care Ltd,-500,Refund,Adults
24 September 2014,Acme Care Ltd,12.5,Care,Adults
"""


@pytest.fixture(scope="module")
def result(tmp_path_factory: pytest.TempPathFactory) -> ValidationResult:
    files = {
        "P001.csv": returns_csv(GOOD_P001),
        "spend-code2015.csv": CODE_2015,
        "spend-pivot.csv": PIVOT,
        "spend-serial.csv": SERIAL,
    }
    paths = workspace(tmp_path_factory.mktemp("layouts"), files)
    shutil.copy(LAYOUTS / "lga-spend.csv", paths.raw / "spend-lga.csv")
    return run(paths)


def _clean(result: ValidationResult, file: str) -> pd.DataFrame:
    spend = result.tables["spend"]
    return spend[spend["source_file"] == file].reset_index(drop=True)


def _file(result: ValidationResult, file: str):  # noqa: ANN202
    return next(f for f in result.files if f.file == file)


def test_transparency_code_2015_layout(result: ValidationResult) -> None:
    clean = _clean(result, "spend-code2015.csv")
    assert _file(result, "spend-code2015.csv").file_error is None
    assert clean["date"].tolist() == [pd.Timestamp(f"2014-09-{d}") for d in (24, 25, 26)]
    assert clean["amount"].tolist() == [1100.0, 250.0, -75.25]
    assert clean["body"].tolist() == ["E06000034"] * 3
    assert clean["body_name"].tolist() == ["Thurrock Council"] * 3
    assert clean["expense_type"].tolist() == ["Home care", "Home care", "Credit note"]


def test_lga_odi_spend_schema(result: ValidationResult) -> None:
    clean = _clean(result, "spend-lga.csv")
    assert _file(result, "spend-lga.csv").file_error is None
    # PaymentDate is the payment's date; EffectiveDate is kept under its own name.
    assert clean["date"].dt.strftime("%Y-%m-%d").tolist() == [
        "2024-09-24",
        "2024-09-25",
        "2024-10-02",
    ]
    assert clean["supplier_name"].tolist() == [
        "Acme Care Ltd",
        "Redacted",
        "Grays Community Trust",
    ]
    assert clean["redacted"].tolist() == [False, True, False]
    assert clean["body"].iloc[0].startswith("http://opendatacommunities.org/")
    assert clean["body_name"].iloc[0] == "Example Council"
    assert clean["supplier_other_id"].tolist() == ["12345678", None, "1100001"]
    assert clean["irrecoverable_vat"].tolist() == [0.0, 0.0, 12.5]
    assert clean["expense_area"].tolist() == ["Adult Social Care", "Highways", "Highways"]


def test_pivot_export_below_a_title_with_month_only_dates(result: ValidationResult) -> None:
    f = _file(result, "spend-pivot.csv")
    assert f.file_error is None and f.header_row == 3
    clean = _clean(result, "spend-pivot.csv")
    # Two identical lines in one file are two payments; both count.
    assert clean["amount"].tolist() == [600.0, 600.0, 700.0]
    assert clean["transaction_number"].tolist() == ["INV-1", "INV-1", "INV-2"]
    assert clean["date_precision"].tolist() == ["month"] * 3
    assert clean["date"].tolist() == [pd.Timestamp("2014-09-01")] * 2 + [pd.Timestamp("2015-03-01")]
    assert clean["source_row"].tolist() == [4, 5, 6]
    total = [r for r in result.rejections if r.file == "spend-pivot.csv"]
    assert [(r.row, r.expectation) for r in total] == [(7, "row_is_not_a_total_line")]
    assert "'Grand Total'" in total[0].reason


def test_excel_serial_dates_and_amount_pound_heading(result: ValidationResult) -> None:
    clean = _clean(result, "spend-serial.csv")
    assert _file(result, "spend-serial.csv").quarantined == 0
    # Excel day 41906 is 24 September 2014.
    assert clean["date"].tolist() == [
        pd.Timestamp("2014-09-24"),
        pd.Timestamp("2014-09-25"),
        pd.Timestamp("2014-09-24"),
    ]
    assert clean["amount"].tolist() == [500.0, -500.0, 12.5]
    assert clean["supplier_name"].tolist() == ["Acme Care Ltd"] * 3


def _xlsx() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.append(["Spend over £500, September 2024"])
    ws.append([])
    ws.append(["Payment Date", "Supplier Name", "Transaction Number", "Amount"])
    ws.append([dt.datetime(2024, 9, 24), "Acme Care Ltd", "PAY0001", 1100.5])
    ws.append([dt.datetime(2024, 9, 25), "Redacted", "PAY0002", -250])
    ws.append([dt.datetime(2024, 10, 2), "Grays Community Trust", "PAY0003", 600])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


@pytest.fixture(scope="module")
def workbooks(tmp_path_factory: pytest.TempPathFactory) -> ValidationResult:
    paths = workspace(
        tmp_path_factory.mktemp("workbooks"),
        {"P001.csv": returns_csv(GOOD_P001), "spend-2024-09.xlsx": _xlsx()},
    )
    for suffix in ("csv", "xls", "ods"):
        shutil.copy(LAYOUTS / f"lga-spend.{suffix}", paths.raw / f"spend-lga.{suffix}")
    return run(paths)


@pytest.mark.parametrize("suffix", ["xls", "ods"])
def test_legacy_excel_and_opendocument_read_as_the_csv(
    workbooks: ValidationResult, suffix: str
) -> None:
    """The .xls and .ods were saved from the CSV: read the same, each of their lines is the
    CSV's line, so it is a re-publication, counted once, and the quarantine says where."""
    f = _file(workbooks, f"spend-lga.{suffix}")
    assert f.file_error is None and f.rows == 3 and f.clean == 0
    found = sorted(
        (r.row, r.expectation, r.reason) for r in workbooks.rejections if r.file == f.file
    )
    assert [(row, rule) for row, rule, _ in found] == [
        (n, "row_is_not_in_an_earlier_file") for n in (2, 3, 4)
    ]
    assert "row 2 of spend-lga.csv" in found[0][2]


def test_xlsx_with_date_cells_below_a_title(workbooks: ValidationResult) -> None:
    f = _file(workbooks, "spend-2024-09.xlsx")
    assert (f.file_error, f.header_row, f.clean) == (None, 3, 3)
    clean = _clean(workbooks, "spend-2024-09.xlsx")
    assert clean["date"].dt.strftime("%d/%m/%Y").tolist() == [
        "24/09/2024",
        "25/09/2024",
        "02/10/2024",
    ]
    assert clean["amount"].tolist() == [1100.5, -250.0, 600.0]


def test_the_same_line_in_two_files_is_counted_once(workbooks: ValidationResult) -> None:
    spend = workbooks.tables["spend"]
    # Three files carry the LGA lines; the clean table has them once, from the first file.
    lga = spend[spend["source_file"].str.startswith("spend-lga")]
    assert lga["source_file"].unique().tolist() == ["spend-lga.csv"]
    assert lga["amount"].sum() == pytest.approx(1100.5 - 250 + 600)


def test_file_without_a_spend_header_is_refused_with_what_was_found(tmp_path: Path) -> None:
    paths = workspace(
        tmp_path,
        {
            "P001.csv": returns_csv(GOOD_P001),
            "spend.csv": "Vendor,When,How much\nAcme,24/09/2014,500\n",
        },
    )
    f = _file(run(paths), "spend.csv")
    assert "no header line naming the payment date, amount and supplier" in f.file_error
    assert "Vendor, When, How much" in f.file_error


def test_two_headings_that_read_the_same_are_refused(tmp_path: Path) -> None:
    paths = workspace(
        tmp_path,
        {
            "P001.csv": returns_csv(GOOD_P001),
            "spend.csv": "Date,Supplier Name,Amount,AMOUNT\n24/09/2014,Acme,500,600\n",
        },
    )
    f = _file(run(paths), "spend.csv")
    assert "column 'AMOUNT' appears twice in the header (columns 3 and 4)" in f.file_error


@pytest.mark.parametrize(
    ("text", "day", "precision"),
    [
        ("24/09/2014", "2014-09-24", "day"),
        ("24/09/14", "2014-09-24", "day"),
        ("2014-09-24", "2014-09-24", "day"),
        ("24-SEP-2014", "2014-09-24", "day"),
        ("41906", "2014-09-24", "day"),
        ("Sep 2014", "2014-09-01", "month"),
        ("September 2014", "2014-09-01", "month"),
        ("31/02/2014", None, None),
        ("25/06/2012900", None, None),
        ("123", None, None),
    ],
)
def test_dates_as_councils_write_them(text: str, day: str | None, precision: str | None) -> None:
    got = parse_spend_dates(pd.Series([text], dtype=object))
    expected = pd.NaT if day is None else pd.Timestamp(day)
    assert got["date"].iloc[0] is expected or got["date"].iloc[0] == expected
    assert got["precision"].iloc[0] == precision


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("1,100.00", 1100.0),
        ("£1,100.00", 1100.0),
        ("1100.00  ", 1100.0),
        ("(1,100.00)", -1100.0),
        ("-£25.50", -25.5),
        ("25.50-", -25.5),
        ("1 100", 1100.0),
        ("PRIVATE RESIDENTIAL CARE", None),
        ("1,10,0", None),
        ("(25", None),
        ("--5", None),
    ],
)
def test_amounts_as_councils_write_them(text: str, amount: float | None) -> None:
    got = parse_amounts(pd.Series([text], dtype=object)).iloc[0]
    assert (pd.isna(got) and amount is None) or got == amount


def test_a_broken_workbook_is_refused_as_a_whole_file(tmp_path: Path) -> None:
    paths = workspace(
        tmp_path,
        {"P001.csv": returns_csv(GOOD_P001), "spend-2024.xls": b"<html>not a workbook</html>"},
    )
    f = _file(run(paths), "spend-2024.xls")
    assert f.file_error.startswith("spend-2024.xls: corrupt or unreadable workbook")


def test_workbook_reading_is_bounded() -> None:
    with pytest.raises(ContractError, match="more than 2 rows"):
        workbook_rows(LAYOUTS / "lga-spend.xls", "lga-spend.xls", max_rows=2)
    assert len(workbook_rows(LAYOUTS / "lga-spend.xls", "lga-spend.xls", max_rows=4)) == 4


@pytest.mark.slow
def test_a_large_councils_year_of_spend_is_read_though_over_a_returns_size_limit(
    tmp_path: Path,
) -> None:
    """A big council publishes about 200,000 lines (30 MB) a year: more than a partner's return
    may be (readers.LIMITS, 20 MB), within the spend limits (readers.SPEND_LIMITS)."""
    from pipeline.core.readers import LIMITS, SPEND_LIMITS, read_rows
    from pipeline.validate.spend_layouts import read_spend

    line = "E06000034,Thurrock Council,24/09/2024,T{n},1100.00,Acme Care Ltd,S1,Adults and Health Services,Home care and support services for older people\n"
    lines = 160_000
    path = tmp_path / "spend-2024-25.csv"
    with path.open("w", encoding="utf-8") as fh:
        fh.write(CODE_2015.splitlines()[0] + "\n")
        for n in range(lines):
            fh.write(line.format(n=n))
    size = path.stat().st_size
    assert LIMITS.file_bytes < size < SPEND_LIMITS.file_bytes
    with pytest.raises(ContractError, match="file size"):
        read_rows(path, path.name)  # as a return, the file is over the limit
    frame = read_spend(path, path.name)
    assert len(frame) == lines
    assert frame["amount"].iloc[-1] == "1100.00"
