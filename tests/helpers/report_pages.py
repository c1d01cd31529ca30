"""Reading a rendered report as a partner would: the HTML's visible text, tags and tables, and
the PDF's text through `pdftotext` (poppler-utils); checks shared by the report tests."""

from __future__ import annotations

import re
import shutil
import subprocess
from html.parser import HTMLParser

import pytest

needs_poppler = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="pdftotext (poppler-utils) is not installed"
)


def html_of(paths, audience: str) -> str:
    folder = (
        paths.council_report_dir if audience == "council" else paths.partner_report_dir(audience)
    )
    return (folder / "health-check.html").read_text(encoding="utf-8")


def pdf_text(paths, audience: str) -> str:
    folder = (
        paths.council_report_dir if audience == "council" else paths.partner_report_dir(audience)
    )
    out = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(folder / "health-check.pdf"), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return " ".join(out.split())  # lines break anywhere in a PDF: compare on single spaces


def visible_text(html: str) -> str:
    """What a reader sees: text nodes, unescaped, whitespace collapsed."""

    class Text(HTMLParser):
        def __init__(self) -> None:
            super().__init__()
            self.parts: list[str] = []
            self.skip = 0

        def handle_starttag(self, tag, attrs):
            if tag in {"style", "script"}:
                self.skip += 1

        def handle_endtag(self, tag):
            if tag in {"style", "script"}:
                self.skip -= 1

        def handle_data(self, data):
            if not self.skip:
                self.parts.append(data)

    p = Text()
    p.feed(html)
    return " ".join(" ".join(p.parts).split())


class Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def tags_of(html: str) -> list[tuple[str, dict[str, str | None]]]:
    p = Tags()
    p.feed(html)
    return p.tags


class Tables(HTMLParser):
    """Every <table> of a page: its caption and its rows of cell texts (header row first)."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: list[dict] = []
        self.cell: list[str] | None = None
        self.row: list[str] | None = None
        self.in_caption = False

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append({"caption": "", "rows": []})
        elif tag == "caption":
            self.in_caption = True
        elif tag == "tr":
            self.row = []
        elif tag in {"td", "th"} and self.row is not None:
            self.cell = []

    def handle_endtag(self, tag):
        if tag == "caption":
            self.in_caption = False
        elif tag in {"td", "th"} and self.cell is not None and self.row is not None:
            self.row.append(" ".join("".join(self.cell).split()))
            self.cell = None
        elif tag == "tr" and self.row is not None:
            self.tables[-1]["rows"].append(self.row)
            self.row = None

    def handle_data(self, data):
        if self.in_caption:
            self.tables[-1]["caption"] += data
        elif self.cell is not None:
            self.cell.append(data)


def tables_of(html: str) -> list[dict]:
    p = Tables()
    p.feed(html)
    return p.tables


def table(html: str, caption_start: str) -> list[list[str]]:
    found = [t for t in tables_of(html) if t["caption"].startswith(caption_start)]
    assert len(found) == 1, [t["caption"] for t in tables_of(html)]
    return found[0]["rows"]


BAD_WORDS = re.compile(r"(?<![\w-])(nan|NaN|None|NaT|inf|-inf|<NA>)(?![\w-])")


def assert_clean_html(html: str, where: str) -> None:
    text = visible_text(html)
    assert not BAD_WORDS.search(text), (where, BAD_WORDS.search(text).group(0))
    for t in tables_of(html):
        for row in t["rows"][1:]:
            for i, cell in enumerate(row):
                assert cell.strip(), (where, t["caption"], row, i)


def assert_clean_pdf(text: str, where: str) -> None:
    hit = BAD_WORDS.search(text)
    assert not hit, (where, text[max(0, hit.start() - 80) : hit.end() + 40])
    assert "../" not in text and "data-quality/index.html:" not in text, where


def page_texts(pdf) -> list[str]:
    out = subprocess.run(
        ["pdftotext", "-layout", "-enc", "UTF-8", str(pdf), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return out.split("\f")


def assert_captions_kept_with_tables(pdf) -> None:
    """No page ends with a table caption (its table on the next page)."""
    for number, page in enumerate(page_texts(pdf), start=1):
        lines = [line.strip() for line in page.splitlines() if line.strip()]
        body = [line for line in lines if not line.startswith("Review cycle ")]
        if body:
            assert not re.match(r"Table \d+:", body[-1]), (pdf, number, body[-1])
