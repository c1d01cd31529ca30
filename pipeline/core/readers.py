"""Read any input (CSV or XLSX) into one canonical pandas frame, within stated limits.

Every cell is kept as the text the partner sent (None for an empty cell): parsing numbers and
dates is validation's job, so that "twelve" in a value column can be reported back as typed.
Every row keeps `source_file` (path relative to the cycle folder) and `source_row` (the row number
a person sees when opening the file: the header is row 1, the first data row is row 2). Blank rows
and repeated header rows of a CSV file are kept as rows so validation can quarantine them with a
reason rather than lose them silently.

Reading is bounded (`Limits`, stated in docs/data-contract.md): a file over a limit is refused
with a `ContractError` naming the limit *before* the work is done. Workbooks are checked from the
zip directory (inflated size, compression ratio), then each sheet's XML is scanned as bytes for
its declared and actual extent, and only then read by python-calamine (or, when its cells do not
say where they are, streamed row by row by openpyxl), so a declared but empty grid is never
built. A problem confined to one row (an undecodable byte, a NUL character, a
cell over the length limit, a decimal comma) does not refuse the file: the row is read with a
*row fault* (the `_row_fault` column) that validation quarantines with the reason.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.core.contract import SOURCE_FILE, SOURCE_ROW, Kind, column_map, normalise, spec
from pipeline.core.errors import ContractError, MissingColumnsError

CSV_SUFFIXES = {".csv", ".txt"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}

#: Internal columns the readers add: cells beyond the last heading, and a row's read fault.
EXTRA_CELLS = "_extra_cells"
ROW_FAULT = "_row_fault"
#: Names the pipeline itself gives columns. A heading in a file that would take one of them is
#: kept under `<name>_in_file` instead, so a partner's column never overwrites the row's origin.
RESERVED_COLUMNS = (
    SOURCE_FILE,
    SOURCE_ROW,
    EXTRA_CELLS,
    ROW_FAULT,
    "superseded_by_file",
    "superseded_by_row",
)
#: Stands for the column's name in a row fault's reason until the header is known (a NUL, which
#: no reason's quoted data can hold: NUL characters are shown as \\0).
COLUMN = "\x00column\x00"
#: Columns holding numbers, where a decimal comma would be misread (see `_decimal_comma`).
NUMBER_COLUMNS = frozenset({"value", "target", "denominator", "value_gbp", "amount"})


@dataclass(frozen=True)
class Limits:
    """What any one input file may be. docs/data-contract.md states these for users."""

    #: Bytes on disk, CSV or workbook.
    file_bytes: int = 20_000_000
    #: Rows in a file or sheet (declared by a workbook, or actually present), header included.
    rows: int = 250_000
    #: Columns in a file or sheet (declared or present).
    columns: int = 256
    #: Characters in one cell: Excel's own limit for a cell.
    cell_chars: int = 32_767
    #: Total size of a workbook's parts once inflated.
    inflated_bytes: int = 100_000_000
    #: Inflated-to-compressed ratio of any part over `ratio_floor` bytes (zip bomb guard).
    ratio: int = 100
    ratio_floor: int = 1_000_000
    #: Parts (files) inside a workbook.
    zip_members: int = 10_000
    #: Cells in the used range of a sheet (rows x columns from its first to its last cell).
    sheet_cells: int = 2_000_000


LIMITS = Limits()
#: A council's published spend for a year is one large file (a big council: about 200,000 lines,
#: 30 MB), so spend files may be larger and longer than a partner's return; every other limit
#: holds. `pipeline.core.workbooks` applies the same two to spend workbooks.
SPEND_LIMITS = Limits(file_bytes=64_000_000, rows=500_000)


@dataclass
class Sheet:
    """The rows of one file as text cells, with the row numbers a person sees and row faults."""

    rows: list[list[str | None]]
    numbers: list[int]
    #: row number -> [(cell position or None, reason)]; `COLUMN` in a reason is the column.
    faults: dict[int, list[tuple[int | None, str]]] = field(default_factory=dict)
    delimiter: str | None = None
    sheet: str | None = None

    def fault(self, number: int, position: int | None, reason: str) -> None:
        self.faults.setdefault(number, []).append((position, reason))


def _thousands(n: int) -> str:
    return f"{n:,}"


# --------------------------------------------------------------------------------------------
# Text files
# --------------------------------------------------------------------------------------------

#: Signatures of binary formats people send by mistake.
_BINARY_SIGNATURES = (
    (b"%PDF", "a PDF"),
    (b"\xd0\xcf\x11\xe0", "an old-style Office file (.xls/.doc); save it as .xlsx or CSV"),
    (b"\x89PNG", "an image"),
    (b"\xff\xd8\xff", "an image"),
    (b"GIF8", "an image"),
    (b"\x1f\x8b", "a compressed file"),
)
_VALID_MULTIBYTE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}"
    rb"|\xed[\x80-\x9f][\x80-\xbf]|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}"
    rb"|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
_HIGH_BYTE = re.compile(rb"[\x80-\xff]")
_SURROGATE = re.compile("[\udc80-\udcff]")


def _utf16_without_bom(head: bytes) -> str | None:
    """`utf-16-le`/`utf-16-be` when the start of the file is text with every other byte NUL."""
    pairs = len(head) // 2
    if pairs < 4:
        return None
    even = sum(1 for b in head[0 : 2 * pairs : 2] if b == 0)
    odd = sum(1 for b in head[1 : 2 * pairs : 2] if b == 0)
    if odd >= 0.4 * pairs and even <= 0.05 * pairs:
        return "utf-16-le"
    if even >= 0.4 * pairs and odd <= 0.05 * pairs:
        return "utf-16-be"
    return None


def detect_encoding(data: bytes) -> str:
    """The encoding a CSV file is read with (docs/data-contract.md, "Encodings").

    A byte-order mark decides; UTF-16 without one is recognised by its NUL bytes; valid UTF-8 is
    UTF-8. Otherwise the file is UTF-8 with stray bytes when it holds at least as many well-formed
    UTF-8 sequences (`é` as two bytes) as broken ones, else Windows-1252 (what Excel on a UK
    machine saves as "CSV"). The stray bytes then fault their rows, not the whole file.
    """
    if data.startswith(b"\xef\xbb\xbf"):
        return "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return "utf-16"
    bare16 = _utf16_without_bom(data[:4096])
    if bare16:
        return bare16
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError:
        pass
    valid = len(_VALID_MULTIBYTE.findall(data))
    if not valid:
        return "cp1252"
    # High bytes outside well-formed sequences are the broken ones.
    broken = len(_HIGH_BYTE.findall(_VALID_MULTIBYTE.sub(b"", data)))
    return "utf-8" if valid >= broken else "cp1252"


def decode_bytes(data: bytes, file: str) -> str:
    """Decode a CSV file (see `detect_encoding`). Bytes that cannot be decoded are kept as lone
    surrogates (Python's `surrogateescape`), which fault the rows holding them."""
    encoding = detect_encoding(data)
    try:
        return data.decode(encoding, errors="surrogateescape")
    except UnicodeDecodeError:  # only UTF-16 can fail here: an odd number of bytes
        raise ContractError(
            f"{file}: unknown text encoding (not UTF-8, UTF-16 or Windows-1252); "
            "save the file as 'CSV UTF-8' and send it again",
            file=file,
        ) from None


def _binary_kind(data: bytes) -> str | None:
    for signature, what in _BINARY_SIGNATURES:
        if data.startswith(signature):
            return what
    head = data[:4096]
    if head.count(0) > 0.1 * len(head) and not _utf16_without_bom(head):
        return "binary data"
    return None


_DELIMITERS = (",", ";", "\t", "|")


def _header_score(kind: Kind | None, cells: Sequence[str | None]) -> tuple[int, int]:
    """How well a row reads as the header of `kind`: (required columns found, headings)."""
    headings = [c for c in cells if c is not None and c.strip()]
    if kind is None:
        return (0, len(headings))
    mapping = column_map(kind, [c.strip() for c in headings])
    found = set(mapping.values())
    return (sum(1 for c in spec(kind).required if c in found), len(headings))


def _first_record(text: str, delimiter: str) -> list[str | None]:
    """The first non-blank record of the text read with `delimiter` (bounded look-ahead)."""
    reader = csv.reader(io.StringIO(text[:65536], newline=""), delimiter=delimiter)
    with contextlib.suppress(csv.Error):
        for i, raw in enumerate(reader):
            if any(c.strip() for c in raw):
                return list(raw)
            if i > 50:
                break
    return []


def sniff_delimiter(text: str, kind: Kind | None = None) -> str:
    """The separator, judged on the header row only: the one that splits it into the most
    contract headings (then the most headings). A comment cell full of semicolons in a comma
    file cannot sway it, and neither can a decimal comma."""
    best, best_score = ",", (-1, -1)
    for d in _DELIMITERS:
        score = _header_score(kind, _first_record(text, d))
        if score > best_score:
            best, best_score = d, score
    return best


@contextlib.contextmanager
def _field_limit(n: int) -> Iterator[None]:
    old = csv.field_size_limit()
    csv.field_size_limit(n)
    try:
        yield
    finally:
        csv.field_size_limit(old)


def _check_cells(sheet: Sheet, number: int, cells: list[str | None], limits: Limits) -> None:
    """Row faults for cells that cannot be data: too long, NUL characters, undecodable bytes."""
    joined = "".join(c for c in cells if c is not None)
    if len(joined) <= limits.cell_chars and "\x00" not in joined and not _SURROGATE.search(joined):
        return  # the common case, checked once for the whole row
    for pos, c in enumerate(cells):
        if c is None:
            continue
        if len(c) > limits.cell_chars:
            sheet.fault(
                number,
                pos,
                f"the cell in column {COLUMN} holds {_thousands(len(c))} characters; the limit "
                f"is {_thousands(limits.cell_chars)}",
            )
            c = c[:200] + f"… [{_thousands(len(c))} characters]"
            cells[pos] = c
        if "\x00" in c:
            sheet.fault(number, pos, f"the cell in column {COLUMN} holds a NUL character (\\0)")
            cells[pos] = c.replace("\x00", "\\0")
        if _SURROGATE.search(c):
            shown = c.encode("utf-8", errors="surrogateescape")
            sheet.fault(
                number,
                pos,
                f"the cell in column {COLUMN} holds bytes that are not text in the file's "
                f"encoding ({shown!r}); save the file as 'CSV UTF-8'",
            )
            cells[pos] = shown.decode("utf-8", errors="backslashreplace")


def _csv_sheet(data: bytes, name: str, kind: Kind | None, limits: Limits) -> Sheet:
    what = _binary_kind(data)
    if what:
        raise ContractError(f"{name}: not a CSV file (it is {what})", file=name)
    text = decode_bytes(data, name)
    delimiter = sniff_delimiter(text, kind)
    sheet = Sheet([], [], delimiter=delimiter)
    # Cells are made of the file's characters: when the text holds no NUL and no undecodable
    # byte, a row whose cells are within the length limit altogether cannot have a faulty cell,
    # and `_check_cells` need not look at it (most rows of most files).
    plain = "\x00" not in text and not _SURROGATE.search(text)
    try:
        with _field_limit(max(limits.file_bytes, limits.cell_chars) + 1):
            reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
            for number, raw in enumerate(reader, start=1):
                if number > limits.rows:
                    raise ContractError(
                        f"{name}: more than {_thousands(limits.rows)} rows (the limit for one "
                        "file); split it into several files",
                        file=name,
                    )
                cells: list[str | None] = [c if c.strip() else None for c in raw]
                if len(cells) > limits.columns:
                    sheet.fault(
                        number,
                        None,
                        f"the row has {_thousands(len(cells))} cells; the limit is "
                        f"{limits.columns} columns",
                    )
                    cells = cells[: limits.columns]
                if not plain or sum(map(len, raw)) > limits.cell_chars:
                    _check_cells(sheet, number, cells, limits)
                sheet.rows.append(cells)
                sheet.numbers.append(number)
    except csv.Error as exc:
        raise ContractError(f"{name}: not readable as CSV ({exc})", file=name) from None
    return sheet


# --------------------------------------------------------------------------------------------
# Workbooks
# --------------------------------------------------------------------------------------------


def cell_text(value: Any) -> str | None:
    """Turn a spreadsheet cell into the text a person sees, None when empty (every workbook
    reader uses this one, `pipeline.core.workbooks` included)."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        if value in (float("inf"), float("-inf")):
            return str(value)
        # 15 significant digits is what Excel shows, so a computed 27.500000000000004 reads as
        # the 27.5 the partner saw, not as binary rounding noise; 1e300 stays 1e+300.
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return f"{value:.15g}"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time | dt.timedelta):
        return str(value)
    text = str(value)
    return text if text.strip() else None


def check_workbook_zip(data: bytes, name: str, limits: Limits = LIMITS) -> None:
    """Refuse a workbook whose parts would inflate too far, from the zip directory alone.

    Reading a part through `zipfile` stops at the size the directory declares (and fails its CRC
    check past it), so the declared sizes bound the real work.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except Exception as exc:  # BadZipFile, NotImplementedError (a damaged version field), ...
        raise ContractError(
            f"{name}: corrupt or unreadable Excel workbook ({type(exc).__name__}: {exc})",
            file=name,
        ) from None
    if len(infos) > limits.zip_members:
        raise ContractError(
            f"{name}: the workbook holds {_thousands(len(infos))} parts; the limit is "
            f"{_thousands(limits.zip_members)}",
            file=name,
        )
    total = sum(i.file_size for i in infos)
    if total > limits.inflated_bytes:
        raise ContractError(
            f"{name}: the workbook inflates to {_thousands(total)} bytes; the limit is "
            f"{_thousands(limits.inflated_bytes)} (inflated size)",
            file=name,
        )
    for i in infos:
        if i.file_size > limits.ratio_floor and i.file_size > limits.ratio * max(
            i.compress_size, 1
        ):
            raise ContractError(
                f"{name}: part {i.filename} inflates {i.file_size // max(i.compress_size, 1):,} "
                f"times; the limit is {limits.ratio} times (compression ratio, a zip bomb guard)",
                file=name,
            )


def _sheet_cells(ws: Any) -> Iterator[tuple[int, list[dict[str, Any]]]]:
    """The rows a worksheet's XML holds, as (row number, sparse cells), streamed."""
    from openpyxl.worksheet._reader import WorkSheetParser

    wb = ws.parent
    with ws._get_source() as src:
        parser = WorkSheetParser(
            src,
            ws._shared_strings,
            data_only=wb.data_only,
            epoch=wb.epoch,
            date_formats=wb._date_formats,
            timedelta_formats=wb._timedelta_formats,
        )
        yield from parser.parse()


def _declared_size(ws: Any) -> tuple[int, int]:
    """Rows and columns the sheet's `<dimension>` declares (0, 0 when it declares none)."""
    return (ws.max_row or 0, ws.max_column or 0)


def _stream_sheet(ws: Any, name: str, limits: Limits, *, stop_after_first: bool = False) -> Sheet:
    """A worksheet's rows, sparse cells placed, within the limits. Rows between data rows that
    the sheet does not hold are empty rows (as Excel shows them); empty rows after the last data
    row are not rows."""
    rows_declared, cols_declared = _declared_size(ws)
    if rows_declared > limits.rows or cols_declared > limits.columns:
        raise ContractError(
            f"{name}: sheet {ws.title!r} declares {_thousands(rows_declared)} rows and "
            f"{_thousands(cols_declared)} columns; the limit is {_thousands(limits.rows)} rows "
            f"and {limits.columns} columns",
            file=name,
        )
    sheet = Sheet([], [], sheet=ws.title)
    for number, cells in _sheet_cells(ws):
        if number > limits.rows:
            raise ContractError(
                f"{name}: sheet {ws.title!r} has a row {_thousands(number)}; the limit is "
                f"{_thousands(limits.rows)} rows",
                file=name,
            )
        values = [(c["column"], cell_text(c["value"])) for c in cells]
        values = [(col, v) for col, v in values if v is not None]
        if not values:
            continue
        if sheet.numbers and not stop_after_first:
            # The gap since the last data row, bounded by the row limit checked above.
            for gap in range(sheet.numbers[-1] + 1, number):
                sheet.rows.append([])
                sheet.numbers.append(gap)
        width = max(col for col, _ in values)
        if width > limits.columns:
            raise ContractError(
                f"{name}: sheet {ws.title!r} has a cell in column {_thousands(width)}; the limit "
                f"is {limits.columns} columns",
                file=name,
            )
        row: list[str | None] = [None] * width
        for col, v in values:
            row[col - 1] = v
        _check_cells(sheet, number, row, limits)
        sheet.rows.append(row)
        sheet.numbers.append(number)
        if stop_after_first:
            break
    return sheet


_ANY_CELL = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?c\b")
_PLACED_CELL = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?c\b[^>]*?\br="([A-Za-z]+)\d+"')
_ANY_ROW = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?row\b")
_PLACED_ROW = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?row\b[^>]*?\br="(\d+)"')
_DIMENSION = re.compile(
    rb'<(?:[A-Za-z_][\w.-]*:)?dimension\b[^>]*?\bref="[A-Za-z]*\d*:?([A-Za-z]*)(\d*)"'
)
_PART_LIMIT = 5_000_000  # workbook.xml and its relationships are small; a huge one is hostile


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters.upper():
        n = n * 26 + (ch - 64)
    return n


@dataclass
class _Extent:
    """What a sheet's XML holds, found by scanning it (without building anything)."""

    declared_rows: int = 0
    declared_columns: int = 0
    rows: int = 0
    columns: int = 0
    #: Rows or cells without an `r` attribute: their place is only known by parsing.
    unplaced: bool = False


def _scan_sheet(zf: zipfile.ZipFile, part: str) -> _Extent:
    """The declared and actual extent of a sheet, streaming its XML in 1 MB chunks (the
    regular expressions run in C; only distinct column letters and row numbers reach Python)."""
    ext = _Extent()
    tail = b""
    with zf.open(part) as fh:
        while True:
            chunk = fh.read(1_048_576)
            data = tail + chunk
            tail = b""
            if chunk:
                # Keep an unfinished tag for the next chunk.
                cut = data.rfind(b"<")
                if cut > data.rfind(b">"):
                    data, tail = data[:cut], data[cut:]
            if not ext.declared_rows and not ext.declared_columns:
                dim = _DIMENSION.search(data)
                if dim:
                    ext.declared_columns = _col_number(dim.group(1)) if dim.group(1) else 0
                    ext.declared_rows = int(dim.group(2)) if dim.group(2) else 0
            letters = _PLACED_CELL.findall(data)
            numbers = _PLACED_ROW.findall(data)
            if len(letters) != len(_ANY_CELL.findall(data)) or len(numbers) != len(
                _ANY_ROW.findall(data)
            ):
                ext.unplaced = True
            if letters:
                ext.columns = max(ext.columns, *(_col_number(x) for x in set(letters)))
            if numbers:
                ext.rows = max(ext.rows, *(int(x) for x in set(numbers)))
            if not chunk:
                return ext


def _sheet_parts(zf: zipfile.ZipFile, name: str) -> dict[str, str]:
    """Sheet name -> the worksheet part holding it, from workbook.xml and its relationships."""
    import xml.etree.ElementTree as ET

    def small(part: str) -> bytes:
        info = zf.getinfo(part)
        if info.file_size > _PART_LIMIT:
            raise ContractError(f"{name}: the workbook's {part} is implausibly large", file=name)
        return zf.read(part)

    rel_ns = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
    book = ET.fromstring(small("xl/workbook.xml"))
    rels = ET.fromstring(small("xl/_rels/workbook.xml.rels"))
    targets: dict[str | None, str] = {}
    for rel in rels:
        target = rel.get("Target") or ""
        targets[rel.get("Id")] = target.lstrip("/") if target.startswith("/") else f"xl/{target}"
    parts: dict[str, str] = {}
    for el in book.iter():
        sheet = el.get("name")
        if el.tag.endswith("}sheet") and sheet is not None:
            parts[sheet] = targets.get(el.get(rel_ns), "")
    return parts


def _check_extent(ext: _Extent, name: str, sheet: str, limits: Limits) -> None:
    if ext.declared_rows > limits.rows or ext.declared_columns > limits.columns:
        raise ContractError(
            f"{name}: sheet {sheet!r} declares {_thousands(ext.declared_rows)} rows and "
            f"{_thousands(ext.declared_columns)} columns; the limit is "
            f"{_thousands(limits.rows)} rows and {limits.columns} columns",
            file=name,
        )
    if ext.rows > limits.rows:
        raise ContractError(
            f"{name}: sheet {sheet!r} has a row {_thousands(ext.rows)}; the limit is "
            f"{_thousands(limits.rows)} rows",
            file=name,
        )
    if ext.columns > limits.columns:
        raise ContractError(
            f"{name}: sheet {sheet!r} has a cell in column {_thousands(ext.columns)}; the limit "
            f"is {limits.columns} columns",
            file=name,
        )
    if ext.rows * ext.columns > limits.sheet_cells:
        raise ContractError(
            f"{name}: sheet {sheet!r} spans {_thousands(ext.rows)} rows by {ext.columns} columns; "
            f"the limit is {_thousands(limits.sheet_cells)} cells",
            file=name,
        )


def _calamine_sheet(book: Any, sheet_name: str, name: str, limits: Limits) -> Sheet:
    """A sheet read by python-calamine (its extent already checked), as the text cells a
    person sees, with Excel's row numbers; rows with no value are not rows."""
    ws = book.get_sheet_by_name(sheet_name)
    start_row, start_col = ws.start or (0, 0)
    sheet = Sheet([], [], sheet=sheet_name)
    pad: list[str | None] = [None] * start_col
    for i, values in enumerate(ws.iter_rows()):
        row = [
            *pad,
            *((v if v.strip() else None) if type(v) is str else cell_text(v) for v in values),
        ]
        while row and row[-1] is None:
            row.pop()
        number = start_row + i + 1
        # An empty row between data rows is kept (validation quarantines it as blank, as in a
        # CSV file); empty rows after the last value are dropped below.
        _check_cells(sheet, number, row, limits)
        sheet.rows.append(row)
        sheet.numbers.append(number)
    while sheet.rows and not sheet.rows[-1]:  # formatted but empty cells at the end
        sheet.rows.pop()
        sheet.numbers.pop()
    return sheet


def _xlsx_sheet(data: bytes, name: str, kind: Kind | None, limits: Limits) -> Sheet:
    """The visible sheet whose header matches `kind` (wherever it is in the workbook); without
    one, the visible sheet whose header comes closest (or the first with content).

    The zip directory is checked first (`check_workbook_zip`), then each sheet's XML is scanned
    for its declared and actual extent, and only a sheet within the limits is read: by
    python-calamine (fast, and the checked extent bounds its memory), or, for a sheet whose
    cells do not say where they are, by openpyxl's streaming parser one row at a time.
    """
    from python_calamine import CalamineWorkbook, SheetTypeEnum, SheetVisibleEnum

    check_workbook_zip(data, name, limits)
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        parts = _sheet_parts(zf, name)
        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        metadata = book.sheets_metadata
    except ContractError:
        raise
    except Exception as exc:  # damaged files raise assorted errors
        raise ContractError(
            f"{name}: corrupt or unreadable Excel workbook ({type(exc).__name__}: {exc})",
            file=name,
        ) from None
    try:
        visible = [
            m.name
            for m in metadata
            if m.typ == SheetTypeEnum.WorkSheet and m.visible == SheetVisibleEnum.Visible
        ]
        best: tuple[tuple[int, int], Sheet] | None = None
        for sheet_name in visible:
            part = parts.get(sheet_name)
            if not part or part not in zf.namelist():
                raise ContractError(
                    f"{name}: corrupt or unreadable Excel workbook (sheet {sheet_name!r} has no "
                    "worksheet part)",
                    file=name,
                )
            ext = _scan_sheet(zf, part)
            _check_extent(ext, name, sheet_name, limits)
            if ext.unplaced:
                sheet = _openpyxl_sheet(data, sheet_name, name, limits)
            else:
                sheet = _calamine_sheet(book, sheet_name, name, limits)
            if not sheet.rows:
                continue
            score = _header_score(kind, sheet.rows[0])
            if kind is not None and score[0] == len(spec(kind).required):
                return sheet
            if best is None or score > best[0]:
                best = (score, sheet)
        if best is None:
            hidden = len(metadata) - len(visible)
            note = f" ({hidden} hidden sheet{'s' if hidden > 1 else ''} not read)" if hidden else ""
            raise ContractError(f"{name}: the workbook has no data in any sheet{note}", file=name)
        return best[1]
    except ContractError:
        raise
    except Exception as exc:  # malformed sheet XML (ParseError) and the like
        raise ContractError(
            f"{name}: corrupt or unreadable Excel workbook ({type(exc).__name__}: {exc})",
            file=name,
        ) from None
    finally:
        book.close()
        zf.close()


def _openpyxl_sheet(data: bytes, sheet_name: str, name: str, limits: Limits) -> Sheet:
    """One sheet streamed by openpyxl's parser, row by row (for sheets calamine cannot be
    trusted to size: cells without an `r` attribute)."""
    from openpyxl import load_workbook

    wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    try:
        return _stream_sheet(wb[sheet_name], name, limits)
    finally:
        wb.close()


# --------------------------------------------------------------------------------------------
# Entry points
# --------------------------------------------------------------------------------------------


def read_sheet(
    path: Path, display_name: str | None = None, kind: Kind | None = None, limits: Limits = LIMITS
) -> Sheet:
    """The rows of a CSV or XLSX file (header first) with row numbers and row faults, or
    ContractError. `kind` picks the sheet and separator whose header matches that kind."""
    name = display_name or path.name
    suffix = path.suffix.lower()
    try:
        size = path.stat().st_size
        if size > limits.file_bytes:
            raise ContractError(
                f"{name}: the file is {_thousands(size)} bytes; the limit is "
                f"{_thousands(limits.file_bytes)} bytes (file size)",
                file=name,
            )
        with path.open("rb") as fh:
            data = fh.read(limits.file_bytes + 1)
    except OSError as exc:
        raise ContractError(f"{name}: cannot read file ({exc.strerror})", file=name) from None
    if len(data) > limits.file_bytes:  # grew while being read
        raise ContractError(f"{name}: the file is over the size limit", file=name)
    if not data.strip():
        raise ContractError(f"{name}: the file is empty", file=name)
    try:
        if suffix in XLSX_SUFFIXES or data[:4] == b"PK\x03\x04":
            return _xlsx_sheet(data, name, kind, limits)
        if suffix not in CSV_SUFFIXES:
            raise ContractError(
                f"{name}: not a CSV or XLSX file (extension {suffix or 'none'})", file=name
            )
        return _csv_sheet(data, name, kind, limits)
    except ContractError:
        raise
    except Exception as exc:  # whatever else one file does is that file's fault
        message = f"{name}: could not be read ({type(exc).__name__}: {exc})"
        raise ContractError(" ".join(message.split()), file=name) from None


def read_rows(
    path: Path,
    display_name: str | None = None,
    kind: Kind | None = None,
    limits: Limits = LIMITS,
) -> list[list[str | None]]:
    """All rows of a CSV or XLSX file as lists of text cells (header first), or ContractError."""
    return read_sheet(path, display_name, kind, limits).rows


_DECIMAL_COMMA = re.compile(r"^\s*[-+]?\s*£?\s*\d[\d\s.]*,\d*\s*%?\s*$")


def frame_from_sheet(sheet: Sheet, kind: Kind, file: str) -> pd.DataFrame:
    """Canonical frame from a sheet: headings mapped, required columns checked, sources added,
    row faults in `_row_fault`."""
    rows, numbers = sheet.rows, sheet.numbers
    # Leading blank lines before the header are not data; the header is the first non-blank row.
    header_index = next((i for i, r in enumerate(rows) if any(c is not None for c in r)), None)
    if header_index is None:
        raise ContractError(f"{file}: the file is empty", file=file)
    header = [(h or "").strip() for h in rows[header_index]]
    while header and not header[-1]:
        header.pop()
    mapping = column_map(kind, header)
    canonical = [mapping[h] if h else f"unnamed_{i + 1}" for i, h in enumerate(header)]
    canonical = [f"{c}_in_file" if c in RESERVED_COLUMNS else c for c in canonical]
    seen: set[str] = set()
    for i, c in enumerate(canonical):
        if c in seen:
            raise ContractError(
                f"{file}: column {header[i]!r} appears twice in the header", file=file, column=c
            )
        seen.add(c)
    missing = [c for c in spec(kind).required if c not in seen]
    if missing:
        found = ", ".join(h for h in header if h) or "none"
        where = f" in sheet {sheet.sheet!r}" if sheet.sheet else ""
        raise MissingColumnsError(
            f"{file}: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)}{where} (found: {found})",
            file=file,
            column=missing[0],
        )
    width = len(canonical)
    decimal_comma = sheet.delimiter not in (None, ",")
    number_positions = [i for i, c in enumerate(canonical) if c in NUMBER_COLUMNS]
    records: list[list[str | None]] = []
    row_numbers: list[int] = []
    any_fault = False
    faults = sheet.faults
    for i in range(header_index + 1, len(rows)):
        r, number = rows[i], numbers[i]
        if len(r) == width and not decimal_comma and number not in faults:
            # The common row: as many cells as headings, nothing to report.
            records.append([*r, None, None])
            row_numbers.append(number)
            continue
        cells = list(r[:width]) + [None] * (width - len(r))
        extra = [c for c in r[width:] if c is not None]
        # Cells beyond the header are kept (joined) so validation can report them.
        cells.append("|".join(extra) if extra else None)
        reasons = [
            reason.replace(
                COLUMN, canonical[pos] if pos is not None and pos < width else "beyond the headings"
            )
            for pos, reason in sheet.faults.get(number, [])
        ]
        if decimal_comma:
            for pos in number_positions:
                v = cells[pos]
                if v is not None and _DECIMAL_COMMA.match(v):
                    reasons.append(
                        f"value '{v}' in column {canonical[pos]} has a comma in a file whose "
                        f"columns are separated by {sheet.delimiter!r}: it could be a decimal "
                        "comma; write the number with a decimal point and no thousands separator"
                    )
        cells.append("; ".join(reasons) if reasons else None)
        any_fault = any_fault or bool(reasons)
        records.append(cells)
        row_numbers.append(number)
    # The two internal columns only when a row has something in them: leaving them out of the
    # rows costs less than dropping them from the frame (a copy of it, each), with thousands of
    # files.
    any_extra = any(rec[width] is not None for rec in records)
    if not any_extra or not any_fault:
        keep = [i for i, wanted in ((width, any_extra), (width + 1, any_fault)) if wanted]
        records = [rec[:width] + [rec[i] for i in keep] for rec in records]
    internal = [c for c, wanted in ((EXTRA_CELLS, any_extra), (ROW_FAULT, any_fault)) if wanted]
    frame = pd.DataFrame(records, columns=[*canonical, *internal], dtype=object)
    for col in spec(kind).names:
        if col not in frame.columns:
            frame[col] = None
    frame.insert(0, SOURCE_ROW, pd.array(row_numbers, dtype="int64"))
    frame.insert(0, SOURCE_FILE, file)
    return frame


def frame_from_rows(rows: Sequence[Sequence[str | None]], kind: Kind, file: str) -> pd.DataFrame:
    """Canonical frame from raw rows (numbered from 1, as in a CSV file)."""
    sheet = Sheet([list(r) for r in rows], list(range(1, len(rows) + 1)))
    return frame_from_sheet(sheet, kind, file)


def read_table(path: str | Path, kind: Kind, display_name: str | None = None) -> pd.DataFrame:
    """Read one CSV or XLSX file of the given kind into the canonical frame.

    Raises `ContractError` (naming the file and column) for an empty or unreadable file, a file
    that is not CSV or XLSX, a file over a limit, or a missing required column.
    """
    p = Path(path)
    name = display_name or p.name
    return frame_from_sheet(read_sheet(p, name, kind), kind, name)


def read_many(paths: Iterable[Path], kind: Kind, root: Path) -> pd.DataFrame:
    """Read several files of one kind into one frame (e.g. one returns file per partner)."""
    frames = [read_table(p, kind, str(p.relative_to(root))) for p in paths]
    if not frames:
        return pd.DataFrame(columns=[SOURCE_FILE, SOURCE_ROW, *spec(kind).names])
    return pd.concat(frames, ignore_index=True)


def input_files(raw_dir: Path) -> list[Path]:
    """Every file of a cycle's raw folder, sorted, hidden files and DVC/git files excluded."""
    return sorted(
        p
        for p in raw_dir.rglob("*")
        if p.is_file()
        and not any(part.startswith(".") for part in p.relative_to(raw_dir).parts)
        and p.suffix.lower() != ".dvc"
    )


__all__ = [
    "LIMITS",
    "Limits",
    "Sheet",
    "check_workbook_zip",
    "decode_bytes",
    "detect_encoding",
    "frame_from_rows",
    "frame_from_sheet",
    "input_files",
    "normalise",
    "read_many",
    "read_rows",
    "read_sheet",
    "read_table",
    "sniff_delimiter",
]
