"""Hostile and broken input files, built byte by byte (issue 12), shared by tests and benchmarks.

Workbooks are written part by part with `zipfile` so a test can say exactly what a sheet declares
(`<dimension>`), which sheets are hidden, and how far a part inflates.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Sequence

RETURNS_HEADER = ["partner_id", "contract_id", "measure_id", "period", "value"]

_CONTENT_TYPES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
    '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
    "{sheets}</Types>"
)
_SHEET_TYPE = (
    '<Override PartName="/xl/worksheets/sheet{n}.xml" '
    'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
)
_ROOT_RELS = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
    '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>'
)
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'


def _col(n: int) -> str:
    name = ""
    while n:
        n, r = divmod(n - 1, 26)
        name = chr(65 + r) + name
    return name


def _esc(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def sheet_xml(
    rows: Sequence[tuple[int, Sequence[object]]] | Sequence[Sequence[object]],
    *,
    dimension: str | None = None,
) -> str:
    """A worksheet part: rows as (row number, cells) pairs, or plain lists numbered from 1."""
    numbered = [
        r if isinstance(r, tuple) else (i + 1, r)
        for i, r in enumerate(rows)  # type: ignore[arg-type]
    ]
    out = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet {_NS}>']
    if dimension:
        out.append(f'<dimension ref="{dimension}"/>')
    out.append("<sheetData>")
    for number, cells in numbered:
        out.append(f'<row r="{number}">')
        for c, value in enumerate(cells, start=1):
            if value is None:
                continue
            ref = f"{_col(c)}{number}"
            if isinstance(value, int | float):
                out.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                out.append(f'<c r="{ref}" t="inlineStr"><is><t>{_esc(str(value))}</t></is></c>')
        out.append("</row>")
    out.append("</sheetData></worksheet>")
    return "".join(out)


def workbook(
    sheets: Sequence[tuple[str, str, str]], *, padding: tuple[str, int] | None = None
) -> bytes:
    """An .xlsx from (name, state, sheet XML) triples; state is visible, hidden or veryHidden.
    `padding` adds a part of that name holding that many spaces (it deflates ~1000 to 1)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(
            "[Content_Types].xml",
            _CONTENT_TYPES.format(
                sheets="".join(_SHEET_TYPE.format(n=i + 1) for i in range(len(sheets)))
            ),
        )
        zf.writestr("_rels/.rels", _ROOT_RELS)
        entries = "".join(
            f'<sheet name="{name}" sheetId="{i + 1}" r:id="rId{i + 1}"'
            + ("" if state == "visible" else f' state="{state}"')
            + "/>"
            for i, (name, state, _) in enumerate(sheets)
        )
        zf.writestr(
            "xl/workbook.xml",
            f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook {_NS} {_RNS}>'
            f"<sheets>{entries}</sheets></workbook>",
        )
        rels = "".join(
            f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/'
            f'officeDocument/2006/relationships/worksheet" Target="worksheets/sheet{i + 1}.xml"/>'
            for i in range(len(sheets))
        )
        zf.writestr(
            "xl/_rels/workbook.xml.rels",
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships '
            f'xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{rels}'
            "</Relationships>",
        )
        for i, (_, _, xml) in enumerate(sheets):
            zf.writestr(f"xl/worksheets/sheet{i + 1}.xml", xml)
        if padding:
            name, size = padding
            with zf.open(name, "w", force_zip64=size > 2**31) as part:
                block = b" " * 1_048_576
                left = size
                while left > 0:
                    part.write(block[: min(left, len(block))])
                    left -= len(block)
    return buf.getvalue()


def dimension_bomb() -> bytes:
    """A few KB: a sheet declaring the whole Excel grid, with one cell in its last row."""
    xml = sheet_xml(
        [(1, RETURNS_HEADER), (1_048_576, ["P001", "C001", "CS1-02", "2024/25", 1])],
        dimension="A1:XFD1048576",
    )
    return workbook([("Returns", "visible", xml)])


def declared_grid(rows: int = 1_048_576) -> bytes:
    """The milder bomb: three real rows under a dimension declaring a million."""
    xml = sheet_xml(
        [RETURNS_HEADER, ["P001", "C001", "CS1-02", "2024/25", 1]], dimension=f"A1:E{rows}"
    )
    return workbook([("Returns", "visible", xml)])


def far_cell() -> bytes:
    """No dimension at all, and one cell in row 1,048,576 (the reader must not fill the gap)."""
    xml = sheet_xml([(1, RETURNS_HEADER), (1_048_576, ["P001", "C001", "CS1-02", "2024/25", 1])])
    return workbook([("Returns", "visible", xml)])


def inflation_bomb(inflated: int = 1_100_000_000) -> bytes:
    """A workbook with a part that inflates past 1 GB (about 1 MB on disk)."""
    xml = sheet_xml([RETURNS_HEADER, ["P001", "C001", "CS1-02", "2024/25", 1]])
    return workbook([("Returns", "visible", xml)], padding=("xl/padding.xml", inflated))
