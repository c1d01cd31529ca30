"""Spreadsheet workbooks (`.xls`, `.xlsx`, `.xlsm`, `.ods`) as rows of text cells, read with
python-calamine (the Rust `calamine` reader, which pandas also uses as an engine).

Councils publish spend in legacy Excel `.xls` as well as `.xlsx` and OpenDocument `.ods`;
calamine reads all three, and quickly. Cells become the text a person sees, as in
`pipeline.core.readers` (a date cell is `2014-09-24`, a whole number `41906`), so parsing stays
validation's job. Reading is bounded: the file's size, and the rows and cells of the sheet read,
are capped, so a hostile or broken workbook ends in a clear error instead of exhausting memory.

This module sits beside `pipeline.core.readers` (CSV and the returns' `.xlsx` through openpyxl) and
does not change it; the spend reader calls it for workbooks.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.core.errors import ContractError
from pipeline.core.readers import SPEND_LIMITS, cell_text

WORKBOOK_SUFFIXES = frozenset({".xls", ".xlsx", ".xlsm", ".xlsb", ".ods"})
#: Limits on one workbook: bytes on disk, rows and cells of the sheet read.
MAX_BYTES = SPEND_LIMITS.file_bytes
MAX_ROWS = SPEND_LIMITS.rows
MAX_CELLS = 60_000_000
#: `.xlsx` and `.ods` are zip archives: what they declare they unpack to is capped before reading.
MAX_UNPACKED_BYTES = 1024 * 1024 * 1024


def workbook_rows(
    path: Path, name: str, *, max_rows: int = MAX_ROWS, max_cells: int = MAX_CELLS
) -> list[list[str | None]]:
    """The rows of the first sheet with content, as text cells; ContractError when the file is
    not a readable workbook or is over the limits."""
    from python_calamine import CalamineWorkbook  # imported here: only workbooks pay for it

    try:
        size = path.stat().st_size
    except OSError as exc:
        raise ContractError(f"{name}: cannot read file ({exc.strerror})", file=name) from None
    if size == 0:
        raise ContractError(f"{name}: the file is empty", file=name)
    if size > MAX_BYTES:
        raise ContractError(
            f"{name}: the workbook is {size / 2**20:.0f} MB, over the {MAX_BYTES // 2**20} MB "
            "limit; save the sheet as CSV and send that",
            file=name,
        )
    _check_archive(path, name)
    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:  # calamine raises its own error types for damaged files
        raise ContractError(
            f"{name}: corrupt or unreadable workbook ({type(exc).__name__}: {exc})", file=name
        ) from None
    try:
        for sheet_name in workbook.sheet_names:
            rows = _sheet_rows(workbook, sheet_name, name, max_rows, max_cells)
            if any(any(c is not None for c in r) for r in rows):
                # The first sheet with content holds the data; notes sheets after it are ignored.
                return rows
    finally:
        close = getattr(workbook, "close", None)
        if close is not None:
            close()
    raise ContractError(f"{name}: the workbook has no data in any sheet", file=name)


def _check_archive(path: Path, name: str) -> None:
    """Refuse a zip-based workbook (`.xlsx`, `.ods`) that would unpack to more than the limit
    (a "zip bomb"), before any of it is unpacked. `.xls` is not an archive."""
    import zipfile

    if not zipfile.is_zipfile(path):
        return
    try:
        with zipfile.ZipFile(path) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ContractError(f"{name}: corrupt or unreadable workbook ({exc})", file=name) from None
    if unpacked > MAX_UNPACKED_BYTES:
        raise ContractError(
            f"{name}: the workbook unpacks to {unpacked / 2**20:,.0f} MB, over the "
            f"{MAX_UNPACKED_BYTES // 2**20:,} MB limit; save the sheet as CSV and send that",
            file=name,
        )


def _sheet_rows(
    workbook: Any, sheet_name: str, name: str, max_rows: int, max_cells: int
) -> list[list[str | None]]:
    try:
        sheet = workbook.get_sheet_by_name(sheet_name)
        rows_iter = sheet.iter_rows()
    except Exception as exc:
        raise ContractError(
            f"{name}: sheet {sheet_name!r} cannot be read ({type(exc).__name__}: {exc})",
            file=name,
        ) from None
    rows: list[list[str | None]] = []
    cells = 0
    for raw in rows_iter:
        cells += len(raw)
        if len(rows) >= max_rows or cells > max_cells:
            raise ContractError(
                f"{name}: sheet {sheet_name!r} has more than {max_rows:,} rows or "
                f"{max_cells:,} cells, over the limit for one file; split it by month",
                file=name,
            )
        row = [cell_text(v) for v in raw]
        while row and row[-1] is None:
            row.pop()
        rows.append(row)
    return rows
