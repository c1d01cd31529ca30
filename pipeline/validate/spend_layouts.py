"""Council spend files as councils publish them: which heading means which column, where the
header is, and which lines are not payments.

English councils publish "spend over £500" under the Local Government Transparency Code 2015 in
many layouts. `HEADINGS` below is the table of headings in use, as data: each canonical column
with the headings that mean it, most specific first. When a file has two headings for one
column (`Paid Date` and `Invoice Date`, LGA `PaymentDate` and `EffectiveDate`), the first in the
list takes the canonical name and the other is kept under its own name, so nothing is refused
for holding related columns (`Body`, a URI, and `Body name` are `body` and `body_name`).
`docs/data-contract.md` lists the layouts with an example of each; `tests/test_spend_reading.py`
has a test per published layout.

The header is the first of a file's opening lines whose headings name the payment date, the
amount and the supplier (or the transaction number): title and parameter lines above it (a
report's preamble) are not data. Lines below it are all kept as rows, so validation can
quarantine the ones that are not payments (a `Total` footer, a blank line) with a reason.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from pipeline.core.contract import SOURCE_FILE, SOURCE_ROW
from pipeline.core.errors import ContractError, MissingColumnsError
from pipeline.core.readers import SPEND_LIMITS, read_rows
from pipeline.core.workbooks import WORKBOOK_SUFFIXES, workbook_rows

#: Canonical spend column -> the published headings that mean it, most specific first. Keys
#: of headings are compared with `heading_key` (case, spaces and punctuation ignored; `£` too).
#: Sources: Transparency Code 2015 (part 2, "expenditure exceeding £500"), the LGA/ODI spend
#: schema (`BeneficiaryName`, `PaymentDate`, ...), and published files (Oxford, Trafford,
#: Lambeth and others listed in docs/data-contract.md).
HEADINGS: dict[str, tuple[str, ...]] = {
    "body": ("Body", "Organisation URI", "OrganisationURI", "Body URI", "Local Authority Code"),
    "body_name": (
        "Body name",
        "Organisation Label",
        "OrganisationLabel",
        "Organisation name",
        "Local Authority",
        "Council",
    ),
    "date": (
        "Payment Date",
        "PaymentDate",
        "Paid Date",
        "Date Paid",
        "Date of Payment",
        "Clearing Date",
        "Date",
        "Transaction Date",
        "Effective Date",
        "EffectiveDate",
        "Posting Date",
        "Invoice Payment Date",
        "Invoice Date",
        "Invoice Creation Date",
    ),
    "transaction_number": (
        "Transaction Number",
        "TransactionNumber",
        "Transaction No",
        "Transaction No.",
        "Trans No",
        "Transaction ID",
        "Transaction Ref",
        "Transaction Reference",
        "Inv Transaction",
        "Payment Reference",
        "Payment Number",
        "Document Number",
    ),
    "amount": (
        "Amount",
        "Amount £",
        "Amount GBP",
        "Amount (£)",
        "Net Amount",
        "Nett Amount",
        "Invoice Nett Amount",
        "Invoice Net Amount",
        "Sum of Inv Amount",
        "Sum of Amount",
        "Inv Amount",
        "Payment Amount",
        "Amount excluding VAT",
        "Value",
    ),
    "supplier_name": (
        "Supplier Name",
        "Supplier",
        "BeneficiaryName",
        "Beneficiary Name",
        "Beneficiary",
        "Payee Name",
        "Payee",
        "Merchant Name",
        "Vendor Name",
        "Creditor Name",
    ),
    "supplier_id": (
        "Supplier ID",
        "Supplier Number",
        "Supplier Code",
        "Supplier Reference",
        "BeneficiaryID",
        "Beneficiary ID",
        "Vendor ID",
        "Vendor Number",
        "Creditor Number",
    ),
    "supplier_other_id": ("BeneficiaryOtherID", "Beneficiary Other ID", "Supplier Other ID"),
    "company_number": (
        "Company Number",
        "Companies House Number",
        "Company Registration Number",
        "Supplier Company Number",
        "Beneficiary Company Number",
    ),
    "charity_number": (
        "Charity Number",
        "Registered Charity Number",
        "Charity Registration Number",
        "Supplier Charity Number",
    ),
    "vat_registration_number": ("VAT Registration Number", "VAT Number", "VAT Reg No"),
    "irrecoverable_vat": (
        "Irrecoverable VAT Amount",
        "IrrecoverableVATAmount",
        "Irrecoverable VAT",
    ),
    "expense_area": (
        "Expense Area",
        "Service Area",
        "Service Area Categorisation",
        "Service",
        "Department",
        "Directorate",
        "Organisational Unit",
        "OrganisationalUnit",
        "Service Division",
    ),
    "expense_type": (
        "Expense Type",
        "Expenses Type",
        "Expenditure Category",
        "Expenditure Type",
        "Purpose",
        "Subj Description",
        "Expense Description",
        "Account Description",
        "Category",
    ),
    "expense_code": ("Expense Code", "Expenditure Code", "Account Code", "Subjective Code"),
    "proclass_code": ("ProClass", "ProclassCode", "ProClass Code"),
    "proclass_label": ("ProClass Description", "ProclassLabel", "ProClass Label"),
    "capital_revenue": ("Capital/Revenue", "Capital or Revenue", "Revenue/Capital"),
    "invoice_number": ("Invoice Number", "Invoice No", "Invoice Ref", "Invoice Reference"),
    "description": (
        "Extended Description",
        "Description",
        "Narrative",
        "Transaction Description",
        "Details",
    ),
}

#: A file must name these to be a spend file (transaction numbers are not published by all).
REQUIRED = ("date", "amount", "supplier_name")
#: How far down a file the header is looked for (Lambeth's report has nine lines above it).
HEADER_SEARCH_ROWS = 60


def heading_key(heading: object) -> str:
    """A heading's matching key: lower case letters and digits only (`Amount £` is `amount`)."""
    return re.sub(r"[^a-z0-9]+", "", str(heading).lower())


def heading_slug(heading: object) -> str:
    """A heading not in the table, as a column name: `EffectiveDate` -> `effective_date`."""
    text = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", " ", str(heading).strip())
    return re.sub(r"[^a-z0-9]+", "_", text.lower()).strip("_")


def _lookup() -> dict[str, tuple[str, int]]:
    """heading key -> (canonical column, priority: 0 is the most specific)."""
    table: dict[str, tuple[str, int]] = {}
    for canonical, headings in HEADINGS.items():
        for rank, h in enumerate((*headings, canonical)):
            table.setdefault(heading_key(h), (canonical, rank))
    return table


LOOKUP = _lookup()


def map_headings(header: Sequence[str], file: str) -> list[str]:
    """The column name for each heading of a spend file's header.

    Each canonical column goes to the most specific heading that means it; the other headings
    keep their own name (`effective_date`). Two headings that read the same (`Amount` twice) are
    ambiguous: ContractError names them.
    """
    keys = [heading_key(h) for h in header]
    seen: dict[str, int] = {}
    for i, key in enumerate(keys):
        if not key:
            continue
        if key in seen:
            raise ContractError(
                f"{file}: column {header[i]!r} appears twice in the header "
                f"(columns {seen[key] + 1} and {i + 1}); remove or rename one",
                file=file,
                column=header[i],
            )
        seen[key] = i
    best: dict[str, tuple[int, int]] = {}  # canonical -> (priority, position)
    for i, key in enumerate(keys):
        hit = LOOKUP.get(key)
        if hit and (hit[0] not in best or hit[1] < best[hit[0]][0]):
            best[hit[0]] = (hit[1], i)
    names: list[str] = []
    winners = {pos: canonical for canonical, (_, pos) in best.items()}
    taken = set(winners.values())
    for i, h in enumerate(header):
        if i in winners:
            name = winners[i]
        elif not keys[i]:
            name = f"unnamed_{i + 1}"
        else:
            name = heading_slug(h) or f"unnamed_{i + 1}"
            if name in taken or name in HEADINGS or name in (SOURCE_FILE, SOURCE_ROW):
                name = f"{name}_col{i + 1}"
        taken.add(name)
        names.append(name)
    return names


def _header_score(row: Sequence[str | None]) -> int:
    found = {LOOKUP[k][0] for k in (heading_key(c) for c in row if c) if k in LOOKUP}
    if not {"date", "amount"} <= found or not found & {"supplier_name", "transaction_number"}:
        return 0
    return len(found)


def find_header(rows: Sequence[Sequence[str | None]]) -> int | None:
    """Index of the header row: the first of the opening lines naming the date, the amount and
    the supplier or transaction number. None when no such line is found."""
    for i, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if _header_score(row):
            return i
    return None


def spend_rows(path: Path, name: str) -> list[list[str | None]]:
    """Rows of text cells from a spend file: CSV through the project's reader, workbooks
    (`.xls`, `.xlsx`, `.ods`) through `pipeline.core.workbooks`."""
    if path.suffix.lower() in WORKBOOK_SUFFIXES:
        return workbook_rows(path, name)
    return read_rows(path, name, limits=SPEND_LIMITS)


def spend_frame(rows: Sequence[Sequence[str | None]], file: str) -> pd.DataFrame:
    """The spend frame from a file's rows: header found below any preamble, headings mapped,
    every line below the header kept as a row with its `source_row` as a person numbers it.

    `frame.attrs["header_row"]` is the header's line number (1 when there is no preamble).
    """
    header_index = find_header(rows)
    if header_index is None:
        first = next((i for i, r in enumerate(rows) if any(c is not None for c in r)), None)
        if first is None:
            raise ContractError(f"{file}: the file is empty", file=file)
        found = ", ".join(c for c in rows[first] if c) or "none"
        raise ContractError(
            f"{file}: no header line naming the payment date, amount and supplier was found in "
            f"the first {HEADER_SEARCH_ROWS} lines (first line: {found}); expected headings "
            "such as Date, Amount, Supplier Name (see docs/data-contract.md)",
            file=file,
            column=", ".join(REQUIRED),
        )
    header = [(h or "").strip() for h in rows[header_index]]
    while header and not header[-1]:
        header.pop()  # dozens of trailing empty columns are common
    names = map_headings(header, file)
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise MissingColumnsError(
            f"{file}: missing required column{'s' if len(missing) > 1 else ''} "
            f"{', '.join(missing)} (found: {', '.join(h for h in header if h)})",
            file=file,
            column=missing[0],
        )
    width = len(names)
    body = rows[header_index + 1 :]
    records = [r if len(r) == width else [*r[:width], *([None] * (width - len(r)))] for r in body]
    extras = [
        ("|".join(c for c in r[width:] if c is not None) or None) if len(r) > width else None
        for r in body
    ]
    frame = pd.DataFrame(records, columns=names, dtype=object)
    for col in HEADINGS:
        if col not in frame.columns:
            frame[col] = None
    if any(e is not None for e in extras):
        frame["_extra_cells"] = pd.Series(extras, dtype=object)
    first_row = header_index + 2
    frame.insert(0, SOURCE_ROW, pd.array(range(first_row, first_row + len(frame)), dtype="int64"))
    frame.insert(0, SOURCE_FILE, file)
    frame.attrs["header_row"] = header_index + 1
    return frame


def read_spend(path: str | Path, display_name: str | None = None) -> pd.DataFrame:
    """Read one published spend file (CSV, `.xls`, `.xlsx` or `.ods`) into the spend frame."""
    p = Path(path)
    name = display_name or p.name
    return spend_frame(spend_rows(p, name), name)
