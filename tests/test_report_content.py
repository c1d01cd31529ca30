"""What the reports say is right: every figure, label and status, on the real stages' outputs.

The cycle is `report_fixtures` (raw files through the real validate and compute stages); the
answers are worked out by hand in its docstring. Rendered once per session (`conftest.rendered`).
"""

from __future__ import annotations

import math
import re
import xml.etree.ElementTree as ET

import pandas as pd
import pytest

from pipeline.report import charts
from tests.helpers.report_pages import (
    BAD_WORDS,
    assert_captions_kept_with_tables,
    assert_clean_html,
    assert_clean_pdf,
    html_of,
    needs_poppler,
    page_texts,
    pdf_text,
    table,
    visible_text,
)

AUDIENCES = ["council", "P001", "P002", "P003", "P004"]


# ------------------------------------------------------------------ one status rule set


def test_one_overall_status_on_the_index_the_council_report_and_the_partners_own(rendered):
    """P001 every judged measure on track; P002 CS5-01 off track; P003 and P004 each owe a
    return (and nothing is off track): the same word in all three places."""
    expected = {
        "P001": "✔ on track",
        "P002": "✖ off track",
        "P003": "○ no return",
        "P004": "○ no return",
    }
    index = rendered.index_html.read_text(encoding="utf-8")
    council = table(html_of(rendered, "council"), "Partners in 2025/26")
    by_partner = {row[0]: row[2] for row in council[1:]}
    for pid, status in expected.items():
        assert by_partner[pid] == status
        row = re.search(rf">{pid}</th>.*?</tr>", index, re.S)
        assert row and status in row.group(0), pid
        own = visible_text(html_of(rendered, pid))
        assert f"Overall status {status} in 2025/26" in own


def test_no_target_is_its_own_state_and_does_not_block_endorsement(rendered):
    # P001's new contract C-A3 returned CS3-01 = 12 with no target and no earlier year.
    own = table(html_of(rendered, "P001"), "Your figures for 2025/26")
    assert ["CS3-01", "People employed from disadvantaged groups", "12", "—", "—", "—"] + [
        "◇ no target"
    ] in own
    endorse = table(html_of(rendered, "council"), "Partners to endorse")
    assert endorse[1:] == [["P001", "Canary Alpha Ltd"]]


def test_a_new_contract_that_sent_nothing_shows_no_return_and_no_empty_thanks(rendered):
    text = visible_text(html_of(rendered, "P004"))
    assert "CS2-04 Business start-ups supported — — — — ○ no return" in text
    assert "We received no rows from you in this review cycle." in text
    assert "0 of 0" not in text
    assert "Every row you sent was accepted" not in text
    assert "no return with a proxy value" not in text


def test_every_report_states_the_status_rules_in_plain_words(rendered):
    for audience in AUDIENCES:
        text = visible_text(html_of(rendered, audience))
        assert "How status is decided" in text
        assert "on track when at least 95% of the target was achieved" in text
        assert "worse by more than 2% is off track" in text  # as the code judges (CS5-01)
        for state in ("No target:", "No return:", "No data:"):
            assert state in text


# ------------------------------------------------------------------ the two attention lists


def test_returns_to_chase_and_contracts_for_enforcement_are_two_lists(rendered):
    html = html_of(rendered, "council")
    chase = table(html, "Returns to chase")
    assert chase[1:] == [
        ["C-C1", rf_name("P003"), "CS1-02 Volunteering hours", "yes"],
        ["C-D1", "Delta New Ltd", "CS2-04 Business start-ups supported", "no, never returned"],
    ]
    enforce = table(html, "Contracts for enforcement")
    # C-B1 CS5-01: 45 of 60 (75%) in 2024/25 and 33 of 60 (55%) in 2025/26, both off track.
    assert enforce[1:] == [
        ["C-B1", "Bluebird Beta CIC", "CS5-01 Carbon emissions reduced", "2024/25, 2025/26", "yes"]
    ]
    assert "Contracts for management attention: committed measures with no return" not in html


def rf_name(pid: str) -> str:
    from tests.helpers import report_fixtures as rf

    return rf.PARTNERS[pid][0]


# ------------------------------------------------------------------ like-for-like change


def test_headline_changes_are_like_for_like_with_their_coverage(rendered):
    rows = table(html_of(rendered, "council"), "Largest like-for-like changes")
    assert rows[0][2:] == ["2024/25", "2025/26", "Change", "Contracts in both years", "Direction"]
    # CS1-02's total fell 825 -> 707 (-14.3%) because P003 sent nothing; C-A1 alone: +10.5%.
    # CS5-01's total rose 45 -> 53 because C-B2 is new; C-B1 alone fell 45 -> 33: -26.7%.
    assert rows[1:] == [
        ["CS5-01", "Carbon emissions reduced", "45", "33", "-26.7%", "1 of 2", "worse"],
        ["CS2-03", "Spend with local VCFS providers", "40.0%", "45.0%", "+12.5%", "1 of 1"]
        + ["better"],
        ["CS1-02", "Volunteering hours", "640", "707", "+10.5%", "1 of 1", "better"],
        ["CS2-04", "Business start-ups supported", "636", "676", "+6.3%", "3 of 3", "better"],
        ["CS2-06", "Apprenticeships created", "12,602", "13,086", "+3.8%", "2 of 2", "better"],
    ]
    assert "-14.3%" not in visible_text(html_of(rendered, "council"))


def test_partner_change_is_like_for_like_too(rendered):
    own = table(html_of(rendered, "P002"), "Your figures for 2025/26")
    # 45 -> 53 in total (+17.8%), but C-B1 alone 45 -> 33: -26.7%, and off track.
    assert ["CS5-01", "Carbon emissions reduced", "53", "—", "—", "-26.7%", "✖ off track"] in own
    assert "+17.8%" not in visible_text(html_of(rendered, "P002"))


# ------------------------------------------------------------------ council spend measures


def test_council_spend_measures_are_labelled_apart_from_partner_measures(rendered):
    html = html_of(rendered, "council")
    partner = table(html, "CS2 measures reported by partners")
    council = table(html, "Council-level measures in 2025/26")
    assert ["CS2-03", "Spend with local VCFS providers", "45.0%", "50.0%", "90%", "+12.5%"] + [
        "▲ at risk",
        "1",
    ] in partner
    assert council[0] == [
        "Measure",
        "Name",
        "Share of council spend",
        "Change",
        "Status",
        "Payments",
        "Suppliers paid",
    ]
    assert council[1:] == [
        ["CS2-02", "Council spend with Thurrock businesses (council spend)", "70.0%"]
        + ["+10.0 pts", "✔ on track", "4", "4"],
        ["CS2-03", "Spend with local VCFS providers (council spend)", "25.0%", "+25.0 pts"]
        + ["✔ on track", "4", "4"],
    ]
    alts = " ".join(re.findall(r'alt="([^"]*)"', html))
    assert (
        "CS2-03 (council spend) Spend with local VCFS providers: 2023/24 no spend data; "
        "2024/25 0.0%; 2025/26 25.0%" in alts
    )
    # Partner-reported: nobody reported CS2-03 in 2023/24 (C-B1 owed it, but the borough figure
    # is "no data" when no partner reported), 40% in 2024/25 (target 50%).
    assert (
        "CS2-03 Spend with local VCFS providers: 2023/24 no data; 2024/25 40.0% (target 50.0%)"
        in alts
    )


# ------------------------------------------------------------------ charts


def test_trend_chart_draws_each_years_own_target(rendered):
    alts = " ".join(re.findall(r'alt="([^"]*)"', html_of(rendered, "P001")))
    assert (
        "CS1-02 Volunteering hours: 2023/24 610 (target 600); 2024/25 640 (target 650); "
        "2025/26 707 (target 700)" in alts
    )
    # CS3-01 had no target in any year: none is drawn or described. C-A3 began in 2025/26, so
    # nothing was expected before: no data, not no return.
    assert "CS3-01 People employed from disadvantaged groups: 2023/24 no data; " in alts
    assert re.search(r"2025/26 12(\.|;|$)", alts)


def _series(unit: str, values, targets=(None, None, None)) -> charts.Series:
    return ("X-01", "x", unit, list(values), list(targets), ["no return"] * len(values))


SVG = "{http://www.w3.org/2000/svg}"


def _svg(periods, series) -> ET.Element:
    """The trend chart's SVG as a reader's browser or Typst gets it."""
    block = charts.trend_chart("t", periods, series)
    return ET.fromstring(block["svg"])


def _panels(svg: ET.Element) -> list[ET.Element]:
    return [g for g in svg.iter(f"{SVG}g") if g.get("class") == "panel"]


def _y_labels(panel: ET.Element) -> list[str]:
    return [t.text or "" for t in panel.iter(f"{SVG}text") if t.get("class") == "ytick"]


def test_count_measures_get_whole_number_axes():
    svg = _svg(["2023/24", "2024/25", "2025/26"], [_series("count", [1, 2, 1])])
    labels = _y_labels(_panels(svg)[0])
    assert labels == ["0", "1", "2"], labels
    svg = _svg(["a", "b", "c"], [_series("count", [0, 0, 0])])
    labels = _y_labels(_panels(svg)[0])
    assert labels and all(x.isdigit() for x in labels), labels


def test_percent_axis_of_small_shares_never_repeats_a_label():
    labels = _y_labels(_panels(_svg(["a", "b", "c"], [_series("percent", [0.0, 0.0, 0.0])]))[0])
    assert len(labels) > 1 and len(set(labels)) == len(labels), labels


def test_legend_names_every_line_drawn():
    # The first panel has no target, the second has: the legend still names the target line.
    svg = _svg(
        ["a", "b", "c"], [_series("count", [5, 6, 7]), _series("count", [5, 6, 7], [6, 6, 8])]
    )
    legend = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "legend-label"]
    assert legend == ["actual", "target (that year's own)"]
    strokes = [[p.get("stroke") for p in g.iter(f"{SVG}polyline")] for g in _panels(svg)]
    # Two actual lines and one target line, all named in the legend.
    assert strokes == [[charts.ACCENT], [charts.TARGET, charts.ACCENT]]


def test_a_year_without_a_figure_breaks_the_line_and_says_why():
    svg = _svg(["a", "b", "c", "d"], [_series("count", [5, None, 7, 8], [None] * 4)])
    (panel,) = _panels(svg)
    assert len(list(panel.iter(f"{SVG}polyline"))) == 1  # c to d only: no line through b
    assert len(list(panel.iter(f"{SVG}circle"))) == 3
    assert "no return" in [t.text for t in panel.iter(f"{SVG}text")]


def test_panels_are_one_size_in_every_chart():
    one = _svg(["a", "b"], [_series("count", [1, 2], (None, None))])
    five = _svg(["a", "b"], [_series("count", [1, 2], (None, None))] * 5)

    def panel_size(svg):
        rect = next(svg.iter(f"{SVG}clipPath")).find(f"{SVG}rect")
        return rect.get("width"), rect.get("height")

    assert panel_size(one) == panel_size(five)
    assert one.get("width") == five.get("width")
    assert len(_panels(five)) == 5


def test_chart_text_is_text_never_markup():
    label = '<b>x</b> & "q"'
    svg = _svg(["a"], [("X-01", label, "count", [1], [None], ["no return"])])
    titles = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "title"]
    assert titles == [f"X-01 {label}"]  # shown as typed
    assert not list(svg.iter(f"{SVG}b"))


def test_a_chart_is_drawn_whenever_its_data_exist(rendered):
    """Every theme with a figure in any year has its trend chart; no series is all missing."""
    html = html_of(rendered, "council")
    alts = re.findall(r'alt="([^"]*trend per measure[^"]*)"', html)
    assert len(alts) == 4  # CS1, CS2, CS3, CS5 (CS4 has no figure in any year)
    for alt in alts:
        for panel in alt.split(". ")[2:]:
            figures = re.findall(r"\d{4}/\d{2} ([^;(]+)", panel)
            assert any(f.strip() not in {"no return", "no spend data"} for f in figures), panel


# ------------------------------------------------------------------ figures = measures.parquet


def _number(text: str) -> float | None:
    if text in {"—", "not comparable"}:
        return None
    return float(text.replace("£", "").replace(",", "").replace("%", "").replace("+", ""))


@pytest.mark.parametrize("partner", ["P001", "P002", "P003", "P004"])
def test_every_figure_in_a_partners_returns_table_equals_measures_parquet(rendered, partner):
    m = pd.read_parquet(rendered.measures)
    mine = m[(m["level"] == "partner") & (m["partner_id"] == partner)].set_index(
        ["measure_id", "period"]
    )
    rows = table(html_of(rendered, partner), "Your returns by year")
    assert rows[0] == ["Measure", "Year", "Value", "Target", "Achieved", "Change", "Status"]
    assert len(rows) - 1 == len(mine)
    for mid, period, value, target, achieved, change, status in rows[1:]:
        r = mine.loc[(mid, period)]

        def same(shown: str, expected: float, places: int) -> bool:
            got = _number(shown)
            if expected is None or (isinstance(expected, float) and math.isnan(expected)):
                return got is None
            return got is not None and got == round(float(expected), places)

        unit_places = 1 if r["unit"] == "percent" or not float(r["value"] or 0).is_integer() else 0
        assert same(value, r["value"], unit_places), (mid, period, value)
        assert same(target, r["target"], unit_places), (mid, period, target)
        assert same(achieved, r["achieved_share"] * 100, 0), (mid, period, achieved)
        assert same(change, r["lfl_yoy_pct"], 1), (mid, period, change)
        assert status.split(" ", 1)[1] == r["status"], (mid, period, status)


# ------------------------------------------------------------------ data quality


def test_pass_rates_of_partner_returns_and_council_files_are_apart(rendered):
    # returns.csv: 27 figures + 1 superseded first submission + 2 rejected rows = 30 rows,
    # 28 accepted (93%). Council files: 4 partners + 6 contracts + 3 suppliers + 7 payments.
    text = visible_text(html_of(rendered, "council"))
    assert "Returns accepted 93% 28 of 30 rows partners sent" in text
    assert "Council files accepted 100% 20 of 20 rows of the registers and spend" in text
    assert "Partner returns: 28 of 30 rows accepted (93%)" in text
    index = visible_text(rendered.index_html.read_text(encoding="utf-8"))
    assert "partner returns: 93% of rows accepted" in index
    assert "council files: 100% of rows accepted" in index
    assert "reconciles" not in text.lower()
    # The rejecting checks in plain words: P001's "lots (...)" value and P002's CS9-99.
    checks = table(html_of(rendered, "council"), "Checks that rejected rows")
    assert "expect_" not in str(checks)
    assert ["returns", "the value has the expected form", "value"] in [r[:3] for r in checks]


# ------------------------------------------------------------------ summaries


def test_council_summary_sentences_each_trace_to_a_figure_below(rendered):
    html = html_of(rendered, "council")
    text = visible_text(html)
    summary = text.split("Summary", 1)[1].split("Themes on track", 1)[0]
    expected = [
        "2 of 5 themes are on track in 2025/26 (CS1 Social, CS2 Economic); off track: "
        "CS5 Environmental.",
        "3 of 4 registered partners made a return for 2025/26.",
        "The biggest like-for-like improvement was CS2-03 Spend with local VCFS providers: "
        "+12.5% on the 1 contract that reported it in both years.",
        "The biggest like-for-like decline was CS5-01 Carbon emissions reduced: -26.7% on the "
        "1 contract that reported it in both years.",
        "2 committed returns for 2025/26 are missing from 2 partners",
        "1 contract measure has been off track two years running",
        "1 partner met every commitment with a target and can be endorsed: Canary Alpha Ltd.",
        "In 2025/26, 70.0% of council spend went to suppliers in the borough, 70.0% to SMEs "
        "and 45.0% to the voluntary and community sector.",
    ]
    for sentence in expected:
        assert sentence in summary, sentence
    below = text.split("Themes on track", 1)[1]
    # Each figure the summary states is shown further down.
    assert "Partners reporting 3 of 4" in below
    assert "+12.5% 1 of 1 better" in below and "-26.7% 1 of 2 worse" in below
    assert len(table(html, "Returns to chase")) - 1 == 2
    assert len(table(html, "Contracts for enforcement")) - 1 == 1
    assert "2025/26 Suppliers in the borough (CS2-02) 70.0%" in below


def test_partner_summary_sentences_each_trace_to_a_figure_below(rendered):
    text = visible_text(html_of(rendered, "P002"))
    summary = text.split("Summary", 1)[1].split("Overall status", 1)[0]
    for sentence in (
        "Your overall status for 2025/26 is off track: of your 4 measures, 2 on track, "
        "1 at risk, 1 off track.",
        "Your biggest like-for-like decline since last year was CS5-01 Carbon emissions "
        "reduced: -26.7%.",
        "1 of your contract measures has been off track two years running (C-B1 CS5-01)",
        "We could not accept 1 of the 13 rows you sent",
    ):
        assert sentence in summary, sentence
    below = text.split("Overall status", 1)[1]
    assert "CS5-01 Carbon emissions reduced 53 — — -26.7% ✖ off track" in below
    assert "Rows rejected 1 of 13" in below


# ------------------------------------------------------------------ text that must never show


def test_no_report_shows_nan_none_or_an_empty_cell(rendered):
    for audience in AUDIENCES:
        assert_clean_html(html_of(rendered, audience), audience)
    # The reviewer's data-quality page (issue 14) replaced summary.html.
    page = visible_text((rendered.data_quality / "index.html").read_text(encoding="utf-8"))
    assert not BAD_WORDS.search(page)
    assert "The counts reconcile" in page


@needs_poppler
def test_no_pdf_shows_nan_none_or_a_relative_link(rendered):
    for audience in AUDIENCES:
        text = pdf_text(rendered, audience)
        assert_clean_pdf(text, audience)
    assert "Data Docs of review cycle fixture" in pdf_text(rendered, "council")


@needs_poppler
def test_pdf_table_captions_stay_with_their_tables(rendered):
    for audience in AUDIENCES:
        folder = (
            rendered.council_report_dir
            if audience == "council"
            else rendered.partner_report_dir(audience)
        )
        assert_captions_kept_with_tables(folder / "health-check.pdf")


@needs_poppler
def test_a_table_row_never_splits_across_pages(tmp_path):
    """A long table of two-line rows: both lines of every row land on the same page."""
    import nbformat

    from pipeline.report import render_builtin as rbuild
    from pipeline.report.blocks import table as table_block

    filler = " ".join(["words that wrap"] * 12)
    rows = [[f"R{i:03d}", f"first line of {i} {filler} second line of {i}"] for i in range(120)]
    doc = rbuild.document_from_notebook(
        nbformat.v4.new_notebook(cells=[nbformat.v4.new_raw_cell('---\ntitle: "Rows"\n---')])
    )
    doc.parts.append(rbuild.Part("blocks", blocks=[table_block(["Id", "Text"], rows)]))
    pdf = tmp_path / "rows.pdf"
    pdf.write_bytes(rbuild.to_pdf(doc))
    pages = page_texts(pdf)
    assert len(pages) > 2
    for i in range(120):
        on = [n for n, page in enumerate(pages) if f"first line of {i}" in page]
        assert on and f"second line of {i}" in pages[on[0]], i
