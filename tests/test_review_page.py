"""The reviewer's page and the console summary, from a cycle that went through the validate stage.

The cycle (answers worked out by hand):

- returns/P001.csv: row 2 superseded by row 2 of the resubmission (later date), row 3 accepted,
  row 4 rejected (value `<b>12</b>` is not a number);
- returns/P001-resubmission.csv: row 2 accepted (value 110);
- returns/P002.csv: row 2 accepted, row 3 rejected (value `seven`);
- returns/P002-late.csv: refused whole (no value column); its one data row counts as quarantined;
- partners.csv and contracts.csv: 2 rows each, all accepted.

So 11 rows read = 7 accepted + 3 quarantined + 1 superseded. P001 sent 4 rows: 2 accepted, 1
rejected, 1 superseded; P002 sent 3: 1 accepted, 2 rejected. The value check read 6 return rows
with a value and failed 2: a pass rate of 4/6 = 66.7%.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from html.parser import HTMLParser

import pytest
from rich.console import Console

from pipeline.core.paths import CyclePaths
from pipeline.validate import data_docs
from pipeline.validate.review_page import percent
from pipeline.validate.stage import write_outputs
from tests.helpers.validate_fixtures import REVIEW_FILES, run, workspace


class _Tables(HTMLParser):
    """Cell texts of every table by id: {"id": {"head": [...], "body": [[...]], "foot": [...]}}."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict] = {}
        self._table: dict | None = None
        self._part = "body"
        self._row: list[str] | None = None
        self._cell: list[str] | None = None
        self.links: list[str] = []

    def handle_starttag(self, tag, attrs):  # noqa: ANN001
        a = dict(attrs)
        if tag == "table":
            self._table = self.tables.setdefault(
                a.get("id", ""), {"head": [], "body": [], "foot": []}
            )
        elif tag in ("thead", "tbody", "tfoot"):
            self._part = {"thead": "head", "tbody": "body", "tfoot": "foot"}[tag]
        elif tag == "tr":
            self._row = []
        elif tag in ("td", "th") and self._row is not None:
            self._cell = []
        elif tag == "a":
            self.links.append(a.get("href", ""))

    def handle_endtag(self, tag):  # noqa: ANN001
        if tag in ("td", "th") and self._cell is not None and self._row is not None:
            self._row.append(" ".join("".join(self._cell).split()))
            self._cell = None
        elif tag == "tr" and self._row is not None and self._table is not None:
            if self._part == "body":
                self._table["body"].append(self._row)
            else:
                self._table[self._part] = self._row
            self._row = None
        elif tag == "table":
            self._table = None

    def handle_data(self, data):  # noqa: ANN001
        if self._cell is not None:
            self._cell.append(data)


@pytest.fixture(scope="module")
def page(tmp_path_factory: pytest.TempPathFactory) -> tuple[CyclePaths, str, _Tables]:
    paths = workspace(tmp_path_factory.mktemp("review-page"), REVIEW_FILES)
    write_outputs(paths, run(paths))
    text = (paths.data_quality / "index.html").read_text(encoding="utf-8")
    parsed = _Tables()
    parsed.feed(text)
    return paths, text, parsed


def test_reconciliation_per_file_and_in_total(page) -> None:
    _, _, t = page
    files = {r[0]: r[1:] for r in t.tables["files-table"]["body"]}
    # kind, read, accepted, quarantined, superseded, balances, refused
    assert files["returns/P001.csv"] == ["returns", "3", "1", "1", "1", "yes", ""]
    assert files["returns/P001-resubmission.csv"][1:5] == ["1", "1", "0", "0"]
    assert files["returns/P002.csv"][1:5] == ["2", "1", "1", "0"]
    assert files["returns/P002-late.csv"][1:5] == ["1", "0", "1", "0"]
    assert files["returns/P002-late.csv"][6] == "refused: see below"
    assert t.tables["files-table"]["foot"] == ["All 6 files", "", "11", "7", "3", "1", "yes", "1"]


def test_refused_file_is_named_with_its_reason(page) -> None:
    _, text, _ = page
    section = text[text.index('id="refused"') : text.index('id="checks"')]
    assert "returns/P002-late.csv" in section and "value" in section


def test_partners_rows_sent_accepted_rejected_superseded_and_feedback_links(page) -> None:
    _, _, t = page
    rows = {r[0]: r[1:] for r in t.tables["partners-table"]["body"]}
    assert rows["P001"][:5] == ["Acme Care Ltd", "4", "2", "1", "1"]
    assert rows["P002"][:5] == ["Grays Community Trust", "3", "1", "2", "0"]
    assert "partners/P001.csv" in t.links and "partners/P002.csv" in t.links


def test_every_quarantined_row_with_the_value_as_typed(page) -> None:
    _, text, t = page
    rows = t.tables["quarantine-table"]["body"]
    where = [(r[0], r[1]) for r in rows]
    assert sorted(where) == [
        ("returns/P001.csv", "4"),
        ("returns/P002-late.csv", "whole file"),
        ("returns/P002.csv", "3"),
    ]
    p001 = next(r for r in rows if r[0] == "returns/P001.csv")
    assert p001[2:5] == ["P001", "value", "<b>12</b>"]
    assert p001[5] == "value '<b>12</b>' in column value is not a number"
    # Partner text is escaped: it shows as typed and is never markup.
    assert "<b>12</b>" not in text and "&lt;b&gt;12&lt;/b&gt;" in text


def test_superseded_rows_with_what_replaced_them(page) -> None:
    _, _, t = page
    assert t.tables["superseded-table"]["body"] == [
        [
            "returns/P001.csv",
            "2",
            "C001",
            "CS1-02",
            "2024/25",
            "100",
            "2025-04-10",
            "returns/P001-resubmission.csv, row 2",
            "110",
            "2025-06-01",
        ]
    ]


def test_checks_in_plain_words_with_rows_checked_failed_and_percent(page) -> None:
    _, _, t = page
    failing = {(r[0], r[1]): r[2:] for r in t.tables["failing-checks"]["body"]}
    number = failing[("returns", "value is a number expect_column_values_to_match_regex")]
    assert number == ["value", "6", "2", "66.7%"]
    passing = t.tables["passing-checks"]["body"]
    assert passing and all(r[4] == "0" and r[5] in ("100.0%", "no rows") for r in passing)


def test_page_is_self_contained_and_its_script_is_the_only_one_allowed(page) -> None:
    _, text, t = page
    assert not re.search(r"""(src|href)=["']https?:""", text)
    assert all(not h.startswith(("http:", "https:", "//")) for h in t.links)
    script = re.search(r"<script>(.*?)</script>", text, re.S).group(1)
    digest = base64.b64encode(hashlib.sha256(script.encode()).digest()).decode()
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', text).group(1)
    assert f"script-src 'sha256-{digest}'" in html.unescape(csp)
    assert "gx/index.html" in t.links


def test_percent_never_rounds_a_failure_up_to_100() -> None:
    assert percent(1 - 1 / 5000, failed=1, evaluated=5000) == "99.9%"
    assert percent(1.0, failed=0, evaluated=10) == "100.0%"
    assert percent(2 / 3, failed=1, evaluated=3) == "66.7%"
    assert percent(1.0, failed=0, evaluated=0) == "no rows"


def test_console_summary_names_partners_or_says_how_many_more_and_never_cuts_names(page) -> None:
    paths, _, _ = page
    summary = json.loads(paths.validation_json.read_text(encoding="utf-8"))
    narrow = Console(width=60, record=True, color_system=None)
    data_docs.print_summary(narrow, summary, paths)
    assert "…" not in narrow.export_text()
    wide = Console(width=300, record=True, color_system=None)
    data_docs.print_summary(wide, summary, paths, partners_shown=1)
    text = wide.export_text()
    assert "expect_column_values_to_match_regex on value" in text
    # P002 has the most rejected rows; P001 is left to the page, which is named.
    assert "P002" in text and "P001" not in text
    page = paths.data_quality / "index.html"
    assert f"1 more partners with rejected rows, see {page}#partners" in text
    wide = Console(width=300, record=True, color_system=None)
    data_docs.print_summary(wide, summary, paths)
    text = wide.export_text()
    assert "P001" in text and "P002" in text and "more partners" not in text
