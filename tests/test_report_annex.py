"""The council's long lists: the report shows the most urgent rows of each, and the workbook
`council-lists.xlsx` beside it holds every row.

The cycle is `report_fixtures` (raw files through the real validate and compute stages) with
`report.council_list_rows: 1` in its params.yaml, so the council's report shows one row of each
list: returns to chase (2 rows) and partners (4) are cut, with a sentence naming the total and
the workbook; contracts for enforcement (1) and partners to endorse (1) are exactly at the limit
and are shown whole, with no sentence. Every expected row is worked out by hand from the
fixture's docstring and tables (`report_fixtures.PARTNERS`, `CONTRACTS`, `RETURNS`).

Order (`pipeline.report.council_lists`): returns to chase, largest contract first: C-C1
(95,000) before C-D1 (80,000). Partners, worst overall status first, then most rows rejected:
P002 off track; P003 and P004 no return (no rows rejected either), by id; P001 on track.
"""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from rich.console import Console

from pipeline.core.paths import CyclePaths
from pipeline.outcomes.stage import compute_cycle
from pipeline.report.stage import run_report_stage
from pipeline.validate.stage import validate_cycle, write_outputs
from tests.conftest import RENDERERS
from tests.helpers import report_fixtures as rf
from tests.helpers import shared
from tests.helpers.report_pages import (
    html_of,
    needs_poppler,
    pdf_text,
    table,
    tags_of,
    visible_text,
)

WORKBOOK = "council-lists.xlsx"
P003 = rf.PARTNERS["P003"][0]
START, END, NEW = dt.datetime(2023, 4, 1), dt.datetime(2027, 3, 31), dt.datetime(2025, 4, 1)

# ------------------------------------------------------------------ every row, by hand

#: Returns to chase: C-C1 (P003, 95,000) reported CS1-02 in 2023/24 and 2024/25, nothing in
#: 2025/26; C-D1 (P004, 80,000, new) committed to CS2-04 and sent nothing.
CHASE = [
    ["Contract", "Partner", "Partner name", "Measure", "Measure name", "Year"]
    + ["Returned in an earlier year", "Contract value (£)", "Contract start", "Contract end"],
    ["C-C1", "P003", P003, "CS1-02", "Volunteering hours", "2025/26", "yes", 95000, START, END],
    ["C-D1", "P004", "Delta New Ltd", "CS2-04", "Business start-ups supported", "2025/26", "no"]
    + [80000, NEW, END],
]
#: C-B1 CS5-01: 45 of 60 (75%) in 2024/25 and 33 of 60 (55%) in 2025/26, off track against its
#: target both years (2023/24: 52 of 60, 87%, at risk).
ENFORCEMENT = [
    ["Contract", "Partner", "Partner name", "Measure", "Measure name", "Years off track"]
    + ["Years", "Against target", "Contract value (£)", "Contract start", "Contract end"],
    ["C-B1", "P002", "Bluebird Beta CIC", "CS5-01", "Carbon emissions reduced", 2]
    + ["2024/25, 2025/26", "yes", 340000, START, END],
]
#: P001: C-A1 1,200,000 + C-A3 50,000.
ENDORSE = [
    ["Partner", "Partner name", "Contracts", "Value of contracts (£)"],
    ["P001", "Canary Alpha Ltd", 2, 1250000],
]
#: Rows sent (the returns file's rows per partner, rejected ones included) and rejected:
#: P001 3 CS2-06 + 4 CS1-02 (650 revised to 707) + 3 CS2-04 + 1 CS3-01 + 1 rejected ("lots")
#: = 12, 1 rejected; P002 3 CS2-06 + 3 CS5-01 + 3 CS2-04 + 2 CS2-03 + 1 CS5-01 on C-B2
#: + 1 rejected (CS9-99) = 13, 1 rejected; P003 2 CS1-02 + 3 CS2-04 = 5; P004 nothing.
PARTNERS = [
    ["Partner", "Partner name", "Overall status", "Rows sent", "Rows rejected", "Contracts"]
    + ["Value of contracts (£)"],
    ["P002", "Bluebird Beta CIC", "off track", 13, 1, 2, 400000],
    ["P003", P003, "no return", 5, 0, 1, 95000],
    ["P004", "Delta New Ltd", "no return", 0, 0, 1, 80000],
    ["P001", "Canary Alpha Ltd", "on track", 12, 1, 2, 1250000],
]
NO_OUTCOMES = [
    ["Contract", "Partner", "Partner name", "Contract title", "Contract value (£)"]
    + ["Contract start", "Contract end"]
]
SHEETS = {
    "Contracts without outcomes": NO_OUTCOMES,
    "Returns to chase": CHASE,
    "Contracts for enforcement": ENFORCEMENT,
    "Partners to endorse": ENDORSE,
    "Partners": PARTNERS,
}


def _render_limited(root: Path, renderer: str) -> None:
    paths = rf.write_workspace(root)
    paths.params.write_text("report:\n  council_list_rows: 1\n", encoding="utf-8")
    # P001 too: two audiences render in the pool's worker processes, so this test process never
    # runs Typst itself (a process that has is not forked again: `render_builtin`).
    code = run_report_stage(
        paths,
        partners="P001",
        renderer=renderer,
        formats=["html", "pdf"],
        jobs=2,
        console=Console(stderr=True, quiet=True),
    )
    assert code == 0


@pytest.fixture(scope="module", params=RENDERERS)
def limited(request: pytest.FixtureRequest) -> CyclePaths:
    """The fixture cycle's council report (and P001's) with one row of each long list, by each
    renderer."""
    root = shared.built_once(
        f"reports-list-rows-1-{request.param}", lambda r: _render_limited(r, request.param)
    )
    return CyclePaths.of("fixture", root)


def _sheet(path: Path, name: str) -> list[list[object]]:
    ws = openpyxl.load_workbook(path)[name]
    return [list(r) for r in ws.iter_rows(values_only=True)]


# ------------------------------------------------------------------ the report


def _sentence(total: int, order: str, sheet: str) -> str:
    return (
        f"Showing 1 of {total}, {order}. Every one is in the workbook {WORKBOOK} "
        f'(sheet "{sheet}"), beside this report.'
    )


def test_report_shows_the_most_urgent_rows_and_says_how_many_there_are(limited):
    html = html_of(limited, "council")
    assert table(html, "Returns to chase")[1:] == [
        ["C-C1", P003, "CS1-02 Volunteering hours", "yes"]
    ]
    assert table(html, "Partners in 2025/26")[1:] == [
        ["P002", "Bluebird Beta CIC", "✖ off track", "13", "1"]
    ]
    text = visible_text(html)
    assert _sentence(2, "largest contracts first", "Returns to chase") in text
    assert _sentence(4, "worst status first, then most rows rejected", "Partners") in text
    # At the limit, a list is shown whole, with no sentence.
    assert len(table(html, "Contracts for enforcement")) - 1 == 1
    assert table(html, "Partners to endorse")[1:] == [["P001", "Canary Alpha Ltd"]]
    assert text.count("Every one is in the workbook") == 2
    assert "C-D1" not in text  # the second return to chase is in the workbook only
    # The captions say a cut table is a part, before a reader reads it (inside a caption's own
    # parentheses when it has them); a list shown whole says nothing.
    captions = re.findall(r"<caption>(.*?)</caption>", html, flags=re.S)
    assert any(
        c.endswith("committed measures with no return for 2025/26 (the first 1 of 2)")
        for c in captions
    ), captions
    assert any(
        c.endswith("(overall: the worst status among the partner&#39;s measures; the first 1 of 4)")
        for c in captions
    ), captions
    assert not any("the first 1 of 1)" in c for c in captions)


def test_the_sentence_links_to_the_workbook_beside_the_report(limited):
    html = html_of(limited, "council")
    links = [a.get("href") for t, a in tags_of(html) if t == "a"]
    assert links.count(WORKBOOK) == 2  # a relative link, once per list that was cut
    assert (limited.council_report_dir / WORKBOOK).is_file()


@needs_poppler
def test_pdf_shows_the_same_rows_and_links_the_workbook(limited):
    text = pdf_text(limited, "council")
    assert _sentence(2, "largest contracts first", "Returns to chase") in text
    assert "C-C1" in text and "C-D1" not in text  # the second return to chase is not shown
    pdf = (limited.council_report_dir / "health-check.pdf").read_bytes()
    # A link annotation to the workbook, relative: it opens from the council's report folder.
    assert len(re.findall(rb"/URI ?\(council-lists\.xlsx\)", pdf)) == 2


# ------------------------------------------------------------------ the workbook


def test_workbook_holds_every_row_of_every_list_in_the_reports_order(limited):
    book = limited.council_report_dir / WORKBOOK
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames == ["About", *SHEETS]
    for name, rows in SHEETS.items():
        assert _sheet(book, name) == rows, name
    # The report's rows are the first rows of the workbook's (same order).
    chase = _sheet(book, "Returns to chase")
    assert table(html_of(limited, "council"), "Returns to chase")[1][:1] == [chase[1][0]]


def test_workbook_reads_as_a_spreadsheet(limited):
    wb = openpyxl.load_workbook(limited.council_report_dir / WORKBOOK)
    ws = wb["Returns to chase"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:J3"
    assert all(c.font.b for c in ws[1])
    value, start = ws["H2"], ws["I2"]
    assert value.data_type == "n" and value.number_format == "#,##0"
    assert start.is_date and start.number_format == "dd/mm/yyyy"
    assert ws.column_dimensions["C"].width >= 30  # partner names fit
    about = [[c for c in r if c is not None] for r in wb["About"].iter_rows(values_only=True)]
    assert ["Review cycle", "fixture"] in about
    assert ["Latest year", "2025/26"] in about
    generated = next(r[1] for r in about if r and r[0] == "Generated (UTC)")
    assert isinstance(generated, dt.datetime)
    counts = {r[0]: r[1] for r in about if r and r[0] in SHEETS}
    assert counts == {name: len(rows) - 1 for name, rows in SHEETS.items()}
    assert any("every row" in str(c) for r in about for c in r)


# ------------------------------------------------------------------ partner-typed text


HOSTILE_NAME = '=HYPERLINK("http://example.org/x","click")'
HOSTILE_TITLE = "=1+1"


def _render_hostile(root: Path) -> None:
    """P004 renamed to a formula, and a contract C-E1 of P004's committing to no measure and
    titled `=1+1`; validate and compute run again on the changed registers."""
    paths = rf.write_workspace(root)
    raw = root / "data" / "raw" / paths.cycle
    partners = (raw / "partners.csv").read_text(encoding="utf-8")
    (raw / "partners.csv").write_text(
        partners.replace("Delta New Ltd", '"' + HOSTILE_NAME.replace('"', '""') + '"'),
        encoding="utf-8",
    )
    with (raw / "contracts.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"C-E1,P004,{HOSTILE_TITLE},2025-04-01,2027-03-31,70000,,yes\n")
    write_outputs(paths, validate_cycle(paths, today=rf.TODAY))
    compute_cycle(paths)
    paths.params.write_text("report:\n  council_list_rows: 1\n", encoding="utf-8")
    code = run_report_stage(
        paths, partners="none", renderer="builtin", formats=["html"], jobs=1, console=None
    )
    assert code == 0


def test_partner_typed_text_that_looks_like_a_formula_stays_text():
    paths = CyclePaths.of("fixture", shared.built_once("reports-hostile-annex", _render_hostile))
    book = paths.council_report_dir / WORKBOOK
    wb = openpyxl.load_workbook(book)
    names = [
        c
        for sheet in ("Returns to chase", "Partners")
        for column in wb[sheet].iter_cols()
        if column[0].value == "Partner name"
        for c in column[1:]
    ]
    hostile = [c for c in names if c.value == HOSTILE_NAME]
    assert len(hostile) == 2  # P004 owes a return and is a partner
    assert all(c.data_type == "s" and c.quotePrefix for c in hostile)
    title = wb["Contracts without outcomes"]["D2"]
    assert (title.value, title.data_type) == (HOSTILE_TITLE, "s")
    with zipfile.ZipFile(book) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/")]
        assert sheets and not any(b"<f>" in z.read(n) or b"<f " in z.read(n) for n in sheets)
    # The report shows them as typed, too.
    html = html_of(paths, "council")
    assert table(html, "Current contracts that commit to no outcome measure")[1:] == [
        ["C-E1", HOSTILE_NAME, HOSTILE_TITLE]
    ]


# ------------------------------------------------------------------ council only


def test_a_partner_report_beside_a_cut_list_has_no_sentence_and_no_link(limited):
    html = html_of(limited, "P001")
    assert "council-lists" not in html and "Every one is in the workbook" not in html


@needs_poppler
def test_partner_reports_never_link_to_or_include_the_workbook(rendered):
    for pid in rf.PARTNERS:
        folder = rendered.partner_report_dir(pid)
        assert not list(folder.glob("*.xlsx")), pid
        assert "council-lists" not in html_of(rendered, pid), pid
        assert b"council-lists" not in (folder / "health-check.pdf").read_bytes(), pid
        assert "council-lists" not in pdf_text(rendered, pid), pid


def test_index_links_the_workbook_on_the_council_row_only(rendered):
    index = rendered.index_html.read_text(encoding="utf-8")
    hrefs = [a.get("href") for t, a in tags_of(index) if t == "a"]
    assert hrefs.count(f"council/{WORKBOOK}") == 1
    council_row = re.search(r">council</th>.*?</tr>", index, re.S)
    assert council_row and f"council/{WORKBOOK}" in council_row.group(0)
    assert (rendered.reports / "council" / WORKBOOK).is_file()


def test_short_lists_are_shown_whole_with_no_sentence(rendered):
    """With the default limit (25), every list of the 4-partner fixture is shown whole: the
    report is as before, and the workbook is written all the same."""
    text = visible_text(html_of(rendered, "council"))
    assert "Every one is in the workbook" not in text
    assert len(table(html_of(rendered, "council"), "Partners in 2025/26")) - 1 == 4
    assert _sheet(rendered.council_report_dir / WORKBOOK, "Partners") == PARTNERS


@pytest.mark.parametrize("value", ["0", "ten", "true", "2.5"])
def test_the_list_limit_must_be_a_whole_number_from_one(tmp_path: Path, value: str):
    from pipeline.core.errors import UserError
    from pipeline.core.settings import load_params, load_settings

    assert load_settings(tmp_path / "none.yaml").report.council_list_rows == 25
    bad = tmp_path / "params.yaml"
    bad.write_text(f"report:\n  council_list_rows: {value}\n")
    with pytest.raises(UserError, match=r"params\.yaml: report\.council_list_rows must be a whole"):
        load_params(bad)
