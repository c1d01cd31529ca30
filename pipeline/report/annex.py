"""The council's workbook annex, `council-lists.xlsx`: every row of the report's long lists.

The council's report shows the first `report.council_list_rows` rows of each list that grows
with the partners and contracts (`pipeline.report.council_lists`); an analyst chases 1,599
returns from a list she can filter and sort, not from page 60 of a PDF. The report stage writes
this workbook beside the council's report (`reports/<cycle>/council/`), once per run, whichever
executor renders it:

- a first sheet, About: the cycle, when it was produced, who it is for, and what each sheet
  lists, in what order, and how many rows the report shows;
- one sheet per list, every row, in the report's order: a bold header row that stays in view
  (frozen) with filters, column widths to fit, numbers as numbers (pounds with a thousands
  separator), dates as dates, and every text a partner or the council typed stored as text:
  a partner called `=HYPERLINK(...)` is a name, never a formula (the cell's type is set to text
  and marked with a quote prefix, so a spreadsheet keeps it text even when the cell is edited).

It holds what the council's report holds, no more: the council only. A partner's report never
links to it. Written with openpyxl in write-only mode (rows stream to disk, so memory does not
grow with the rows), atomically, and byte for byte the same for the same cycle when
`SOURCE_DATE_EPOCH` is set (`pipeline.core.clock`).
"""

from __future__ import annotations

import datetime as dt
import io
import re
import textwrap
import zipfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pipeline.core import clock
from pipeline.core.atomic import FORMULA_PREFIXES, write_bytes
from pipeline.report.council_lists import CouncilList, Field, council_lists
from pipeline.report.views import AudienceView

ABOUT = "About"
FONT = "Calibri"
#: Number formats: pounds and counts with a thousands separator, dates as the UK writes them.
FORMATS = {
    "money": "#,##0",
    "count": "#,##0",
    "date": "dd/mm/yyyy",
    "datetime": "dd/mm/yyyy hh:mm",
}
#: The About sheet's columns of words: the characters of a line (longer texts take more lines).
ORDER_CHARS, LISTS_CHARS = 44, 90
#: The longest text a spreadsheet cell holds.
MAX_CELL_TEXT = 32_767
#: Characters XML 1.0 (and so a workbook) cannot hold; shown as their code instead.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _text(value: Any) -> str:
    text = _ILLEGAL.sub(lambda m: f"\\x{ord(m.group(0)):02x}", str(value))
    return text if len(text) <= MAX_CELL_TEXT else text[: MAX_CELL_TEXT - 1] + "…"


class _Cells:
    """Makes the cells of a write-only sheet, with the styles shared."""

    def __init__(self, ws: Any) -> None:
        from openpyxl.styles import Font, PatternFill

        self.ws = ws
        self.bold = Font(name=FONT, bold=True)
        self.title = Font(name=FONT, bold=True, size=14)
        self.head_fill = PatternFill("solid", fgColor="FFE8EEF4")

    def text(self, value: Any, *, font: Any = None) -> Any:
        """A text cell: stored as text whatever it starts with (never a formula or a number)."""
        from openpyxl.cell import WriteOnlyCell

        text = _text(value)
        cell = WriteOnlyCell(self.ws, value=text)
        cell.data_type = "s"  # `=1+1` typed by a partner is text, not a formula
        if text.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True  # and stays text when someone edits the cell
        if font is not None:
            cell.font = font
        return cell

    def value(self, value: Any, kind: str) -> Any:
        """A cell of a list: text for text and ids, a number or a date otherwise."""
        from openpyxl.cell import WriteOnlyCell

        if value is None or value == "":
            return None
        if kind in ("money", "count") and isinstance(value, int | float):
            cell = WriteOnlyCell(self.ws, value=int(value) if kind == "count" else value)
        elif kind in ("date", "datetime") and isinstance(value, dt.date):
            cell = WriteOnlyCell(self.ws, value=value)
        else:
            return self.text(value)
        # Only the number format: a style per cell costs more than the cell (4,500 rows).
        cell.number_format = FORMATS[kind]
        return cell

    def header(self, headings: Sequence[str]) -> list[Any]:
        cells = [self.text(h, font=self.bold) for h in headings]
        for c in cells:
            c.fill = self.head_fill
        return cells


def _print_setup(ws: Any, title_rows: str | None) -> None:
    """A4 landscape, every column on one page width, the header row on every printed page."""
    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = 9  # A4
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.sheet_properties.pageSetUpPr.fitToPage = True
    if title_rows:
        ws.print_title_rows = title_rows


def _list_sheet(wb: Any, lst: CouncilList) -> None:
    from openpyxl.utils import get_column_letter

    ws = wb.create_sheet(lst.title[:31])
    for i, f in enumerate(lst.fields, start=1):
        # Wide enough for the heading on one line (a spreadsheet keeps the row's height) and
        # the filter's button beside it.
        ws.column_dimensions[get_column_letter(i)].width = max(f.width, len(f.heading) + 4)
    ws.freeze_panes = "A2"
    last = get_column_letter(len(lst.fields))
    ws.auto_filter.ref = f"A1:{last}{len(lst.rows) + 1}"
    _print_setup(ws, "1:1")
    cells = _Cells(ws)
    ws.append(cells.header([f.heading for f in lst.fields]))
    kinds: list[Field] = list(lst.fields)
    for row in lst.rows:
        ws.append([cells.value(row.get(f.key), f.kind) for f in kinds])


def _about_sheet(
    wb: Any,
    lists: Sequence[CouncilList],
    *,
    council: str,
    cycle: str,
    latest: str,
    generated: dt.datetime,
    report_rows: int,
) -> None:
    ws = wb.create_sheet(ABOUT)
    for letter, width in (("A", 28), ("B", 18), ("C", ORDER_CHARS + 4), ("D", LISTS_CHARS + 4)):
        ws.column_dimensions[letter].width = width
    _print_setup(ws, None)
    cells = _Cells(ws)
    naive = generated.astimezone(dt.UTC).replace(tzinfo=None)  # a workbook has no time zones
    heading = f"Social value health check {latest}: the council's lists, every row"
    ws.append([cells.text(f"{council}: {heading}" if council else heading, font=cells.title)])
    ws.append([])
    for label, value in (
        ("Review cycle", cycle),
        ("Latest year", latest),
        ("Generated (UTC)", naive),
        (
            "For",
            "The council only: these lists name every partner. Each partner is sent its own "
            "report, never this workbook.",
        ),
        (
            "Report",
            f"health-check.html and health-check.pdf, beside this workbook, show the first "
            f"{report_rows:,} rows of each list; this workbook holds every row.",
        ),
    ):
        second = (
            cells.value(value, "datetime") if isinstance(value, dt.datetime) else cells.text(value)
        )
        ws.append([cells.text(label, font=cells.bold), second])
    ws.append([])
    ws.append(cells.header(["Sheet", "Rows", "In this order", "Each row is"]))
    for lst in lists:
        # Long texts as lines of their own: a spreadsheet does not grow a row to fit wrapped
        # text it did not lay out itself (LibreOffice keeps the stored height).
        order = textwrap.wrap(lst.order, ORDER_CHARS)
        what = textwrap.wrap(lst.lists, LISTS_CHARS)
        for i in range(max(len(order), len(what))):
            ws.append(
                [
                    cells.text(lst.title[:31]) if i == 0 else None,
                    cells.value(len(lst.rows), "count") if i == 0 else None,
                    cells.text(order[i]) if i < len(order) else None,
                    cells.text(what[i]) if i < len(what) else None,
                ]
            )


def workbook_bytes(
    lists: Sequence[CouncilList],
    *,
    council: str,
    cycle: str,
    latest: str,
    generated: dt.datetime,
    report_rows: int,
) -> bytes:
    """The workbook's bytes: About, then one sheet per list with every row."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    _about_sheet(
        wb,
        lists,
        council=council,
        cycle=cycle,
        latest=latest,
        generated=generated,
        report_rows=report_rows,
    )
    for lst in lists:
        _list_sheet(wb, lst)
    naive = generated.astimezone(dt.UTC).replace(tzinfo=None)
    wb.properties.creator = "svf report"
    wb.properties.title = f"Social value health check {latest}: the council's lists"
    wb.properties.created = naive
    wb.properties.modified = naive
    buf = io.BytesIO()
    wb.save(buf)
    return _reproducible(buf.getvalue(), naive)


def _reproducible(data: bytes, stamp: dt.datetime) -> bytes:
    """The same workbook with every time in it set to `stamp`: openpyxl writes the clock into
    the document properties and the zip entries, so two runs would differ in bytes."""
    iso = stamp.strftime("%Y-%m-%dT%H:%M:%SZ").encode()
    when = max(stamp, dt.datetime(1980, 1, 1)).timetuple()[:6]
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(data)) as zin,
        zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout,
    ):
        for info in zin.infolist():
            part = zin.read(info.filename)
            if info.filename == "docProps/core.xml":
                part = re.sub(
                    rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*",
                    lambda m: m.group(1) + iso,
                    part,
                )
            zout.writestr(
                zipfile.ZipInfo(info.filename, date_time=when),
                part,
                compress_type=zipfile.ZIP_DEFLATED,
            )
    return out.getvalue()


def write_workbook(target: Path, view: AudienceView) -> Path:
    """Write the council's workbook to `target` (atomically) from the council's view."""
    data = workbook_bytes(
        council_lists(view),
        council=view.framework.council,
        cycle=view.cycle,
        latest=view.latest_period,
        generated=clock.now(),
        report_rows=view.council_list_rows,
    )
    return write_bytes(target, data)
