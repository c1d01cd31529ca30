"""Read any input (CSV or XLSX) into one canonical pandas frame.

Every cell is kept as the text the partner sent (None for an empty cell): parsing numbers and
dates is validation's job, so that "twelve" in a value column can be reported back as typed.
Every row keeps `source_file` (path relative to the cycle folder) and `source_row` (the row number
a person sees when opening the file: the header is row 1, the first data row is row 2). Blank rows
and repeated header rows are kept as rows so validation can quarantine them with a reason rather
than lose them silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from pipeline.contract import SOURCE_FILE, SOURCE_ROW, Kind, column_map, spec
from pipeline.errors import ContractError

CSV_SUFFIXES = {".csv", ".txt"}
XLSX_SUFFIXES = {".xlsx", ".xlsm"}
SUPPORTED_SUFFIXES = {".csv", ".xlsx", ".xlsm"}


def decode_bytes(data: bytes, file: str) -> str:
    """Decode a CSV file. UTF-8 (with or without BOM) and UTF-16 with BOM are read as such; other
    files are tried as Windows-1252, which is what Excel on a UK machine saves as "CSV"."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        raise ContractError(
            f"{file}: unknown text encoding (not UTF-8, UTF-16 or Windows-1252); "
            "save the file as 'CSV UTF-8' and send it again",
            file=file,
        ) from None


def _cell_text(value: Any) -> str | None:
    """Turn a spreadsheet cell into the text a person sees, None when empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        if value != value:  # NaN
            return None
        # 15 significant digits is what Excel shows, so a computed 27.500000000000004 reads as
        # the 27.5 the partner saw, not as binary rounding noise.
        return str(int(value)) if value.is_integer() else f"{value:.15g}"
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time(0) else value.isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value)
    return text if text.strip() else None


def read_rows(path: Path, display_name: str | None = None) -> list[list[str | None]]:
    """All rows of a CSV or XLSX file as lists of text cells (header first), or ContractError."""
    name = display_name or path.name
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ContractError(f"{name}: cannot read file ({exc.strerror})", file=name) from None
    if not data.strip():
        raise ContractError(f"{name}: the file is empty", file=name)
    if suffix in XLSX_SUFFIXES or data[:4] == b"PK\x03\x04":
        return _xlsx_rows(data, name)
    if suffix not in CSV_SUFFIXES:
        raise ContractError(
            f"{name}: not a CSV or XLSX file (extension {suffix or 'none'})", file=name
        )
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ContractError(f"{name}: not a CSV file (it contains binary data)", file=name)
    text = decode_bytes(data, name)
    try:
        dialect = csv.Sniffer().sniff(text[:8192], delimiters=",;\t|")
        delimiter = dialect.delimiter
    except csv.Error:
        delimiter = ","
    rows: list[list[str | None]] = []
    try:
        for raw in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            rows.append([c if c.strip() else None for c in raw])
    except csv.Error as exc:
        raise ContractError(f"{name}: not readable as CSV ({exc})", file=name) from None
    return rows


def _xlsx_rows(data: bytes, name: str) -> list[list[str | None]]:
    from openpyxl import load_workbook  # imported here: only XLSX inputs pay for it

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ContractError(
            f"{name}: corrupt or unreadable Excel workbook ({exc})", file=name
        ) from None
    except Exception as exc:  # openpyxl raises assorted errors on damaged files
        raise ContractError(
            f"{name}: corrupt or unreadable Excel workbook ({exc})", file=name
        ) from None
    try:
        for ws in wb.worksheets:
            rows = [[_cell_text(v) for v in r] for r in ws.iter_rows(values_only=True)]
            if any(any(c is not None for c in r) for r in rows):
                # The first sheet with content holds the data; notes sheets after it are ignored.
                return rows
    finally:
        wb.close()
    raise ContractError(f"{name}: the workbook has no data in any sheet", file=name)


def frame_from_rows(rows: Sequence[Sequence[str | None]], kind: Kind, file: str) -> pd.DataFrame:
    """Canonical frame from raw rows: headings mapped, required columns checked, sources added."""
    # Leading blank lines before the header are not data; the header is the first non-blank row.
    header_index = next((i for i, r in enumerate(rows) if any(c is not None for c in r)), None)
    if header_index is None:
        raise ContractError(f"{file}: the file is empty", file=file)
    header = [(h or "").strip() for h in rows[header_index]]
    while header and not header[-1]:
        header.pop()
    mapping = column_map(kind, header)
    canonical = [mapping[h] if h else f"unnamed_{i + 1}" for i, h in enumerate(header)]
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
        raise ContractError(
            f"{file}: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (found: {found})",
            file=file,
            column=missing[0],
        )
    width = len(canonical)
    records: list[list[str | None]] = []
    row_numbers: list[int] = []
    for offset, r in enumerate(rows[header_index + 1 :], start=header_index + 2):
        cells = list(r[:width]) + [None] * (width - len(r))
        extra = [c for c in r[width:] if c is not None]
        if extra:
            # Cells beyond the header are kept (joined) so validation can report them.
            canonical_extra = "|".join(extra)
            cells.append(canonical_extra)
        else:
            cells.append(None)
        records.append(cells)
        row_numbers.append(offset)
    frame = pd.DataFrame(records, columns=[*canonical, "_extra_cells"], dtype=object)
    for col in spec(kind).names:
        if col not in frame.columns:
            frame[col] = None
    frame.insert(0, SOURCE_ROW, pd.array(row_numbers, dtype="int64"))
    frame.insert(0, SOURCE_FILE, file)
    if frame["_extra_cells"].isna().all():
        frame = frame.drop(columns="_extra_cells")
    return frame


def read_table(path: str | Path, kind: Kind, display_name: str | None = None) -> pd.DataFrame:
    """Read one CSV or XLSX file of the given kind into the canonical frame.

    Raises `ContractError` (naming the file and column) for an empty or unreadable file, a file
    that is not CSV or XLSX, an unknown encoding, or a missing required column.
    """
    p = Path(path)
    name = display_name or p.name
    return frame_from_rows(read_rows(p, name), kind, name)


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
