"""What the validate stage writes: clean, superseded, quarantine, validation.json, Data Docs,
the summary page and the partner feedback files."""

from __future__ import annotations

import csv
import json

import pandas as pd
import pytest
from rich.console import Console

from pipeline.core.paths import CyclePaths
from pipeline.validate.stage import exit_status, run_validate_stage, write_outputs
from tests.helpers.validate_fixtures import TODAY, returns_csv, run, workspace

P001 = returns_csv(
    # row 2: first submission, superseded by row 2 of the resubmission (a later date)
    "P001,C001,CS1-02,2024/25,100,,,Timesheets,yes,,2025-04-10",
    # row 3: superseded by row 4 in the same file
    "P001,C001,CS1-06,2024/25,40,,,Records,yes,,2025-04-10",
    "P001,C001,CS1-06,2024/25,45,,,Records,yes,corrected,2025-05-01",
    # rows 5 and 6: exact duplicates; the second is quarantined
    "P001,C001,CS2-08,2024/25,900,,,Ledger,yes,,2025-04-10",
    "P001,C001,CS2-08,2024/25,900,,,Ledger,yes,,2025-04-10",
    # rows 7 and 8: same key and date, different figures: both quarantined
    "P001,C001,CS2-08,2023/24,500,,,Ledger,yes,,2024-04-10",
    "P001,C001,CS2-08,2023/24,550,,,Ledger,yes,,2024-04-10",
    # row 9: a formula and markup typed by the partner, in a failing row
    'P001,C001,CS1-02,2023/24,<script>alert(1)</script>,,,Timesheets,yes,"=HYPERLINK(""x"")",2024-04-10',
)
P001_RESUBMISSION = returns_csv("P001,C001,CS1-02,2024/25,110,,,Timesheets,yes,revised,2025-06-01")
P002 = returns_csv(
    "P002,C002,CS1-01,2024/25,7,,,Register,yes,,2025-04-10",
    "P002,C002,CS1-01,2023/24,seven,,,Register,yes,secret of P002,2024-04-10",
)
FILES = {
    "returns/P001.csv": P001,
    "returns/P001-resubmission.csv": P001_RESUBMISSION,
    "returns/P002.csv": P002,
}


@pytest.fixture(scope="module")
def written(tmp_path_factory: pytest.TempPathFactory) -> tuple[CyclePaths, dict]:
    paths = workspace(tmp_path_factory.mktemp("outputs"), FILES)
    summary = write_outputs(paths, run(paths))
    return paths, summary


def test_later_submission_supersedes_earlier(written: tuple[CyclePaths, dict]) -> None:
    paths, _ = written
    superseded = pd.read_parquet(paths.superseded)
    pairs = sorted(
        zip(
            superseded["source_file"],
            superseded["source_row"],
            superseded["superseded_by_file"],
            superseded["superseded_by_row"],
            strict=True,
        )
    )
    assert pairs == [
        ("returns/P001.csv", 2, "returns/P001-resubmission.csv", 2),
        ("returns/P001.csv", 3, "returns/P001.csv", 4),
    ]
    returns = pd.read_parquet(paths.clean_table("returns"))
    latest = returns[(returns["measure_id"] == "CS1-02") & (returns["period"] == "2024/25")]
    assert latest["value"].tolist() == [110.0]
    # Exactly one clean row per contract, measure and period.
    assert not returns.duplicated(["contract_id", "measure_id", "period"]).any()


def test_duplicates_and_conflicts_are_quarantined(written: tuple[CyclePaths, dict]) -> None:
    paths, _ = written
    q = pd.read_parquet(paths.quarantine)
    mine = q[q["source_file"] == "returns/P001.csv"].set_index("source_row")
    assert mine.at[6, "expectation"] == "row_is_not_an_exact_duplicate"
    assert "repeats row 5 of returns/P001.csv" in mine.at[6, "reason"]
    for row in (7, 8):
        assert mine.at[row, "expectation"] == "expect_compound_columns_to_be_unique"
        assert (
            "conflicting returns for contract C001, measure CS2-08, period 2023/24"
            in (mine.at[row, "reason"])
        )
    # The record keeps the cells as the partner typed them.
    assert json.loads(mine.at[9, "record"])["value"] == "<script>alert(1)</script>"


def test_validation_json_reconciles_per_file_and_in_total(written: tuple[CyclePaths, dict]) -> None:
    paths, summary = written
    on_disk = json.loads(paths.validation_json.read_text(encoding="utf-8"))
    assert on_disk["totals"] == summary["totals"]
    files = {f["file"]: f for f in on_disk["files"]}
    assert {
        k: files["returns/P001.csv"][k] for k in ("rows", "clean", "quarantined", "superseded")
    } == {"rows": 8, "clean": 2, "quarantined": 4, "superseded": 2}
    assert on_disk["totals"] == {
        "rows": 8 + 1 + 2 + 4,
        "clean": 2 + 1 + 1 + 4,
        "quarantined": 4 + 1,
        "superseded": 2,
    }
    assert on_disk["reconciles"] is True
    assert on_disk["pass_rate"] == round(10 / 15, 6)
    assert on_disk["partners"] == {
        "P001": {"rows": 9, "quarantined": 4},
        "P002": {"rows": 2, "quarantined": 1},
    }
    number = next(
        e
        for e in on_disk["expectations"]
        if e["kind"] == "returns"
        and e["expectation"] == "expect_column_values_to_match_regex"
        and e["column"] == "value"
    )
    assert (number["evaluated"], number["failed"]) == (11, 2)
    assert number["pass_rate"] == round(9 / 11, 6)
    assert paths.clean_table("partners").exists() and paths.clean_table("contracts").exists()


def test_partner_feedback_holds_only_that_partners_rows(written: tuple[CyclePaths, dict]) -> None:
    paths, _ = written
    folder = paths.data_quality / "partners"
    assert sorted(p.name for p in folder.iterdir()) == ["P001.csv", "P002.csv"]
    with open(folder / "P001.csv", encoding="utf-8", newline="") as fh:
        p001 = list(csv.DictReader(fh))
    assert [(r["file"], r["row"]) for r in p001] == [
        ("returns/P001.csv", "6"),
        ("returns/P001.csv", "7"),
        ("returns/P001.csv", "8"),
        ("returns/P001.csv", "9"),
    ]
    assert "secret of P002" not in (folder / "P001.csv").read_text(encoding="utf-8")
    row9 = p001[-1]
    assert row9["problem"] == ("value '<script>alert(1)</script>' in column value is not a number")
    # A formula typed by a partner is neutralised for spreadsheets.
    assert row9["comment"] == '\'=HYPERLINK("x")'
    with open(folder / "P002.csv", encoding="utf-8", newline="") as fh:
        p002 = list(csv.DictReader(fh))
    assert [(r["row"], r["value"]) for r in p002] == [("3", "seven")]


def test_data_docs_and_reviewer_page_show_partner_text_as_text(
    written: tuple[CyclePaths, dict],
) -> None:
    paths, _ = written
    site = paths.data_quality / "gx"
    assert (site / "index.html").exists()
    pages = [p for p in paths.data_quality.rglob("*.html") if "partners" not in p.parts]
    assert len(pages) > 3  # the reviewer's page, GX's index, suites, validation results
    for page in pages:
        assert "<script>alert(1)</script>" not in page.read_text(encoding="utf-8"), page
    assert any(
        "&lt;script&gt;alert(1)&lt;/script&gt;" in p.read_text(encoding="utf-8")
        for p in (site / "validations").rglob("*.html")
    )
    review = (paths.data_quality / "index.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in review
    assert "row_is_not_an_exact_duplicate" in review


def test_rerun_removes_feedback_for_partners_with_nothing_left(tmp_path) -> None:  # noqa: ANN001
    paths = workspace(tmp_path, FILES)
    write_outputs(paths, run(paths))
    (paths.raw / "returns" / "P002.csv").write_text(
        returns_csv("P002,C002,CS1-01,2024/25,7,,,Register,yes,,2025-04-10"), encoding="utf-8"
    )
    write_outputs(paths, run(paths))
    assert not (paths.data_quality / "partners" / "P002.csv").exists()
    assert (paths.data_quality / "partners" / "P001.csv").exists()


def test_strict_gate_fails_on_any_quarantine(written: tuple[CyclePaths, dict]) -> None:
    _, summary = written
    assert exit_status(summary, strict=True) == 1
    assert exit_status(summary, strict=False) == 0
    clean = {"files": [{"file_error": None}], "totals": {"quarantined": 0}}
    assert exit_status(clean, strict=True) == 0
    # An unreadable file has no rows to count but still fails the gate.
    unreadable = {"files": [{"file_error": "x.pdf: not a CSV"}], "totals": {"quarantined": 0}}
    assert exit_status(unreadable, strict=True) == 1


@pytest.mark.slow
def test_stage_runs_the_notebook_and_prints_the_summary(tmp_path) -> None:  # noqa: ANN001
    import shutil

    from tests.helpers.validate_fixtures import ROOT

    paths = workspace(tmp_path, FILES)
    (tmp_path / "notebooks").mkdir()
    shutil.copy(ROOT / "notebooks" / "01_validate.ipynb", tmp_path / "notebooks")
    with open(tmp_path / "console.txt", "w", encoding="utf-8") as fh:
        console = Console(file=fh, width=120)
        assert run_validate_stage(paths, strict=True, console=console, today=TODAY) == 1
    text = (tmp_path / "console.txt").read_text(encoding="utf-8")
    assert "15 rows: 8 accepted, 5 quarantined, 2 superseded" in text
    assert "strict: 5 rows and 0 whole files quarantined" in text
    executed = paths.executed / "01_validate.ipynb"
    assert "8 accepted" in executed.read_text(encoding="utf-8")


def test_clean_cycle_writes_empty_quarantine_and_no_feedback(tmp_path) -> None:  # noqa: ANN001
    paths = workspace(
        tmp_path,
        {"returns/P002.csv": returns_csv("P002,C002,CS1-01,2024/25,7,,,Register,yes,,2025-04-10")},
    )
    summary = write_outputs(paths, run(paths))
    assert summary["totals"] == {"rows": 5, "clean": 5, "quarantined": 0, "superseded": 0}
    quarantine = pd.read_parquet(paths.quarantine)
    assert quarantine.empty
    assert list(quarantine.columns) == [
        "kind",
        "source_file",
        "source_row",
        "column",
        "expectation",
        "reason",
        "partner_id",
        "record",
    ]
    assert pd.read_parquet(paths.superseded).empty
    assert pd.read_parquet(paths.clean_table("spend")).empty  # no spend file: an empty table
    assert not list((paths.data_quality / "partners").glob("*.csv"))
    assert exit_status(summary, strict=True) == 0
