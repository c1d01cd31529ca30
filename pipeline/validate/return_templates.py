"""Pre-filled returns templates: one workbook (and one CSV) per partner, read back unedited.

`svf templates --cycle C` writes `reports/<cycle>/templates/<partner_id>-return.xlsx` and
`<partner_id>-return.csv`. The rows are the returns the cycle expects (the checklist: every
contract live in the cycle's financial year x every partner-level measure it committed to), with
the ids, the measure's wording and unit, the partner's last stated target and last year's figure
filled in. In the workbook those cells are locked (sheet protection, no password: it prevents
slips, not intent) and only the cells a partner fills are open, each with Excel data validation
matching the checks `svf validate` makes and an input message saying what is asked.

The *Return* sheet's header row uses the data contract's column names, so a filled template is an
ordinary returns file: dropped into `data/raw/<cycle>/returns/` it is read like any other. The
hidden *About* sheet names the template (cycle, partner, version); `template_identity` reads it
back so validation can refuse a template from another cycle and treat the file as that partner's
(`docs/templates.md`).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from pipeline.core.atomic import neutralise_formula, write_bytes, write_text
from pipeline.core.errors import ContractError, UserError
from pipeline.core.framework import Framework, Measure, load_framework
from pipeline.core.paths import CyclePaths
from pipeline.core.periods import previous
from pipeline.core.settings import load_params
from pipeline.validate.checklist import build_checklist
from pipeline.validate.expectations import ceilings

#: Bumped when the layout changes in a way the reader must know about.
TEMPLATE_VERSION = "1"
#: The first cell of the About sheet: what marks a workbook as one of these templates.
MARKER = "svf returns template"
RETURN_SHEET = "Return"
GUIDANCE_SHEET = "Guidance"
ABOUT_SHEET = "About"
TABLE_NAME = "ReturnRows"
#: Longest text accepted in evidence and comment cells (Excel validation and guidance).
TEXT_LIMIT = 2000


@dataclass(frozen=True)
class Column:
    """One column of the Return sheet: its heading (which maps to `name` in the data contract),
    whether the partner fills it, its width, and the input message shown when a cell is chosen."""

    name: str
    heading: str
    fill: bool
    width: int
    prompt: str = ""


COLUMNS: tuple[Column, ...] = (
    Column("partner_id", "Partner ID", False, 12),
    Column("contract_id", "Contract ID", False, 13),
    Column("contract_title", "Contract title", False, 30),
    Column("measure_id", "Measure ID", False, 11),
    Column("measure_wording", "Measure wording", False, 48),
    Column("unit", "Unit", False, 9),
    Column("period", "Financial year", False, 10),
    Column("previous_period", "Previous year", False, 10),
    Column("previous_value", "Previous year value", False, 12),
    Column("target", "Target", False, 10),
    Column(
        "value",
        "Value",
        True,
        12,
        "What you delivered in the financial year, as a number in the unit shown. "
        "Leave blank if you have no figure: blank is read as not returned, never as zero.",
    ),
    Column(
        "denominator",
        "Denominator",
        True,
        13,
        "For a percentage: the number it is a percentage of (for example total staff).",
    ),
    Column(
        "evidence",
        "Evidence",
        True,
        30,
        f"How the figure was measured and verified (up to {TEXT_LIMIT} characters).",
    ),
    Column("verified", "Verified", True, 10, "yes if the figure has been verified, else no."),
    Column("comment", "Comment", True, 28, f"Anything we should know (up to {TEXT_LIMIT} chars)."),
)
HEADINGS = [c.heading for c in COLUMNS]
#: Filled-in columns written as numbers (text would show Excel's "number stored as text").
NUMBER_COLUMNS = frozenset({"previous_value", "target"})
FILL_COLUMNS = [c.name for c in COLUMNS if c.fill]

UNIT_WORDS = {
    "count": "a whole number (a count)",
    "percent": "a percentage from 0 to 100 (type 45 for 45%)",
    "hours": "hours",
    "GBP": "pounds sterling, without the £ sign",
    "tCO2e": "tonnes of CO2 equivalent",
    "miles": "miles",
    "visits": "a number of visits",
}


@dataclass(frozen=True)
class TemplateIdentity:
    """What a template's About sheet says about it."""

    cycle: str
    partner_id: str
    period: str
    version: str


def _text(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    return str(value).strip()


def _number_text(value: object) -> str:
    if value is None or pd.isna(value):
        return ""
    number = float(value)  # type: ignore[arg-type]
    return str(int(number)) if number.is_integer() else f"{number:.15g}"


def _earlier_returns(paths: CyclePaths) -> pd.DataFrame:
    """Clean returns of every cycle validated so far, this cycle's last (so it wins a tie)."""
    frames = []
    clean_root = paths.workspace / "data" / "clean"
    others = sorted(p for p in clean_root.glob("*/returns.parquet") if p.parent.name != paths.cycle)
    own = paths.clean_table("returns")
    for p in [*others, *([own] if own.exists() else [])]:
        try:
            frames.append(pd.read_parquet(p))
        except Exception:  # noqa: BLE001, S112 - a damaged older table only costs the hint
            continue
    if not frames:
        return pd.DataFrame(
            columns=["partner_id", "contract_id", "measure_id", "period", "value", "target"]
        )
    table = pd.concat(frames, ignore_index=True)
    if "submitted_on" in table.columns:
        table = table.sort_values("submitted_on", kind="stable", na_position="first")
    return table


def template_rows(
    paths: CyclePaths, framework: Framework, period: str | None = None
) -> pd.DataFrame:
    """The rows every partner is asked for: one per committed contract x partner-level measure
    x financial year due, with wording, unit, last stated target and last year's figure."""
    checklist = build_checklist(paths.raw, paths.cycle, period)
    rows = checklist.rows
    measures = {m.id: m for m in framework.measures}
    rows = rows[rows["measure_id"].map(lambda m: m in measures and measures[m].level == "partner")]
    earlier = _earlier_returns(paths)
    key = ["partner_id", "contract_id", "measure_id"]
    last_target: dict[tuple[str, str, str], object] = {}
    last_value: dict[tuple[str, str, str, str], object] = {}
    for rec in earlier.to_dict("records"):
        k = tuple(_text(rec.get(c)) for c in key)
        if rec.get("target") is not None and not pd.isna(rec.get("target")):
            last_target[k] = rec["target"]  # type: ignore[index]
        if rec.get("value") is not None and not pd.isna(rec.get("value")):
            last_value[(*k, _text(rec.get("period")))] = rec["value"]  # type: ignore[index]
    out = []
    for r in rows.to_dict("records"):
        m = measures[r["measure_id"]]
        k = (r["partner_id"], r["contract_id"], r["measure_id"])
        before = previous(r["period"])
        prev_value = last_value.get((*k, before))
        out.append(
            {
                "partner_id": r["partner_id"],
                "partner_name": r["partner_name"],
                "contract_id": r["contract_id"],
                "contract_title": r["contract_title"],
                "measure_id": m.id,
                "measure_wording": m.text,
                "unit": m.unit,
                "period": r["period"],
                "previous_period": before if prev_value is not None else "",
                "previous_value": _number_text(prev_value),
                "target": _number_text(last_target.get(k)),
            }
        )
    return pd.DataFrame(out, columns=["partner_name", *[c.name for c in COLUMNS[:10]]])


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------


FONT = "Calibri"


def _lines(text: str, width: int) -> int:
    """Lines a wrapped cell of `width` characters needs (openpyxl cannot measure text, and
    LibreOffice keeps stored row heights, so the height is set from this estimate)."""
    per_line = max(int(width * 1.15) - 1, 1)
    return max(1, *(-(-len(part) // per_line) for part in text.split("\n"))) if text else 1


def _print_setup(ws: object, *, title_rows: str | None) -> None:
    """Landscape, every column on one page width, headings repeated on each printed page."""
    ws.page_setup.orientation = "landscape"  # type: ignore[attr-defined]
    ws.page_setup.paperSize = 9  # type: ignore[attr-defined]  # A4
    ws.page_setup.fitToWidth = 1  # type: ignore[attr-defined]
    ws.page_setup.fitToHeight = 0  # type: ignore[attr-defined]
    ws.sheet_properties.pageSetUpPr.fitToPage = True  # type: ignore[attr-defined]
    if title_rows:
        ws.print_title_rows = title_rows  # type: ignore[attr-defined]


def _validation_for(measure: Measure, limits: dict[str, float]) -> tuple[str, str, str]:
    """(type, min, max) of the Excel validation on a value cell of this measure."""
    if measure.is_percent:
        return "decimal", "0", "100"
    kind = "whole" if measure.unit == "count" else "decimal"
    return kind, "0", _number_text(limits.get(measure.unit, limits.get("count", 1e8)))


def workbook_bytes(
    rows: pd.DataFrame,
    *,
    cycle: str,
    partner_id: str,
    partner_name: str,
    period: str,
    framework: Framework,
    limits: dict[str, float],
    deadline: str,
    contact: str,
) -> bytes:
    """The partner's template as an .xlsx file's bytes."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation
    from openpyxl.worksheet.table import Table, TableStyleInfo

    wb = Workbook()
    ws = wb.active
    ws.title = RETURN_SHEET
    bold = Font(name=FONT, bold=True)
    plain = Font(name=FONT)
    wrap = Alignment(wrap_text=True, vertical="top")
    fill_cell = PatternFill("solid", fgColor="FFFFFFFF")
    locked_cell = PatternFill("solid", fgColor="FFEDEDED")
    edge = Side(style="thin", color="FF7F7F7F")
    box = Border(left=edge, right=edge, top=edge, bottom=edge)
    ws.append(HEADINGS)
    for i, col in enumerate(COLUMNS, start=1):
        cell = ws.cell(row=1, column=i)
        cell.font = bold
        cell.alignment = Alignment(wrap_text=True, vertical="top")
        ws.column_dimensions[get_column_letter(i)].width = col.width
    ws.row_dimensions[1].height = 32
    measures = {m.id: m for m in framework.measures}
    index = {c.name: i for i, c in enumerate(COLUMNS, start=1)}
    value_checks: dict[tuple[str, str, str], DataValidation] = {}
    n = len(rows)
    for r, rec in enumerate(rows.to_dict("records"), start=2):
        lines = 1
        for col in COLUMNS:
            text = "" if col.fill else _text(rec.get(col.name))
            cell = ws.cell(row=r, column=index[col.name])
            if text and col.name in NUMBER_COLUMNS:
                cell.value = float(text) if "." in text or "e" in text else int(text)
            elif text:
                cell.value = neutralise_formula(text)
                cell.data_type = "s"  # text exactly as written, never a formula or a number
                lines = max(lines, _lines(text, col.width))
            cell.font = plain
            cell.alignment = wrap
            cell.border = box
            open_cell = col.fill and not (
                col.name == "denominator" and not measures[rec["measure_id"]].is_percent
            )
            # Target is the partner's own commitment: open when none is on record.
            open_cell = open_cell or (col.name == "target" and not text)
            cell.protection = Protection(locked=not open_cell)
            cell.fill = fill_cell if open_cell else locked_cell
        ws.row_dimensions[r].height = 15 * max(lines, 2) + 2  # room to type a sentence
        m = measures[rec["measure_id"]]
        check = _validation_for(m, limits)
        if check not in value_checks:
            kind, low, high = check
            what = "a percentage, 0 to 100" if m.is_percent else f"a number from {low} to {high}"
            if kind == "whole" and not m.is_percent:
                what = f"a whole number from {low} to {high}"
            dv = DataValidation(
                type=kind,
                operator="between",
                formula1=low,
                formula2=high,
                allow_blank=True,
                showInputMessage=True,
                showErrorMessage=True,
                promptTitle="Value",
                prompt=(COLUMNS[index["value"] - 1].prompt + f" Here: {what}.")[:255],
                errorTitle="Not accepted",
                error=f"Type {what}, or leave the cell blank."[:255],
            )
            value_checks[check] = dv
            ws.add_data_validation(dv)
        value_checks[check].add(ws.cell(row=r, column=index["value"]))
        if not m.is_percent:
            continue
        denominators = value_checks.get(("denominator", "", ""))
        if denominators is None:
            denominators = DataValidation(
                type="decimal",
                operator="between",
                formula1="0",
                formula2=_number_text(limits.get("count", 1e8)),
                allow_blank=True,
                showInputMessage=True,
                showErrorMessage=True,
                promptTitle="Denominator",
                prompt=COLUMNS[index["denominator"] - 1].prompt,
                errorTitle="Not accepted",
                error="Type a number of 0 or more, or leave the cell blank.",
            )
            value_checks[("denominator", "", "")] = denominators
            ws.add_data_validation(denominators)
        denominators.add(ws.cell(row=r, column=index["denominator"]))
    if n:
        last = n + 1

        def column_range(name: str) -> str:
            letter = get_column_letter(index[name])
            return f"{letter}2:{letter}{last}"

        verified = DataValidation(
            type="list",
            formula1='"yes,no"',
            allow_blank=True,
            showInputMessage=True,
            showErrorMessage=True,
            promptTitle="Verified",
            prompt=COLUMNS[index["verified"] - 1].prompt,
            errorTitle="Not accepted",
            error="Choose yes or no from the list, or leave the cell blank.",
        )
        verified.add(column_range("verified"))
        ws.add_data_validation(verified)
        for name in ("evidence", "comment"):
            dv = DataValidation(
                type="textLength",
                operator="lessThanOrEqual",
                formula1=str(TEXT_LIMIT),
                allow_blank=True,
                showInputMessage=True,
                showErrorMessage=True,
                promptTitle=name.capitalize(),
                prompt=COLUMNS[index[name] - 1].prompt,
                errorTitle="Too long",
                error=f"Keep this to {TEXT_LIMIT} characters or fewer.",
            )
            dv.add(column_range(name))
            ws.add_data_validation(dv)
        target_check = DataValidation(
            type="decimal",
            operator="greaterThanOrEqual",
            formula1="0",
            allow_blank=True,
            showInputMessage=True,
            showErrorMessage=True,
            promptTitle="Target",
            prompt="What you committed to for the year, in the unit shown (if not filled in).",
            errorTitle="Not accepted",
            error="Type a number of 0 or more, or leave the cell blank.",
        )
        target_check.add(column_range("target"))
        ws.add_data_validation(target_check)
        table = Table(displayName=TABLE_NAME, ref=f"A1:{get_column_letter(len(COLUMNS))}{last}")
        table.tableStyleInfo = TableStyleInfo(name="TableStyleLight1", showRowStripes=False)
        ws.add_table(table)
    ws.freeze_panes = "A2"
    _print_setup(ws, title_rows="1:1")
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # allowed: widen a column to read it
    ws.protection.formatRows = False
    ws.protection.autoFilter = False
    ws.protection.sort = True

    _guidance_sheet(wb, rows, partner_id, partner_name, period, framework, deadline, contact)
    about = wb.create_sheet(ABOUT_SHEET)
    for pair in (
        (MARKER, "Do not edit: the council reads this to know the template."),
        ("cycle", cycle),
        ("partner_id", partner_id),
        ("period", period),
        ("template_version", TEMPLATE_VERSION),
        ("written_on", dt.date.today().isoformat()),
    ):
        about.append([neutralise_formula(v) for v in pair])
    about.sheet_state = "hidden"
    about.protection.sheet = True
    wb.properties.title = f"Social value return {period}: {partner_name or partner_id}"
    wb.properties.subject = f"{framework.council} social value return, cycle {cycle}"
    wb.properties.creator = framework.council
    wb.properties.language = "en-GB"
    wb.active = 0
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _guidance_sheet(
    wb: object,
    rows: pd.DataFrame,
    partner_id: str,
    partner_name: str,
    period: str,
    framework: Framework,
    deadline: str,
    contact: str,
) -> None:
    from openpyxl.styles import Alignment, Font

    ws = wb.create_sheet(GUIDANCE_SHEET)  # type: ignore[attr-defined]
    ws.column_dimensions["A"].width = 14
    ws.column_dimensions["B"].width = 96
    wrap = Alignment(wrap_text=True, vertical="top")
    top = Alignment(vertical="top")

    def line(a: str, b: str = "", *, size: int | None = None, bold: bool = False) -> None:
        """One row: a heading (`size`) runs across the page; otherwise a label and its text."""
        ws.append([neutralise_formula(a) or None, neutralise_formula(b) or None])
        r = ws.max_row
        font = Font(name=FONT, bold=bool(bold or size), size=size or 11)
        for cell in ws[r]:
            cell.font = font
            cell.alignment = top if size or cell.column == 1 else wrap
        lines = _lines(b, 96) if b else 1
        ws.row_dimensions[r].height = max(15 * lines + 2, (size or 11) * 1.6)

    line(f"{framework.council}: social value return {period}", size=14)
    line("Partner", f"{partner_name} ({partner_id})".strip())
    line("Deadline", deadline)
    line("Contact", contact)
    line("")
    line("How to fill in the Return sheet", size=12)
    for a, b in (
        ("Rows", "One row per contract, measure and financial year we expect a figure for."),
        (
            "Fill in",
            "Value (required), Denominator (percentage measures only), Evidence, Verified "
            "(yes or no) and Comment. The other cells are filled in by the council and locked.",
        ),
        (
            "Blank",
            "Leave Value blank when you have no figure: a blank is read as not returned, "
            "never as zero. Type 0 only when the true figure is zero.",
        ),
        ("Numbers", "Type plain numbers: no units, no % sign, no £ sign, no thousands commas."),
        ("Sending", "Save the workbook as it is (keep the file name) and send it back to us."),
    ):
        line(a, b)
    line("")
    line("What each measure means", size=12)
    line("Measure ID", "Wording in the framework, unit and how to report it", bold=True)
    measures = {m.id: m for m in framework.measures}
    themes = {t.code: t for t in framework.themes}
    for mid in sorted(set(rows["measure_id"])):
        m = measures[mid]
        theme = themes.get(m.theme)
        where = f"Theme {theme.label}: {theme.ambition}. " if theme else ""
        better = "Lower is better." if m.lower_is_better else "Higher is better."
        line(
            mid,
            f"{m.text}. {where}Unit: {UNIT_WORDS.get(m.unit, m.unit)}. {better} "
            "Evidence: say how the figure was counted or measured and who checked it "
            "(records, payroll, invoices, an external verifier).",
        )

    _print_setup(ws, title_rows=None)


def csv_text(rows: pd.DataFrame) -> str:
    """The CSV template: the same columns and rows as the Return sheet, fill cells empty."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(HEADINGS)
    for rec in rows.to_dict("records"):
        writer.writerow(
            ["" if c.fill else neutralise_formula(_text(rec.get(c.name))) for c in COLUMNS]
        )
    return buf.getvalue()


@dataclass(frozen=True)
class Written:
    partner_id: str
    rows: int
    xlsx: Path
    csv: Path


def templates_dir(paths: CyclePaths) -> Path:
    return paths.reports / "templates"


def write_templates(
    paths: CyclePaths,
    partners: Sequence[str] | None = None,
    *,
    period: str | None = None,
    deadline: str = "the date in our covering email",
    contact: str = "the council's social value team (reply to our covering email)",
) -> list[Written]:
    """Write each partner's workbook and CSV template; `partners` None means every partner
    with a return expected this cycle."""
    paths.require_raw()
    framework = load_framework(paths.framework)
    limits = ceilings(load_params(paths.params))
    rows = template_rows(paths, framework, period)
    if rows.empty:
        raise UserError(
            f"{paths.raw}: no return is expected this cycle (no contracts.csv, or no contract "
            "live in the financial year committed to a measure); no template written"
        )
    period_of = str(rows["period"].iloc[0])
    wanted = sorted(set(rows["partner_id"])) if partners is None else list(partners)
    unknown = [p for p in wanted if p not in set(rows["partner_id"])]
    if unknown:
        raise UserError(
            f"no return is expected this cycle from {', '.join(unknown)} (not in contracts.csv, "
            "or no live contract with a measure)"
        )
    out = templates_dir(paths)
    written = []
    for pid in wanted:
        mine = rows[rows["partner_id"] == pid].reset_index(drop=True)
        name = _text(mine["partner_name"].iloc[0])
        xlsx = out / f"{pid}-return.xlsx"
        write_bytes(
            xlsx,
            workbook_bytes(
                mine,
                cycle=paths.cycle,
                partner_id=pid,
                partner_name=name,
                period=period_of,
                framework=framework,
                limits=limits,
                deadline=deadline,
                contact=contact,
            ),
        )
        target = out / f"{pid}-return.csv"
        write_text(target, csv_text(mine))
        written.append(Written(pid, len(mine), xlsx, target))
    return written


# --------------------------------------------------------------------------------------------
# Reading back
# --------------------------------------------------------------------------------------------


def template_identity(path: Path, name: str) -> TemplateIdentity | None:
    """The About sheet of a returns template, or None for any other file.

    Called on a workbook `readers.read_sheet` has already accepted (its size and parts are within
    the limits), and reads at most the first ten rows of the About sheet.
    """
    if path.suffix.lower() not in {".xlsx", ".xlsm"}:
        return None
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(path) as zf:
            book = zf.read("xl/workbook.xml")
        if f'name="{ABOUT_SHEET}"'.encode() not in book:
            return None
        wb = load_workbook(path, read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - not a template; the reader reports damage
        return None
    try:
        if ABOUT_SHEET not in wb.sheetnames:
            return None
        fields: dict[str, str] = {}
        for i, row in enumerate(wb[ABOUT_SHEET].iter_rows(max_row=10, max_col=2, values_only=True)):
            if i == 0 and (not row or str(row[0]).strip() != MARKER):
                return None
            if row and row[0] is not None:
                fields[str(row[0]).strip()] = "" if row[1] is None else str(row[1]).strip()
    finally:
        wb.close()
    missing = [k for k in ("cycle", "partner_id", "template_version") if not fields.get(k)]
    if missing:
        raise ContractError(
            f"{name}: the template's About sheet has lost its {', '.join(missing)}; "
            "ask the council for a new template",
            file=name,
        )
    return TemplateIdentity(
        fields["cycle"], fields["partner_id"], fields.get("period", ""), fields["template_version"]
    )


def check_template(identity: TemplateIdentity, cycle: str, name: str) -> None:
    """Refuse a template written for another cycle (or by a newer, unknown layout)."""
    if identity.cycle != cycle:
        raise ContractError(
            f"{name}: this is the returns template for cycle {identity.cycle} "
            f"({identity.period or 'another year'}), not cycle {cycle}; fill in the template "
            f"sent for cycle {cycle}",
            file=name,
        )
    if identity.version != TEMPLATE_VERSION:
        raise ContractError(
            f"{name}: template version {identity.version} is not one this pipeline reads "
            f"(version {TEMPLATE_VERSION}); ask the council for a new template",
            file=name,
        )


def is_template_frame(frame: pd.DataFrame) -> bool:
    """True for a returns file with every column of the template (the CSV template)."""
    from pipeline.core.contract import column_map

    names = set(column_map("returns", HEADINGS).values())
    return names <= set(frame.columns)


def drop_unfilled(frame: pd.DataFrame) -> pd.DataFrame:
    """A template's rows where the partner typed nothing: not returned (a missing return, never
    a zero), so not rows of the return. A row with anything typed stays and is checked."""
    present = [c for c in FILL_COLUMNS if c in frame.columns]
    if not present:
        return frame
    typed = frame[present].notna().any(axis=1)
    return frame[typed].reset_index(drop=True)


__all__ = [
    "COLUMNS",
    "TEMPLATE_VERSION",
    "TemplateIdentity",
    "check_template",
    "csv_text",
    "drop_unfilled",
    "template_identity",
    "template_rows",
    "workbook_bytes",
    "write_templates",
]
