"""Returns templates: every partner's pre-filled workbook, filled in as a partner would (values
typed only into the unlocked cells), comes back clean through `svf validate`; a value outside the
workbook's data validation is quarantined with the reason a typed return gets; a template from
another cycle is refused; blank value cells are missing returns, never zero."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from pipeline.cli.app import main
from pipeline.core.contract import SOURCE_FILE
from pipeline.core.framework import load_framework
from pipeline.core.paths import CyclePaths
from pipeline.sample.generator import generate_sample
from pipeline.validate.checklist import build_checklist
from pipeline.validate.return_templates import ABOUT_SHEET, COLUMNS, RETURN_SHEET
from pipeline.validate.stage import validate_cycle, write_outputs
from tests.helpers.validate_fixtures import ROOT, TODAY

CYCLE = "2025-26"
FRAMEWORK = load_framework(ROOT / "data" / "reference" / "framework.yaml")
UNITS = {m.id: m.unit for m in FRAMEWORK.measures}


def svf(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    with pytest.raises(SystemExit) as info:
        main(list(argv))
    captured = capsys.readouterr()
    return int(info.value.code or 0), captured.out, captured.err


@pytest.fixture(scope="module")
def workspace(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A sample cycle, validated (last year's figures), and a new cycle 2025-26 holding the same
    registers, whose templates are written by `svf templates`."""
    root = tmp_path_factory.mktemp("templates")
    (root / "data" / "reference").mkdir(parents=True)
    shutil.copy(ROOT / "data" / "reference" / "framework.yaml", root / "data" / "reference")
    shutil.copytree(ROOT / "expectations", root / "expectations")
    shutil.copy(ROOT / "params.yaml", root / "params.yaml")
    shutil.copytree(ROOT / "notebooks", root / "notebooks")
    sample = CyclePaths.of("sample", root)
    generate_sample(sample.raw, partners=6, years=2, seed=7, end_period="2024/25")
    write_outputs(sample, validate_cycle(sample, today=TODAY))
    new = CyclePaths.of(CYCLE, root)
    new.raw.mkdir(parents=True)
    for name in ("partners.csv", "contracts.csv"):
        shutil.copy(sample.raw / name, new.raw / name)
    return root


def _templates(root: Path, capsys: pytest.CaptureFixture[str]) -> list[Path]:
    code, out, err = svf(capsys, "templates", "--cycle", CYCLE, "--workspace", str(root))
    assert code == 0, err
    folder = CyclePaths.of(CYCLE, root).reports / "templates"
    books = sorted(folder.glob("*-return.xlsx"))
    assert books and len(out.splitlines()) == len(books)
    return books


def _typed_value(unit: str, row: int) -> str | int | float:
    """What a partner types: a figure each unit's validation accepts, different per row."""
    return {"percent": 40 + row % 50, "count": 3 + row}.get(unit, 12.5 + row)


def fill(book: Path, target: Path, *, rows: int | None = None, value: object = None) -> dict:
    """Fill a template as a partner would: only unlocked cells are typed into (openpyxl does not
    enforce protection, so the test checks each cell before writing). Returns what was typed,
    by (contract, measure)."""
    wb = load_workbook(book)
    ws = wb[RETURN_SHEET]
    heads = {c.value: i for i, c in enumerate(ws[1], start=1)}
    typed: dict[tuple[str, str], object] = {}
    last = ws.max_row if rows is None else min(ws.max_row, rows + 1)
    for r in range(2, last + 1):
        measure = ws.cell(r, heads["Measure ID"]).value
        wanted = {
            "Value": _typed_value(UNITS[measure], r) if value is None else value,
            "Denominator": 250,
            "Evidence": "Payroll records, checked by our auditor",
            "Verified": "yes",
            "Comment": "<b>Figures</b> and notes, 2025",
        }
        for heading, v in wanted.items():
            cell = ws.cell(r, heads[heading])
            if cell.protection.locked:
                continue  # a partner cannot type here
            cell.value = v
        typed[(ws.cell(r, heads["Contract ID"]).value, measure)] = wanted["Value"]
    target.parent.mkdir(parents=True, exist_ok=True)
    wb.save(target)
    return typed


def test_every_filled_template_comes_back_clean(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    books = _templates(workspace, capsys)
    paths = CyclePaths.of(CYCLE, workspace)
    typed: dict[str, dict] = {}
    for book in books:
        pid = book.name.removesuffix("-return.xlsx")
        typed[pid] = fill(book, paths.raw / "returns" / book.name)
    code, _, err = svf(capsys, "validate", "--cycle", CYCLE, "--workspace", str(workspace))
    assert code == 0, err
    clean = pd.read_parquet(paths.clean_table("returns"))
    quarantine = pd.read_parquet(paths.quarantine)
    assert quarantine[quarantine["kind"] == "returns"].empty, quarantine.to_dict("records")
    expected = sum(len(t) for t in typed.values())
    assert len(clean) == expected
    for rec in clean.to_dict("records"):
        pid = Path(rec[SOURCE_FILE]).name.removesuffix("-return.xlsx")
        assert rec["partner_id"] == pid
        assert rec["period"] == "2025/26"
        assert rec["value"] == pytest.approx(typed[pid][(rec["contract_id"], rec["measure_id"])])
        assert rec["verified"] == True  # noqa: E712 - a nullable boolean
        assert rec["comment"] == "<b>Figures</b> and notes, 2025"
    shutil.rmtree(paths.raw / "returns")


def test_template_is_locked_except_fill_cells_and_carries_last_year(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    books = _templates(workspace, capsys)
    sample = pd.read_parquet(CyclePaths.of("sample", workspace).clean_table("returns"))
    last_year = sample[sample["period"] == "2024/25"]
    seen_previous = 0
    for book in books:
        wb = load_workbook(book)
        ws = wb[RETURN_SHEET]
        assert ws.protection.sheet
        assert wb[ABOUT_SHEET].sheet_state == "hidden"
        assert ws.tables and list(ws.tables)[0] == "ReturnRows"
        heads = [c.value for c in ws[1]]
        assert heads == [c.heading for c in COLUMNS]
        for r in range(2, ws.max_row + 1):
            row = {h: ws.cell(r, i).value for i, h in enumerate(heads, start=1)}
            for i, col in enumerate(COLUMNS, start=1):
                locked = ws.cell(r, i).protection.locked
                if col.name in ("partner_id", "contract_id", "measure_id", "period"):
                    assert locked and row[col.heading]
                if col.name in ("value", "evidence", "verified", "comment"):
                    assert not locked
            denominator_open = not ws.cell(r, heads.index("Denominator") + 1).protection.locked
            assert denominator_open == (UNITS[row["Measure ID"]] == "percent")
            before = last_year[
                (last_year["partner_id"] == row["Partner ID"])
                & (last_year["contract_id"] == row["Contract ID"])
                & (last_year["measure_id"] == row["Measure ID"])
            ]
            if len(before):
                seen_previous += 1
                assert float(row["Previous year value"]) == pytest.approx(before["value"].iloc[-1])
                assert row["Previous year"] == "2024/25"
            else:
                assert row["Previous year value"] is None
        # The CSV template has the same columns and rows.
        with open(book.with_suffix(".csv"), encoding="utf-8", newline="") as fh:
            rows = list(csv.reader(fh))
        assert rows[0] == heads
        assert len(rows) == ws.max_row
        assert [r[1] for r in rows[1:]] == [ws.cell(r, 2).value for r in range(2, ws.max_row + 1)]
    assert seen_previous, "the sample's 2024/25 figures appear beside some rows"


def test_value_outside_validation_quarantined_as_a_typed_return_would_be(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    books = _templates(workspace, capsys)
    paths = CyclePaths.of(CYCLE, workspace)
    # One partner's workbook with 150 typed into every value cell (Excel would refuse it on a
    # percentage row; openpyxl does not), and the same rows typed by hand into a CSV return.
    book = books[0]
    pid = book.name.removesuffix("-return.xlsx")
    fill(book, paths.raw / "returns" / book.name, value=150)
    wb = load_workbook(book)
    ws = wb[RETURN_SHEET]
    typed_csv = ["partner_id,contract_id,measure_id,period,value"]
    for r in range(2, ws.max_row + 1):
        typed_csv.append(",".join(str(ws.cell(r, c).value) for c in (1, 2, 4, 7)) + ",150")
    other = paths.workspace / "data" / "raw" / "typed"
    other.mkdir(parents=True, exist_ok=True)
    for name in ("partners.csv", "contracts.csv"):
        shutil.copy(paths.raw / name, other / name)
    (other / f"{pid}.csv").write_text("\n".join(typed_csv) + "\n", encoding="utf-8")
    try:
        from_template = validate_cycle(paths, today=TODAY)
        from_csv = validate_cycle(CyclePaths.of("typed", workspace), today=TODAY)
    finally:
        shutil.rmtree(paths.raw / "returns")
        shutil.rmtree(other)
    a = sorted(
        (q.row, q.column, q.expectation, q.reason, q.partner_id)
        for q in from_template.rejections
        if q.kind == "returns"
    )
    b = sorted(
        (q.row, q.column, q.expectation, q.reason, q.partner_id)
        for q in from_csv.rejections
        if q.kind == "returns"
    )
    percent_rows = [r for r in range(2, ws.max_row + 1) if UNITS[ws.cell(r, 4).value] == "percent"]
    assert a == b
    assert sorted(r for r, *_ in a) == percent_rows
    assert all("outside 0 to 100" in reason for _, _, _, reason, _ in a)


def test_template_from_another_cycle_refused_and_blank_rows_not_zero(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    books = _templates(workspace, capsys)
    paths = CyclePaths.of(CYCLE, workspace)
    book = books[0]
    pid = book.name.removesuffix("-return.xlsx")
    later = CyclePaths.of("2026-27", workspace)
    later.raw.mkdir(parents=True, exist_ok=True)
    for name in ("partners.csv", "contracts.csv"):
        shutil.copy(paths.raw / name, later.raw / name)
    fill(book, later.raw / "returns" / "our-return.xlsx")
    refused = validate_cycle(later, today=TODAY)
    shutil.rmtree(later.raw)
    [fault] = [q for q in refused.rejections if q.kind == "returns"]
    assert fault.row is None and fault.partner_id == pid
    assert f"returns template for cycle {CYCLE}" in fault.reason
    assert "not cycle 2026-27" in fault.reason

    # Only the first row filled, the file renamed: the About sheet still names the partner, and
    # the rows left blank are missing returns (neither clean nor zero nor quarantined).
    typed = fill(book, paths.raw / "returns" / "renamed.xlsx", rows=1)
    result = validate_cycle(paths, today=TODAY)
    checklist = build_checklist(paths.raw, CYCLE)  # the chasing list agrees: one received
    assert list(checklist.rows["status"]).count("received") == 1
    shutil.rmtree(paths.raw / "returns")
    clean = result.tables["returns"]
    assert [q for q in result.rejections if q.kind == "returns"] == []
    assert len(clean) == 1 and len(typed) == 1
    assert list(clean["partner_id"]) == [pid]
    assert result.partners[pid]["rows"] == 1


def test_row_claiming_another_partner_refused(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    books = _templates(workspace, capsys)
    paths = CyclePaths.of(CYCLE, workspace)
    book, other_book = books[0], books[1]
    pid = book.name.removesuffix("-return.xlsx")
    other = other_book.name.removesuffix("-return.xlsx")
    target = paths.raw / "returns" / "return.xlsx"
    fill(book, target, rows=1)
    wb = load_workbook(target)  # someone unprotects the sheet and rewrites the partner id
    wb[RETURN_SHEET].cell(2, 1).value = other
    wb.save(target)
    result = validate_cycle(paths, today=TODAY)
    shutil.rmtree(paths.raw / "returns")
    [q] = [q for q in result.rejections if q.kind == "returns"]
    assert q.column == "partner_id" and q.partner_id == pid
    assert f"this file is {pid}'s" in q.reason and other in q.reason


def test_cycle_open_offers_the_templates_and_writes_them_when_asked(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = CyclePaths.of(CYCLE, workspace).reports / "templates"
    shutil.rmtree(folder, ignore_errors=True)
    code, _, err = svf(capsys, "cycle", "open", CYCLE, "--workspace", str(workspace))
    assert code == 0, err
    assert f"svf templates --cycle {CYCLE}" in " ".join(err.split())
    assert not folder.exists()
    code, _, err = svf(capsys, "cycle", "open", CYCLE, "--templates", "--workspace", str(workspace))
    assert code == 0, err
    contracts = pd.read_csv(CyclePaths.of(CYCLE, workspace).raw / "contracts.csv")
    owed = sorted(set(contracts["partner_id"]))
    assert sorted(p.name for p in folder.glob("*.xlsx")) == [f"{p}-return.xlsx" for p in owed]


@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) not installed")
def test_template_saved_again_by_libreoffice_still_reads_as_the_partners_return(
    workspace: Path, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """A partner using LibreOffice Calc: the filled workbook, opened and saved again as .xlsx by
    LibreOffice, keeps its About sheet, table and locks, and its rows come back clean."""
    import subprocess

    books = _templates(workspace, capsys)
    paths = CyclePaths.of(CYCLE, workspace)
    book = books[-1]
    typed = fill(book, tmp_path / "filled.xlsx")
    profile = (tmp_path / "lo-profile").as_uri()
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation={profile}",
            "--headless",
            "--convert-to",
            "xlsx:Calc MS Excel 2007 XML",
            "--outdir",
            str(tmp_path / "saved"),
            str(tmp_path / "filled.xlsx"),
        ],
        check=True,
        capture_output=True,
        timeout=300,
    )
    saved = tmp_path / "saved" / "filled.xlsx"
    wb = load_workbook(saved)
    assert wb.sheetnames == [RETURN_SHEET, "Guidance", ABOUT_SHEET]
    assert wb[ABOUT_SHEET].sheet_state == "hidden" and wb[RETURN_SHEET].protection.sheet
    target = paths.raw / "returns" / "from-libreoffice.xlsx"
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(saved, target)
    result = validate_cycle(paths, today=TODAY)
    shutil.rmtree(paths.raw / "returns")
    assert [q for q in result.rejections if q.kind == "returns"] == []
    clean = result.tables["returns"]
    assert len(clean) == len(typed)
    assert set(clean["partner_id"]) == {book.name.removesuffix("-return.xlsx")}


def test_csv_template_filled_in_comes_back_clean_and_blank_rows_are_missing(
    workspace: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    books = _templates(workspace, capsys)
    paths = CyclePaths.of(CYCLE, workspace)
    template = books[-1].with_suffix(".csv")
    with open(template, encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    heads = rows[0]
    first = rows[1]
    first[heads.index("Value")] = str(_typed_value(UNITS[first[heads.index("Measure ID")]], 2))
    first[heads.index("Verified")] = "no"
    target = paths.raw / "returns" / template.name
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target, "w", encoding="utf-8", newline="") as fh:
        csv.writer(fh).writerows(rows)
    result = validate_cycle(paths, today=TODAY)
    shutil.rmtree(paths.raw / "returns")
    assert [q for q in result.rejections if q.kind == "returns"] == []
    clean = result.tables["returns"]
    assert len(rows) > 2  # rows left blank: not returned, so not in the clean table either
    assert clean[["contract_id", "measure_id"]].values.tolist() == [
        [first[heads.index("Contract ID")], first[heads.index("Measure ID")]]
    ]
    assert clean["verified"].tolist() == [False]
