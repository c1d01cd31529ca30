"""Review-cycle helpers that need no git or DVC: params editing, the checklist, the diff page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.checklist import build_checklist, period_from_text, to_markdown
from pipeline.cycle import CycleDiff, set_params_cycle
from pipeline.cycle_diff_html import render_diff_html
from pipeline.dvc_tools import describe_stale
from pipeline.errors import UserError

PARAMS = """\
# Parameters of the review cycle.
cycle: sample   # the cycle dvc repro runs

status:
  on_track: 0.95           # achieved share of target >= this: on track
  at_risk: 0.80
report:
  formats: [html, pdf]
"""


def test_set_params_cycle_changes_only_the_cycle_line(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(PARAMS)
    set_params_cycle(path, "2025-26")
    lines = path.read_text().splitlines()
    before = PARAMS.splitlines()
    assert lines[1] == "cycle: 2025-26   # the cycle dvc repro runs"
    assert lines[:1] + lines[2:] == before[:1] + before[2:]
    assert yaml.safe_load(path.read_text())["status"]["on_track"] == 0.95


def test_set_params_cycle_quotes_an_id_yaml_would_read_as_a_number(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(PARAMS)
    set_params_cycle(path, "2025")
    assert yaml.safe_load(path.read_text())["cycle"] == "2025"
    assert 'cycle: "2025"' in path.read_text()


def test_set_params_cycle_adds_the_key_when_missing_and_ignores_nested_cycle_keys(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text("sample:\n  cycle: not-this-one\n")
    set_params_cycle(path, "c1")
    data = yaml.safe_load(path.read_text())
    assert data == {"cycle": "c1", "sample": {"cycle": "not-this-one"}}


def test_set_params_cycle_rejects_a_name_that_cannot_be_a_folder_or_tag(tmp_path):
    path = tmp_path / "params.yaml"
    path.write_text(PARAMS)
    with pytest.raises(UserError, match="not a valid cycle id"):
        set_params_cycle(path, "../2025")
    assert path.read_text() == PARAMS


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2025-26", "2025/26"),
        ("2025/26", "2025/26"),
        ("fy2025_26", "2025/26"),
        ("2025-2026", "2025/26"),
        ("1999-00", "1999/00"),
        ("2025-27", None),
        ("sample", None),
        (None, None),
    ],
)
def test_period_from_text(text, period):
    assert period_from_text(text) == period


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _raw_cycle(raw: Path) -> None:
    _write(
        raw / "partners.csv",
        "partner_id,name,type\nP1,Alpha Ltd,private\nP2,Beta CIC,vcfs\nP3,Gamma plc,private\n",
    )
    # C1 (P1): live all year, two measures. C2 (P2): live, one measure. C3 (P3): ended before
    # the period, so nothing is owed. C4 (P1): no committed measures.
    _write(
        raw / "contracts.csv",
        "contract_id,partner_id,title,start,end,value_gbp,outcome_measures,linked_to_subject_matter\n"
        "C1,P1,Care,2023-04-01,2027-03-31,100,CS1-01;cs2-06,yes\n"
        "C2,P2,Meals,01/06/2024,31/05/2026,50,CS4-01,no\n"
        "C3,P3,Roads,2020-04-01,2025-03-31,80,CS5-01,yes\n"
        "C4,P1,Audit,2024-04-01,2026-03-31,10,,no\n",
    )
    # P1 sent CS1-01 for this year (measure id typed in lower case) and CS2-06 only for last year.
    _write(
        raw / "returns" / "P1.csv",
        "partner_id,contract_id,measure_id,period,value\n"
        "P1,C1,cs1-01,2025/26,4\nP1,C1,CS2-06,2024/25,3\n",
    )


def test_checklist_lists_what_each_live_contract_owes_and_who_has_not_sent_it(tmp_path):
    raw = tmp_path / "2025-26"
    _raw_cycle(raw)
    checklist = build_checklist(raw, "2025-26")
    assert checklist.period == "2025/26"
    got = checklist.rows[["contract_id", "measure_id", "status"]].values.tolist()
    assert got == [
        ["C1", "CS1-01", "received"],
        ["C1", "CS2-06", "missing"],
        ["C2", "CS4-01", "missing"],
    ]
    assert checklist.rows.loc[0, "source"] == "returns/P1.csv"
    assert checklist.rows.loc[0, "partner_name"] == "Alpha Ltd"
    assert checklist.partners_without_return() == ["P2"]
    assert checklist.summary() == (
        "1 of 3 expected returns received for 2025/26; no return yet from 1 partner(s): P2"
    )


def test_checklist_period_falls_back_to_latest_return_then_today(tmp_path):
    raw = tmp_path / "spring"
    _raw_cycle(raw)
    assert build_checklist(raw, "spring").period == "2025/26"
    empty = tmp_path / "empty"
    empty.mkdir()
    checklist = build_checklist(empty, "empty")
    today = dt.date.today()
    start = today.year if today.month >= 4 else today.year - 1
    assert checklist.period == f"{start}/{(start + 1) % 100:02d}"
    assert checklist.rows.empty
    assert "no contracts.csv" in checklist.notes[0]


def test_checklist_notes_an_unreadable_file_and_carries_on(tmp_path):
    raw = tmp_path / "2025-26"
    _raw_cycle(raw)
    _write(raw / "returns" / "P2.csv", "partner,value\nP2,1\n")  # no contract_id column
    checklist = build_checklist(raw, "2025-26")
    assert len(checklist.rows) == 3
    assert checklist.notes and checklist.notes[0].startswith("returns/P2.csv could not be read")


def test_checklist_rejects_a_badly_written_period(tmp_path):
    with pytest.raises(UserError, match="not a UK financial year"):
        build_checklist(tmp_path, "c1", "2025")


def test_checklist_markdown_keeps_partner_text_inert(tmp_path):
    raw = tmp_path / "2025-26"
    _raw_cycle(raw)
    _write(
        raw / "partners.csv",
        "partner_id,name,type\nP1,<script>alert(1)</script> | [x](http://e.vil),private\n",
    )
    md = to_markdown(build_checklist(raw, "2025-26"))
    row = next(line for line in md.splitlines() if line.startswith("| P1 | ") and "CS1" in line)
    assert "\\<script\\>" in row and "<script>" not in row
    assert "\\[x\\]\\(http://e.vil\\)" in row
    # The name's pipe is escaped, so the row still has exactly the table's 7 cells.
    assert row.replace("\\|", "").count("|") == 8


def test_describe_stale_names_stage_and_what_changed():
    status = {
        "validate": [{"changed deps": {"data/raw/c1": "modified"}}],
        "report": [{"changed outs": {"reports/c1/index.html": "deleted"}}, "always changed"],
    }
    assert describe_stale(status) == (
        "validate (deps: data/raw/c1 modified); "
        "report (outs: reports/c1/index.html deleted; always changed)"
    )


def test_diff_page_compares_metrics_and_plot_rows_and_escapes_text():
    diff = CycleDiff("2024-25", "2025-26")
    diff.metrics[("reports/<cycle>/metrics/outcomes.json", "social_value_gbp")] = (1000, 1250)
    diff.metrics[("reports/<cycle>/metrics/outcomes.json", "CS1.status")] = ("at risk", "on track")
    diff.metrics[("reports/<cycle>/metrics/outcomes.json", "<b>new</b>")] = (None, 3)
    diff.plots["CS1 Social"] = {
        "a": [{"period": "2024/25", "measure": "CS1-01", "value": "10"}],
        "b": [
            {"period": "2024/25", "measure": "CS1-01", "value": "12"},
            {"period": "2025/26", "measure": "<img src=x onerror=alert(1)>", "value": "8"},
        ],
    }
    page = render_diff_html(diff)
    assert "<img" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<b>new" not in page and "&lt;b&gt;new&lt;/b&gt;" in page
    # 1000 -> 1250 is +250, +25.0%; the direction is written, not only coloured.
    assert "▲ up +250 (+25.0%)" in page
    # The 2024/25 figure was revised from 10 to 12 between the cycles.
    assert "▲ up +2 (+20.0%)" in page
    assert "new in the later cycle" in page
    assert "<script" not in page and "http" not in page.replace("http://e.vil", "")
    assert "<link" not in page


def test_diff_page_says_when_there_is_nothing_to_compare():
    page = render_diff_html(CycleDiff("a", "b"))
    assert "Neither cycle recorded metrics" in page
    assert "Neither cycle recorded plot data" in page


def test_checklist_csv_neutralises_formulas(tmp_path):
    from pipeline.checklist import write_checklist

    raw = tmp_path / "2025-26"
    _raw_cycle(raw)
    _write(raw / "partners.csv", 'partner_id,name,type\nP1,=HYPERLINK("http://x"),private\n')
    csv_path, _ = write_checklist(build_checklist(raw, "2025-26"), tmp_path / "reports")
    names = pd.read_csv(csv_path, dtype=str)["partner_name"].dropna().unique().tolist()
    assert names == ['\'=HYPERLINK("http://x")']


def test_compare_tables_accepts_only_the_same_table():
    from pipeline.cycle import _compare_tables

    recorded = pd.DataFrame({"measure_id": ["CS1-01", "CS2-06"], "value": [9.0, float("nan")]})
    assert _compare_tables(recorded, recorded.copy()) == ""  # NaN == NaN: no return, both times
    changed = recorded.assign(value=[9.5, float("nan")])
    assert "value" in _compare_tables(recorded, changed)
    assert _compare_tables(recorded, recorded.iloc[:1]) == (
        "row counts differ: 2 recorded vs 1 reproduced"
    )
    assert _compare_tables(recorded, recorded.assign(run=1)).startswith("columns differ")
    # Same figures but the value now stored as text: not the same table.
    assert _compare_tables(recorded, recorded.astype({"value": "object"})) != ""


def test_diff_page_pairs_rows_by_measure_and_period_and_compares_status_as_text():
    diff = CycleDiff("A", "B")
    diff.plots["CS2 Economic"] = {
        "a": [
            {
                "period": "2024/25",
                "measure": "CS2-06",
                "level": "borough",
                "value": "",
                "status": "no data",
            },
        ],
        "b": [
            {
                "period": "2024/25",
                "measure": "CS2-06",
                "level": "borough",
                "value": "7",
                "status": "on track",
            },
        ],
    }
    page = render_diff_html(diff).replace("\n", "")
    # One row for CS2-06 in 2024/25 (status is compared, not used to tell rows apart).
    assert page.count("<td>CS2-06</td>") == 1
    assert "<td>CS2-06</td><td>borough</td><td>2024/25</td>" in page
    assert "no figure before" in page
    assert (
        '<td class="num">no data</td><td class="num">on track</td><td class="">changed</td>' in page
    )
