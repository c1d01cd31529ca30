"""Review-cycle helpers that need no git or DVC: params editing, the checklist, the diff page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest
import yaml

from pipeline.core.dvc_tools import describe_stale
from pipeline.core.errors import UserError
from pipeline.core.periods import in_text
from pipeline.cycles.compare_page import render_diff_html
from pipeline.cycles.lifecycle import CycleDiff, set_params_cycle
from pipeline.validate.checklist import build_checklist, to_markdown

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
    assert in_text(text) == period


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
    # Missing returns first (the chasing list), each group by partner, contract and measure.
    assert got == [
        ["C1", "CS2-06", "missing"],
        ["C2", "CS4-01", "missing"],
        ["C1", "CS1-01", "received"],
    ]
    assert checklist.rows.loc[2, "source"] == "returns/P1.csv"
    assert checklist.rows.loc[2, "partner_name"] == "Alpha Ltd"
    assert checklist.partners_without_return() == ["P2"]
    assert checklist.summary() == (
        "1 of 3 expected returns received for 2025/26; no return yet from 1 partner: P2"
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


def test_checklist_csv_neutralises_formulas(tmp_path):
    from pipeline.validate.checklist import write_checklist

    raw = tmp_path / "2025-26"
    _raw_cycle(raw)
    _write(raw / "partners.csv", 'partner_id,name,type\nP1,=HYPERLINK("http://x"),private\n')
    csv_path, _ = write_checklist(build_checklist(raw, "2025-26"), tmp_path / "reports")
    names = pd.read_csv(csv_path, dtype=str)["partner_name"].dropna().unique().tolist()
    assert names == ['\'=HYPERLINK("http://x")']


def test_compare_tables_accepts_only_the_same_table():
    from pipeline.cycles.lifecycle import _compare_tables

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


def _two_cycles() -> CycleDiff:
    """Two closed cycles as their records hold them: outcomes.json, validation.json, plot rows and
    the partner-level theme status table."""
    diff = CycleDiff("2024-25", "2025-26")
    diff.names = {
        "CS2": ("Economic", ""),
        "CS3": ("Equality", ""),
        "CS2-06": ("Apprenticeships", "count"),
        "CS2-08": ("Spend with local <b>SMEs</b>", "GBP"),
        "CS3-01": ("Staff paid the Real Living Wage", "percent"),
    }
    diff.partners = {"P1": "Alpha <script>alert(1)</script> Ltd", "P2": "Beta CIC"}
    diff.outcomes = {
        "a": {
            "cycle": "2024-25",
            "social_value_gbp": 262400.0,
            "themes": {"CS2": {"status": "at risk"}, "CS3": {"status": "on track"}},
        },
        "b": {
            "cycle": "2025-26",
            "social_value_gbp": 301150.5,
            "themes": {"CS2": {"status": "on track"}, "CS3": {"status": "on track"}},
        },
    }
    diff.validation = {
        "a": {"cycle": "2024-25", "pass_rate": 0.9, "totals": {"quarantined": 30}},
        "b": {"cycle": "2025-26", "pass_rate": 0.95, "totals": {"quarantined": 12}},
    }
    row = lambda period, measure, value, status: {  # noqa: E731
        "period": period,
        "measure": measure,
        "level": "borough",
        "value": value,
        "status": status,
    }
    diff.plots = {
        "CS2": {
            "a": [
                row("2023/24", "CS2-06", "10", "at risk"),
                row("2024/25", "CS2-06", "12", "at risk"),
                row("2024/25", "CS2-08", "1200000", "on track"),
            ],
            "b": [
                row("2024/25", "CS2-06", "12", "at risk"),
                row("2025/26", "CS2-06", "18", "on track"),
                row("2025/26", "CS2-08", "1234567.8", "on track"),
            ],
        },
        "CS3": {
            "a": [row("2024/25", "CS3-01", "2.9", "on track")],
            "b": [row("2025/26", "CS3-01", "6.13", "on track")],
        },
    }
    status = lambda period, rows: pd.DataFrame(  # noqa: E731
        [
            {"level": "partner", "partner_id": p, "theme": t, "period": period, "status": s}
            for p, t, s in rows
        ]
    )
    diff.theme_status = {
        "a": status("2024/25", [("P1", "CS2", "on track"), ("P2", "CS2", "off track")]),
        "b": status("2025/26", [("P1", "CS2", "off track"), ("P2", "CS2", "on track")]),
    }
    return diff


def test_diff_page_opens_with_what_changed_in_plain_sentences():
    from pipeline.cycles.compare_page import summary

    lines = summary(_two_cycles())
    assert lines.pop(0) == "Estimated social value rose from £262,400 to £301,150."
    assert lines[0] == "Themes whose status changed: Economic moved from at risk to on track."
    # Apprenticeships 12 -> 18 is +50%; spend 1,200,000 -> 1,234,568 is +3%; the living-wage
    # share 2.9% -> 6.13% is up 3.2 points: largest first, by name.
    assert lines[1] == (
        "Largest changes: Apprenticeships rose from 12 to 18 (50%); "
        "Staff paid the Real Living Wage up 3.2 points (2.9% to 6.1%); "
        "Spend with local <b>SMEs</b> rose from £1,200,000 to £1,234,568 (3%)."
    )
    assert lines[2] == (
        "Partners who slipped from on track: Alpha <script>alert(1)</script> Ltd (P1) on "
        "Economic (off track now)."
    )
    assert lines[3] == "Partners who came back on track: Beta CIC (P2) on Economic (was off track)."
    assert lines[4] == (
        "Data quality improved: 95.0% of rows accepted in 2025-26, 90.0% in 2024-25 "
        "(12 rows held back, 30 the year before)."
    )


def test_diff_page_states_figures_in_their_units_and_never_bookkeeping():
    page = render_diff_html(_two_cycles())
    # Money in pounds with separators, shares in points, status as symbol and word both years.
    assert "£262,400" in page and "£301,150" in page and "up £38,750 (15%)" in page
    assert "up 3.2 points" in page
    assert "▲ at risk</strong> in 2024-25, <strong>✔ on track</strong> in 2025-26" in page
    assert 'data-label="Status 2025-26">✔ on track' in page
    # Both cycles' series drawn, with a text alternative that gives the figures.
    assert page.count("<svg") == 3
    assert "Apprenticeships, by financial year. 2024-25: 2023/24 10, 2024/25 12; " in page
    for bookkeeping in ("generated_at", "latest_period", "cycle:", "e+0"):
        assert bookkeeping not in page
    # Partner and measure names are text, never markup.
    assert "<script>alert" not in page and "<b>SMEs" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "http" not in page and "<link" not in page


def test_diff_page_without_the_cycles_tables_says_so():
    diff = _two_cycles()
    diff.theme_status = {}
    page = render_diff_html(diff)
    assert "Partner detail is not available" in page
    assert "Themes whose status changed: Economic" in page


@pytest.mark.parametrize(
    ("cycle", "period"),
    [("2025-26", "2025/26"), ("1999-00", "1999/00"), ("2025-27", None), ("2025/26", None)],
)
def test_a_financial_year_cycle_id_names_its_year(cycle, period):
    from pipeline.core.periods import of_cycle

    assert of_cycle(cycle) == period


def test_open_refuses_an_id_that_is_not_a_financial_year_unless_named(tmp_path):
    from pipeline.cycles.lifecycle import open_cycle

    (tmp_path / "params.yaml").write_text(PARAMS)
    with pytest.raises(UserError, match="not a financial year like 2025-26.*--name"):
        open_cycle(tmp_path, "2025-26x")
    assert (tmp_path / "params.yaml").read_text() == PARAMS
    open_cycle(tmp_path, "pilot", name=True)
    assert yaml.safe_load((tmp_path / "params.yaml").read_text())["cycle"] == "pilot"


def test_open_adds_the_cycle_to_the_pipeline_and_drops_the_bundled_sample(tmp_path):
    from pipeline.cycles.lifecycle import open_cycle

    path = tmp_path / "params.yaml"
    path.write_text(
        PARAMS.replace(
            "cycle: sample   # the cycle dvc repro runs\n",
            "cycle: sample\ncycles: [sample]  # built by dvc.yaml\n",
        )
    )
    open_cycle(tmp_path, "2024-25")
    open_cycle(tmp_path, "2025-26")
    open_cycle(tmp_path, "2024-25")  # re-opened: listed once
    text = path.read_text()
    assert "cycles: [2024-25, 2025-26]  # built by dvc.yaml" in text
    assert yaml.safe_load(text)["cycle"] == "2024-25"


def test_run_in_the_dvc_pipeline_takes_its_options_from_params(tmp_path, capsys):
    """Through DVC, `svf run` cannot pass command-line options to the stages (DVC records the
    params instead), so it says so rather than silently ignoring them."""
    from pipeline.cli.app import main

    (tmp_path / ".dvc").mkdir()
    (tmp_path / "dvc.yaml").write_text("stages: {}\n")
    (tmp_path / "params.yaml").write_text("cycle: 2025-26\ncycles: [2025-26]\n")
    (tmp_path / "data/raw/2025-26").mkdir(parents=True)
    with pytest.raises(SystemExit) as info:
        main(["run", "--workspace", str(tmp_path), "--formats", "html", "--strict"])
    err = " ".join(capsys.readouterr().err.split())
    assert info.value.code == 2
    assert "error: --strict, --formats: through DVC, svf run takes these from params.yaml" in err
    assert "--no-dvc" in err


def test_diff_ranks_like_for_like_changes_when_enough_partners_reported_both_years():
    from pipeline.cycles.compare_page import largest_changes

    diff = _two_cycles()
    diff.measures["b"] = pd.DataFrame(
        [
            # Two partners reported apprenticeships both years: up 20% like for like, although
            # all partners together went from 12 to 18 (a new partner joined).
            {
                "level": "borough",
                "measure_id": "CS2-06",
                "period": "2025/26",
                "lfl_yoy_pct": 20.0,
                "lfl_partners": 2,
            },
            # One partner is that partner's news, not a trend: ranked on all partners instead.
            {
                "level": "borough",
                "measure_id": "CS2-08",
                "period": "2025/26",
                "lfl_yoy_pct": 400.0,
                "lfl_partners": 1,
            },
        ]
    )
    assert largest_changes(diff, n=2) == [
        "Largest changes: Apprenticeships rose 20% like for like (2 partners reporting both "
        "years; all partners: 12 to 18); Staff paid the Real Living Wage up 3.2 points "
        "(2.9% to 6.1%)."
    ]
